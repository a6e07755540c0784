"""The outlier contract, sklearn integration, persistence and bad input."""

import copy
import io
import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sklearn_lstmae import LSTMAutoencoderDetector
from sklearn_lstmae._threshold import _auto_threshold

from .conftest import (
    FAST,
    RESCORE_RTOL,
    expected_threshold,
    held_out_and_fitted_errors,
    make_sines,
)


@pytest.fixture(scope="module")
def outliers():
    """Sequences nothing like the training sines: noise and square waves."""
    rng = np.random.default_rng(1)
    noise = rng.normal(0, 1.0, (8, 24))
    square = np.sign(np.sin(np.linspace(0, 12 * np.pi, 24))) * np.ones((8, 1))
    return np.vstack([noise, square * 2])


def test_outlier_contract(fitted_sines, sines):
    scores = fitted_sines.score_samples(sines)
    assert scores.dtype == np.float64 and scores.shape == (len(sines),)
    assert np.all(scores <= 0)  # negated errors
    np.testing.assert_allclose(
        fitted_sines.decision_function(sines), scores - fitted_sines.offset_
    )
    pred = fitted_sines.predict(sines)
    assert set(np.unique(pred)) <= {-1, 1}
    np.testing.assert_array_equal(pred == -1, fitted_sines.decision_function(sines) < 0)
    assert fitted_sines.threshold_ == -fitted_sines.offset_
    # device="auto": CUDA where there is one
    assert fitted_sines.device_ == ("cuda" if torch.cuda.is_available() else "cpu")
    assert fitted_sines.n_timesteps_ == 24 and fitted_sines.n_channels_ == 1


def test_outliers_score_lower_than_normals(sines, outliers):
    det = LSTMAutoencoderDetector(
        hidden_size=16, latent_size=4, max_epochs=30, random_state=0
    ).fit(sines)
    normal = det.score_samples(make_sines(n=32, seed=5))
    abnormal = det.score_samples(outliers)
    assert abnormal.max() < np.median(normal)
    assert (det.predict(outliers) == -1).mean() >= 0.9
    assert (det.predict(make_sines(n=32, seed=5)) == 1).mean() >= 0.8


@pytest.mark.parametrize("contamination", [0.05, 0.1, 0.25])
def test_contamination_flags_exact_share(sines, contamination):
    det = LSTMAutoencoderDetector(
        **FAST, contamination=contamination, random_state=0
    ).fit(sines)
    n_flagged = (det.predict(sines) == -1).sum()
    assert n_flagged == int(round(contamination * len(sines)))


def test_auto_threshold_median_from_held_out_rows_spread_from_all(sines):
    det = LSTMAutoencoderDetector(**FAST, random_state=0).fit(sines)
    assert det.held_out_errors_.shape == (round(0.1 * len(sines)),)
    held, fitted = held_out_and_fitted_errors(det, sines)
    expected = expected_threshold(held, fitted)
    assert det.threshold_ == pytest.approx(expected, rel=RESCORE_RTOL)
    # The fitted rows' spread counts: the held-out rows' alone give another.
    assert det.threshold_ != pytest.approx(expected_threshold(held), rel=0.01)


def test_auto_threshold_location_comes_from_held_out_rows_only():
    """The fitted rows' errors are optimistic: scaling them all moves nothing,
    only their spread about their own median counts."""
    rng = np.random.default_rng(0)
    held, fitted = rng.lognormal(-2.0, 0.4, 30), rng.lognormal(-2.5, 0.4, 270)
    threshold = _auto_threshold(held, fitted)
    assert threshold == pytest.approx(_auto_threshold(held, fitted * 0.1))
    assert threshold == pytest.approx(expected_threshold(held, fitted))
    assert _auto_threshold(held, np.empty(0)) == _auto_threshold(held)


def test_pooled_spread_makes_a_small_split_steadier():
    """With 29 held-out rows (ECG5000's training file), the threshold varies
    much less from split to split when the fitted rows' spread joins in."""
    rng = np.random.default_rng(0)
    alone, pooled = [], []
    for _ in range(200):
        errors = rng.lognormal(-3.0, 0.6, 292)
        held, fitted = errors[:29], errors[29:] * 0.8  # fitted: optimistic
        alone.append(np.log(_auto_threshold(held)))
        pooled.append(np.log(_auto_threshold(held, fitted)))
    assert np.std(pooled) < 0.7 * np.std(alone)
    # Both estimate the same z = 3 quantile: log mean -3 + 3 * 0.6 = -1.2.
    assert abs(np.mean(pooled) + 1.2) < 0.1 and abs(np.mean(alone) + 1.2) < 0.1


def test_auto_threshold_leaves_room_for_float32_rounding():
    """Identical held-out errors: rows whose error differs by float32 noise
    (a GPU's kernels differ with the batch size) stay normal."""
    errors = np.full(10, 0.25)
    threshold = _auto_threshold(errors)
    assert threshold > 0.25 * (1 + 1e-5)  # float32 rounding is ~1e-7 relative
    assert threshold < 0.25 * (1 + 1e-3)  # and still tight


