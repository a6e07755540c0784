import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

# One torch thread for the whole test session: the models are tiny, and on a
# busy machine with few cores a thread pool per process costs more than it
# gives (tests that start processes set their own).
torch.set_num_threads(1)

# Tiny settings: unit tests train for a fraction of a second.
FAST = dict(hidden_size=6, latent_size=3, max_epochs=3, batch_size=16)
# Errors computed again in another batch than fit's agree to float32 noise
# on the CPU; on CUDA, cuDNN chooses its kernels by batch size, so rows
# scored in batches of other sizes round differently (larger models can move
# by 1e-3 under TF32, README "Numerical health").
RESCORE_RTOL = 1e-5 if torch.cuda.is_available() else 1e-6


def ecg5000_dir():
    """The shared ECG5000 copy: $SKLEARN_LSTMAE_DATA, else ../shared/data/ECG5000."""
    env = os.environ.get("SKLEARN_LSTMAE_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "shared" / "data" / "ECG5000"


def ucr_dir():
    """The shared UCR/UEA copies: $SKLEARN_LSTMAE_UCR_DATA, else
    ../shared/data/UCR."""
    env = os.environ.get("SKLEARN_LSTMAE_UCR_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "shared" / "data" / "UCR"


# Tests that read the shared ECG5000 copy skip, saying where they looked,
# when it is missing (they never download it).
_ECG5000_FILES = ("ECG5000_TRAIN.txt", "ECG5000_TEST.txt")
needs_ecg5000 = pytest.mark.skipif(
    not all((ecg5000_dir() / name).is_file() for name in _ECG5000_FILES),
    reason=(
        f"the shared ECG5000 copy ({', '.join(_ECG5000_FILES)}) is not in "
        f"{ecg5000_dir()}: set SKLEARN_LSTMAE_DATA to its directory"
    ),
)


def make_sines(n=96, n_timesteps=24, n_channels=None, seed=0):
    """Noisy phase-shifted sine waves: 2-D, or 3-D when n_channels is given."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 2 * np.pi, n_timesteps)
    phase = rng.uniform(0, 0.5, (n, 1))
    X = np.sin(t + phase) + rng.normal(0, 0.05, (n, n_timesteps))
    if n_channels is None:
        return X
    return np.stack([X * (c + 1) for c in range(n_channels)], axis=2)


def expected_threshold(held_errors, fitted_errors=()):
    """The documented ``contamination="auto"`` rule, written out: the median
    log error of the held-out rows plus 3 robust standard deviations (1.4826
    MAD) of the log errors of both sets, each centred on its own median."""
    log_held = np.log(held_errors)
    deviations = log_held - np.median(log_held)
    if len(fitted_errors):
        log_fitted = np.log(fitted_errors)
        deviations = np.r_[deviations, log_fitted - np.median(log_fitted)]
    spread = 1.4826 * np.median(np.abs(deviations))
    return np.exp(np.median(log_held) + 3 * spread)


def held_out_and_fitted_errors(detector, X):
    """The errors of the rows of ``X`` (the fit's data, no ``code_distance``)
    split into held-out ones and the others: the held-out rows are those
    nearest to the entries of ``held_out_errors_`` (computed by fit in
    another batch: equal up to ``RESCORE_RTOL``)."""
    errors = -detector.score_samples(X)
    held = detector.held_out_errors_
    gaps = np.abs(errors[:, None] - held[None, :])
    rows = gaps.argmin(axis=0)
    assert np.unique(rows).size == held.size
    np.testing.assert_allclose(errors[rows], held, rtol=RESCORE_RTOL)
    is_held = np.isin(np.arange(errors.size), rows)
    return errors[is_held], errors[~is_held]


def fit_with_callback(X, callback, **params):
    """``LSTMAutoencoderDetector(**params).fit(X)`` with ``callback`` added to
    its skorch net's callbacks (to watch training from a test)."""
    from sklearn_lstmae import LSTMAutoencoderDetector

    class WithCallback(LSTMAutoencoderDetector):
        def _build_net(self, *args, **kwargs):
            net = super()._build_net(*args, **kwargs)
            net.callbacks = [*net.callbacks, ("test_callback", callback)]
            return net

    return WithCallback(**params).fit(X)


@pytest.fixture(scope="session")
def sines():
    """``make_sines()``, shared by the whole session: never change it."""
    return make_sines()


@pytest.fixture(scope="session")
def fitted_sines():
    """The tiny detector fitted on ``make_sines()`` (the ``sines`` fixture;
    random_state=0), shared by the whole session; read it only: tests that
    change it take a ``copy.deepcopy``."""
    from sklearn_lstmae import LSTMAutoencoderDetector

    return LSTMAutoencoderDetector(**FAST, random_state=0).fit(make_sines())


@pytest.fixture(scope="session")
def plain_sines():
    """As ``fitted_sines`` with ``code_distance=False``: its score is the
    reconstruction error alone. Read it only."""
    from sklearn_lstmae import LSTMAutoencoderDetector

    params = dict(FAST, code_distance=False, random_state=0)
    return LSTMAutoencoderDetector(**params).fit(make_sines())


def fresh_copy(detector):
    """An independent copy of a fitted detector (a shared fixture stays
    untouched)."""
    return pickle.loads(pickle.dumps(detector))


def assert_same_outputs(a, b, X):
    """Two detectors give bit-identical outputs of every method on ``X``."""
    methods = ("score_samples", "decision_function", "predict", "transform")
    for name in (*methods, "reconstruct"):
        np.testing.assert_array_equal(
            getattr(a, name)(X), getattr(b, name)(X), err_msg=name
        )
    assert a.offset_ == b.offset_
