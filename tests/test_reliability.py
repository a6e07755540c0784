"""Reliability: bad input, bad parameters, persistence, reproducibility,
interrupted or failed training and numerical health (issue 5)."""

import contextlib
import copy
import io
import json
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.exceptions import NotFittedError
from skorch.exceptions import DeviceWarning

import sklearn_lstmae
from sklearn_lstmae import LSTMAutoencoderDetector
from sklearn_lstmae import _estimator as estimator_module
from sklearn_lstmae._net import AutoencoderNet, FiniteLossGuard

from .conftest import (
    FAST,
    RESCORE_RTOL,
    expected_threshold,
    held_out_and_fitted_errors,
    make_sines,
)

N, T = 40, 12  # the shape of the module's fitted detector


@pytest.fixture(scope="module")
def X():
    return make_sines(n=N, n_timesteps=T)


@pytest.fixture(scope="module")
def fitted(X):
    # On the CPU also where CUDA is present: the persistence tests compare
    # it bit for bit with copies loaded on the CPU.
    return LSTMAutoencoderDetector(**FAST, device="cpu", random_state=0).fit(X)


def _fresh_copy(det):
    """An independent copy of a fitted detector (the fixture stays untouched)."""
    return pickle.loads(pickle.dumps(det))


# --------------------------------------------------------------------------
# Input validation in every public method
# --------------------------------------------------------------------------

METHODS = [
    "fit",
    "fit_predict",
    "score_samples",
    "decision_function",
    "predict",
    "transform",
    "reconstruct",
]


def _call(method, fitted, X):
    if method in ("fit", "fit_predict"):
        det = LSTMAutoencoderDetector(**FAST, random_state=0)
        return getattr(det, method)(X)
    return getattr(fitted, method)(X)


def _with(value, at=(3, 5)):
    X = make_sines(n=N, n_timesteps=T)
    X[at] = value
    return X


def _object_with_string():
    X = make_sines(n=N, n_timesteps=T).astype(object)
    X[2, 3] = "a"
    return X


# (case id, input, exception type, message pattern): rejected by every method.
REJECTED = [
    ("nan", lambda: _with(np.nan), ValueError, "Input X contains NaN"),
    ("inf", lambda: _with(np.inf), ValueError, "Input X contains infinity"),
    ("-inf", lambda: _with(-np.inf), ValueError, "Input X contains infinity"),
    ("nan-3d", lambda: _with(np.nan)[:, :, None], ValueError, "contains NaN"),
    (
        "1-D",
        lambda: np.zeros(T),
        ValueError,
        r"got 1D array.*\(n_samples, n_timest.*Reshape your data.*reshape\(1, -1\)",
    ),
    ("scalar", lambda: 3.0, ValueError, r"got scalar array.*\(n_samples, n_timest"),
    ("None", lambda: None, ValueError, r"got scalar array.*\(n_samples, n_timest"),
    (
        "4-D",
        lambda: np.zeros((4, T, 1, 1)),
        ValueError,
        r"got 4-D with shape \(4, 12, 1, 1\)",
    ),
    ("0 rows", lambda: np.zeros((0, T)), ValueError, r"0 sample\(s\) \(shape=\(0, 12"),
    (
        "0 rows 3-D",
        lambda: np.zeros((0, T, 1)),
        ValueError,
        r"0 sample\(s\) \(shape=\(0, 12, 1",
    ),
    ("0 steps", lambda: np.zeros((4, 0)), ValueError, "0 feature.*at least one time"),
    (
        "0 steps 3-D",
        lambda: np.zeros((4, 0, 1)),
        ValueError,
        "0 features|0 time steps",
    ),
    ("0 channels", lambda: np.zeros((4, T, 0)), ValueError, "0 channels"),
    (
        "strings",
        lambda: np.full((4, T), "1.5"),
        ValueError,
        r"Strings are not supported.*dtype.*\(n_samples, n_timesteps\)",
    ),
    ("bytes", lambda: np.full((4, T), b"1"), ValueError, "Strings are not supported"),
    ("object+str", _object_with_string, ValueError, "could not convert string"),
    (
        "complex",
        lambda: make_sines(n=4, n_timesteps=T) + 1j,
        ValueError,
        r"Complex data not supported.*\(n_samples, n_timesteps\)",
    ),
    (
        "sparse csr",
        lambda: sp.csr_matrix(make_sines(n=4, n_timesteps=T)),
        TypeError,
        r"Sparse input is not supported.*\(n_samples, n_timesteps\)",
    ),
    (
        "sparse coo array",
        lambda: sp.coo_array(make_sines(n=4, n_timesteps=T)),
        TypeError,
        "Sparse input is not supported",
    ),
    (
        "str dataframe",
        lambda: pd.DataFrame(np.full((4, T), "x")),
        ValueError,
        "could not convert|Strings are not supported",
    ),
]

