"""code_distance=True: the reconstruction error combined with the code's
distance to the nearest training code."""

import io
import pickle

import joblib
import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from sklearn_lstmae import LSTMAutoencoderDetector

from .conftest import FAST, RESCORE_RTOL, expected_threshold, make_sines


def _log_median_spread(values):
    logs = np.log(values)
    median = np.median(logs)
    return median, 1.4826 * np.median(np.abs(logs - median))


def _errors(det, X):
    """The detector's own reconstruction errors: the mean over time of its
    errors per time step (the code distance scores in float64)."""
    return -det.score_timesteps(X).mean(axis=1)


def _nearest(codes, reference):
    diff = codes[:, None, :] - reference[None, :, :]
    return np.sqrt(np.square(diff).sum(axis=2))


@pytest.fixture(scope="module")
def sines():
    return make_sines(n=96)


@pytest.fixture(scope="module")
def pair(plain_sines, sines):
    """The same training with and without the distance between codes (the
    first is the session's ``plain_sines``: read it only)."""
    coded = LSTMAutoencoderDetector(
        **FAST, code_distance=True, code_features="code", random_state=0
    )
    return plain_sines, coded.fit(sines)


def test_pooled_states_distance_by_default(pair):
    default = LSTMAutoencoderDetector()
    assert default.code_distance is True
    assert default.code_features == "pooled_states"
    plain, _ = pair
    assert plain.code_distance_ is None


def test_combined_error_follows_its_definition(pair, sines):
    """e * (d / d_med) ** w, with d_med and w from the held-out rows, and the
    threshold the robust z-score of 3 of the combined held-out errors."""
    plain, coded = pair
    weights = zip(
        plain.net_.module_.parameters(), coded.net_.module_.parameters(), strict=True
    )
    for a, b in weights:  # training is the same; the coded module scores in float64
        torch.testing.assert_close(a, b.float(), rtol=0, atol=0)
    codes = coded.transform(sines).astype(np.float32)
    reference = coded.code_distance_.train_codes_
    assert reference.dtype == np.float32 and reference.shape[1] == FAST["latent_size"]
    in_training = _nearest(codes, reference).min(axis=1) < 1e-5
    assert (
        in_training.sum() == len(reference) == len(sines) - len(coded.held_out_errors_)
    )

    held_e = _errors(coded, sines[~in_training])
    held_d = _nearest(codes[~in_training], reference).min(axis=1)
    _, error_spread = _log_median_spread(held_e)
    distance_median, distance_spread = _log_median_spread(held_d)
    w = error_spread / distance_spread
    # fit scored the held-out rows in another batch than here: results may
    # differ in their last digits, and a spread of 10 log errors amplifies it.
    fitted_distance = coded.code_distance_
    assert [fitted_distance.log_median_, fitted_distance.exponent_] == pytest.approx(
        [distance_median, w], rel=1e-4
    )
    np.testing.assert_allclose(
        np.sort(coded.held_out_errors_),
        np.sort(held_e * (held_d / np.exp(distance_median)) ** w),
        rtol=1e-4,
    )
    # The threshold: the rule over the combined errors of the held-out rows
    # and of the training rows, whose distance is to the nearest other code.
    fitted_e = _errors(coded, sines[in_training])
    fitted_d = np.sort(_nearest(codes[in_training], reference), axis=1)[:, 1]
    fitted_d = np.maximum(fitted_d, fitted_distance.resolution_)
    fitted = fitted_e * (fitted_d / np.exp(distance_median)) ** w
    assert coded.threshold_ == pytest.approx(
        expected_threshold(coded.held_out_errors_, fitted),
        rel=RESCORE_RTOL,
    )

    new = make_sines(n=20, seed=7)
    e = _errors(coded, new)
    d = _nearest(coded.transform(new).astype(np.float32), reference).min(axis=1)
    expected = e * (d / np.exp(distance_median)) ** w
    np.testing.assert_allclose(-coded.score_samples(new), expected, rtol=1e-4)
    np.testing.assert_allclose(
        coded.decision_function(new), coded.score_samples(new) - coded.offset_
    )
    # score_timesteps and reconstruct stay those of the reconstruction (in
    # float64 with the code distance: the same up to float32 rounding); the
    # module reads the standardised input rounded to float32.
    x = coded.standardizer_.transform(new, np.float64)
    rebuilt = np.square(x - (coded.reconstruct(new) - coded.mean_) / coded.scale_)
    np.testing.assert_allclose(-coded.score_timesteps(new), rebuilt, rtol=1e-9)
    np.testing.assert_allclose(
        coded.score_timesteps(new), plain.score_timesteps(new), rtol=1e-3, atol=1e-6
    )


