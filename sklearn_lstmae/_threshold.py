"""Threshold rules: the offset between normal and abnormal errors."""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, OutlierMixin

from ._scoring import _pooled_log_spread, _safe_log

# contamination="auto": a robust z-score of this many on the log scale.
AUTO_THRESHOLD_K = 3.0


def _auto_threshold(errors, fitted_errors=None):
    """Error threshold from the errors of normal sequences.

    The rule: a robust z-score of ``AUTO_THRESHOLD_K`` on the log scale,
    ``exp(median(log e) + K * s)``. Reconstruction errors are positive and
    right-skewed, close to log-normal, so their logarithm is close to normal
    and ``s``, 1.4826 times a median absolute deviation (MAD), estimates its
    standard deviation. Robust statistics keep the few odd or mislabelled
    "normal" rows of real data from inflating the
    threshold, as a high percentile or the maximum of a few hundred rows
    would; for log-normal errors ``K = 3`` flags about 0.13 % of normal rows.

    ``errors`` are those of normal sequences the weights were not fitted on
    (held-out rows): the median comes from them alone. ``fitted_errors``,
    those of the sequences the weights were fitted on, are too small (the
    net has seen them) but spread about their own median almost as much as
    unseen ones do (a little less: the threshold comes out a little lower),
    and there are usually many more of them: with them, ``s`` is
    the MAD of both sets' log errors, each centred on its own median. From
    a held-out tenth of a few hundred rows (a few dozen) the MAD varies
    by about a fifth from one split to the next (its relative standard
    deviation is about ``sqrt(1.35 / n)`` for normal
    data); pooled with the fitted rows, by about a fifteenth.

    A spread below ``MIN_LOG_SPREAD`` counts as that much: errors computed
    in float32 differ in their last digits with the batch they were computed
    in (a GPU picks its kernels by batch size), so with identical errors
    (constant training data) a threshold equal to the error would flag
    copies of the training rows at random.
    """
    median = np.median(_safe_log(errors))
    fitted = () if fitted_errors is None else fitted_errors
    spread = _pooled_log_spread(errors, fitted)
    return float(np.exp(median + AUTO_THRESHOLD_K * spread))


def _contamination_offset(scores, contamination):
    """Offset putting a ``contamination`` share of ``scores`` below zero."""
    return float(np.percentile(scores, 100.0 * contamination))


def _false_alarm_threshold(errors, rate):
    """Error threshold above which ``floor(rate * n)`` of ``errors`` lie.

    The midpoint between the last error kept and the first flagged, so that
    the same rows scored again (float rounding aside) fall on the same side;
    the largest error when none is to be flagged. Tied errors at the cut
    stay together below it.
    """
    errors = np.sort(np.asarray(errors, dtype=np.float64))
    n_flagged = int(np.floor(np.round(rate * errors.size, 9)))
    if n_flagged == 0:
        return float(errors[-1])
    cut = errors.size - n_flagged
    return float((errors[cut - 1] + errors[cut]) / 2)


def _candidate_thresholds(errors, thresholds):
    """Distinct thresholds to try: quantiles of ``errors`` or the given ones.

    An integer asks for that many evenly spaced quantiles of ``errors``,
    from the smallest (all but the smallest rows flagged) to the largest
    (none flagged).
    """
    if isinstance(thresholds, Integral):
        thresholds = np.quantile(errors, np.linspace(0, 1, thresholds))
    return np.unique(np.asarray(thresholds, dtype=np.float64))


def _best_threshold(errors, y, scorer, candidates):
    """The candidate threshold whose labels ``scorer`` rates highest.

    ``scorer`` is called as ``scorer(estimator, X, y)`` on an estimator whose
    ``predict`` returns the labels at each threshold (-1 above it), so any
    scorer of predicted labels works unchanged. Ties go to the lowest
    threshold. Returns the threshold and its score.
    """
    rows = np.zeros((errors.size, 1))
    scores = np.array(
        [
            scorer(_FixedLabels(np.where(errors > t, -1, 1)), rows, y)
            for t in candidates
        ],
        dtype=np.float64,
    )
    if np.isnan(scores).all():
        return float("nan"), float("nan")
    best = int(np.nanargmax(scores))
    return float(candidates[best]), float(scores[best])


class _FixedLabels(OutlierMixin, BaseEstimator):
    """An outlier detector whose ``predict`` returns fixed labels: what a
    scorer of predicted labels is called on to rate one threshold."""

    def __init__(self, labels):
        self.labels = labels

    def predict(self, X):
        return self.labels
