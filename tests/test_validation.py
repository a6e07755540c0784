"""Input and parameter validation: bad input, accepted input, feature names,
random input (Hypothesis) and bad parameters."""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sklearn_lstmae import LSTMAutoencoderDetector
from sklearn_lstmae._validation import _check_sequences

from .conftest import FAST, make_sines

N, T = 40, 12  # the shape of the module's fitted detector


@pytest.fixture(scope="module")
def X():
    return make_sines(n=N, n_timesteps=T)


@pytest.fixture(scope="module")
def fitted(X):
    return LSTMAutoencoderDetector(**FAST, device="cpu", random_state=0).fit(X)


# --------------------------------------------------------------------------
# Input validation: the rules, on the validator itself
# --------------------------------------------------------------------------


def _with(value, at=(3, 5)):
    X = make_sines(n=N, n_timesteps=T)
    X[at] = value
    return X


def _object_with_string():
    X = make_sines(n=N, n_timesteps=T).astype(object)
    X[2, 3] = "a"
    return X


_SEQUENCES = r"X must be a 2-D array \(n_samples, n_timesteps\) or a 3-D array"

# (case id, input, exception type, message pattern): rejected at fit and when
# scoring.
REJECTED = [
    ("nan", lambda: _with(np.nan), ValueError, "Input X contains NaN"),
    ("inf", lambda: _with(np.inf), ValueError, "Input X contains infinity"),
    ("-inf", lambda: _with(-np.inf), ValueError, "Input X contains infinity"),
    ("nan-3d", lambda: _with(np.nan)[:, :, None], ValueError, "contains NaN"),
    (
        "1-D",
        lambda: np.zeros(T),
        ValueError,
        _SEQUENCES + r".*got a 1-D array of shape \(12,\)\. Reshape your data.*"
        r"X\.reshape\(1, -1\)",
    ),
    ("scalar", lambda: 3.0, ValueError, _SEQUENCES + r".*got a scalar \(0-D\)"),
    ("None", lambda: None, ValueError, _SEQUENCES + r".*got a scalar \(0-D\)"),
    (
        "4-D",
        lambda: np.zeros((4, T, 1, 1)),
        ValueError,
        _SEQUENCES + r".*got a 4-D array of shape \(4, 12, 1, 1\)",
    ),
    ("0 rows", lambda: np.zeros((0, T)), ValueError, r"0 sample\(s\) \(shape=\(0, 12"),
    (
        "0 rows 3-D",
        lambda: np.zeros((0, T, 1)),
        ValueError,
        r"0 sample\(s\) \(shape=\(0, 12, 1",
    ),
    (
        "0 steps",
        lambda: np.zeros((4, 0)),
        ValueError,
        r"0 feature\(s\) \(shape=\(4, 0\)\) while a minimum of 1 is required.*"
        "each feature is a time step, and sequences need at least one time step",
    ),
    (
        "0 steps 3-D",
        lambda: np.zeros((4, 0, 1)),
        ValueError,
        r"0 feature\(s\) \(shape=\(4, 0, 1\)\).*need at least one time step",
    ),
    ("0 channels", lambda: np.zeros((4, T, 0)), ValueError, r"0 channels \(shape="),
    (
        "strings",
        lambda: np.full((4, T), "1.5"),
        ValueError,
        r"Strings are not supported \(X has a string dtype\): "
        + _SEQUENCES
        + r".*of real numbers\. Convert numbers written as text with X\.astype",
    ),
    ("bytes", lambda: np.full((4, T), b"1"), ValueError, "Strings are not supported"),
    ("object+str", _object_with_string, ValueError, "could not convert string"),
    (
        "complex",
        lambda: make_sines(n=4, n_timesteps=T) + 1j,
        ValueError,
        "Complex data not supported: " + _SEQUENCES + ".*of real numbers",
    ),
    (
        "complex frame",
        lambda: pd.DataFrame(make_sines(n=4, n_timesteps=T) + 1j),
        ValueError,
        "Complex data not supported",
    ),
    (
        "sparse csr",
        lambda: sp.csr_matrix(make_sines(n=4, n_timesteps=T)),
        TypeError,
        r"Sparse input is not supported.*\(n_samples, n_timesteps\).*X\.toarray",
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

# Rejected when scoring only: shapes other than fit's.
REJECTED_AFTER_FIT = [
    # A list of sequences of any length is scored (test_ragged.py); an
    # array must have the training length.
    (
        "fewer steps",
        lambda: make_sines(n=4, n_timesteps=T - 2),
        ValueError,
        r"X has 10 features, but LSTMAutoencoderDetector is expecting 12 "
        r"features as input: each feature is a time step.*fitted on sequences "
        r"of 12 time steps \(expected shape \(n_samples, 12\) or "
        r"\(n_samples, 12, 1\)\)\. A list of sequences of any length",
    ),
    (
        "more steps 3-D",
        lambda: make_sines(n=4, n_timesteps=T + 1, n_channels=1),
        ValueError,
        "X has 13 features.*fitted on sequences of 12 time steps",
    ),
    (
        "fewer steps frame",
        lambda: pd.DataFrame(make_sines(n=4, n_timesteps=T - 1)),
        ValueError,
        "X has 11 features.*fitted on sequences of 12 time steps",
    ),
    (
        "2 channels",
        lambda: make_sines(n=4, n_timesteps=T, n_channels=2),
        ValueError,
        r"2 channel\(s\).*fitted on 1.*\(n_samples, 12, 1\)",
    ),
]


def _validate(fitted, X, *, reset):
    """``_check_sequences`` as fit (``reset``, on a new detector) or as the
    scoring methods call it (on the fitted one)."""
    if reset:
        return _check_sequences(LSTMAutoencoderDetector(), X, reset=True)
    return _check_sequences(fitted, X, reset=False)


@pytest.mark.parametrize("reset", [True, False], ids=["fit", "score"])
@pytest.mark.parametrize(
    "make, exc, match", [c[1:] for c in REJECTED], ids=[c[0] for c in REJECTED]
)
def test_bad_input_is_rejected_clearly(fitted, reset, make, exc, match):
    with pytest.raises(exc, match=match):
        _validate(fitted, make(), reset=reset)


@pytest.mark.parametrize(
    "make, exc, match",
    [c[1:] for c in REJECTED_AFTER_FIT],
    ids=[c[0] for c in REJECTED_AFTER_FIT],
)
def test_other_shape_than_at_fit_is_rejected(fitted, make, exc, match):
    with pytest.raises(exc, match=match):
        _validate(fitted, make(), reset=False)
    # The same shape is fine at fit, which records it.
    det = LSTMAutoencoderDetector()
    X = _check_sequences(det, make(), reset=True)
    assert (det.n_timesteps_, det.n_channels_) == X.shape[1:]


def test_the_library_checks_come_before_scikit_learns(fitted):
    """Where scikit-learn would also object, the library's message is the
    one raised: a 1-D array with a NaN is a shape error, an array of
    another length with a NaN a length error, strings in 1-D a dtype error."""
    with pytest.raises(ValueError, match="got a 1-D array"):
        _check_sequences(LSTMAutoencoderDetector(), _with(np.nan)[0], reset=True)
    with pytest.raises(ValueError, match="X has 10 features"):
        _check_sequences(fitted, _with(np.nan)[:, 2:], reset=False)
    with pytest.raises(ValueError, match="Strings are not supported"):
        _check_sequences(LSTMAutoencoderDetector(), np.full(T, "1"), reset=True)


def _readonly(X):
    X = X.copy()
    X.flags.writeable = False
    return X


# (case id, converter of the fixture's X): accepted at fit and when scoring.
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


@pytest.mark.parametrize("reset", [True, False], ids=["fit", "score"])
@pytest.mark.parametrize(
    "convert", [c[1] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED]
)
def test_accepted_input_is_converted(fitted, X, reset, convert):
    """A 3-D float array of the input's values: float32 kept, the rest
    float64."""
    X_in = convert(X)
    out = _validate(fitted, X_in, reset=reset)
    assert isinstance(out, np.ndarray) and out.shape == (N, T, 1)
    float32 = getattr(X_in, "dtype", None) == np.float32
    assert out.dtype == (np.float32 if float32 else np.float64)
    expected = np.asarray(X_in, dtype=np.float64).reshape(N, T, 1)
    np.testing.assert_array_equal(out, expected)


# --------------------------------------------------------------------------
# Every public method validates its input with the validator
# --------------------------------------------------------------------------

METHODS = [
    "fit",
    "fit_predict",
    "score_samples",
    "decision_function",
    "predict",
    "transform",
    "reconstruct",
    "score_timesteps",
    "anomaly_probability",
]
FITTING = ("fit", "fit_predict")


def _call(method, fitted, X):
    if method in FITTING:  # one epoch: what is checked needs no training
        det = LSTMAutoencoderDetector(**{**FAST, "max_epochs": 1}, random_state=0)
        return getattr(det, method)(X)
    return getattr(fitted, method)(X)


def _validator_error(fitted, X, reset):
    with pytest.raises((ValueError, TypeError)) as caught:
        _validate(fitted, X, reset=reset)
    return caught.value


@pytest.mark.parametrize("method", METHODS)
def test_public_method_rejects_bad_input_as_the_validator_does(fitted, method):
    """Each bad input raises, through the method, the validator's error."""
    reset = method in FITTING
    cases = REJECTED if reset else REJECTED + REJECTED_AFTER_FIT
    for case, make, exc, _ in cases:
        expected = _validator_error(fitted, make(), reset)
        with pytest.raises(exc) as caught:
            _call(method, fitted, make())
        assert type(caught.value) is type(expected), case
        assert str(caught.value) == str(expected), case


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
    elif method == "score_timesteps":
        assert out.shape == (n_rows, T) and out.dtype == np.float64
    elif method == "anomaly_probability":
        assert out.shape == (n_rows,) and out.dtype == np.float64
        assert ((out >= 0) & (out <= 1)).all()
    else:  # reconstruct keeps the shape of its input
        assert out.shape == np.shape(np.asarray(X_in, dtype=float))
        assert out.dtype == np.float64


@pytest.mark.parametrize("method", METHODS)
def test_public_method_gives_the_right_output_on_accepted_input(fitted, X, method):
    for case, convert in ACCEPTED:
        X_in = convert(X)
        try:
            _check_output(method, _call(method, fitted, X_in), X_in, N)
        except AssertionError as exc:
            raise AssertionError(f"{case}: {exc}") from exc


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
    sparse_dtype = X.dtype.kind in "fiub" and X.dtype != np.float16  # no float16
    if container == "sparse" and X.ndim == 2 and sparse_dtype:
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
        ("tpu9", "'device' parameter must be.*got 'tpu9'"),
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
