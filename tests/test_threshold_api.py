"""tune_threshold: the operating point chosen on validation data."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.metrics import f1_score, get_scorer, make_scorer

from sklearn_lstmae import LSTMAutoencoderDetector
from sklearn_lstmae.datasets import make_ecg_beats

from .conftest import FAST


@pytest.fixture(scope="module")
def data():
    X, y = make_ecg_beats(260, n_timesteps=40, anomaly_fraction=0.3, random_state=0)
    return X[:100][y[:100] == 1], X[100:], y[100:]


@pytest.fixture(scope="module")
def fitted_bytes(data):
    X_train, _, _ = data
    detector = LSTMAutoencoderDetector(**FAST, random_state=0).fit(X_train)
    return pickle.dumps(detector)


@pytest.fixture
def detector(fitted_bytes):
    """A fresh copy of the fitted detector for each test."""
    return pickle.loads(fitted_bytes)


def _flagged(detector, X):
    return int((detector.predict(X) == -1).sum())


@pytest.mark.parametrize("rate", [0.0, 0.01, 0.05, 0.1, 0.25, 0.5])
def test_false_alarm_rate_met_within_one_row(detector, data, rate):
    _, X_val, y_val = data
    normal = X_val[y_val == 1]
    detector.tune_threshold(normal, false_alarm_rate=rate)
    flagged = _flagged(detector, normal)
    assert abs(flagged - rate * len(normal)) <= 1
    assert flagged == int(np.floor(rate * len(normal) + 1e-9))


def test_labelled_rows_use_only_the_normals(detector, data):
    _, X_val, y_val = data
    detector.tune_threshold(X_val, y_val, false_alarm_rate=0.1)
    by_normals = detector.offset_
    detector.tune_threshold(X_val[y_val == 1], false_alarm_rate=0.1)
    assert detector.offset_ == by_normals


def test_predict_and_decision_function_follow(detector, data):
    _, X_val, y_val = data
    before = detector.score_samples(X_val)
    old_offset = detector.offset_
    detector.tune_threshold(X_val[y_val == 1], false_alarm_rate=0.2)
    assert detector.offset_ != old_offset
    assert detector.threshold_ == -detector.offset_
    scores = detector.score_samples(X_val)
    np.testing.assert_array_equal(scores, before)
    np.testing.assert_array_equal(
        detector.decision_function(X_val), scores - detector.offset_
    )
    np.testing.assert_array_equal(
        detector.predict(X_val), np.where(scores < detector.offset_, -1, 1)
    )


def test_weights_and_calibration_untouched(detector, data):
    _, X_val, y_val = data
    weights = {k: v.clone() for k, v in detector.net_.module_.state_dict().items()}
    calibration = detector.calibration_errors_.copy()
    detector.tune_threshold(X_val, y_val, scoring="balanced_accuracy")
    for name, value in detector.net_.module_.state_dict().items():
        assert torch.equal(value, weights[name]), name
    np.testing.assert_array_equal(detector.calibration_errors_, calibration)


def test_pickle_and_params_file_keep_the_threshold(detector, data, tmp_path):
    _, X_val, y_val = data
    detector.tune_threshold(X_val, y_val, scoring="balanced_accuracy")
    expected = detector.predict(X_val)
    restored = pickle.loads(pickle.dumps(detector))
    assert restored.offset_ == detector.offset_
    assert restored.best_score_ == detector.best_score_
    np.testing.assert_array_equal(restored.predict(X_val), expected)

    detector.save_params(tmp_path / "det.pt")
    loaded = LSTMAutoencoderDetector(**FAST).load_params(tmp_path / "det.pt")
    assert loaded.offset_ == detector.offset_
    assert loaded.best_score_ == detector.best_score_
    np.testing.assert_array_equal(loaded.predict(X_val), expected)


@pytest.mark.parametrize(
    "scoring",
    ["balanced_accuracy", make_scorer(f1_score, pos_label=-1)],
    ids=["name", "make_scorer"],
)
def test_scoring_is_maximised(detector, data, scoring):
    _, X_val, y_val = data
    default_threshold = detector.threshold_
    errors = -detector.score_samples(X_val)
    candidates = np.append(
        np.quantile(errors, np.linspace(0, 1, 30)), default_threshold
    )
    scorer = get_scorer(scoring) if isinstance(scoring, str) else scoring
    at_default = scorer(detector, X_val, y_val)

    detector.tune_threshold(X_val, y_val, scoring=scoring, thresholds=candidates)
    # best_score_ is the scorer's value for the detector as it now predicts,
    # and no candidate (the fitted threshold among them) does better.
    assert detector.best_score_ == pytest.approx(scorer(detector, X_val, y_val))
    assert detector.best_score_ >= at_default
    assert detector.threshold_ in candidates
    for t in candidates:
        detector.offset_ = -t
        assert scorer(detector, X_val, y_val) <= detector.best_score_ + 1e-12


def test_integer_thresholds_try_quantiles(detector, data):
    _, X_val, y_val = data
    detector.tune_threshold(X_val, y_val, scoring="balanced_accuracy", thresholds=5)
    errors = -detector.score_samples(X_val)
    assert detector.threshold_ in np.quantile(errors, np.linspace(0, 1, 5))


def test_a_rate_after_scoring_drops_best_score(detector, data):
    _, X_val, y_val = data
    detector.tune_threshold(X_val, y_val, scoring="balanced_accuracy")
    assert hasattr(detector, "best_score_")
    detector.tune_threshold(X_val[y_val == 1], false_alarm_rate=0.1)
    assert not hasattr(detector, "best_score_")


def test_fit_sets_the_threshold_again(detector, data):
    X_train, X_val, y_val = data
    fitted_offset = detector.offset_
    detector.tune_threshold(X_val, y_val, scoring="balanced_accuracy")
    detector.fit(X_train)
    assert not hasattr(detector, "best_score_")
    assert detector.offset_ == pytest.approx(fitted_offset)


def test_unfitted_detector_raises(data):
    _, X_val, _ = data
    with pytest.raises(NotFittedError):
        LSTMAutoencoderDetector().tune_threshold(X_val, false_alarm_rate=0.1)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "exactly one of false_alarm_rate"),
        (
            {"false_alarm_rate": 0.1, "scoring": "balanced_accuracy"},
            "exactly one of false_alarm_rate",
        ),
        ({"false_alarm_rate": 1.0}, r"in \[0, 1\)"),
        ({"false_alarm_rate": -0.1}, r"in \[0, 1\)"),
        ({"false_alarm_rate": "5%"}, r"in \[0, 1\)"),
        ({"false_alarm_rate": True}, r"in \[0, 1\)"),
        ({"scoring": "balanced_accuracy", "y": None}, "labelled rows of both"),
        ({"scoring": "roc_auc"}, "does not rate predicted labels"),
        ({"scoring": "no_such_metric"}, "no_such_metric"),
        ({"scoring": "balanced_accuracy", "thresholds": 1}, "at least 2"),
        ({"scoring": "balanced_accuracy", "thresholds": []}, "1-D array-like"),
        ({"false_alarm_rate": 0.1, "y": "zero-one"}, r"labels \[0, 1\]"),
        ({"false_alarm_rate": 0.1, "y": "short"}, "one label per sequence"),
        ({"false_alarm_rate": 0.1, "y": "all outliers"}, "needs normal rows"),
    ],
)
def test_bad_input_is_named(detector, data, kwargs, match):
    _, X_val, y_val = data
    kwargs = dict(kwargs)
    y = kwargs.pop("y", y_val)
    y = {
        "zero-one": np.where(y_val == 1, 1, 0),
        "short": y_val[:-1],
        "all outliers": -np.ones_like(y_val),
    }.get(y if isinstance(y, str) else None, y)
    detector.tune_threshold(X_val, y_val, scoring="balanced_accuracy", thresholds=5)
    offset, best_score = detector.offset_, detector.best_score_
    with pytest.raises(ValueError, match=match):
        detector.tune_threshold(X_val, y, **kwargs)
    # A refused call changes nothing.
    assert (detector.offset_, detector.best_score_) == (offset, best_score)


def test_scoring_needs_both_labels(detector, data):
    _, X_val, y_val = data
    normal = X_val[y_val == 1]
    with pytest.raises(ValueError, match="labelled rows of both"):
        detector.tune_threshold(
            normal, np.ones(len(normal)), scoring="balanced_accuracy"
        )


def test_sequences_of_another_shape_are_refused(detector, data):
    _, X_val, _ = data
    with pytest.raises(ValueError, match="time steps"):
        detector.tune_threshold(X_val[:, :-3], false_alarm_rate=0.1)
