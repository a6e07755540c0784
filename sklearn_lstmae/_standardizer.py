"""The standardiser: per-channel statistics learned in fit, and the model space."""

import numpy as np

from ._ragged import _Ragged


class _Standardizer:
    """Centre and scale each channel; the model reads float32 (or float64).

    Parameters
    ----------
    enabled : bool, default=True
        Without it the statistics are zeros and ones: values pass unchanged.

    Attributes
    ----------
    mean_, scale_ : ndarray of shape (n_channels,)
        Per-channel mean and standard deviation of the training sequences'
        real time steps; a channel without variance gets scale 1.
    """

    def __init__(self, enabled=True):
        self.enabled = enabled

    def fit(self, X):
        """Learn the statistics of validated sequences (array or ``_Ragged``).

        They are computed on ``X / max|X|`` (per channel) and scaled back, so
        that neither the sums overflow for huge values nor the squares
        underflow for tiny ones. A channel whose spread is at rounding level
        of its largest value counts as constant.
        """
        n_channels = X.shape[2]
        if not self.enabled:
            self.mean_, self.scale_ = np.zeros(n_channels), np.ones(n_channels)
            return self
        if isinstance(X, _Ragged):  # statistics over real time steps only
            X = X.real_steps()[np.newaxis]
        peak = np.abs(X).max(axis=(0, 1)).astype(np.float64)
        peak[peak == 0] = 1.0
        unit = X / peak
        spread = unit.std(axis=(0, 1), dtype=np.float64)
        constant = ~(spread > 16 * np.finfo(np.float64).eps)
        self.mean_ = unit.mean(axis=(0, 1), dtype=np.float64) * peak
        self.scale_ = np.where(constant, 1.0, spread * peak)
        return self

    def transform(self, X, dtype=np.float32):
        """Standardised copy in ``dtype`` (rounded through float32 first).

        For a ``_Ragged``, the dict ``{"x": padded, "lengths": lengths}`` that
        the net passes to the module and to its loss; padding is zero.
        """
        if isinstance(X, _Ragged):
            x = self.transform(X.values, dtype) * X.mask()[:, :, np.newaxis]
            return {"x": x.astype(dtype, copy=False), "lengths": X.lengths}
        with np.errstate(over="ignore", invalid="ignore"):  # reported below
            out = ((X - self.mean_) / self.scale_).astype(np.float32)
        if not np.isfinite(out).all():
            raise ValueError(
                "X contains values too large to represent in float32 once "
                "standardised; rescale the data."
            )
        return out.astype(dtype, copy=False)

    def inverse_transform(self, X_hat):
        """Model-space values back in the input's units, float64."""
        return np.asarray(X_hat, dtype=np.float64) * self.scale_ + self.mean_