def test_auto_threshold_is_robust_to_a_wild_held_out_error():
    errors = np.random.default_rng(0).lognormal(-2.0, 0.3, 200)
    threshold = _auto_threshold(errors)
    # About 0.13 % of log-normal errors lie above it (z = 3).
    assert np.mean(errors > threshold) < 0.01
    with_wild = _auto_threshold(np.r_[errors, 1e6])
    assert with_wild == pytest.approx(threshold, rel=0.02)
    assert np.isfinite(_auto_threshold(np.zeros(5)))


def test_no_held_out_rows_uses_training_errors(sines):
    det = LSTMAutoencoderDetector(**FAST, validation_fraction=0.0, random_state=0).fit(
        sines
    )
    assert det.held_out_errors_.size == 0
    assert "early_stopping" not in dict(det.net_.callbacks_)
    assert np.isfinite(det.offset_)


def test_fit_with_y_leaves_out_rows_labelled_minus_one(sines, outliers):
    X = np.vstack([sines, outliers])
    y = np.r_[np.ones(len(sines)), -np.ones(len(outliers))]
    with_y = LSTMAutoencoderDetector(**FAST, random_state=0).fit(X, y)
    only_normal = LSTMAutoencoderDetector(**FAST, random_state=0).fit(sines)
    np.testing.assert_array_equal(with_y.score_samples(X), only_normal.score_samples(X))


def test_fit_rejects_bad_labels(sines):
    y = np.r_[np.zeros(10), -np.ones(10), np.ones(len(sines) - 20)]
    with pytest.raises(ValueError, match="y must label normal rows 1 and outliers"):
        LSTMAutoencoderDetector(**FAST).fit(sines, y)
    with pytest.warns(UserWarning, match="y is ignored"):
        LSTMAutoencoderDetector(**FAST).fit(sines, np.zeros(len(sines)))
    with pytest.raises(ValueError, match="Every row of X is labelled -1"):
        LSTMAutoencoderDetector(**FAST).fit(sines, -np.ones(len(sines)))


def test_transform_gives_codes_for_a_classifier(sines, outliers):
    X = np.vstack([sines[:40], outliers])
    y = np.r_[np.zeros(40), np.ones(len(outliers))]
    pipe = make_pipeline(
        LSTMAutoencoderDetector(**FAST, random_state=0), LogisticRegression()
    )
    with pytest.warns(UserWarning, match="y is ignored"):
        pipe.fit(X, y)  # class labels reach the detector: used for all rows
    codes = pipe[0].transform(X)
    assert codes.shape == (len(X), FAST["latent_size"]) and codes.dtype == np.float64
    assert pipe.predict(X).shape == (len(X),)
    names = pipe[0].get_feature_names_out()
    assert list(names) == [f"lstmautoencoderdetector{i}" for i in range(3)]


def test_multivariate_input():
    X = make_sines(n=64, n_channels=3)
    det = LSTMAutoencoderDetector(**FAST, random_state=0).fit(X)
    assert det.n_channels_ == 3
    assert det.score_samples(X).shape == (64,)
    with pytest.raises(ValueError, match="2 channel.*fitted on 3"):
        det.score_samples(X[:, :, :2])
    with pytest.raises(ValueError, match=r"expected shape \(n_samples, 24, 3\)"):
        det.score_samples(X[:, :, 0])


def test_dataframe_input_keeps_feature_names(sines):
    cols = [f"t{i}" for i in range(sines.shape[1])]
    df = pd.DataFrame(sines, columns=cols)
    det = LSTMAutoencoderDetector(**FAST, random_state=0).fit(df)
    assert list(det.feature_names_in_) == cols
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        from_array = det.score_samples(sines)
    np.testing.assert_array_equal(det.score_samples(df), from_array)


def test_standardize_switch(sines):
    det = LSTMAutoencoderDetector(**FAST, standardize=False, random_state=0)
    det.fit(sines * 10 + 3)
    np.testing.assert_array_equal(det.mean_, [0.0])
    np.testing.assert_array_equal(det.scale_, [1.0])
    on = LSTMAutoencoderDetector(**FAST, random_state=0).fit(sines * 10 + 3)
    assert on.mean_[0] == pytest.approx((sines * 10 + 3).mean())
    assert on.scale_[0] == pytest.approx((sines * 10 + 3).std())


def test_same_random_state_same_scores(sines):
    a = LSTMAutoencoderDetector(**FAST, random_state=7).fit(sines)
    b = LSTMAutoencoderDetector(**FAST, random_state=7).fit(sines)
    np.testing.assert_array_equal(a.score_samples(sines), b.score_samples(sines))
    c = LSTMAutoencoderDetector(**FAST, random_state=8).fit(sines)
    assert not np.array_equal(a.score_samples(sines), c.score_samples(sines))


def test_clone_refits_identically(fitted_sines, sines):
    twin = clone(fitted_sines)
    assert not hasattr(twin, "net_")
    twin.fit(sines)
    np.testing.assert_array_equal(
        twin.score_samples(sines), fitted_sines.score_samples(sines)
    )