# Rejected by the methods of a fitted detector only: shapes other than fit's.
REJECTED_AFTER_FIT = [
    # A list of sequences of any length is scored (test_ragged.py); an
    # array must have the training length.
    (
        "fewer steps",
        lambda: make_sines(n=4, n_timesteps=T - 2),
        ValueError,
        "X has 10 features.*expecting 12.*fitted on sequences of 12 time steps",
    ),
    (
        "more steps 3-D",
        lambda: make_sines(n=4, n_timesteps=T + 1, n_channels=1),
        ValueError,
        "fitted on sequences of 12 time steps",
    ),
    (
        "2 channels",
        lambda: make_sines(n=4, n_timesteps=T, n_channels=2),
        ValueError,
        r"2 channel\(s\).*fitted on 1.*\(n_samples, 12, 1\)",
    ),
]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "make, exc, match", [c[1:] for c in REJECTED], ids=[c[0] for c in REJECTED]
)
def test_bad_input_is_rejected_clearly(fitted, method, make, exc, match):
    with pytest.raises(exc, match=match):
        _call(method, fitted, make())


@pytest.mark.parametrize("method", METHODS[2:])
@pytest.mark.parametrize(
    "make, exc, match",
    [c[1:] for c in REJECTED_AFTER_FIT],
    ids=[c[0] for c in REJECTED_AFTER_FIT],
)
def test_other_shape_than_at_fit_is_rejected(fitted, method, make, exc, match):
    with pytest.raises(exc, match=match):
        _call(method, fitted, make())


def _readonly(X):
    X = X.copy()
    X.flags.writeable = False
    return X


# (case id, converter of the fixture's X): accepted by every method.
ACCEPTED = [
    ("float64", lambda X: X),
    ("float32", lambda X: X.astype(np.float32)),
    ("float16", lambda X: X.astype(np.float16)),
    ("int64", lambda X: np.round(X * 100).astype(np.int64)),
    ("int8", lambda X: np.round(X * 100).astype(np.int8)),
    ("bool", lambda X: X > 0),
    ("object of floats", lambda X: X.astype(object)),
    ("list of lists", lambda X: X.tolist()),
    ("3-D, one channel", lambda X: X[:, :, None]),
    ("Fortran order", lambda X: np.asfortranarray(X)),
    ("non-contiguous", lambda X: np.repeat(X, 2, axis=1)[:, ::2]),
    ("non-contiguous rows", lambda X: np.repeat(X, 2, axis=0)[::2]),
    ("read-only", _readonly),
    ("read-only float32 3-D", lambda X: _readonly(X.astype(np.float32)[:, :, None])),
    ("DataFrame without names", lambda X: pd.DataFrame(X)),
]


def _check_output(method, out, X_in, n_rows):
    if method == "fit":
        out = out.score_samples(X_in)
        method = "score_samples"
    out = np.asarray(out)
    assert np.isfinite(out).all()
    if method in ("score_samples", "decision_function"):
        assert out.shape == (n_rows,) and out.dtype == np.float64
    elif method in ("predict", "fit_predict"):
        assert out.shape == (n_rows,) and set(np.unique(out)) <= {-1, 1}
    elif method == "transform":
        assert out.shape == (n_rows, FAST["latent_size"]) and out.dtype == np.float64
    else:  # reconstruct keeps the shape of its input
        assert out.shape == np.shape(np.asarray(X_in, dtype=float))
        assert out.dtype == np.float64


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "convert", [c[1] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED]
)
def test_accepted_input_gives_the_right_output(fitted, X, method, convert):
    X_in = convert(X)
    _check_output(method, _call(method, fitted, X_in), X_in, N)


def test_conversions_do_not_change_scores(fitted, X):
    """Layout and container never change a score (dtype casts may round)."""
    reference = fitted.score_samples(X)
    for _, convert in ACCEPTED:
        X_in = convert(X)
        if np.asarray(X_in).dtype in (np.float64, object):
            np.testing.assert_array_equal(fitted.score_samples(X_in), reference)


def test_one_row_and_one_time_step_are_allowed(X):
    # One row: no held-out split; the threshold comes from that row itself.
    one = LSTMAutoencoderDetector(**FAST, random_state=0).fit(X[:1])
    assert one.held_out_errors_.size == 0 and np.isfinite(one.offset_)
    assert one.predict(X[:1]).tolist() == [1]  # a row is within its own threshold
    assert np.isfinite(one.score_samples(X)).all()
    one_f = LSTMAutoencoderDetector(**FAST, contamination=0.5, random_state=0)
    assert one_f.fit_predict(X[:1]).shape == (1,)
    # One time step: a sequence of length one (2-D and 3-D).
    for X1 in (X[:, :1], make_sines(n=N, n_channels=3)[:, :1, :]):
        det = LSTMAutoencoderDetector(**FAST, random_state=0).fit(X1)
        assert det.n_timesteps_ == 1
        assert np.isfinite(det.score_samples(X1)).all()
        assert det.reconstruct(X1).shape == X1.shape
    # Scoring one row with a detector fitted on many.
    det = LSTMAutoencoderDetector(**FAST, random_state=0).fit(X)
    assert det.score_samples(X[:1]).shape == (1,)
    assert det.reconstruct(X[0:1]).shape == (1, T)