def test_anomaly_probability_uses_the_combined_errors(pair):
    _, coded = pair
    new = make_sines(n=20, seed=7)
    errors = -coded.score_samples(new)
    expected = np.searchsorted(coded.calibration_errors_, errors, side="right")
    np.testing.assert_allclose(
        coded.anomaly_probability(new), expected / coded.calibration_errors_.size
    )


@pytest.mark.parametrize("validation_fraction", [0.1, 0.0])
@pytest.mark.parametrize("contamination", [0.05, 0.1, 0.25])
def test_training_rows_are_measured_leave_one_out(
    sines, contamination, validation_fraction
):
    """A training row's own code is in the reference: fit_predict, and predict
    on the same rows, measure its distance to the nearest other code, so the
    share flagged is exact (also without held-out rows, where the
    calibration's distances are reused) and the two agree."""
    det = LSTMAutoencoderDetector(
        **FAST,
        code_distance=True,
        contamination=contamination,
        validation_fraction=validation_fraction,
        random_state=0,
    )
    labels = det.fit_predict(sines)
    assert (labels == -1).sum() == int(round(contamination * len(sines)))
    np.testing.assert_array_equal(det.predict(sines), labels)


@pytest.mark.parametrize("contamination", ["auto", 0.1])
def test_fit_predict_is_fit_then_predict_without_code_distance(sines, contamination):
    det = LSTMAutoencoderDetector(
        **FAST, code_distance=False, contamination=contamination, random_state=0
    )
    labels = det.fit_predict(sines)
    np.testing.assert_array_equal(labels, det.predict(sines))


def test_no_held_out_rows_calibrates_leave_one_out(sines):
    det = LSTMAutoencoderDetector(
        **FAST, code_distance=True, validation_fraction=0.0, random_state=0
    ).fit(sines)
    assert det.held_out_errors_.size == 0
    reference = det.code_distance_.train_codes_
    assert len(reference) == len(sines)
    distances = _nearest(reference, reference)
    np.fill_diagonal(distances, np.inf)
    distance_median, _ = _log_median_spread(distances.min(axis=1))
    assert det.code_distance_.log_median_ == pytest.approx(distance_median, rel=1e-6)
    assert np.isfinite(det.code_distance_.exponent_)
    assert det.code_distance_.exponent_ > 0
    assert np.isfinite(det.offset_)


def test_one_training_sequence_drops_the_code_term(sines):
    coded = LSTMAutoencoderDetector(**FAST, code_distance=True, random_state=0)
    plain = LSTMAutoencoderDetector(**FAST, code_distance=False, random_state=0)
    coded.fit(sines[:1])
    plain.fit(sines[:1])
    assert coded.code_distance_.exponent_ == 0
    scores = coded.score_samples(sines[:10])
    np.testing.assert_allclose(-scores, _errors(coded, sines[:10]), rtol=1e-12)
    # the same weights as without the code distance, scored in float64
    np.testing.assert_allclose(scores, plain.score_samples(sines[:10]), rtol=1e-3)


def test_constant_training_data_gives_finite_ordered_scores():
    """All codes equal: distances of zero count as float32 resolution, so a
    copy of a training row scores finite and above a different row."""
    det = LSTMAutoencoderDetector(**FAST, code_distance=True, random_state=0)
    det.fit(np.ones((30, 24)))
    copies = det.score_samples(np.ones((2, 24)))
    others = det.score_samples(make_sines(n=3))
    assert np.isfinite(copies).all() and np.isfinite(others).all()
    assert others.max() < copies.min()
    assert (det.predict(make_sines(n=3)) == -1).all()


