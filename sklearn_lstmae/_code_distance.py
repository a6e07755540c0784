"""The code distance: how far a sequence's code lies from the training codes."""

import numpy as np
from sklearn.metrics import pairwise_distances_argmin_min
from sklearn.neighbors import NearestNeighbors

from ._scoring import _log_median_spread, _safe_log

# Smallest distance that counts, relative to the training codes' norm: far
# above the rounding of codes computed in float64 and stored in float32.
CODE_RESOLUTION = 1e-5
_MAX_LOG_ERROR = 700.0  # exp(700) ~ 1e304: the combined error stays finite


class _CodeDistance:
    """Reconstruction error weighted by the distance to the training codes.

    The combined error is ``e * (d / d_median) ** exponent``: ``d`` the
    distance to the nearest training code (a training sequence scored again
    is measured to the nearest other one), ``d_median`` and ``exponent``
    learned from normal sequences the weights were not fitted on, so that on
    the log scale the combined error adds the two robust z-scores.

    Parameters
    ----------
    standardize_features : bool, default=False
        Whether the features are standardised with the training features'
        mean and standard deviation (for the pooled states).

    Attributes
    ----------
    train_codes_ : ndarray of shape (n_train, n_features), float32
        The features of the sequences the weights were fitted on.
    train_distances_ : ndarray of shape (n_train,)
        Each training code's distance to its nearest other one (1 for a
        single training sequence).
    center_, scale_ : ndarray of shape (n_features,) or None
        The features' standardisation (``standardize_features`` only).
    resolution_ : float
        Distances below it count as it; a code that close to a training
        code is that sequence scored again.
    log_median_ : float
        Median log distance of the calibration sequences.
    exponent_ : float
        Ratio of the robust spreads of their log errors and log distances; 0
        with fewer than two of them (the code term drops out).
    """

    def __init__(self, standardize_features=False):
        self.standardize_features = standardize_features

    def fit(self, train_features, errors, features=None):
        """Learn the reference codes and the weight of the distance.

        ``errors`` and ``features``: those of the calibration sequences
        (held-out rows); ``features=None`` means the training rows
        themselves, measured leave-one-out.
        """
        self.center_ = self.scale_ = None
        if self.standardize_features:
            states = np.asarray(train_features, dtype=np.float64)
            scale = states.std(axis=0)
            self.center_ = states.mean(axis=0)
            self.scale_ = np.where(scale > 0, scale, 1.0)
        self.train_codes_ = self._standardised(train_features)
        self.train_distances_ = _leave_one_out_distances(self.train_codes_)
        norms = np.square(self.train_codes_.astype(np.float64)).sum(axis=1)
        rms = float(np.sqrt(norms.mean()))
        self.resolution_ = max(CODE_RESOLUTION * rms, np.finfo(np.float64).tiny)
        distances = self.train_distances_
        if features is not None:
            distances = self.distances(features)
        self.log_median_, self.exponent_ = 0.0, 0.0
        if np.size(distances) >= 2:
            _, error_spread = _log_median_spread(errors)
            distances = np.maximum(distances, self.resolution_)
            self.log_median_, distance_spread = _log_median_spread(distances)
            self.exponent_ = error_spread / distance_spread
        return self

    def distances(self, features):
        """Distance of each feature row to the nearest training code.

        A code within ``resolution_`` of training code ``j`` is that
        sequence scored again: it gets ``train_distances_[j]``, the distance
        it was measured by in fit, so ``fit(X).predict(X)`` agrees with
        ``fit_predict(X)``.
        """
        codes = self._standardised(features)
        index, distances = pairwise_distances_argmin_min(codes, self.train_codes_)
        distances = distances.astype(np.float64)
        own = self.train_distances_[index]
        return np.where(distances <= self.resolution_, own, distances)

    def combine(self, errors, distances):
        """The combined error ``e * (d / d_median) ** exponent``, in logs."""
        log_distances = np.log(np.maximum(distances, self.resolution_))
        shift = self.exponent_ * (log_distances - self.log_median_)
        return np.exp(np.minimum(_safe_log(errors) + shift, _MAX_LOG_ERROR))

    def _standardised(self, features):
        if self.center_ is None:
            return np.asarray(features, dtype=np.float32)
        states = np.asarray(features, dtype=np.float64)
        return ((states - self.center_) / self.scale_).astype(np.float32)


def _leave_one_out_distances(codes):
    """Distance from each code to its nearest other one (1 for a single code)."""
    if codes.shape[0] < 2:
        return np.ones(codes.shape[0])
    neighbors = NearestNeighbors(n_neighbors=1).fit(codes)
    return neighbors.kneighbors(return_distance=True)[0][:, 0].astype(np.float64)
