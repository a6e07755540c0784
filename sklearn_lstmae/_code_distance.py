"""The code distance: how far a sequence's code lies from the training codes,
relative to how far the training codes lie from each other there."""

import numpy as np
from sklearn.neighbors import NearestNeighbors

from ._scoring import _pooled_log_spread, _safe_log

# Smallest distance that counts, relative to the training codes' norm: far
# above the rounding of codes computed in float64 and stored in float32.
CODE_RESOLUTION = 1e-5
_MAX_LOG_ERROR = 700.0  # exp(700) ~ 1e304: the combined error stays finite
# Training codes a code is compared with (fewer when there are fewer others);
# chosen on the suite's choice group (BENCHMARKS.md, "Suite").
N_NEIGHBORS = 4
# Training rows at which the error and the code count alike: an autoencoder
# fitted on a few sequences also rebuilds unseen shapes well, so its error
# ranks them poorly, and the codes' neighbourhood is the surer sign; with
# many sequences the error is (BENCHMARKS.md, "Suite" and "ECG5000").
EQUAL_WEIGHT_ROWS = 200


class _CodeDistance:
    """Reconstruction error combined with the code's relative distance.

    A code's relative distance ``r`` is its mean distance to its
    ``N_NEIGHBORS`` nearest training codes over those codes' own mean
    distance to their nearest others (as in the local outlier factor): about
    1 among the training codes, however dense they are there, and large away
    from them. A training sequence scored again is measured against the
    others. The combined error is ``e ** a * (r / r_median) ** b``: on the
    log scale ``a`` times the error's robust z-score plus ``1 - a`` times the
    relative distance's, ``a = n**2 / (n**2 + EQUAL_WEIGHT_ROWS**2)`` for
    ``n`` training sequences, and the spreads taken from normal sequences.

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
        Each training code's mean distance to its nearest others (at least
        ``resolution_``; 1 for a single training sequence).
    center_, scale_ : ndarray of shape (n_features,) or None
        The features' standardisation (``standardize_features`` only).
    resolution_ : float
        Distances below it count as it; a code that close to a training
        code is that sequence scored again.
    log_median_ : float
        Median log relative distance of the calibration sequences.
    error_exponent_, exponent_ : float
        ``a`` and ``b`` above; 1 and 0 with fewer than two training
        sequences (the code term drops out).
    """

    def __init__(self, standardize_features=False):
        self.standardize_features = standardize_features

    def fit(self, train_features, train_errors, held_errors=None, held_features=None):
        """Learn the reference codes and the weights of error and code.

        ``train_features`` and ``train_errors``: those of the sequences the
        weights were fitted on; ``held_errors`` and ``held_features``: those
        of held-out rows, or None. The spreads pool both sets, each centred
        on its own median: the training rows' errors are smaller than unseen
        rows', but spread about as much, and there are more of them.
        """
        self.center_ = self.scale_ = None
        if self.standardize_features:
            states = np.asarray(train_features, dtype=np.float64)
            scale = states.std(axis=0)
            self.center_ = states.mean(axis=0)
            self.scale_ = np.where(scale > 0, scale, 1.0)
        self.train_codes_ = self._standardised(train_features)
        norms = np.square(self.train_codes_.astype(np.float64)).sum(axis=1)
        rms = float(np.sqrt(norms.mean()))
        self.resolution_ = max(CODE_RESOLUTION * rms, np.finfo(np.float64).tiny)
        n_train = len(self.train_codes_)
        self.train_distances_ = np.ones(n_train)
        self.log_median_, self.error_exponent_, self.exponent_ = 0.0, 1.0, 0.0
        if n_train < 2:
            return self
        # One search gives each training code's own distances and, over its
        # neighbours', its relative distance (as ``distances`` would again).
        self.train_distances_, index = self._neighbour_distances()
        train_relative = self.train_distances_ / self.train_distances_[index].mean(1)
        held = held_errors is not None and np.size(held_errors) > 0
        held_errors = held_errors if held else ()
        held_relative = self.distances(held_features) if held else ()
        error_spread = _pooled_log_spread(train_errors, held_errors)
        distance_spread = _pooled_log_spread(train_relative, held_relative)
        calibration = held_relative if held else train_relative
        self.log_median_ = float(np.median(_safe_log(calibration)))
        self.error_exponent_ = n_train**2 / (n_train**2 + EQUAL_WEIGHT_ROWS**2)
        self.exponent_ = (1 - self.error_exponent_) * error_spread / distance_spread
        return self

    def distances(self, features):
        """Relative distance of each feature row to the training codes.

        A code within ``resolution_`` of a training code is that sequence
        scored again: it is measured against the other training codes, as in
        fit, so ``fit(X).predict(X)`` agrees with ``fit_predict(X)``.
        """
        codes = self._standardised(features)
        if len(self.train_codes_) < 2:
            return np.ones(len(codes))
        distances, index = self._neighbour_distances(codes)
        return distances / self.train_distances_[index].mean(axis=1)

    def combine(self, errors, distances):
        """The combined error ``e ** a * (r / r_median) ** b``, in logs."""
        log_distances = _safe_log(distances)
        shift = self.exponent_ * (log_distances - self.log_median_)
        log_errors = self.error_exponent_ * _safe_log(errors)
        return np.exp(np.minimum(log_errors + shift, _MAX_LOG_ERROR))

    def _neighbour_distances(self, codes=None):
        """Mean distance of each code to its nearest training codes, and
        which ones. ``codes=None``: the training codes, each measured against
        the others; so is any code within ``resolution_`` of its nearest
        training code (that sequence scored again)."""
        n_neighbors = min(N_NEIGHBORS, len(self.train_codes_) - 1)
        search = NearestNeighbors(n_neighbors=n_neighbors, algorithm="brute")
        search.fit(self.train_codes_)
        if codes is None:
            distances, index = search.kneighbors()
        else:
            distances, index = search.kneighbors(codes, n_neighbors + 1)
            is_copy = distances[:, :1] <= self.resolution_
            distances = np.where(is_copy, distances[:, 1:], distances[:, :-1])
            index = np.where(is_copy, index[:, 1:], index[:, :-1])
        distances = np.maximum(distances.astype(np.float64), self.resolution_)
        return distances.mean(axis=1), index

    def _standardised(self, features):
        if self.center_ is None:
            return np.asarray(features, dtype=np.float32)
        states = np.asarray(features, dtype=np.float64)
        return ((states - self.center_) / self.scale_).astype(np.float32)
