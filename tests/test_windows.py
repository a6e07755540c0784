"""Long recordings: windows, scores per time stamp and streaming."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.pipeline import make_pipeline

from sklearn_lstmae import (
    LSTMAutoencoderDetector,
    SlidingWindows,
    StreamingScorer,
    timestamp_scores,
)
from sklearn_lstmae.datasets import make_ecg_recording

from .conftest import FAST


def _naive_windows(X, window, step):
    return np.stack([X[s : s + window] for s in range(0, len(X) - window + 1, step)])


def _naive_timestamp_scores(scores, n, window, step, aggregate):
    covering = [[] for _ in range(n)]
    for k, score in enumerate(scores):
        for t in range(k * step, k * step + window):
            covering[t].append(score)
    fn = {"mean": np.mean, "max": np.max, "min": np.min}[aggregate]
    return np.array([fn(c) if c else np.nan for c in covering])


class MeanScore:
    """A stand-in detector whose scores are exact: the mean of each window."""

    def score_samples(self, X):
        return np.asarray(X).reshape(len(X), -1).mean(axis=1)


@pytest.mark.parametrize("shape", [(50,), (50, 3)])
@pytest.mark.parametrize("window, step", [(1, 1), (7, 1), (7, 3), (10, 10), (5, 8)])
def test_windows_match_slicing(shape, window, step):
    X = np.arange(np.prod(shape), dtype=float).reshape(shape)
    windows = SlidingWindows(window, step).fit_transform(X)
    np.testing.assert_array_equal(windows, _naive_windows(X, window, step))
    assert windows.flags.c_contiguous
    n_windows = (len(X) - window) // step + 1
    assert windows.shape == (n_windows, window, *shape[1:])


def test_windows_validation():
    with pytest.raises(ValueError, match="fewer than window=8"):
        SlidingWindows(8).fit(np.zeros(5))
    with pytest.raises(ValueError, match="n_timestamps, n_channels"):
        SlidingWindows(2).fit(np.zeros((5, 2, 2)))
    with pytest.raises(ValueError, match="'step' parameter"):
        SlidingWindows(2, step=0).fit(np.zeros(5))
    sw = SlidingWindows(3).fit(np.zeros((10, 2)))
    assert sw.n_features_in_ == 2
    with pytest.raises(ValueError, match="3 features"):
        sw.transform(np.zeros((10, 3)))
    assert clone(sw).get_params() == {"window": 3, "step": 1}


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 40),
    window=st.integers(1, 10),
    step=st.integers(1, 12),
    aggregate=st.sampled_from(["mean", "max", "min"]),
    seed=st.integers(0, 2**16),
)
def test_timestamp_scores_match_a_loop(n, window, step, aggregate, seed):
    n_timestamps = n + window
    n_windows = (n_timestamps - window) // step + 1
    scores = np.random.default_rng(seed).normal(size=n_windows)
    got = timestamp_scores(
        scores, n_timestamps, window=window, step=step, aggregate=aggregate
    )
    expected = _naive_timestamp_scores(scores, n_timestamps, window, step, aggregate)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_timestamp_scores_validation():
    with pytest.raises(ValueError, match="cover 12 time stamps, more than"):
        timestamp_scores(np.zeros(3), 10, window=6, step=3)
    with pytest.raises(ValueError, match="must be 1-D"):
        timestamp_scores(np.zeros((3, 1)), 10, window=2)
    with pytest.raises(ValueError, match="'aggregate' parameter"):
        timestamp_scores(np.zeros(3), 10, window=2, aggregate="median")


@settings(max_examples=30, deadline=None)
@given(
    window=st.integers(1, 8),
    step=st.integers(1, 10),
    cuts=st.lists(st.integers(0, 60), max_size=6),
    channels=st.sampled_from([None, 2]),
)
def test_streaming_equals_batch_exactly(window, step, cuts, channels):
    shape = (60,) if channels is None else (60, channels)
    X = np.random.default_rng(0).normal(size=shape)
    stream = StreamingScorer(MeanScore(), window, step)
    pieces = np.split(X, sorted(cuts))
    got = []
    for piece in pieces:
        got.append(stream.update(piece))
        assert stream.buffer_size <= window - 1
    batch = MeanScore().score_samples(SlidingWindows(window, step).fit_transform(X))
    np.testing.assert_array_equal(np.concatenate(got), batch)
    assert stream.n_seen_ == 60 and stream.n_windows_ == len(batch)


def test_streaming_with_the_detector_equals_batch():
    signal, _ = make_ecg_recording(6, random_state=0)
    window, step = 40, 7
    windows = SlidingWindows(window, step).fit_transform(signal[:300])
    det = LSTMAutoencoderDetector(**FAST, random_state=0).fit(windows)
    stream = StreamingScorer(det, window, step)
    chunks = np.split(signal, [3, 50, 51, 200, 330])
    got = np.concatenate([stream.update(c) for c in chunks])
    batch = det.score_samples(SlidingWindows(window, step).fit_transform(signal))
    assert got.shape == batch.shape
    np.testing.assert_allclose(got, batch, rtol=1e-6, atol=1e-9)


def test_streaming_validation():
    with pytest.raises(TypeError, match="score_samples"):
        StreamingScorer(object(), 3)
    with pytest.raises(ValueError, match="window == 0"):
        StreamingScorer(MeanScore(), 0)
    stream = StreamingScorer(MeanScore(), 3)
    stream.update(np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"expected shape \(n_new, 2\)"):
        stream.update(np.zeros(4))
    with pytest.raises(ValueError, match="must be 1-D or 2-D"):
        stream.update(np.zeros((4, 2, 1)))
    assert stream.reset().buffer_size == 0 and stream.n_seen_ == 0


def test_pipeline_windows_then_detector():
    signal, _ = make_ecg_recording(6, random_state=0)
    pipe = make_pipeline(
        SlidingWindows(40, 10), LSTMAutoencoderDetector(**FAST, random_state=0)
    )
    pipe.fit(signal)
    scores = pipe.score_samples(signal)
    assert scores.shape == ((len(signal) - 40) // 10 + 1,)
    per_stamp = pipe[0].timestamp_scores(-scores, len(signal), aggregate="max")
    assert per_stamp.shape == signal.shape
