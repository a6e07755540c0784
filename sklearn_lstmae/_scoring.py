"""Errors (reconstruction, code distance) and thresholds: numpy computations."""

import numpy as np
from sklearn.metrics import pairwise_distances_argmin_min
from sklearn.neighbors import NearestNeighbors

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


AUTO_THRESHOLD_K = 3.0
MIN_LOG_SPREAD = 1e-4  # relative: 0.01 % of the error, well above float32 noise
_MAX_LOG_ERROR = 700.0  # exp(700) ~ 1e304: the combined error stays finite


def _safe_log(values):
    values = np.asarray(values, dtype=np.float64)
    return np.log(np.maximum(values, np.finfo(np.float64).tiny))


def _centred_logs(values):
    """Log values minus their median."""
    logs = _safe_log(values)
    return logs - np.median(logs)


def _robust_spread(deviations):
    """1.4826 times the median absolute deviation, at least MIN_LOG_SPREAD."""
    return float(max(1.4826 * np.median(np.abs(deviations)), MIN_LOG_SPREAD))


def _log_median_spread(values):
    """Median and robust spread (see ``_robust_spread``) of log values."""
    logs = _safe_log(values)
    median = np.median(logs)
    return float(median), _robust_spread(logs - median)


def _nearest_code_distances(codes, reference, own_distances, resolution):
    """Distance from each code to the nearest row of ``reference`` but its copy.

    A code within ``resolution`` of row ``j`` of ``reference`` is that row's
    sequence scored again (a training sequence): it gets ``own_distances[j]``,
    row ``j``'s distance to the nearest other row, as the training rows have
    in fit. A sequence the detector was fitted on is then no more normal than
    an unseen one lying as close to the others, and ``fit(X).predict(X)``
    agrees with ``fit_predict(X)``.
    """
    index, distances = pairwise_distances_argmin_min(codes, reference)
    distances = distances.astype(np.float64)
    return np.where(distances <= resolution, own_distances[index], distances)


def _leave_one_out_distances(reference):
    """Distance from each row of ``reference`` to its nearest other row."""
    neighbors = NearestNeighbors(n_neighbors=1).fit(reference)
    return neighbors.kneighbors(return_distance=True)[0][:, 0].astype(np.float64)


def _code_resolution(reference, noise):
    """Smallest distance between codes that means something.

    Codes are float32, and one sequence's code computed in a batch of
    another size or make-up differs in its last digits: about 1e-7 of the
    codes' norm on a CPU, more on a GPU, whose cuDNN kernels and TF32
    arithmetic depend on the batch. Distances below the larger of
    ``CODE_RESOLUTION`` times the root-mean-square norm of the training
    codes and ``NOISE_MARGIN`` times the measured ``noise`` (the largest
    change of a code between batches) count as that much, so a copy of a
    training sequence gets one stable score on every device.
    """
    norms = np.square(np.asarray(reference, dtype=np.float64)).sum(axis=1)
    rms = np.sqrt(norms.mean()) if norms.size else 0.0
    floor = max(CODE_RESOLUTION * rms, NOISE_MARGIN * float(noise))
    return max(float(floor), np.finfo(np.float64).tiny)


CODE_RESOLUTION = 1e-5  # relative to the codes' norm: 100x float32 rounding
NOISE_MARGIN = 10.0  # times the batch-to-batch change of a code measured in fit


def _code_calibration(errors, distances, resolution):
    """Weight of the code distance: ``(resolution, median log distance, exponent)``.

    From normal sequences neither the weights nor the reference codes were
    fitted on. The exponent is the ratio of the robust spreads of the log
    errors and the log distances, so that on the log scale the combined
    error adds the two robust z-scores, in the units of the log error. With
    fewer than two distances (one training sequence, no held-out rows)
    there is no spread to learn from: the exponent is 0, the term drops out.
    """
    if np.size(distances) < 2:
        return np.array([resolution, 0.0, 0.0])
    _, error_spread = _log_median_spread(errors)
    distances = np.maximum(distances, resolution)
    distance_median, distance_spread = _log_median_spread(distances)
    return np.array([resolution, distance_median, error_spread / distance_spread])


def _with_code_distance(errors, distances, calibration):
    """Combined error ``e * (d / d_median) ** exponent``, computed in logs."""
    resolution, distance_median, exponent = calibration
    log_distances = np.log(np.maximum(distances, resolution))
    log_combined = _safe_log(errors) + exponent * (log_distances - distance_median)
    return np.exp(np.minimum(log_combined, _MAX_LOG_ERROR))


def _contamination_offset(scores, contamination):
    """Offset putting a ``contamination`` share of ``scores`` below zero."""
    return float(np.percentile(scores, 100.0 * contamination))
