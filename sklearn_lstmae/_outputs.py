"""Per-sequence outputs beside the score: codes, reconstructions and the
error of every time step, each from one scoring pass."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._inference import forward_batches, reconstructions, step_errors
from ._ragged import _Ragged
from ._training import _trained_loss


class _SequenceOutputsMixin:
    """``transform``, ``reconstruct`` and ``score_timesteps`` for the detector.

    The detector provides ``_check`` (its input validation), ``net_``,
    ``standardizer_`` and ``scoring_batch_size_``.
    """

    def transform(self, X):
        """Encode each sequence into its code.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_channels]) or list
            Sequences shaped like the training data.

        Returns
        -------
        codes : ndarray of shape (n_samples, latent_size), dtype float64
            The encoder's output, e.g. as features for a classifier.
        """
        check_is_fitted(self)
        codes = [out[1] for _, out in self._batches(self._check(X))]
        return np.concatenate(codes).astype(np.float64)

    def reconstruct(self, X):
        """Rebuild each sequence through the autoencoder, in the input's units.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_channels]) or list
            Sequences shaped like the training data.

        Returns
        -------
        X_hat : ndarray of the shape of ``X``, dtype float64, or list
            The reconstruction; a list of arrays for a list of different lengths.
        """
        check_is_fitted(self)
        checked = self._check(X)
        X_hat = reconstructions(self._batches(checked), self.standardizer_)
        if isinstance(checked, _Ragged):
            return [x[:, 0] for x in X_hat] if checked.univariate else X_hat
        two_d = getattr(X, "ndim", None) == 2 or np.ndim(X) == 2
        return X_hat[:, :, 0] if two_d else X_hat

    def score_timesteps(self, X, *, per_channel=False):
        """Negated reconstruction error of every time step: where it departs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_channels]) or list
            Sequences shaped like the training data.
        per_channel : bool, default=False
            Whether every channel keeps its own error (else their mean).

        Returns
        -------
        scores : ndarray of shape (n_samples, n_timesteps[, n_channels]) or list
            Minus the ``loss`` at each time step, in standardised units;
            without ``per_channel`` and ``code_distance``, their mean over
            time is :meth:`score_samples`. A list for a list input.
        """
        check_is_fitted(self)
        batches = self._batches(self._check(X))
        loss = _trained_loss(self.net_)
        errors = step_errors(batches, loss, per_channel=per_channel)
        return [-e for e in errors] if isinstance(errors, list) else -errors

    def _batches(self, X):
        """The scoring pass's batches over validated ``X``."""
        rows = self.scoring_batch_size_
        return forward_batches(self.net_, X, self.standardizer_, rows)
