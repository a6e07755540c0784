"""The detector's score, fitted and applied: each row's reconstruction error
(weighted by the code distance when fitted) and the threshold, fitted on
the fit's scoring pass; and the other outputs of a scoring pass: codes,
reconstructions, errors per time step, the error's place among the normal
calibration errors. One forward pass per row gives each of them."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._code_distance import _CodeDistance
from ._inference import (
    forward_batches,
    reconstructions,
    score_pass,
    scoring_batch_size,
    step_errors,
)
from ._ragged import _Ragged
from ._scoring import _empirical_cdf
from ._threshold import _auto_threshold
from ._training import _trained_loss


class _ScoringMixin:
    """The detector's score and outputs from scoring passes.

    The detector provides ``_check`` (its input validation), its parameters
    and the fitted ``net_``, ``standardizer_`` and ``device_``.
    """

    def transform(self, X):
        """Encode each sequence into its code.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_channels]) or list
            Sequences shaped like the training data.

        Returns
        -------
        codes : ndarray of shape (n_samples, latent_size * n_members), dtype float64
            The encoder's output (each member's, side by side), e.g. as
            features for a classifier.
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
            without ``per_channel`` and with ``code_distance=False``, their
            mean over time is :meth:`score_samples`. A list for a list input.
        """
        check_is_fitted(self)
        batches = self._batches(self._check(X))
        loss = _trained_loss(self.net_)
        errors = step_errors(batches, loss, per_channel=per_channel)
        return [-e for e in errors] if isinstance(errors, list) else -errors

    def anomaly_probability(self, X):
        """Share of normal calibration sequences rebuilt no worse: in [0, 1].

        The empirical distribution function of ``calibration_errors_`` at
        each sequence's error (one minus an empirical p-value for "this
        sequence is normal"), not a posterior probability.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_channels]) or list
            Sequences shaped like the training data.

        Returns
        -------
        proba : ndarray of shape (n_samples,), dtype float64
            Non-increasing in :meth:`score_samples`.
        """
        return _empirical_cdf(self.calibration_errors_, -self.score_samples(X))

    def _fit_scores(self, fitted, held_out):
        """Fit the code distance and the threshold on the fit's one pass."""
        has_held = held_out.errors.size > 0
        calibration = held_out if has_held else fitted
        self.code_distance_ = None
        if self.code_distance:
            self.code_distance_ = _CodeDistance(
                standardize_features=self.code_features == "pooled_states"
            ).fit(
                fitted.features,
                fitted.errors,
                held_out.errors if has_held else None,
                held_out.features if has_held else None,
            )
        errors = self._detector_errors(calibration)
        self.held_out_errors_ = errors if has_held else np.empty(0)
        self.calibration_errors_ = np.sort(errors)
        if self.contamination == "auto":
            spread = self._detector_errors(fitted) if has_held else None
            self.offset_ = -_auto_threshold(errors, spread)

    @property
    def scoring_batch_size_(self):
        """Sequences per forward pass when scoring (memory stays flat)."""
        return scoring_batch_size(self.device_, self.batch_size)

    def _batches(self, X):
        """The scoring pass's batches over validated ``X``."""
        rows = self.scoring_batch_size_
        return forward_batches(
            self.net_, X, self.standardizer_, rows, verbose=self.verbose
        )

    def _forward(self, X, *, features=None):
        """Errors and, for the code distance, features of every row: one pass.

        ``features`` defaults to whether the fitted scoring uses them; then
        each batch's features give way to their code distances at once, so
        scoring many rows keeps memory flat.
        """
        loss, reduce = _trained_loss(self.net_), None
        if features is None:
            features = self.code_distance_ is not None
            reduce = self.code_distance_.distances if features else None
        return score_pass(self._batches(X), loss, features=features, reduce=reduce)

    def _detector_errors(self, scored):
        """The errors ``score_samples`` negates: reconstruction [x code distance]."""
        if self.code_distance_ is None:
            return scored.errors
        distances = scored.reduced
        if distances is None:
            distances = self.code_distance_.distances(scored.features)
        return self.code_distance_.combine(scored.errors, distances)