def test_feature_names_are_checked(X):
    named = pd.DataFrame(X, columns=[f"t{i}" for i in range(T)])
    det = LSTMAutoencoderDetector(**FAST, random_state=0).fit(named)
    assert list(det.feature_names_in_) == list(named.columns)
    with pytest.raises(ValueError, match="feature names should match"):
        det.score_samples(named.rename(columns={"t0": "other"}))
    with pytest.raises(ValueError, match="feature names should match"):
        det.score_samples(named[named.columns[::-1]])
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        det.predict(X)
    # Fitted on an array (or on unnamed columns): no names, named input warns.
    unnamed = LSTMAutoencoderDetector(**FAST, random_state=0).fit(pd.DataFrame(X))
    assert not hasattr(unnamed, "feature_names_in_")
    with pytest.warns(UserWarning, match="fitted without feature names"):
        unnamed.score_samples(named)


# --------------------------------------------------------------------------
# Property-based: random shapes, dtypes and values at fit and score_samples
# --------------------------------------------------------------------------

_ELEMENT_DTYPES = [
    np.float64,
    np.float32,
    np.float16,
    np.int64,
    np.int8,
    np.uint8,
    np.bool_,
    np.complex128,
    "U3",
    object,
]
_OBJECT_ELEMENTS = st.one_of(
    st.floats(),
    st.integers(-(10**6), 10**6),
    st.text(max_size=3),
    st.none(),
)


@st.composite
def arbitrary_input(draw, fitted_shape=None):
    """An array, list, DataFrame or sparse matrix of any shape, dtype, values."""
    if fitted_shape is not None and draw(st.booleans()):
        shape = (draw(st.integers(0, 5)), *fitted_shape)  # the right shape
    else:
        shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5))
    dtype = draw(st.sampled_from(_ELEMENT_DTYPES))
    if dtype is object:
        X = draw(hnp.arrays(object, shape, elements=_OBJECT_ELEMENTS))
    elif np.dtype(dtype).kind == "f" and draw(st.booleans()):
        # finite values of any magnitude (subnormal to the dtype's maximum)
        finite = hnp.from_dtype(np.dtype(dtype), allow_nan=False, allow_infinity=False)
        X = draw(hnp.arrays(np.dtype(dtype), shape, elements=finite))
    else:
        X = draw(hnp.arrays(np.dtype(dtype), shape))
    container = draw(st.sampled_from(["array", "list", "frame", "sparse"]))
    if container == "list":
        return X.tolist()
    if container == "frame" and X.ndim == 2:
        return pd.DataFrame(X)
    if container == "sparse" and X.ndim == 2 and X.dtype.kind in "fiub":
        return sp.csr_matrix(X)
    return X


def _n_rows(X):
    try:
        return np.asarray(X).shape[0]
    except (IndexError, ValueError):
        return None


def _result_or_clear_error(fn):
    """Run ``fn``; a ValueError or TypeError must carry a message."""
    try:
        result = fn()
    except (ValueError, TypeError) as exc:
        assert str(exc).strip(), f"{type(exc).__name__} without a message"
        event(f"{type(exc).__name__}: {str(exc)[:40]}")
        return None
    event("result")
    return result


def _assert_scores(scores, n_rows):
    assert isinstance(scores, np.ndarray) and scores.dtype == np.float64
    assert scores.shape == (n_rows,)
    assert np.isfinite(scores).all()


HYPOTHESIS = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
HYPOTHESIS_FIT_EXAMPLES = 80
HYPOTHESIS_SCORE_EXAMPLES = 150


