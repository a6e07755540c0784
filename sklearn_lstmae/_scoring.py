"""Reconstruction errors and their robust log statistics: numpy computations."""

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


def _safe_log(values):
    values = np.asarray(values, dtype=np.float64)
    return np.log(np.maximum(values, np.finfo(np.float64).tiny))


def _centred_logs(values):
    """Log values minus their median."""
    logs = _safe_log(values)
    return logs - np.median(logs)


# Smallest robust spread of log errors: 0.01 % of the error, well above the
# float32 noise of errors computed in batches of other sizes.
MIN_LOG_SPREAD = 1e-4


def _robust_spread(deviations):
    """1.4826 times the median absolute deviation, at least MIN_LOG_SPREAD."""
    return float(max(1.4826 * np.median(np.abs(deviations)), MIN_LOG_SPREAD))


def _pooled_log_spread(*groups):
    """Robust spread (see ``_robust_spread``) of the log values of ``groups``
    pooled, each centred on its own median; empty groups are skipped."""
    deviations = [_centred_logs(group) for group in groups if np.size(group)]
    return _robust_spread(np.concatenate(deviations))
