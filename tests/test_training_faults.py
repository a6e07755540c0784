"""Training faults: reproducibility, interrupted or failed training and
numerical health."""

import signal
import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError

from sklearn_lstmae import LSTMAutoencoderDetector
from sklearn_lstmae import _scorer as scorer_module
from sklearn_lstmae._net import AutoencoderNet, FiniteLossGuard

from .conftest import (
    FAST,
    RESCORE_RTOL,
    assert_same_outputs,
    expected_threshold,
    fresh_copy,
    held_out_and_fitted_errors,
    make_sines,
)

N, T = 40, 12  # the shape of the module's fitted detector


@pytest.fixture(scope="module")
def X():
    return make_sines(n=N, n_timesteps=T)


@pytest.fixture(scope="module")
def fitted(X):
    # On the CPU also where CUDA is present: the seeded refits compare with
    # it bit for bit on its device.
    return LSTMAutoencoderDetector(**FAST, device="cpu", random_state=0).fit(X)


# --------------------------------------------------------------------------
# Reproducibility
# --------------------------------------------------------------------------


def test_same_random_state_is_bit_identical_in_process(fitted, X):
    again = LSTMAutoencoderDetector(**FAST, device=fitted.device, random_state=0)
    assert_same_outputs(fitted, again.fit(X), X)
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
    # No screening fit: the batches counted are the training net's.
    det = LSTMAutoencoderDetector(**FAST, screen_training=False, random_state=0)
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
    det = fresh_copy(fitted)
    net, offset = det.net_, det.offset_

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(scorer_module, "_auto_threshold", interrupted)
    with pytest.raises(KeyboardInterrupt):
        det.fit(make_sines(n=30, n_timesteps=T + 4, seed=3))
    monkeypatch.undo()
    assert det.net_ is net and det.offset_ == offset
    assert det.n_features_in_ == det.n_timesteps_ == T
    assert_same_outputs(fitted, det, X)


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