@pytest.mark.parametrize("via", ["pickle", "joblib", "save_params"])
def test_persistence_keeps_the_code_reference(pair, sines, via):
    _, coded = pair
    if via == "pickle":
        twin = pickle.loads(pickle.dumps(coded))
    elif via == "joblib":
        buf = io.BytesIO()
        joblib.dump(coded, buf)
        buf.seek(0)
        twin = joblib.load(buf)
    else:
        buf = io.BytesIO()
        coded.save_params(buf)
        buf.seek(0)
        twin = LSTMAutoencoderDetector(**FAST, code_features="code").load_params(buf)
        assert twin.code_distance_.train_codes_.dtype == np.float32
    np.testing.assert_array_equal(twin.score_samples(sines), coded.score_samples(sines))
    assert twin.offset_ == coded.offset_


def test_params_file_refuses_another_code_distance(pair):
    _, coded = pair
    buf = io.BytesIO()
    coded.save_params(buf)
    buf.seek(0)
    with pytest.raises(ValueError, match="code_distance=True in the file but False"):
        LSTMAutoencoderDetector(**FAST, code_distance=False).load_params(buf)


def test_set_params_after_fit_keeps_the_fitted_scoring(pair, sines):
    _, coded = pair
    det = pickle.loads(pickle.dumps(coded))
    before = det.score_samples(sines)
    det.set_params(code_distance=False)
    np.testing.assert_array_equal(det.score_samples(sines), before)
    det.fit(sines)
    assert det.code_distance_ is None


def test_sequences_of_different_lengths(sines):
    rng = np.random.default_rng(0)
    X = [row[: rng.integers(12, 25)] for row in sines]
    det = LSTMAutoencoderDetector(**FAST, code_distance=True, random_state=0).fit(X)
    scores = det.score_samples(X[:8])
    assert np.isfinite(scores).all()
    alone = np.array([det.score_samples([x])[0] for x in X[:8]])
    np.testing.assert_allclose(alone, scores, rtol=1e-4)


def test_a_row_scores_the_same_alone_and_in_a_batch(pair, sines):
    """The code distance scores in float64, so a code does not move with the
    batch it is computed in."""
    _, coded = pair
    alone = np.array([coded.score_samples(sines[i : i + 1])[0] for i in range(40)])
    np.testing.assert_allclose(alone, coded.score_samples(sines[:40]), rtol=1e-4)


def test_resolution_is_relative_to_the_training_codes_norm(pair):
    from sklearn_lstmae._code_distance import CODE_RESOLUTION

    fitted = pair[1].code_distance_
    codes = fitted.train_codes_.astype(np.float64)
    rms = np.sqrt(np.square(codes).sum(axis=1).mean())
    assert fitted.resolution_ == pytest.approx(CODE_RESOLUTION * rms, rel=1e-12)


def test_parameter_is_validated(sines):
    with pytest.raises(ValueError, match="code_distance"):
        LSTMAutoencoderDetector(**FAST, code_distance="yes").fit(sines)


def test_a_copy_of_a_reference_code_gets_that_codes_own_distance():
    from sklearn_lstmae._code_distance import _CodeDistance

    fitted = _CodeDistance().fit(np.array([[0.0], [1.0], [3.0]]), np.ones(3))
    # each row's distance to its nearest other
    np.testing.assert_array_equal(fitted.train_distances_, [1.0, 1.0, 2.0])
    fitted.resolution_ = 1e-6
    codes = np.array([[0.0], [1.0 + 1e-9], [3.0 - 1e-9], [2.2], [10.0]])
    distances = fitted.distances(codes)
    np.testing.assert_allclose(distances, [1.0, 1.0, 2.0, 0.8, 7.0])


def test_pooled_states_ignore_padding():
    from sklearn_lstmae._module import LSTMAutoencoder

    module = LSTMAutoencoder(2, 5, 3, patch_size=2).eval()
    module.reset_parameters(torch.Generator().manual_seed(0))
    x = torch.randn(3, 9, 2, generator=torch.Generator().manual_seed(1))
    lengths = torch.tensor([9, 4, 7])
    padded = x.clone()
    for i, length in enumerate(lengths):
        padded[i, length:] = 99.0
    with torch.no_grad():
        states = module.pooled_states(padded, lengths)
        assert states.shape == (3, 4 * 5)
        for i, length in enumerate(lengths):
            alone = module.pooled_states(x[i : i + 1, :length])[0]
            torch.testing.assert_close(states[i], alone)


