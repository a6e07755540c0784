"""code_distance=True: the reconstruction error combined with the code's
distance to the nearest training codes, relative to theirs."""

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


def _pooled_spread(*sets):
    """1.4826 times the MAD of the log values, each set centred on its median."""
    logs = [np.log(values) for values in sets]
    deviations = np.concatenate([x - np.median(x) for x in logs])
    return 1.4826 * np.median(np.abs(deviations))


def _errors(det, X):
    """The detector's own reconstruction errors: the mean over time of its
    errors per time step (the code distance scores in float64)."""
    return -det.score_timesteps(X).mean(axis=1)


def _nearest(codes, reference):
    diff = codes[:, None, :] - reference[None, :, :]
    return np.sqrt(np.square(diff).sum(axis=2))


def _relative(codes, reference, resolution, k=4):
    """Mean distance to the k nearest reference codes over their own mean
    distance to their k nearest others; a code within ``resolution`` of its
    nearest reference code is that code, left out of its neighbours."""
    k = min(k, len(reference) - 1)
    among = _nearest(reference, reference)
    np.fill_diagonal(among, np.inf)
    own = np.maximum(np.sort(among, axis=1)[:, :k], resolution).mean(axis=1)
    d = _nearest(codes, reference)
    order = np.argsort(d, axis=1)
    copy = np.take_along_axis(d, order[:, :1], axis=1) <= resolution
    chosen = np.where(copy, order[:, 1 : k + 1], order[:, :k])
    mean = np.maximum(np.take_along_axis(d, chosen, axis=1), resolution).mean(axis=1)
    return mean / own[chosen].mean(axis=1)


def _error_exponent(n_train):
    return n_train**2 / (n_train**2 + 200**2)


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
    """e ** a * (r / r_med) ** b: r the relative distance, r_med that of the
    held-out rows, a = n² / (n² + 200²), b = (1 - a) times the ratio of the
    spreads over held-out and training rows; the threshold the robust
    z-score of 3 of the combined held-out errors."""
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

    fitted_distance = coded.code_distance_
    resolution = fitted_distance.resolution_
    held_e = _errors(coded, sines[~in_training])
    held_r = _relative(codes[~in_training], reference, resolution)
    fitted_e = _errors(coded, sines[in_training])
    fitted_r = _relative(codes[in_training], reference, resolution)
    a = _error_exponent(len(reference))
    r_median = np.median(np.log(held_r))
    b = (1 - a) * _pooled_spread(held_e, fitted_e) / _pooled_spread(held_r, fitted_r)
    # fit scored the held-out rows in another batch than here: results may
    # differ in their last digits, and a spread of 10 log errors amplifies it.
    fitted_values = [
        fitted_distance.log_median_,
        fitted_distance.error_exponent_,
        fitted_distance.exponent_,
    ]
    assert fitted_values == pytest.approx([r_median, a, b], rel=1e-4)

    def combined(e, r):
        return e**a * (r / np.exp(r_median)) ** b

    np.testing.assert_allclose(
        np.sort(coded.held_out_errors_),
        np.sort(combined(held_e, held_r)),
        rtol=1e-4,
    )
    # The threshold: the rule over the combined errors of the held-out rows
    # and of the training rows, measured against the other training codes.
    assert coded.threshold_ == pytest.approx(
        expected_threshold(coded.held_out_errors_, combined(fitted_e, fitted_r)),
        rel=RESCORE_RTOL,
    )

    new = make_sines(n=20, seed=7)
    r = _relative(coded.transform(new).astype(np.float32), reference, resolution)
    expected = combined(_errors(coded, new), r)
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
    relative = _relative(reference, reference, det.code_distance_.resolution_)
    distance_median, _ = _log_median_spread(relative)
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
    assert coded.code_distance_.error_exponent_ == 1
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


def test_a_copy_of_a_reference_code_is_measured_against_the_others():
    from sklearn_lstmae._code_distance import _CodeDistance

    fitted = _CodeDistance().fit(np.array([[0.0], [1.0], [3.0]]), np.ones(3))
    # each row's mean distance to its two nearest others
    np.testing.assert_array_equal(fitted.train_distances_, [2.0, 1.5, 2.5])
    fitted.resolution_ = 1e-6
    codes = np.array([[0.0], [1.0 + 1e-9], [3.0 - 1e-9], [2.2], [10.0]])
    # [0]: (1 + 3) / 2 over (1.5 + 2.5) / 2; [1]: (1 + 2) / 2 over (2 + 2.5) / 2;
    # [3]: (2 + 3) / 2 over (1.5 + 2) / 2; 2.2: (0.8 + 1.2) / 2 over (2.5 +
    # 1.5) / 2; 10: (7 + 9) / 2 over the same.
    expected = [1.0, 1.5 / 2.25, 2.5 / 1.75, 0.5, 4.0]
    np.testing.assert_allclose(fitted.distances(codes), expected, rtol=1e-6)


