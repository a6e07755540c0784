"""Threshold rules: the offset between normal and abnormal errors."""

import numpy as np

from ._scoring import _centred_logs, _robust_spread, _safe_log

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
    logs = _safe_log(errors)
    median = np.median(logs)
    deviations = logs - median
    if fitted_errors is not None and np.size(fitted_errors):
        deviations = np.concatenate([deviations, _centred_logs(fitted_errors)])
    return float(np.exp(median + AUTO_THRESHOLD_K * _robust_spread(deviations)))


def _contamination_offset(scores, contamination):
    """Offset putting a ``contamination`` share of ``scores`` below zero."""
    return float(np.percentile(scores, 100.0 * contamination))
