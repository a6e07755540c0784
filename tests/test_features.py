"""Beyond the score: localisation, calibrated probabilities, multichannel data."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_lstmae import LSTMAutoencoderDetector
from sklearn_lstmae.datasets import make_ecg_beats

from .conftest import FAST, make_sines

# -- score_timesteps: where a sequence departs from normal -------------------


def test_score_samples_is_the_mean_of_score_timesteps(plain_sines, sines):
    """Without the code distance; with it, see tests/test_code_distance.py."""
    steps = plain_sines.score_timesteps(sines)
    assert steps.shape == sines.shape and steps.dtype == np.float64
    assert np.all(steps <= 0)
    np.testing.assert_array_equal(steps.mean(axis=1), plain_sines.score_samples(sines))


def test_score_timesteps_per_channel():
    X = make_sines(n=32, n_channels=2)
    det = LSTMAutoencoderDetector(**FAST, random_state=0).fit(X)
    per_channel = det.score_timesteps(X, per_channel=True)
    assert per_channel.shape == X.shape
    np.testing.assert_allclose(per_channel.mean(axis=2), det.score_timesteps(X))
    # in input units: ((x - x_hat) / scale)^2 of each channel (loss="mse")
    assert det.loss == "mse"
    X_hat = det.reconstruct(X)
    np.testing.assert_allclose(
        -per_channel, np.square((X - X_hat) / det.scale_), rtol=1e-4, atol=1e-6
    )


def test_score_timesteps_points_at_a_local_defect(fitted_sines, sines):
    X = sines[:8].copy()
    X[:, 15] += 4.0  # a spike at step 15 of every sequence
    steps = fitted_sines.score_timesteps(X)
    np.testing.assert_array_equal(steps.argmin(axis=1), 15)


# -- anomaly_probability ----------------------------------------------------


def test_anomaly_probability_is_monotone_and_bounded(fitted_sines, sines):
    rng = np.random.default_rng(3)
    X = np.vstack([sines, rng.normal(0, 1, (16, 24)), sines[:16] * 1.5])
    proba = fitted_sines.anomaly_probability(X)
    assert proba.shape == (len(X),) and proba.dtype == np.float64
    assert np.all((proba >= 0) & (proba <= 1))
    order = np.argsort(fitted_sines.score_samples(X))  # most abnormal first
    assert np.all(np.diff(proba[order]) <= 0)
    assert proba[len(sines) : len(sines) + 16].min() == 1.0  # noise: off the scale


def test_anomaly_probability_is_the_ecdf_of_held_out_errors(fitted_sines, sines):
    ref = fitted_sines.held_out_errors_
    np.testing.assert_array_equal(fitted_sines.calibration_errors_, np.sort(ref))
    errors = -fitted_sines.score_samples(sines)
    expected = (ref[np.newaxis, :] <= errors[:, np.newaxis]).mean(axis=1)
    np.testing.assert_allclose(fitted_sines.anomaly_probability(sines), expected)


def test_anomaly_probability_falls_back_to_training_errors(sines):
    det = LSTMAutoencoderDetector(**FAST, validation_fraction=0.0, random_state=0)
    det.fit(sines)
    assert det.held_out_errors_.size == 0
    np.testing.assert_allclose(
        det.calibration_errors_, np.sort(-det.score_samples(sines))
    )
    proba = det.anomaly_probability(sines)
    assert proba.max() == 1.0 and proba.min() == pytest.approx(1 / len(sines))


# -- multichannel: a synthetic 3-lead ECG, anomaly in one lead only -----------


@pytest.fixture(scope="module")
def leads():
    X, _ = make_ecg_beats(160, n_timesteps=60, anomaly_fraction=0.0, random_state=0)
    X_test, y_test = make_ecg_beats(
        60, n_timesteps=60, anomaly_fraction=0.5, anomalous_lead=0, random_state=1
    )
    det = LSTMAutoencoderDetector(
        hidden_size=16, latent_size=8, max_epochs=30, random_state=0
    ).fit(X)
    return det, X_test, y_test == -1


def test_anomaly_in_one_lead_is_detected(leads):
    det, X, abnormal = leads
    assert det.n_channels_ == 3
    assert roc_auc_score(abnormal, -det.score_samples(X)) > 0.8
    # the other two leads are normal beats: the detector still flags the beat
    assert (det.anomaly_probability(X[abnormal]) > 0.9).mean() > 0.5


def test_per_channel_errors_name_the_abnormal_lead(leads):
    det, X, abnormal = leads
    lead_errors = -det.score_timesteps(X, per_channel=True).mean(axis=1)  # (n, 3)
    assert roc_auc_score(abnormal, lead_errors[:, 0]) > 0.9
    for lead in (1, 2):  # unchanged leads: no better than chance
        assert roc_auc_score(abnormal, lead_errors[:, lead]) < 0.75
    assert (lead_errors[abnormal].argmax(axis=1) == 0).mean() > 0.7


# -- the encoder as features in a Pipeline ----------------------------------


@pytest.mark.filterwarnings("ignore:y must label normal rows:UserWarning")
def test_codes_feed_a_classifier_in_cross_validation(leads):
    _, X, abnormal = leads
    pipe = make_pipeline(
        LSTMAutoencoderDetector(**FAST, random_state=0),
        StandardScaler(),
        LogisticRegression(),
    )
    # An API test: the tiny codes carry no signal (accuracy about 0.33 here),
    # so no accuracy bar; a fold whose fit or transform fails must raise
    # instead of becoming a NaN score.
    scores = cross_val_score(
        pipe,
        X,
        abnormal,
        cv=StratifiedKFold(2, shuffle=True, random_state=0),
        error_score="raise",
    )
    assert scores.shape == (2,) and np.all((scores >= 0) & (scores <= 1))
    pipe.fit(X, abnormal)
    assert pipe[0].transform(X).shape == (len(X), FAST["latent_size"])
