"""screen_training: abnormal training sequences found and set aside."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from sklearn_lstmae import LSTMAutoencoderDetector, SlidingWindows, _screening
from sklearn_lstmae._screening import (
    AUTO_SCREEN_FACTOR,
    MIN_AUTO_SHARE,
    MIN_SCREEN_ROWS,
    _code_outlyingness,
    _overlapping_windows,
    _screen_epochs,
    _set_aside,
)

from .conftest import FAST, make_sines

# Big enough for the codes to tell flat lines from sines, in a fraction of a
# second a fit.
SCREENED = dict(hidden_size=8, latent_size=4, max_epochs=15, random_state=0)
N_NORMAL, N_FLAT = 90, 10  # 10 % of the training set is abnormal


def contaminated(seed=0):
    """Sines with flat lines hidden among them, and a mask of the flat ones."""
    rng = np.random.default_rng(seed)
    flat = rng.normal(0, 0.05, (N_FLAT, 24))
    X = np.concatenate([make_sines(N_NORMAL, seed=seed) * 3, flat])
    order = rng.permutation(len(X))
    return X[order], (np.arange(len(X)) >= N_NORMAL)[order]


def test_set_aside_takes_the_share_with_the_largest_outlyingness():
    d2 = np.array([1.0, 9.0, 2.0, 8.0, 1.5])
    assert _set_aside(d2, 0.4).tolist() == [False, True, False, True, False]
    assert not _set_aside(d2, 0.05).any()  # rounds to no row
    assert not _set_aside(np.zeros(5), 0.4).any()  # nothing stands out


def test_auto_sets_aside_nothing_without_distances():
    assert not _set_aside(np.zeros(6), "auto").any()


def test_auto_sets_aside_those_far_beyond_the_median():
    rng = np.random.default_rng(0)
    bulk = rng.chisquare(3, 300)  # one group, as a Gaussian's distances
    assert not _set_aside(bulk, "auto").any()
    far = np.exp(rng.normal(5, 0.3, 30))  # and a group far out
    both = np.r_[bulk, far]
    aside = _set_aside(both, "auto")
    assert aside.tolist() == (both > AUTO_SCREEN_FACTOR * np.median(both)).tolist()
    assert aside[300:].all() and not aside[:300].any()
    # A far group of a third of the data is a mode of it: nothing set aside.
    mode = np.exp(rng.normal(5, 0.3, 150))
    assert not _set_aside(np.r_[bulk, mode], "auto").any()


def test_auto_sets_aside_a_few_far_rows_beyond_a_long_tail():
    # Too few to form a group of their own (a mixture of two Gaussians on the
    # log distances does not beat one here), as hidden anomalies often are.
    rng = np.random.default_rng(0)
    tail = np.exp(rng.normal(0, 1, 300))
    few = np.exp(rng.normal(4, 0.3, 8))
    aside = _set_aside(np.r_[tail, few], "auto")
    assert aside[300:].all()
    assert aside[:300].sum() <= 3  # and only the tail's very end


def test_a_far_group_below_the_minimum_share_is_the_tail():
    rng = np.random.default_rng(0)
    bulk = rng.chisquare(3, 300)
    few = np.exp(rng.normal(5, 0.3, 9))  # 3 % of the rows
    group = np.exp(rng.normal(5, 0.3, 30))  # 9 %
    assert _set_aside(np.r_[bulk, few], "auto")[300:].all()
    assert not _set_aside(np.r_[bulk, few], "auto", min_share=MIN_AUTO_SHARE).any()
    aside = _set_aside(np.r_[bulk, group], "auto", min_share=MIN_AUTO_SHARE)
    assert aside[300:].all() and not aside[:300].any()
    # A float contamination is the share to set aside, whatever min_share.
    assert _set_aside(np.r_[bulk, few], 0.03, min_share=MIN_AUTO_SHARE).sum() == 9


def test_outlyingness_of_a_distant_group_and_of_constant_codes():
    rng = np.random.default_rng(0)
    codes = np.concatenate([rng.normal(0, 1, (60, 5)), rng.normal(8, 1, (6, 5))])
    d2 = _code_outlyingness(codes, seed=0)
    assert set(np.argsort(-d2)[:6]) == set(range(60, 66))
    assert not _code_outlyingness(np.ones((30, 5)), seed=0).any()


def test_screening_epochs_are_a_short_fit_within_max_epochs():
    assert _screen_epochs(320, 32, "auto") == 30  # 10 batches, 300 steps
    assert _screen_epochs(32_000, 32, "auto") == 1
    assert _screen_epochs(320, 32, 5) == 5


@pytest.fixture(scope="module")
def screened():
    """Detectors screened on ``contaminated()``, by contamination; read them
    only."""
    X, _ = contaminated()
    return {
        contamination: LSTMAutoencoderDetector(
            **SCREENED, screen_training=True, contamination=contamination
        ).fit(X)
        for contamination in ("auto", 0.1)
    }


@pytest.mark.parametrize("contamination", ["auto", 0.1])
def test_the_hidden_anomalies_are_the_rows_set_aside(screened, contamination):
    X, is_flat = contaminated()
    det = screened[contamination]
    assert det.training_outliers_.tolist() == np.flatnonzero(is_flat).tolist()
    assert det.training_outlier_share_ == pytest.approx(N_FLAT / len(X))


def test_screened_contaminated_fit_ranks_new_data_as_a_clean_fit_does():
    X, is_flat = contaminated()
    X_new, is_new_flat = contaminated(seed=1)
    # A large learning rate: the plain fit learns the flat lines (that is,
    # within 100 epochs at the default rate).
    params = {**SCREENED, "max_epochs": 30, "lr": 3e-2}
    clean = LSTMAutoencoderDetector(**params).fit(X[~is_flat])
    plain = LSTMAutoencoderDetector(**params, screen_training=False).fit(X)
    screened = LSTMAutoencoderDetector(**params).fit(X)  # screened by default

    def auroc(det):
        return roc_auc_score(is_new_flat, -det.score_samples(X_new))

    # The flat lines, seen in training, are rebuilt better than the sines.
    assert auroc(plain) < 0.5
    assert auroc(screened) == pytest.approx(auroc(clean), abs=0.01)
    assert auroc(clean) > 0.99
    # The threshold is set without them: the new flat lines are all flagged.
    assert (screened.predict(X_new[is_new_flat]) == -1).all()


def test_clean_training_data_loses_nothing():
    X = make_sines(100) * 3
    det = LSTMAutoencoderDetector(**SCREENED, screen_training=True).fit(X)
    assert det.training_outliers_.size == 0
    plain = LSTMAutoencoderDetector(**SCREENED, screen_training=False).fit(X)
    np.testing.assert_array_equal(det.score_samples(X), plain.score_samples(X))


def test_rows_are_numbered_in_the_order_of_X_with_labels():
    X, is_flat = contaminated()
    y = np.ones(len(X), dtype=int)
    y[:5] = -1  # left out before screening; the numbers still count them
    det = LSTMAutoencoderDetector(**SCREENED, screen_training=True).fit(X, y)
    expected = np.flatnonzero(is_flat & (np.arange(len(X)) >= 5))
    assert det.training_outliers_.tolist() == expected.tolist()
    assert det.training_outlier_share_ == pytest.approx(expected.size / (len(X) - 5))


def test_auto_screens_a_far_group_and_leaves_clean_data_alone():
    X, is_flat = contaminated()
    default = LSTMAutoencoderDetector(**SCREENED).fit(X)
    assert default.training_outliers_.tolist() == np.flatnonzero(is_flat).tolist()
    told = LSTMAutoencoderDetector(**SCREENED, contamination=0.1).fit(X)
    assert told.training_outliers_.tolist() == np.flatnonzero(is_flat).tolist()
    off = LSTMAutoencoderDetector(**SCREENED, contamination=0.1, screen_training=False)
    assert off.fit(X).training_outliers_.size == 0
    # A few flat lines (below the minimum share) are left in by default only.
    few = np.r_[X[~is_flat], X[is_flat][:3]]
    assert LSTMAutoencoderDetector(**SCREENED).fit(few).training_outliers_.size == 0
    alone = LSTMAutoencoderDetector(**SCREENED, screen_training=True).fit(few)
    assert alone.training_outliers_.tolist() == [90, 91, 92]
    clean = X[~is_flat]
    default = LSTMAutoencoderDetector(**SCREENED).fit(clean)
    assert default.training_outlier_share_ == 0.0
    plain = LSTMAutoencoderDetector(**SCREENED, screen_training=False).fit(clean)
    np.testing.assert_array_equal(default.score_samples(X), plain.score_samples(X))


def test_nothing_is_screened_below_the_minimum_rows():
    X, _ = contaminated()
    few = LSTMAutoencoderDetector(**FAST, screen_training=True, random_state=0)
    few.fit(X[: MIN_SCREEN_ROWS - 1])
    assert few.training_outliers_.size == 0


def test_screening_survives_the_params_file(screened, tmp_path):
    X, _ = contaminated()
    det = screened["auto"]
    det.save_params(tmp_path / "p.pt")
    loaded = LSTMAutoencoderDetector(**SCREENED, screen_training=True)
    loaded.load_params(tmp_path / "p.pt")
    np.testing.assert_array_equal(loaded.training_outliers_, det.training_outliers_)
    assert loaded.training_outlier_share_ == det.training_outlier_share_
    np.testing.assert_array_equal(loaded.score_samples(X), det.score_samples(X))


def test_screening_works_on_sequences_of_different_lengths():
    X, is_flat = contaminated()
    ragged = [row[: 20 + i % 5] for i, row in enumerate(X)]
    det = LSTMAutoencoderDetector(**SCREENED, screen_training=True).fit(ragged)
    assert set(det.training_outliers_) <= set(np.flatnonzero(is_flat))
    assert det.training_outliers_.size >= N_FLAT - 1


def _windows(n_steps=400, window=24, step=2, seed=0):
    """Overlapping windows of one noisy sine recording, in order, 3-D."""
    rng = np.random.default_rng(seed)
    series = np.sin(np.arange(n_steps) / 4) + rng.normal(0, 0.05, n_steps)
    return SlidingWindows(window, step=step).fit_transform(series)[:, :, None]


def test_overlapping_windows_in_order_are_recognised():
    windows = _windows()
    assert _overlapping_windows(windows)
    assert _overlapping_windows(_windows(step=1)[:2])
    rng = np.random.default_rng(0)
    assert not _overlapping_windows(windows[rng.permutation(len(windows))])
    assert not _overlapping_windows(np.r_[windows[:40], _windows(seed=1)[:40]])
    assert not _overlapping_windows(_windows(step=24))  # no overlap
    assert not _overlapping_windows(make_sines(60)[:, :, None])


def test_the_default_does_not_screen_overlapping_windows(monkeypatch):
    calls = []
    outlyingness = _screening._code_outlyingness

    def counting(codes, seed):
        calls.append(len(codes))
        return outlyingness(codes, seed)

    monkeypatch.setattr(_screening, "_code_outlyingness", counting)
    windows = _windows()[:, :, 0]
    assert len(windows) >= MIN_SCREEN_ROWS
    default = LSTMAutoencoderDetector(**SCREENED).fit(windows)
    assert calls == [] and default.training_outlier_share_ == 0.0
    LSTMAutoencoderDetector(**SCREENED, screen_training=True).fit(windows)
    assert calls == [len(windows)]
