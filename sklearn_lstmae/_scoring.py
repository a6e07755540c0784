"""Reconstruction errors and thresholds: pure numpy functions."""

import numpy as np


def _value_errors(x, x_hat, loss):
    """Error of every value, shape (n, time, channels): ``|d|`` or ``d ** 2``."""
    diff = np.asarray(x_hat, dtype=np.float64) - np.asarray(x, dtype=np.float64)
    return np.abs(diff) if loss == "l1" else np.square(diff)


def _timestep_errors(x, x_hat, loss):
    """Per-time-step error of shape (n, time), averaged over channels."""
    return _value_errors(x, x_hat, loss).mean(axis=2)


def _sample_errors(x, x_hat, loss, lengths=None):
    """Per-sample error: the training loss (``"l1"`` or ``"mse"``) of each row.

    With ``lengths``, row ``i`` is averaged over its first ``lengths[i]``
    steps only (the rest is padding).
    """
    errors = _timestep_errors(x, x_hat, loss)
    if lengths is None:
        return errors.mean(axis=1)
    real = np.arange(errors.shape[1]) < lengths[:, np.newaxis]
    return np.where(real, errors, 0.0).sum(axis=1) / lengths


def _empirical_cdf(reference, values):
    """Share of ``reference`` (sorted) at or below each of ``values``."""
    reference = np.asarray(reference, dtype=np.float64)
    return np.searchsorted(reference, values, side="right") / reference.size


def _auto_threshold(errors):
    """Error threshold from the errors of held-out normal sequences.

    The rule: the median plus ``AUTO_THRESHOLD_K`` times the scaled median
    absolute deviation (MAD, times 1.4826 so that it estimates the standard
    deviation of normally distributed errors) of the held-out errors: a robust
    z-score cut. Robust statistics keep the few odd or mislabelled "normal"
    rows of real data (ECG5000 has some) from inflating the threshold, which
    a high percentile or the maximum would do.
    """
    errors = np.asarray(errors, dtype=np.float64)
    median = np.median(errors)
    mad = 1.4826 * np.median(np.abs(errors - median))
    return median + AUTO_THRESHOLD_K * mad


AUTO_THRESHOLD_K = 4.0


def _contamination_offset(scores, contamination):
    """Offset putting a ``contamination`` share of ``scores`` below zero."""
    return float(np.percentile(scores, 100.0 * contamination))