@pytest.mark.parametrize("via", ["pickle", "joblib"])
def test_persistence_round_trip(fitted_sines, sines, via):
    buf = io.BytesIO()
    if via == "pickle":
        pickle.dump(fitted_sines, buf)
        buf.seek(0)
        loaded = pickle.load(buf)
    else:
        joblib.dump(fitted_sines, buf)
        buf.seek(0)
        loaded = joblib.load(buf)
    np.testing.assert_array_equal(
        loaded.score_samples(sines), fitted_sines.score_samples(sines)
    )
    np.testing.assert_array_equal(loaded.predict(sines), fitted_sines.predict(sines))


def test_pipeline_with_a_preprocessing_step(sines):
    pipe = make_pipeline(
        FunctionTransformer(lambda X: X[:, ::2]),
        LSTMAutoencoderDetector(**FAST, random_state=0),
    )
    pipe.fit(sines)
    assert pipe.predict(sines).shape == (len(sines),)
    assert pipe[-1].n_timesteps_ == 12


def test_grid_search_with_roc_auc_on_labelled_data(sines, outliers):
    X = np.vstack([sines, outliers, outliers + 0.1])
    y = np.r_[np.ones(len(sines)), -np.ones(2 * len(outliers))]
    search = GridSearchCV(
        LSTMAutoencoderDetector(**FAST, random_state=0),
        {"hidden_size": [4, 8]},
        scoring="roc_auc",
        cv=StratifiedKFold(2, shuffle=True, random_state=0),
    )
    search.fit(X, y)
    assert set(search.cv_results_["param_hidden_size"]) == {4, 8}
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_estimator_.predict(X).shape == (len(X),)


def test_unfitted_model_raises(sines):
    det = LSTMAutoencoderDetector()
    for method in (det.score_samples, det.decision_function, det.predict):
        with pytest.raises(NotFittedError, match="not fitted yet"):
            method(sines)
    with pytest.raises(NotFittedError):
        det.transform(sines)


@pytest.mark.skipif(
    __import__("torch").cuda.is_available(), reason="checks the no-CUDA message"
)
def test_cuda_asked_for_without_cuda(sines):
    with pytest.raises(ValueError, match="CUDA is not available"):
        LSTMAutoencoderDetector(**FAST, device="cuda").fit(sines)


@pytest.mark.skipif(
    not __import__("torch").cuda.is_available(), reason="needs a CUDA device"
)
def test_cuda_training_matches_contract(sines):
    det = LSTMAutoencoderDetector(**FAST, device="auto", random_state=0).fit(sines)
    assert det.device_ == "cuda"
    assert det.score_samples(sines).dtype == np.float64


def test_reconstruct_keeps_shape_and_units(plain_sines, sines):
    X_hat = plain_sines.reconstruct(sines)
    assert X_hat.shape == sines.shape and X_hat.dtype == np.float64
    # without the code distance, the error of score_samples is the mean
    # (x - x_hat)^2 in standardised units (the default loss="mse")
    assert plain_sines.loss == "mse"
    err = np.square((X_hat - sines) / plain_sines.scale_[0]).mean(axis=1)
    np.testing.assert_allclose(-plain_sines.score_samples(sines), err, rtol=1e-4)
    X3 = make_sines(n=16, n_channels=1)
    assert plain_sines.reconstruct(X3).shape == (16, 24, 1)


def test_set_params_without_refit_keeps_the_fitted_error(plain_sines, sines):
    """Scores use the loss the net was trained with until the next fit."""
    det = copy.deepcopy(plain_sines)
    before = det.score_samples(sines)
    det.set_params(loss="l1")
    np.testing.assert_array_equal(det.score_samples(sines), before)
    np.testing.assert_array_equal(
        det.score_timesteps(sines).mean(axis=1), det.score_samples(sines)
    )
    det.fit(sines)
    assert not np.allclose(det.score_samples(sines), before)


def test_flat_anomalies_of_a_large_amplitude_class_rank_as_anomalous():
    # The inversion case: an autoencoder stopped early on the loss of two
    # held-out rows rebuilds flat series better than its own class (AUROC 0
    # with patience=10, max_epochs=100 here); the default training budget
    # learns the class, and the flat series rank and predict as anomalies.
    rng = np.random.default_rng(0)
    t = np.linspace(0, 4 * np.pi, 32)

    def sines(n):
        phase = rng.uniform(0, 2 * np.pi, (n, 1))
        return 3 * np.sin(t + phase) + rng.normal(0, 0.1, (n, 32))

    X_train, normal, flat = sines(24), sines(16), rng.normal(0, 0.1, (16, 32))
    det = LSTMAutoencoderDetector(hidden_size=16, latent_size=4, random_state=0)
    det.fit(X_train)
    is_flat = np.r_[np.zeros(16), np.ones(16)]
    assert roc_auc_score(is_flat, -det.score_samples(np.r_[normal, flat])) >= 0.8
    assert (det.predict(flat) == -1).all()
