"""Reconstruction errors and thresholds: pure numpy functions."""

import numpy as np


def _timestep_errors(x, x_hat, loss):
    """Per-time-step error of shape (n, time), averaged over channels."""
    diff = np.asarray(x_hat, dtype=np.float64) - np.asarray(x, dtype=np.float64)
    per_value = np.abs(diff) if loss == "l1" else np.square(diff)
    return per_value.mean(axis=2)


def _sample_errors(x, x_hat, loss):
    """Per-sample error: the training loss (``"l1"`` or ``"mse"``) of each row."""
    return _timestep_errors(x, x_hat, loss).mean(axis=1)


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
    """
    errors = np.asarray(errors, dtype=np.float64)
    log_errors = np.log(np.maximum(errors, np.finfo(np.float64).tiny))
    median = np.median(log_errors)
    mad = 1.4826 * np.median(np.abs(log_errors - median))
    return float(np.exp(median + AUTO_THRESHOLD_K * mad))


AUTO_THRESHOLD_K = 3.0


def _contamination_offset(scores, contamination):
    """Offset putting a ``contamination`` share of ``scores`` below zero."""
    return float(np.percentile(scores, 100.0 * contamination))
