"""Reconstruction errors and thresholds: pure numpy functions."""

import numpy as np

from ._ragged import _step_mask


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
    real = _step_mask(lengths, errors.shape[1])
    return np.where(real, errors, 0.0).sum(axis=1) / lengths


def _empirical_cdf(reference, values):
    """Share of ``reference`` (sorted) at or below each of ``values``."""
    reference = np.asarray(reference, dtype=np.float64)
    return np.searchsorted(reference, values, side="right") / reference.size


def _auto_threshold(errors):
    """Error threshold from the errors of held-out normal sequences.

    The rule: a robust z-score of ``AUTO_THRESHOLD_K`` on the log scale,
    ``exp(median(log e) + K * 1.4826 * MAD(log e))``. Reconstruction errors
    are positive and right-skewed, close to log-normal, so their logarithm is
    close to normal and 1.4826 times its median absolute deviation (MAD)
    estimates its standard deviation. Robust statistics keep the few odd or
    mislabelled "normal" rows of real data (ECG5000 has some) from inflating
    the threshold, as a high percentile or the maximum of a few hundred rows
    would; for log-normal errors ``K = 3`` flags about 0.13 % of normal rows.

    A spread below ``MIN_LOG_SPREAD`` counts as that much: errors computed
    in float32 differ in their last digits with the batch they were computed
    in (a GPU picks its kernels by batch size), so with identical errors
    (constant training data) a threshold equal to the error would flag
    copies of the training rows at random.
    """
    errors = np.asarray(errors, dtype=np.float64)
    log_errors = np.log(np.maximum(errors, np.finfo(np.float64).tiny))
    median = np.median(log_errors)
    mad = 1.4826 * np.median(np.abs(log_errors - median))
    return float(np.exp(median + AUTO_THRESHOLD_K * max(mad, MIN_LOG_SPREAD)))


AUTO_THRESHOLD_K = 3.0
MIN_LOG_SPREAD = 1e-4  # relative: 0.01 % of the error, well above float32 noise


def _contamination_offset(scores, contamination):
    """Offset putting a ``contamination`` share of ``scores`` below zero."""
    return float(np.percentile(scores, 100.0 * contamination))
