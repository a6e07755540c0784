"""The skorch glue: ArrayBatches against torch's DataLoader, the training
budget (epochs, patience, optimizer steps)."""

import numpy as np
import pytest
import torch
from skorch.dataset import Dataset
from torch.utils.data import DataLoader

from sklearn_lstmae import LSTMAutoencoderDetector
from sklearn_lstmae._net import ArrayBatches

from .conftest import FAST, make_sines


@pytest.mark.parametrize("n, batch_size", [(10, 4), (12, 4), (5, 8), (1, 1)])
def test_array_batches_give_dataloaders_batches(n, batch_size):
    """Same generator, same batches, epoch after epoch (shuffled or not)."""
    X = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    for shuffle in (True, False):
        ours = torch.Generator().manual_seed(7)
        theirs = torch.Generator().manual_seed(7)
        for _ in range(3):
            a = list(ArrayBatches(Dataset(X), batch_size, shuffle, ours))
            b = list(DataLoader(Dataset(X), batch_size, shuffle, generator=theirs))
            assert len(a) == len(b) == len(ArrayBatches(Dataset(X), batch_size))
            for (xa, ya), (xb, _) in zip(a, b, strict=True):
                np.testing.assert_array_equal(xa, xb.numpy())
                assert ya is None


def test_array_batches_slice_every_array_of_a_dict():
    X = {"x": np.arange(12.0).reshape(6, 2), "lengths": np.arange(6)}
    batches = list(ArrayBatches(Dataset(X), 4, True, torch.Generator().manual_seed(0)))
    rows = np.concatenate([b["lengths"] for b, _ in batches])
    assert sorted(rows) == list(range(6)) and not (rows == np.arange(6)).all()
    for b, _ in batches:
        np.testing.assert_array_equal(b["x"][:, 0], 2.0 * b["lengths"])


def test_detector_trains_as_with_dataloader():
    """ArrayBatches only changes speed: the fitted model is the same."""

    class WithDataLoader(LSTMAutoencoderDetector):
        def _build_net(self, *args, **kwargs):
            net = super()._build_net(*args, **kwargs)
            return net.set_params(iterator_train=DataLoader, iterator_valid=DataLoader)

    X = make_sines()
    ours = LSTMAutoencoderDetector(**FAST, random_state=3).fit(X)
    reference = WithDataLoader(**FAST, random_state=3).fit(X)
    assert isinstance(ours.net_.get_iterator(Dataset(X)), ArrayBatches)
    np.testing.assert_array_equal(ours.score_samples(X), reference.score_samples(X))


def test_auto_patience_needs_enough_held_out_rows():
    from sklearn_lstmae._training import _resolve_patience

    assert _resolve_patience("auto", 20) == 10
    assert _resolve_patience("auto", 19) is None  # too few to stop on
    assert _resolve_patience(3, 2) == 3  # an explicit patience always applies
    assert _resolve_patience(3, 0) is None  # no held-out rows, nothing to watch
    assert _resolve_patience(None, 100) is None


def test_auto_epochs_follow_the_step_budget():
    from sklearn_lstmae._training import _resolve_max_epochs

    big = 10**6  # values: enough for the full cap without early stopping
    assert _resolve_max_epochs("auto", 9, True, big) == 100
    assert _resolve_max_epochs("auto", 70, True, big) == 43
    assert _resolve_max_epochs("auto", 1, False, big) == 400
    assert _resolve_max_epochs("auto", 3, False, big) == 400
    assert _resolve_max_epochs("auto", 30, False, big) == 100
    assert _resolve_max_epochs("auto", 1000, False, big) == 20
    assert _resolve_max_epochs(7, 1, False, big) == 7


def test_auto_cap_without_stopping_follows_the_training_values():
    from sklearn_lstmae._training import _resolve_max_epochs

    # 400 epochs from 10,000 values, in proportion below, at least 150.
    assert _resolve_max_epochs("auto", 1, False, 10_000) == 400
    assert _resolve_max_epochs("auto", 1, False, 5_000) == 200
    assert _resolve_max_epochs("auto", 1, False, 5_001) == 201
    assert _resolve_max_epochs("auto", 1, False, 240) == 150
    # Early stopping keeps its own cap, whatever the size.
    assert _resolve_max_epochs("auto", 1, True, 240) == 100
    assert _resolve_max_epochs(7, 1, False, 240) == 7


@pytest.mark.parametrize(
    "X, expected",
    [
        (np.zeros((10, 24, 1)), 150),  # 240 values
        (np.zeros((5, 500, 2)), 200),  # 5,000 values over two channels
        ([np.zeros(1000), np.zeros(4000)], 200),  # real steps, not padding
        ([np.zeros(1000), np.zeros(9000)], 400),
    ],
)
def test_fit_counts_the_training_values(X, expected):
    det = LSTMAutoencoderDetector(
        hidden_size=4, latent_size=2, random_state=0, validation_fraction=0.0
    )
    built = []
    original = det._build_net

    def spy(*args, **kwargs):
        net = original(*args, **kwargs)
        built.append(net.max_epochs)
        net.max_epochs = 1
        return net

    det._build_net = spy
    det.fit(X)
    assert built == [expected]


@pytest.mark.parametrize("n_rows, stops", [(96, False), (240, True)])
def test_early_stopping_only_with_enough_held_out_rows(n_rows, stops):
    det = LSTMAutoencoderDetector(**FAST, random_state=0)
    det.fit(make_sines(n=n_rows))  # 10 and 24 held-out rows
    assert ("early_stopping" in dict(det.net_.callbacks_)) is stops


@pytest.mark.parametrize("n_steps", [1, 19, 20, 21])
def test_any_number_of_optimizer_steps_trains(n_steps):
    # 20 steps: a one-step warm-up, which OneCycleLR divides by zero on.
    det = LSTMAutoencoderDetector(
        **{**FAST, "max_epochs": n_steps, "batch_size": 8},
        validation_fraction=0,
        random_state=0,
    ).fit(make_sines(n=8))
    assert det.n_epochs_ == n_steps