@settings(HYPOTHESIS, max_examples=HYPOTHESIS_FIT_EXAMPLES)
@given(X=arbitrary_input(fitted_shape=(3,)))
def test_fit_on_anything_gives_scores_or_a_clear_error(X):
    det = LSTMAutoencoderDetector(**{**FAST, "max_epochs": 1}, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. numpy overflow in a float16 cast
        fitted = _result_or_clear_error(lambda: det.fit(X))
        if fitted is not None:
            _assert_scores(fitted.score_samples(X), _n_rows(X))
            assert np.isfinite(fitted.offset_)


@pytest.fixture(scope="module")
def fitted_t3():
    return LSTMAutoencoderDetector(**FAST, random_state=0).fit(
        make_sines(n=32, n_timesteps=3)
    )


@settings(
    HYPOTHESIS,
    max_examples=HYPOTHESIS_SCORE_EXAMPLES,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(X=arbitrary_input(fitted_shape=(3,)))
def test_score_samples_on_anything_gives_scores_or_a_clear_error(fitted_t3, X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = _result_or_clear_error(lambda: fitted_t3.score_samples(X))
    if scores is not None:
        _assert_scores(scores, _n_rows(X))


# --------------------------------------------------------------------------
# Parameter validation
# --------------------------------------------------------------------------

BAD_PARAMS = [
    dict(max_epochs=-1),
    dict(max_epochs=0),
    dict(max_epochs=2.5),
    dict(batch_size=0),
    dict(batch_size=-16),
    dict(contamination=0.0),
    dict(contamination=0.7),
    dict(contamination=-0.1),
    dict(contamination="high"),
    dict(loss="huber"),
    dict(loss=None),
    dict(hidden_size=0),
    dict(hidden_size=2.5),
    dict(latent_size=0),
    dict(num_layers=0),
    dict(dropout=1.0),
    dict(dropout=-0.1),
    dict(lr=0),
    dict(lr=-1e-3),
    dict(lr=float("nan")),
    dict(lr=float("inf")),
    dict(validation_fraction=1.0),
    dict(validation_fraction=-0.1),
    dict(patience=0),
    dict(bidirectional="yes"),
    dict(standardize=1),
    dict(screen_training="yes"),
    dict(screen_training=None),
    dict(random_state="seed"),
    dict(verbose=-1),
    dict(device=3),
]


@pytest.mark.parametrize("params", BAD_PARAMS, ids=[str(p) for p in BAD_PARAMS])
def test_bad_parameters_are_rejected_at_fit(X, params):
    det = LSTMAutoencoderDetector(**params)  # __init__ only stores them
    (name,) = params
    with pytest.raises(ValueError, match=f"The '{name}' parameter of LSTMAutoenc"):
        det.fit(X)
    assert not hasattr(det, "n_features_in_")


@pytest.mark.parametrize(
    "device, match",
    [
        ("gpu", "'device' parameter must be 'auto', 'cpu', 'cuda'.*got 'gpu'"),
        ("tpu", "'device' parameter must be.*got 'tpu'"),
        ("CUDA", "'device' parameter must be.*got 'CUDA'"),
        ("cuda:x", "'device' parameter must be.*got 'cuda:x'"),
        ("", "'device' parameter must be.*got ''"),
        ("meta", "device type 'meta' cannot train this model"),
        ("hpu", "device type 'hpu' cannot train this model"),
        (torch.device("meta"), "device type 'meta' cannot train this model"),
        ("cuda:99", "CUDA is not available|only .* CUDA device"),
    ],
)
def test_unknown_or_missing_devices_are_rejected_at_fit(X, device, match):
    with pytest.raises(ValueError, match=match):
        LSTMAutoencoderDetector(**FAST, device=device).fit(X)


@pytest.mark.skipif(torch.backends.mps.is_available(), reason="checks the message")
def test_mps_asked_for_without_mps(X):
    with pytest.raises(ValueError, match="device='mps' was asked for but MPS is not"):
        LSTMAutoencoderDetector(**FAST, device="mps").fit(X)


def test_cpu_devices_are_accepted(X):
    for device in ("cpu", torch.device("cpu"), "cpu:0"):
        det = LSTMAutoencoderDetector(**FAST, device=device, random_state=0).fit(X)
        assert torch.device(det.device_).type == "cpu"


def test_set_params_then_fit_rebuilds_the_net(X):
    def n_weights(det):
        return sum(p.numel() for p in det.net_.module_.parameters())

    det = LSTMAutoencoderDetector(**FAST, random_state=0).fit(X)
    first_net, first_size = det.net_, n_weights(det)
    det.set_params(hidden_size=9, latent_size=5).fit(X)
    assert det.net_ is not first_net
    assert n_weights(det) > first_size
    assert det.transform(X).shape == (N, 5)
    det.set_params(hidden_size=FAST["hidden_size"], latent_size=3).fit(X)
    assert n_weights(det) == first_size


# --------------------------------------------------------------------------
# Persistence
# --------------------------------------------------------------------------


def _outputs(det, X):
    return {
        m: getattr(det, m)(X)
        for m in ("score_samples", "decision_function", "predict", "transform")
    } | {"reconstruct": det.reconstruct(X)}


def _assert_same_outputs(a, b, X):
    out_a, out_b = _outputs(a, X), _outputs(b, X)
    for name in out_a:
        np.testing.assert_array_equal(out_a[name], out_b[name], err_msg=name)
    assert a.offset_ == b.offset_


@pytest.mark.parametrize("via", ["pickle", "joblib", "deepcopy"])
def test_round_trips_keep_every_output(fitted, X, via, tmp_path):
    if via == "pickle":
        loaded = pickle.loads(pickle.dumps(fitted))
    elif via == "joblib":
        joblib.dump(fitted, tmp_path / "det.joblib")
        loaded = joblib.load(tmp_path / "det.joblib")
    else:
        loaded = copy.deepcopy(fitted)
    _assert_same_outputs(fitted, loaded, X)
    assert loaded.n_epochs_ == fitted.n_epochs_ == FAST["max_epochs"]


def _device_storages(det):
    """Storages that live on the training device: weights and Adam's state."""
    net = det.net_
    tensors = list(net.module_.state_dict().values())
    for state in net.optimizer_.state.values():
        tensors += [v for v in state.values() if torch.is_tensor(v)]
    return {t.untyped_storage().data_ptr() for t in tensors}


@contextlib.contextmanager
def saved_as_trained_on_cuda(det):
    """Pickle ``det`` as if it had been trained with ``device="cuda"``.

    torch records the device of each storage with
    ``torch.serialization.location_tag`` and restores it there on load. Here
    the storages that a CUDA run keeps on the GPU (the module's weights and
    the optimizer's state) are tagged "cuda:0", as are ``device_`` and the
    net's ``device``; CPU-side objects (the batch-order generator) keep their
    "cpu" tag. The bytes are those of a CUDA-trained detector: without a
    ``map_location`` they cannot be loaded where CUDA is missing (checked in
    the test).
    """
    on_device = _device_storages(det)
    cpu_tag = torch.serialization.location_tag
    saved = det.device_, det.net_.device
    det.device_ = det.net_.device = "cuda"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            torch.serialization,
            "location_tag",
            lambda s: "cuda:0" if s.data_ptr() in on_device else cpu_tag(s),
        )
        try:
            yield
        finally:
            det.device_, det.net_.device = saved


def test_pickle_of_a_cuda_model_loads_and_scores_on_cpu(fitted, X, monkeypatch):
    # Freshly trained, not a copy: after a round trip the objects that share
    # the optimizer in a real run (the LR scheduler) no longer share it.
    gpu_trained = LSTMAutoencoderDetector(**FAST, device="cpu", random_state=0)
    gpu_trained.fit(X).set_params(device="cuda")
    with saved_as_trained_on_cuda(gpu_trained):
        blob = pickle.dumps(gpu_trained)
        weight = next(gpu_trained.net_.module_.parameters())
        probe = pickle.dumps(weight.detach())
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="deserialize object on a CUDA device"):
        pickle.loads(probe)  # the simulation is faithful: plain loading fails

    with pytest.warns(DeviceWarning) as caught:  # skorch says what it did
        loaded = pickle.loads(blob)
    assert "no CUDA devices are available" in str(caught[0].message)
    assert loaded.device_ == "cpu" and str(loaded.net_.device) == "cpu"
    assert all(p.device.type == "cpu" for p in loaded.net_.module_.parameters())
    _assert_same_outputs(fitted, loaded, X)
    # Refitting needs a real device: the stored device="cuda" says so clearly.
    with pytest.raises(ValueError, match="CUDA is not available"):
        loaded.fit(X)
    assert loaded.device_ == "cpu"  # the failed refit changed nothing
    loaded.set_params(device="auto").fit(X)
    assert loaded.device_ == "cpu"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_unpickled_cuda_model_has_compact_lstm_weights(X):
    det = LSTMAutoencoderDetector(**FAST, device="cuda", random_state=0).fit(X)
    loaded = pickle.loads(pickle.dumps(det))
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*single contiguous chunk")
        np.testing.assert_allclose(loaded.score_samples(X), det.score_samples(X))


def test_save_params_load_params(fitted, X, tmp_path):
    path = tmp_path / "det.pt"
    fitted.save_params(path)
    assert [p.name for p in tmp_path.iterdir()] == ["det.pt"]  # no temp file left
    twin = LSTMAutoencoderDetector(**FAST, device="cpu").load_params(path)
    _assert_same_outputs(fitted, twin, X)
    assert twin.n_epochs_ == fitted.n_epochs_ and twin.device_ == "cpu"
    np.testing.assert_array_equal(twin.held_out_errors_, fitted.held_out_errors_)
    # weights_only: the file holds no pickled code
    state = torch.load(path, weights_only=True)
    assert all(t.device.type == "cpu" for t in state["module"].values())
    # Loading into a fitted detector replaces its model.
    other = LSTMAutoencoderDetector(**FAST, device="cpu", random_state=5)
    other.fit(X[:, ::-1]).load_params(path)
    _assert_same_outputs(fitted, other, X)


def test_load_params_keeps_names_channels_and_maps_cuda_tensors(tmp_path, monkeypatch):
    X3 = make_sines(n=32, n_timesteps=8, n_channels=2)
    names = pd.DataFrame(X3[:, :, 0], columns=[f"s{i}" for i in range(8)])
    det = LSTMAutoencoderDetector(
        **FAST, contamination=0.1, device="cpu", random_state=0
    )
    det.fit(names)
    # save_params writes CPU tensors; a file whose tensors are tagged CUDA
    # (written by hand with torch.save from a GPU) loads all the same.
    with saved_as_trained_on_cuda(det):
        det.save_params(tmp_path / "named.pt")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    twin = LSTMAutoencoderDetector(**FAST, contamination=0.1).load_params(
        tmp_path / "named.pt"
    )
    assert list(twin.feature_names_in_) == list(det.feature_names_in_)
    np.testing.assert_array_equal(twin.score_samples(names), det.score_samples(names))
    det3 = LSTMAutoencoderDetector(**FAST, device="cpu", random_state=0).fit(X3)
    buf = io.BytesIO()
    det3.save_params(buf)
    buf.seek(0)
    twin3 = LSTMAutoencoderDetector(**FAST, device="cpu").load_params(buf)
    assert twin3.n_channels_ == 2 and not hasattr(twin3, "feature_names_in_")
    np.testing.assert_array_equal(twin3.reconstruct(X3), det3.reconstruct(X3))


def test_load_params_errors_leave_the_detector_as_it_was(fitted, X, tmp_path):
    path = tmp_path / "det.pt"
    fitted.save_params(path)
    with pytest.raises(ValueError, match=r"hidden_size=6 in the file but 7 here"):
        LSTMAutoencoderDetector(**{**FAST, "hidden_size": 7}).load_params(path)
    with pytest.raises(ValueError, match=r"loss='mse' in the file but 'l1' here"):
        LSTMAutoencoderDetector(**FAST, loss="l1").load_params(path)
    junk = tmp_path / "junk.pt"
    for content in (os.urandom(300), pickle.dumps({"a": 1}), b""):
        junk.write_bytes(content)
        with pytest.raises(ValueError, match="is not a file written by .*save_params"):
            LSTMAutoencoderDetector(**FAST).load_params(junk)
    torch.save({"format": "something else"}, junk)
    with pytest.raises(ValueError, match="is not a file written by"):
        LSTMAutoencoderDetector(**FAST).load_params(junk)
    with pytest.raises(FileNotFoundError):
        LSTMAutoencoderDetector(**FAST).load_params(tmp_path / "missing.pt")
    # A failed load leaves an unfitted detector unfitted, a fitted one intact.
    fresh = LSTMAutoencoderDetector(**FAST)
    with pytest.raises(ValueError):
        fresh.load_params(junk)
    assert not hasattr(fresh, "device_")
    with pytest.raises(NotFittedError):
        fresh.predict(X)
    det = _fresh_copy(fitted)
    net = det.net_
    with pytest.raises(ValueError):
        det.load_params(junk)
    assert det.net_ is net
    _assert_same_outputs(fitted, det, X)
    with pytest.raises(NotFittedError):
        LSTMAutoencoderDetector().save_params(tmp_path / "unfitted.pt")


def test_failed_save_keeps_the_previous_file(fitted, tmp_path, monkeypatch):
    path = tmp_path / "det.pt"
    fitted.save_params(path)
    before = path.read_bytes()

    def full_disk(obj, f, *args, **kwargs):
        f.write(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", full_disk)
    with pytest.raises(OSError, match="No space left"):
        fitted.save_params(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["det.pt"]


_CHILD = textwrap.dedent(
    """
    import json, sys
    import joblib, numpy as np
    from sklearn_lstmae import LSTMAutoencoderDetector
    X = np.load(sys.argv[1])
    params = json.loads(sys.argv[2])
    scores = {
        "joblib": joblib.load(sys.argv[3]).score_samples(X),
        "params": LSTMAutoencoderDetector(**params).load_params(sys.argv[4])
        .score_samples(X),
        "refit": LSTMAutoencoderDetector(**params, random_state=0).fit(X)
        .score_samples(X),
    }
    np.savez(sys.argv[5], **scores)
    """
)


def test_saved_model_and_seeded_fit_are_bit_identical_in_a_new_process(
    fitted, X, tmp_path
):
    np.save(tmp_path / "X.npy", X)
    joblib.dump(fitted, tmp_path / "det.joblib")
    fitted.save_params(tmp_path / "det.pt")
    script = tmp_path / "child.py"
    script.write_text(_CHILD)
    env = dict(os.environ)
    root = str(Path(sklearn_lstmae.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([root, env.get("PYTHONPATH", "")])
    subprocess.run(
        [
            sys.executable,
            str(script),
            str(tmp_path / "X.npy"),
            # The fixture's device: a refit on CUDA is not bit-identical to
            # the CPU-trained fixture (a seeded pair on CUDA is compared in
            # test_same_random_state_is_bit_identical_in_process).
            json.dumps({**FAST, "device": fitted.device}),
            str(tmp_path / "det.joblib"),
            str(tmp_path / "det.pt"),
            str(tmp_path / "out.npz"),
        ],
        check=True,
        env=env,
        timeout=300,
    )
    expected = fitted.score_samples(X)
    with np.load(tmp_path / "out.npz") as out:
        for name in ("joblib", "params", "refit"):
            np.testing.assert_array_equal(out[name], expected, err_msg=name)


# --------------------------------------------------------------------------
# Reproducibility
# --------------------------------------------------------------------------


def test_same_random_state_is_bit_identical_in_process(fitted, X):
    again = LSTMAutoencoderDetector(**FAST, device=fitted.device, random_state=0)
    _assert_same_outputs(fitted, again.fit(X), X)
    # On the default device (CUDA where present).
    rng_a = LSTMAutoencoderDetector(**FAST, random_state=np.random.RandomState(3))
    rng_b = LSTMAutoencoderDetector(**FAST, random_state=np.random.RandomState(3))
    np.testing.assert_array_equal(
        rng_a.fit(X).score_samples(X), rng_b.fit(X).score_samples(X)
    )


def test_random_state_none_differs(X):
    a = LSTMAutoencoderDetector(**FAST).fit(X).score_samples(X)
    b = LSTMAutoencoderDetector(**FAST).fit(X).score_samples(X)
    assert not np.array_equal(a, b)


# --------------------------------------------------------------------------
# Interrupted or failed training
# --------------------------------------------------------------------------


@pytest.fixture
def ctrl_c_at_batch(monkeypatch):
    """Deliver a real SIGINT (Ctrl-C) right after training batch ``k``."""

    def arm(k):
        original = AutoencoderNet.train_step
        seen = [0]

        def train_step(self, batch, **kwargs):
            step = original(self, batch, **kwargs)
            seen[0] += 1
            if seen[0] == k:
                if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
                    signal.raise_signal(signal.SIGINT)
                else:  # not the main thread's default handler: same effect
                    raise KeyboardInterrupt
            return step

        monkeypatch.setattr(AutoencoderNet, "train_step", train_step)

    return arm


# make_sines(96): 10 held out, 86 trained on in 6 batches of 16 per epoch.
@pytest.mark.parametrize("batch, complete", [(8, 1), (3, 0), (13, 2)])
def test_ctrl_c_leaves_a_fitted_detector_with_a_warning(
    sines, ctrl_c_at_batch, batch, complete
):
    ctrl_c_at_batch(batch)
    det = LSTMAutoencoderDetector(**FAST, random_state=0)
    with pytest.warns(UserWarning, match=f"interrupted.*after {complete} of 3 epochs"):
        det.fit(sines)
    assert det.n_epochs_ == complete
    scores = det.score_samples(sines)
    assert np.isfinite(scores).all() and det.predict(sines).shape == (96,)
    # The threshold belongs to the weights the detector holds now.
    held, fitted = held_out_and_fitted_errors(det, sines)
    np.testing.assert_allclose(
        np.sort(held), np.sort(det.held_out_errors_), rtol=RESCORE_RTOL
    )
    expected = expected_threshold(held, fitted)
    assert det.threshold_ == pytest.approx(expected, rel=RESCORE_RTOL)


def test_ctrl_c_during_the_screening_fit_stops_fit(sines, ctrl_c_at_batch):
    det = LSTMAutoencoderDetector(**FAST, random_state=0).fit(sines)
    before = det.score_samples(sines)
    ctrl_c_at_batch(4)  # the screening fit trains first, 6 batches an epoch
    with pytest.raises(KeyboardInterrupt):
        det.set_params(screen_training=True).fit(sines * 2)
    np.testing.assert_array_equal(det.score_samples(sines), before)
    unfitted = LSTMAutoencoderDetector(**FAST, screen_training=True, random_state=0)
    ctrl_c_at_batch(4)
    with pytest.raises(KeyboardInterrupt):
        unfitted.fit(sines)
    assert not hasattr(unfitted, "net_")


def test_early_stopping_is_not_reported_as_an_interrupt(sines):
    det = LSTMAutoencoderDetector(
        **{**FAST, "max_epochs": 8}, lr=1e-12, patience=1, random_state=0
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        det.fit(sines)
    assert det.n_epochs_ < 8
    assert not [w for w in caught if "interrupted" in str(w.message)]


def test_ctrl_c_while_the_threshold_is_computed_changes_nothing(fitted, X, monkeypatch):
    det = _fresh_copy(fitted)
    net, offset = det.net_, det.offset_

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(estimator_module, "_sample_errors", interrupted)
    with pytest.raises(KeyboardInterrupt):
        det.fit(make_sines(n=30, n_timesteps=T + 4, seed=3))
    monkeypatch.undo()
    assert det.net_ is net and det.offset_ == offset
    assert det.n_features_in_ == det.n_timesteps_ == T
    _assert_same_outputs(fitted, det, X)


def _blow_up(X):
    """Data on which an un-standardised MSE loss overflows float32 at once."""
    return X * 1e30


def test_non_finite_loss_stops_training_with_a_clear_error(X):
    det = LSTMAutoencoderDetector(**FAST, standardize=False, loss="mse")
    with pytest.raises(FloatingPointError, match="loss became inf during epoch 1"):
        det.fit(_blow_up(X))
    with pytest.raises(NotFittedError):  # a fresh detector stays unfitted
        det.score_samples(X)
    assert not any(name.endswith("_") for name in vars(det))


def test_failed_refit_keeps_the_previous_model(X):
    det = LSTMAutoencoderDetector(**FAST, standardize=False, loss="mse")
    det.fit(X, np.ones(N))
    before = {k: v for k, v in vars(det).items() if k.endswith("_")}
    scores = det.score_samples(X)
    other_shape = make_sines(n=20, n_timesteps=T + 3)
    failures = [
        (lambda: det.fit(_blow_up(other_shape)), FloatingPointError),
        (lambda: det.fit(other_shape, -np.ones(20)), ValueError),  # after reset
        (lambda: det.fit(other_shape, np.ones(3)), ValueError),
    ]
    for fit, exc in failures:
        with pytest.raises(exc):
            fit()
        after = {k: v for k, v in vars(det).items() if k.endswith("_")}
        assert after.keys() == before.keys()
        assert all(after[k] is before[k] for k in before)
        np.testing.assert_array_equal(det.score_samples(X), scores)


def test_finite_loss_guard_names_the_epoch():
    class Net:
        history = [{}, {}]

    guard = FiniteLossGuard()
    guard.on_batch_end(Net(), loss=torch.tensor(1.5))
    for bad in (float("nan"), float("inf")):
        with pytest.raises(FloatingPointError, match=f"loss became {bad} during epo"):
            guard.on_batch_end(Net(), loss=torch.tensor(bad))


# --------------------------------------------------------------------------
# Numerical health
# --------------------------------------------------------------------------


def test_constant_series_give_finite_scores():
    X = np.full((32, T), 7.0)
    det = LSTMAutoencoderDetector(**FAST, random_state=0).fit(X)
    np.testing.assert_array_equal(det.scale_, [1.0])
    scores = det.score_samples(X)
    assert np.isfinite(scores).all() and np.ptp(scores) == 0
    assert np.isfinite(det.offset_)
    assert (det.predict(X) == 1).all()
    # A constant channel beside a varying one (3-D).
    X3 = np.stack([make_sines(n=32, n_timesteps=T), np.full((32, T), -3.0)], axis=2)
    det3 = LSTMAutoencoderDetector(**FAST, random_state=0).fit(X3)
    assert det3.scale_[1] == 1.0 and det3.scale_[0] != 1.0
    assert np.isfinite(det3.score_samples(X3)).all()


@pytest.mark.parametrize("factor", [1e6, 1e-6, 1e-20, 1e-200, 1e300])
def test_scores_do_not_depend_on_the_scale_of_the_data(X, fitted, factor):
    det = LSTMAutoencoderDetector(**FAST, random_state=0).fit(X * factor)
    assert det.scale_[0] == pytest.approx(X.std() * factor, rel=1e-9)
    scores = det.score_samples(X * factor)
    assert np.isfinite(scores).all() and np.isfinite(det.offset_)
    np.testing.assert_allclose(scores, fitted.score_samples(X), rtol=1e-4, atol=1e-6)


def test_huge_and_tiny_values_without_standardization(X):
    for factor in (1e6, 1e-6):
        det = LSTMAutoencoderDetector(**FAST, standardize=False, random_state=0)
        assert np.isfinite(det.fit(X * factor).score_samples(X * factor)).all()


def test_values_beyond_float32_once_standardised_are_rejected(fitted, X):
    # At the extreme of float64 the constant case still works...
    extreme = np.full((16, 5), 1.7e308)
    det = LSTMAutoencoderDetector(**FAST, random_state=0).fit(extreme)
    assert np.isfinite(det.score_samples(extreme)).all()
    # ...but scoring values that overflow float32 once standardised is an error.
    with pytest.raises(ValueError, match="too large to represent in float32"):
        fitted.score_samples(X * 1e300)
