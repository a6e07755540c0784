"""Progress output: the epoch bar (verbose=1), skorch's table (verbose=2),
the scoring bar for several batches, silence at verbose=0; bars closed and
not kept, scores the same at every verbosity."""

import io
import pickle
import re
import types
import warnings

import numpy as np
import pytest

from sklearn_lstmae import LSTMAutoencoderDetector
from sklearn_lstmae._progress import EpochProgressBar

from .conftest import make_sines

TINY = dict(hidden_size=4, latent_size=2, batch_size=16, random_state=0)


@pytest.fixture(scope="module")
def X():
    return make_sines(n=60, n_timesteps=20)


def _last_bar(err):
    """The last state tqdm drew: what stays on screen."""
    return err.rstrip("\n").split("\r")[-1]


def _progress_callback(detector):
    return dict(detector.net_.callbacks_)["progress"]


def test_epoch_bar_shows_epochs_and_losses(X, capsys):
    det = LSTMAutoencoderDetector(max_epochs=3, verbose=1, **TINY)
    det.set_params(screen_training=False).fit(X)
    out, err = capsys.readouterr()
    assert out == ""
    assert err.endswith("\n")  # closed, left on screen
    assert re.fullmatch(
        r"training: 100%\|.*\| 3/3 \[.*epoch/s, train_loss=\S+, valid_loss=\S+\]",
        _last_bar(err),
    )
    assert "screening" not in err


def test_epoch_bar_closes_when_early_stopping_ends_training(X, capsys):
    # A vanishing learning rate: the held-out loss stops improving at once.
    params = dict(max_epochs=50, patience=2, lr=1e-9, validation_fraction=0.3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        det = LSTMAutoencoderDetector(verbose=1, **params, **TINY).fit(X)
    assert not [w for w in caught if "interrupted" in str(w.message)]
    stopper = dict(det.net_.callbacks_)["early_stopping"]
    assert stopper.misses_ == stopper.patience
    assert det.n_epochs_ < 50
    _, err = capsys.readouterr()
    assert err.endswith("\n")
    assert re.match(rf"training: +\d+%\|.*\| {det.n_epochs_}/50 \[", _last_bar(err))
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert not hasattr(_progress_callback(det), "pbar_")
    restored = pickle.loads(pickle.dumps(det))
    np.testing.assert_array_equal(restored.score_samples(X), det.score_samples(X))


def test_screening_fit_has_its_own_bar(X, capsys):
    LSTMAutoencoderDetector(max_epochs=2, contamination=0.1, verbose=1, **TINY).fit(X)
    _, err = capsys.readouterr()
    screening, training = err.split("\n")[:2]
    assert re.fullmatch(
        r"screening: 100%\|.*\| 2/2 \[.*train_loss=\S+\]", _last_bar(screening)
    )
    assert _last_bar(training).startswith("training: 100%")


def test_verbose_0_prints_nothing(X, capfd):
    # Screening, early stopping and a scoring pass of several batches.
    det = LSTMAutoencoderDetector(
        max_epochs=3, contamination=0.1, patience=1, verbose=0, **TINY
    ).fit(X)
    det.score_samples(np.tile(X, (2 * det.scoring_batch_size_ // len(X) + 1, 1)))
    assert capfd.readouterr() == ("", "")


@pytest.mark.parametrize("verbose", [1, 2])
def test_skorch_table_only_from_verbose_2(X, capsys, verbose):
    det = LSTMAutoencoderDetector(max_epochs=3, verbose=verbose, **TINY)
    det.set_params(screen_training=False).fit(X)  # the training net's table only
    out, err = capsys.readouterr()
    assert "training: 100%" in err
    if verbose == 1:
        assert out == ""
    else:
        lines = out.splitlines()
        assert lines[0].split() == ["epoch", "train_loss", "valid_loss", "dur"]
        assert [line.split()[0] for line in lines[2:]] == ["1", "2", "3"]


@pytest.fixture(scope="module")
def talkative(X):
    return LSTMAutoencoderDetector(max_epochs=2, verbose=1, **TINY).fit(X)


def test_scoring_bar_only_for_several_batches(talkative, X, capsys):
    capsys.readouterr()
    talkative.score_samples(X[:5])
    assert capsys.readouterr() == ("", "")
    n = 2 * talkative.scoring_batch_size_ + 1  # three batches
    talkative.score_samples(make_sines(n=n, n_timesteps=20, seed=1))
    out, err = capsys.readouterr()
    assert out == ""
    assert re.match(r"scoring: +0%\|.*\| 0/3 \[", err.lstrip("\r"))
    assert _last_bar(err).strip() == ""  # cleared once done (leave=False)


def test_no_bar_kept_after_fit(talkative, X):
    assert not hasattr(_progress_callback(talkative), "pbar_")
    restored = pickle.loads(pickle.dumps(talkative))
    np.testing.assert_array_equal(restored.score_samples(X), talkative.score_samples(X))
    buffer = io.BytesIO()
    talkative.save_params(buffer)
    buffer.seek(0)
    twin = LSTMAutoencoderDetector(max_epochs=2, verbose=1, **TINY).load_params(buffer)
    np.testing.assert_array_equal(twin.score_samples(X), talkative.score_samples(X))


def test_open_bar_is_not_pickled(capsys):
    callback = EpochProgressBar("training")
    callback.on_train_begin(types.SimpleNamespace(max_epochs=5))
    restored = pickle.loads(pickle.dumps(callback))
    assert not hasattr(restored, "pbar_") and restored.desc == "training"
    callback.on_train_end(None)
    assert not hasattr(callback, "pbar_")
    assert capsys.readouterr().err.endswith("0/5 [00:00<?, ?epoch/s]\n")


def test_scores_do_not_depend_on_verbose(X):
    params = dict(max_epochs=4, contamination=0.1, patience=2, **TINY)
    quiet = LSTMAutoencoderDetector(verbose=0, **params).fit(X)
    loud = LSTMAutoencoderDetector(verbose=1, **params).fit(X)
    np.testing.assert_array_equal(loud.training_outliers_, quiet.training_outliers_)
    assert loud.offset_ == quiet.offset_
    np.testing.assert_array_equal(loud.score_samples(X), quiet.score_samples(X))