def test_weights_pool_training_and_held_out_spreads():
    """b = (1 - a) times the ratio of the log spreads, each set centred on its
    median: held-out rows alone are too few to estimate a spread."""
    from sklearn_lstmae._code_distance import _CodeDistance

    train = np.array([[0.0], [1.0], [3.0], [7.0], [15.0], [31.0]])
    train_errors = np.array([1.0, 2.0, 4.0, 8.0, 16.0, 32.0])
    held_errors, held = np.array([5.0, 50.0]), np.array([[20.0], [-2.0]])
    fitted = _CodeDistance().fit(train, train_errors, held_errors, held)
    held_r = _relative(held, train, fitted.resolution_)
    train_r = _relative(train, train, fitted.resolution_)
    np.testing.assert_allclose(fitted.distances(held), held_r)
    assert fitted.log_median_ == pytest.approx(np.median(np.log(held_r)))
    a = _error_exponent(6)
    assert fitted.error_exponent_ == pytest.approx(a)
    expected = _pooled_spread(train_errors, held_errors) / _pooled_spread(
        train_r, held_r
    )
    assert fitted.exponent_ == pytest.approx((1 - a) * expected)
    # Without held-out rows: the training rows alone, each against the others.
    alone = _CodeDistance().fit(train, train_errors)
    assert alone.log_median_ == pytest.approx(np.median(np.log(train_r)))
    expected = _pooled_spread(train_errors) / _pooled_spread(train_r)
    assert alone.exponent_ == pytest.approx((1 - a) * expected)


def test_the_error_counts_more_with_more_training_rows():
    """a = n² / (n² + 200²): the code dominates a few training sequences' score,
    the error many's; the same unseen row with the lowest error and the
    farthest code ranks first with 10 training rows, last with 3,000."""
    from sklearn_lstmae._code_distance import _CodeDistance

    rng = np.random.default_rng(0)
    ranks = {}
    for n in (10, 3000):
        train = rng.normal(size=(n, 3))
        train_errors = rng.lognormal(size=n)
        fitted = _CodeDistance().fit(train, train_errors)
        assert fitted.error_exponent_ == pytest.approx(_error_exponent(n))
        new = np.vstack([rng.normal(size=(20, 3)), [[6.0, 0.0, 0.0]]])
        errors = np.r_[rng.lognormal(1.0, 0.3, size=20), 0.5]
        combined = fitted.combine(errors, fitted.distances(new))
        ranks[n] = np.argsort(np.argsort(-combined))[-1]
    assert ranks[10] == 0 and ranks[3000] > 10


def test_few_training_rows_rank_an_unseen_shape_by_its_code():
    """Five training sequences: the network rebuilds an unseen shape nearly as
    well as the training ones (its error alone ranks it normal); its code lies
    far from theirs, and the combined error ranks it abnormal."""
    from sklearn_lstmae._code_distance import _CodeDistance

    rng = np.random.default_rng(0)
    train = rng.normal(size=(5, 4))
    train_errors = np.array([0.8, 1.0, 1.1, 1.3, 1.6])
    new = np.vstack([train + 0.5 * rng.normal(size=train.shape), 8 + train[:1]])
    errors = np.array([1.6, 1.8, 2.0, 1.7, 2.1, 1.4])  # the unseen shape's: lowest
    fitted = _CodeDistance().fit(train, train_errors)
    combined = fitted.combine(errors, fitted.distances(new))
    assert np.argmax(combined) == 5
    assert roc_auc_score([0, 0, 0, 0, 0, 1], combined) == 1.0


def test_a_tight_mode_of_the_training_codes_is_judged_by_its_own_spread():
    """Training codes in two modes, one tight and one loose (as the several
    modes of one appliance class): a code just outside the tight mode is
    abnormal, one as far from its neighbours inside the loose mode is not.
    The relative distance tells them apart; the absolute one ranks the
    loose mode's code first."""
    from sklearn_lstmae._code_distance import _CodeDistance

    rng = np.random.default_rng(0)
    tight = rng.normal(0.0, 0.05, size=(30, 2))
    loose = rng.normal(0.0, 1.0, size=(30, 2)) + [20.0, 0.0]
    fitted = _CodeDistance().fit(np.vstack([tight, loose]), np.ones(60))
    outside_tight, inside_loose = [[0.4, 0.0]], [[22.0, 0.0]]
    absolute = [
        _nearest(np.array(x), np.vstack([tight, loose])).min()
        for x in (outside_tight, inside_loose)
    ]
    assert absolute[0] < absolute[1]
    relative = fitted.distances(np.vstack([outside_tight, inside_loose]))
    assert relative[0] > 3 * relative[1]


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
    r = _relative(features.astype(np.float32), fitted.train_codes_, fitted.resolution_)
    a, b = fitted.error_exponent_, fitted.exponent_
    expected = _errors(pooled, new) ** a * (r / np.exp(fitted.log_median_)) ** b
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
