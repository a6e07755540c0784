"""Scoring a series as it arrives, with a bounded buffer."""

from numbers import Integral

import numpy as np
from sklearn.utils import check_scalar
from sklearn.utils.validation import check_array

from ._windows import _sliding_windows


class StreamingScorer:
    """Score the windows of a series that arrives a few samples at a time.

    Each call to :meth:`update` appends new samples and scores every window
    they complete, the windows being those of
    ``SlidingWindows(window, step)`` over the whole series so far: the
    ``k``-th score of the stream (counting from 0 over all calls) is the score
    of the window starting at time stamp ``k * step``, as in batch use.
    Between calls, at most ``window - 1`` samples are kept (those of the next
    window already seen), so memory does not grow with the stream; during a
    call, those plus the new samples.

    Parameters
    ----------
    detector : fitted estimator
        Anything with ``score_samples`` taking windows shaped like the output
        of :class:`SlidingWindows` (for instance a fitted
        :class:`LSTMAutoencoderDetector` or a pipeline ending in one).
    window : int
        Time stamps per window.
    step : int, default=1
        Time stamps between the starts of consecutive windows.

    Attributes
    ----------
    n_seen_ : int
        Samples received so far.
    n_windows_ : int
        Windows scored so far.

    See Also
    --------
    SlidingWindows : The same windows, cut from a whole series at once.
    timestamp_scores : Map window scores to time stamps.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lstmae import StreamingScorer
    >>> class MeanScore:  # any object with score_samples
    ...     def score_samples(self, X):
    ...         return X.mean(axis=1)
    >>> stream = StreamingScorer(MeanScore(), window=3, step=2)
    >>> stream.update([0.0, 1.0])
    array([], dtype=float64)
    >>> stream.update([2.0, 3.0, 4.0, 5.0])
    array([1., 3.])
    >>> stream.buffer_size
    2
    """

    def __init__(self, detector, window, step=1):
        check_scalar(window, "window", Integral, min_val=1)
        check_scalar(step, "step", Integral, min_val=1)
        if not callable(getattr(detector, "score_samples", None)):
            raise TypeError(
                f"detector must have a score_samples method, got "
                f"{type(detector).__name__}."
            )
        self.detector = detector
        self.window = window
        self.step = step
        self.reset()

    def reset(self):
        """Forget the stream: empty the buffer and the counters.

        Returns
        -------
        self : StreamingScorer
            The emptied scorer.
        """
        self._buffer = None  # (n, n_channels) float64 once samples arrive
        self._shape = None  # (univariate, n_channels) of the stream
        self._skip = 0  # samples still to drop before the next window starts
        self.n_seen_ = 0
        self.n_windows_ = 0
        return self

    @property
    def buffer_size(self):
        """Number of samples held for the next window."""
        return 0 if self._buffer is None else self._buffer.shape[0]

    def update(self, new_samples):
        """Append samples and score the windows they complete.

        Parameters
        ----------
        new_samples : array-like of shape (n_new,) or (n_new, n_channels)
            The next samples of the series; 1-D for a univariate series. The
            shape must be the same (but for ``n_new``) at every call.

        Returns
        -------
        scores : ndarray of shape (n_completed,)
            ``detector.score_samples`` of each window completed by these
            samples, in order; empty when none was.
        """
        new = check_array(
            new_samples,
            ensure_2d=False,
            allow_nd=True,
            ensure_min_samples=0,
            dtype=np.float64,
            input_name="new_samples",
        )
        if new.ndim not in (1, 2):
            raise ValueError(
                f"new_samples must be 1-D or 2-D (n_new, n_channels), got shape "
                f"{new.shape}."
            )
        shape = (new.ndim == 1, new.shape[1] if new.ndim == 2 else 1)
        if self._shape is None:
            self._shape = shape
            self._buffer = np.empty((0, shape[1]))
        if shape != self._shape:
            univariate, n_channels = self._shape
            expected = "(n_new,)" if univariate else f"(n_new, {n_channels})"
            raise ValueError(
                f"new_samples of shape {new.shape} do not continue the stream: "
                f"expected shape {expected}."
            )
        new = new.reshape(new.shape[0], shape[1])
        self.n_seen_ += new.shape[0]
        drop = min(self._skip, new.shape[0])
        self._skip -= drop
        series = np.concatenate([self._buffer, new[drop:]])
        n_complete = (
            (series.shape[0] - self.window) // self.step + 1
            if series.shape[0] >= self.window
            else 0
        )
        if n_complete:
            windows = _sliding_windows(series, self.window, self.step)
            scores = self._score(windows[:n_complete])
        else:
            scores = np.empty(0)
        consumed = n_complete * self.step
        self._skip += max(consumed - series.shape[0], 0)
        self._buffer = series[consumed:].copy()
        self.n_windows_ += n_complete
        return scores

    def _score(self, windows):
        if self._shape[0]:  # univariate stream: 2-D windows, as SlidingWindows
            windows = windows[:, :, 0]
        return np.asarray(self.detector.score_samples(windows), dtype=np.float64)
