"""Standardisation statistics, learned in fit."""

import numpy as np

from ._ragged import _Ragged


def _standardization(X, standardize):
    """Per-channel mean and scale; a channel without variance gets scale 1.

    The statistics are computed on ``X / max|X|`` (per channel) and scaled
    back, so that neither the sums overflow for huge values (1e300) nor the
    squares underflow for tiny ones (1e-200). A channel whose spread is at
    rounding level of its largest value counts as constant.
    """
    n_channels = X.shape[2]
    if not standardize:
        return np.zeros(n_channels), np.ones(n_channels)
    if isinstance(X, _Ragged):  # statistics over real time steps only
        X = X.real_steps()[np.newaxis]
    peak = np.abs(X).max(axis=(0, 1)).astype(np.float64)
    peak[peak == 0] = 1.0
    unit = X / peak
    mean = unit.mean(axis=(0, 1), dtype=np.float64)
    spread = unit.std(axis=(0, 1), dtype=np.float64)
    constant = ~(spread > 16 * np.finfo(np.float64).eps)
    scale = np.where(constant, 1.0, spread * peak)
    return mean * peak, scale
