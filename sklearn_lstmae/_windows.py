"""Long recordings: overlapping windows, and window scores back to time stamps."""

from numbers import Integral

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

_AGGREGATES = {"mean", "max", "min"}


class SlidingWindows(TransformerMixin, BaseEstimator):
    """Cut a long series into overlapping windows of ``window`` time stamps.

    Window ``k`` covers time stamps ``k * step`` to ``k * step + window - 1``;
    the last time stamps are left out when ``step`` does not divide
    ``n_timestamps - window``. The windows are views built by
    :func:`numpy.lib.stride_tricks.sliding_window_view` and copied once.

    Parameters
    ----------
    window : int
        Time stamps per window: the sequence length the detector sees.
    step : int, default=1
        Time stamps between the starts of two consecutive windows.

    Attributes
    ----------
    n_features_in_ : int
        Channels of the series seen in :meth:`fit` (1 for a 1-D series).

    See Also
    --------
    timestamp_scores : Map one score per window to one per time stamp.
    StreamingScorer : Score the windows of a series that arrives in pieces.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lstmae import SlidingWindows
    >>> windows = SlidingWindows(window=4, step=2).fit_transform(np.arange(9.0))
    >>> windows
    array([[0., 1., 2., 3.],
           [2., 3., 4., 5.],
           [4., 5., 6., 7.]])
    >>> SlidingWindows(window=4, step=2).timestamp_scores([1.0, 2.0, 3.0], 9)
    array([1. , 1. , 1.5, 1.5, 2.5, 2.5, 3. , 3. , nan])
    """

    _parameter_constraints = {
        "window": [Interval(Integral, 1, None, closed="left")],
        "step": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, window, step=1):
        self.window = window
        self.step = step

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Record the number of channels of the series ``X``.

        Parameters
        ----------
        X : array-like of shape (n_timestamps,) or (n_timestamps, n_channels)
            One series: time stamps in rows, channels in columns.
        y : None
            Ignored.

        Returns
        -------
        self : SlidingWindows
            The fitted transformer.
        """
        self._check_series(X, reset=True)
        return self

    def transform(self, X):
        """Cut the series ``X`` into windows.

        Parameters
        ----------
        X : array-like of shape (n_timestamps,) or (n_timestamps, n_channels)
            One series with at least ``window`` time stamps.

        Returns
        -------
        windows : ndarray of shape (n_windows, window) or \
                (n_windows, window, n_channels)
            2-D for a 1-D series, else 3-D; ``n_windows`` is
            ``(n_timestamps - window) // step + 1``.
        """
        check_is_fitted(self)
        X = self._check_series(X, reset=False)
        windows = _sliding_windows(X, self.window, self.step)
        return windows[:, :, 0] if X.ndim == 1 else windows

    def timestamp_scores(self, window_scores, n_timestamps, aggregate="mean"):
        """One score per time stamp from one score per window.

        Parameters
        ----------
        window_scores : array-like of shape (n_windows,)
            A score for each window of :meth:`transform`, in order.
        n_timestamps : int
            Length of the series the windows were cut from.
        aggregate : {"mean", "max", "min"}, default="mean"
            How the scores of the windows covering a time stamp are combined.

        Returns
        -------
        scores : ndarray of shape (n_timestamps,)
            NaN at time stamps that no window covers.
        """
        return timestamp_scores(
            window_scores,
            n_timestamps,
            window=self.window,
            step=self.step,
            aggregate=aggregate,
        )

    def _check_series(self, X, *, reset):
        X = check_array(
            X, ensure_2d=False, allow_nd=True, dtype=np.float64, input_name="X"
        )
        if X.ndim not in (1, 2):
            raise ValueError(
                "X must be one series of shape (n_timestamps,) or (n_timestamps, "
                f"n_channels), got shape {X.shape}."
            )
        validate_data(
            self, X.reshape(X.shape[0], -1), reset=reset, skip_check_array=True
        )
        if X.shape[0] < self.window:
            raise ValueError(
                f"The series has {X.shape[0]} time stamps, fewer than window="
                f"{self.window}."
            )
        return X

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.one_d_array = True
        return tags


@validate_params(
    {
        "window_scores": ["array-like"],
        "n_timestamps": [Interval(Integral, 1, None, closed="left")],
        "window": [Interval(Integral, 1, None, closed="left")],
        "step": [Interval(Integral, 1, None, closed="left")],
        "aggregate": [StrOptions(_AGGREGATES)],
    },
    prefer_skip_nested_validation=True,
)
def timestamp_scores(window_scores, n_timestamps, *, window, step=1, aggregate="mean"):
    """Map one score per window back to one score per time stamp.

    Window ``k`` covers time stamps ``k * step`` to ``k * step + window - 1``
    (the windows of :class:`SlidingWindows`); each time stamp gets the mean,
    maximum or minimum of the scores of the windows covering it. Everything is
    vectorised: cumulative sums for the mean, ``np.maximum.at`` /
    ``np.minimum.at`` for the extremes.

    Parameters
    ----------
    window_scores : array-like of shape (n_windows,)
        One score per window, in order of their start.
    n_timestamps : int
        Length of the series; at least ``(n_windows - 1) * step + window``.
    window : int
        Time stamps per window.
    step : int, default=1
        Time stamps between the starts of two consecutive windows.
    aggregate : {"mean", "max", "min"}, default="mean"
        How the scores of the windows covering a time stamp are combined. With
        anomaly scores (higher is more abnormal, e.g. minus
        :meth:`~sklearn_lstmae.LSTMAutoencoderDetector.score_samples`),
        ``"max"`` marks a time stamp as abnormal as its worst window; with
        ``score_samples`` itself, ``"min"`` does.

    Returns
    -------
    scores : ndarray of shape (n_timestamps,), dtype float64
        NaN at time stamps that no window covers (the tail left out when
        ``step`` does not divide ``n_timestamps - window``).

    Examples
    --------
    >>> from sklearn_lstmae import timestamp_scores
    >>> timestamp_scores([0.0, 1.0, 5.0], 6, window=3, step=1, aggregate="max")
    array([ 0.,  1.,  5.,  5.,  5., nan])
    """
    scores = np.asarray(window_scores, dtype=np.float64)
    if scores.ndim != 1:
        raise ValueError(
            f"window_scores must be 1-D (one score per window), got shape "
            f"{scores.shape}."
        )
    needed = (scores.size - 1) * step + window if scores.size else 0
    if needed > n_timestamps:
        raise ValueError(
            f"{scores.size} windows of {window} time stamps every {step} cover "
            f"{needed} time stamps, more than n_timestamps={n_timestamps}."
        )
    return _timestamp_scores(scores, n_timestamps, window, step, aggregate)


def _sliding_windows(X, window, step):
    """Windows of a (n_timestamps, n_channels) series: (n_windows, window, C).

    A 1-D series gives (n_windows, window, 1).
    """
    X = X.reshape(X.shape[0], -1)
    views = sliding_window_view(X, window, axis=0)[::step]  # (n, C, window)
    return np.ascontiguousarray(views.transpose(0, 2, 1))


def _timestamp_scores(scores, n_timestamps, window, step, aggregate):
    starts = np.arange(scores.size) * step
    if aggregate == "mean":
        # Each window adds its score from its start to its end: a difference
        # array turned into running sums, for the scores and for the counts.
        total = np.zeros(n_timestamps + 1)
        count = np.zeros(n_timestamps + 1)
        np.add.at(total, starts, scores)
        np.add.at(total, starts + window, -scores)
        np.add.at(count, starts, 1.0)
        np.add.at(count, starts + window, -1.0)
        total, count = np.cumsum(total)[:-1], np.cumsum(count)[:-1]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count > 0.5, total / np.maximum(count, 1.0), np.nan)
    covered = (starts[:, np.newaxis] + np.arange(window)).ravel()
    fill, combine = (
        (-np.inf, np.maximum) if aggregate == "max" else (np.inf, np.minimum)
    )
    out = np.full(n_timestamps, fill)
    combine.at(out, covered, np.repeat(scores, window))
    out[np.isinf(out)] = np.nan
    return out
