"""Screening: the training sequences whose codes lie away from the others'.

A short first fit on every training sequence gives each one a code. An
autoencoder learns to rebuild the few abnormal sequences of a contaminated
training set as well as the normal ones, so their reconstruction errors do
not single them out; their codes do: they lie away from the bulk of the
codes. The distance is a robust Mahalanobis distance in the codes' leading
principal components, with the location and covariance of the minimum
covariance determinant estimate (half of the rows decide it, so a minority
of odd rows cannot pull it toward them).
"""

import warnings

import numpy as np
from sklearn.covariance import MinCovDet
from sklearn.decomposition import PCA

from ._inference import forward_batches
from ._standardizer import _Standardizer
from ._training import _complete_epochs

# The first fit runs about this many optimizer steps (a tenth of the
# max_epochs="auto" budget): enough for the codes to tell the groups apart.
SCREEN_STEPS = 300
# Fewer training sequences than this: nothing is screened (with a few dozen
# codes, the robust distances of the rows outside the MCD's half split into
# two groups of their own).
MIN_SCREEN_ROWS = 50
_COMPONENTS = 3
_BLOCK = 4096  # rows compared at once when looking for overlapping windows
# contamination="auto": a squared distance above this many times the median
# squared distance sets a sequence aside. The codes of clean data have a long
# tail of unusual normal sequences, but few of them lie this far out; hidden
# anomalies of a kind mostly do.
AUTO_SCREEN_FACTOR = 15.0
# contamination="auto" sets aside nothing rather than more than this share:
# a far group that large is a mode of the normal data, not hidden anomalies.
MAX_AUTO_SHARE = 0.25
# screen_training="auto" with contamination="auto": nor less than this share.
# Clean training sets have a few far rows of their own, the tail of unusual
# normal sequences; training without them costs more than it saves. A far
# group beyond that tail is taken for hidden anomalies.
MIN_AUTO_SHARE = 0.05


def _screen_epochs(n_rows, batch_size, max_epochs):
    """Epochs of the screening fit: about ``SCREEN_STEPS`` optimizer steps,
    and no more than an integer ``max_epochs`` (the real fit's)."""
    n_batches = -(-n_rows // min(batch_size, n_rows))
    epochs = max(1, -(-SCREEN_STEPS // n_batches))
    return epochs if max_epochs == "auto" else min(epochs, max_epochs)


def _code_outlyingness(codes, seed):
    """Squared robust Mahalanobis distance of each code to the bulk of them.

    Zeros (nothing stands out) when the codes do not vary or the robust
    covariance cannot be estimated (fewer distinct codes than dimensions).
    """
    codes = np.asarray(codes, dtype=np.float64)
    n_components = min(_COMPONENTS, codes.shape[1], codes.shape[0] - 1)
    flat = np.zeros(codes.shape[0])
    if n_components < 1 or np.ptp(codes, axis=0).max() == 0:
        return flat
    projected = PCA(n_components, random_state=seed).fit_transform(codes)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            warnings.simplefilter("ignore", UserWarning)
            distances = (
                MinCovDet(random_state=seed).fit(projected).mahalanobis(projected)
            )
    except (ValueError, np.linalg.LinAlgError, RuntimeWarning):
        return flat
    return distances if np.isfinite(distances).all() else flat


def _set_aside(outlyingness, contamination, *, min_share=0.0):
    """Mask of the sequences to set aside (none when ``outlyingness`` is zero
    everywhere: nothing stands out).

    A float ``contamination``: that share of the sequences, those with the
    largest ``outlyingness``. ``"auto"``: those above ``AUTO_SCREEN_FACTOR``
    times the median, unless they are fewer than ``min_share`` or more than
    ``MAX_AUTO_SHARE`` of the sequences.
    """
    outlyingness = np.asarray(outlyingness, dtype=np.float64)
    mask = np.zeros(outlyingness.shape, dtype=bool)
    if not outlyingness.any():
        return mask
    if contamination == "auto":
        far = outlyingness > AUTO_SCREEN_FACTOR * np.median(outlyingness)
        return far if min_share <= far.mean() <= MAX_AUTO_SHARE else mask
    n_aside = int(round(contamination * outlyingness.size))
    mask[np.argsort(-outlyingness, kind="stable")[:n_aside]] = True
    return mask


def _overlapping_windows(X):
    """Whether the rows of ``X`` are overlapping windows of one recording,
    in order (as ``SlidingWindows`` makes them): after the first row, each
    one continues the row before it, shifted by the same step.

    Such rows are not independent sequences: their codes trace the
    recording's course rather than form a bulk with a few far rows, so the
    far rows are rare stretches of normal data and an anomaly of the
    recording spans many windows. Screening them sets normal data aside.
    """
    if not isinstance(X, np.ndarray) or X.shape[0] < 2 or X.shape[1] < 2:
        return False
    first, second = X[0], X[1]
    length = X.shape[1]
    step = next(
        (k for k in range(1, length) if np.array_equal(first[k:], second[:-k])),
        None,
    )
    if step is None:
        return False
    starts = range(0, X.shape[0] - 1, _BLOCK)  # blocks: no array of X's size
    ends = [min(start + _BLOCK, X.shape[0] - 1) for start in starts]
    return all(
        np.array_equal(X[start + 1 : end + 1, :-step], X[start:end, step:])
        for start, end in zip(starts, ends, strict=True)
    )


def _screened_out(X, detector, seed):
    """Mask of the rows of ``X`` the ``detector`` trains without.

    Reads the detector's ``screen_training``, ``contamination``,
    ``standardize``, ``batch_size`` and ``max_epochs``; its ``_build_net``
    builds the short first fit's net.
    """
    screen = detector.screen_training
    few = X.shape[0] < MIN_SCREEN_ROWS
    if not screen or few or (screen == "auto" and _overlapping_windows(X)):
        return np.zeros(X.shape[0], dtype=bool)
    standardizer = _Standardizer(detector.standardize).fit(X)
    epochs = _screen_epochs(X.shape[0], detector.batch_size, detector.max_epochs)
    net = detector._build_net(
        X, None, seed, desc="screening", max_epochs=epochs, n_members=1
    )
    net.fit(standardizer.transform(X), None)
    if _complete_epochs(net) < net.max_epochs:
        # skorch ends training on Ctrl-C and returns; there is nothing to
        # keep yet, so the fit stops here.
        raise KeyboardInterrupt
    rows = detector.scoring_batch_size_
    batches = forward_batches(net, X, standardizer, rows, verbose=detector.verbose)
    codes = np.concatenate([out[1] for _, out in batches])
    min_share = MIN_AUTO_SHARE if screen == "auto" else 0.0
    outlyingness = _code_outlyingness(codes, seed)
    return _set_aside(outlyingness, detector.contamination, min_share=min_share)