@pytest.fixture(scope="module")
def pooled(sines):
    params = dict(**FAST, code_distance=True, code_features="pooled_states")
    return LSTMAutoencoderDetector(**params, random_state=0).fit(sines)


def test_pooled_states_are_standardised_and_measured(pair, pooled, sines):
    plain, _ = pair
    n_train = len(sines) - len(pooled.held_out_errors_)
    fitted = pooled.code_distance_
    assert fitted.train_codes_.shape == (n_train, 4 * FAST["hidden_size"])
    np.testing.assert_allclose(fitted.train_codes_.mean(axis=0), 0, atol=1e-5)
    # The pooled states of new rows, standardised, against the training ones.
    new = make_sines(n=20, seed=7)
    x = pooled.standardizer_.transform(new[:, :, np.newaxis], np.float64)
    with torch.no_grad():
        x = torch.from_numpy(x).to(pooled.device_)
        states = pooled.net_.module_.pooled_states(x).cpu().numpy()
    states = states.astype(np.float32).astype(np.float64)
    features = (states - fitted.center_) / fitted.scale_
    d = _nearest(features.astype(np.float32), fitted.train_codes_).min(axis=1)
    log_d_med, w = fitted.log_median_, fitted.exponent_
    expected = _errors(pooled, new) * (d / np.exp(log_d_med)) ** w
    np.testing.assert_allclose(-pooled.score_samples(new), expected, rtol=1e-4)


def test_pooled_states_survive_persistence(pooled, sines, tmp_path):
    scores = pooled.score_samples(sines)
    np.testing.assert_array_equal(
        pickle.loads(pickle.dumps(pooled)).score_samples(sines), scores
    )
    pooled.save_params(tmp_path / "p.pt")
    params = dict(**FAST, code_distance=True, code_features="pooled_states")
    twin = LSTMAutoencoderDetector(**params).load_params(tmp_path / "p.pt")
    np.testing.assert_array_equal(twin.score_samples(sines), scores)
    with pytest.raises(ValueError, match="code_features"):
        LSTMAutoencoderDetector(**FAST, code_features="code").load_params(
            tmp_path / "p.pt"
        )


def _bumps(rng, n, width, height, n_timesteps=48):
    """One bump per series, at a random position, on a noisy flat line."""
    t = np.arange(n_timesteps)
    centre = rng.uniform(6, n_timesteps - 6, (n, 1))
    bump = height * np.exp(-0.5 * ((t - centre) / width) ** 2)
    return bump + rng.normal(0, 0.05, (n, n_timesteps))


def test_where_a_normal_pattern_lies_does_not_make_it_abnormal():
    # The default compares pooled states, which do not depend on where in a
    # sequence a pattern lies; the code (the encoder's last state) does, and
    # lets a normal bump at a new position look as far from the training
    # data as a wider, lower one.
    rng = np.random.default_rng(0)
    X_train = _bumps(rng, 48, width=2.0, height=1.0)
    normal = _bumps(rng, 24, width=2.0, height=1.0)
    wide = _bumps(rng, 24, width=3.0, height=0.8)
    det = LSTMAutoencoderDetector(hidden_size=16, latent_size=4, random_state=0)
    det.fit(X_train)
    is_wide = np.r_[np.zeros(24), np.ones(24)]
    assert roc_auc_score(is_wide, -det.score_samples(np.r_[normal, wide])) >= 0.95


def test_scoring_keeps_distances_not_the_features_of_every_row(pooled, sines):
    # Scoring reduces each batch's features to distances as it goes, so its
    # memory does not grow with the features of every row; the scores are
    # those of the features kept whole.
    X = np.tile(sines, (3, 1))  # several scoring batches
    det = pooled
    assert len(X) > det.scoring_batch_size_
    scored = det._forward(det._check(X))
    assert scored.features is None and scored.reduced.shape == (len(X),)
    whole = det._forward(det._check(X), features=True)
    fitted = det.code_distance_
    expected = fitted.combine(whole.errors, fitted.distances(whole.features))
    np.testing.assert_array_equal(-det.score_samples(X), expected)
