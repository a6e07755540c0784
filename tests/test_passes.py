"""One encoder pass per scored row, counted.

Every run of the encoder goes through ``LSTMAutoencoder._encode_patches``;
scoring runs under ``torch.inference_mode`` (skorch's own validation loss,
part of training, does not). The counter records the rows of each scoring
run, per module, so a fit's screening net is told apart from its final net.
"""

import numpy as np
import pytest
import torch

from sklearn_lstmae import LSTMAutoencoderDetector
from sklearn_lstmae._module import LSTMAutoencoder

from .conftest import FAST, make_sines

N = 80
OPTIONS = {
    "defaults": {},
    "code_distance": {"code_distance": True},
    "pooled_states": {"code_distance": True, "code_features": "pooled_states"},
    "contamination": {"contamination": 0.1, "screen_training": False},
    "code_contamination": {"code_distance": True, "contamination": 0.1},
    "no_held_out": {"code_distance": True, "validation_fraction": 0.0},
}


@pytest.fixture
def scored_rows(monkeypatch):
    """Rows each module encoded while scoring: {module: [rows per run]}.

    Keyed by the module itself, which the dict keeps alive: an ``id`` could
    be reused by the final net's module once screening's is freed.
    """
    runs = {}
    encode = LSTMAutoencoder._encode_patches

    def counting(module, x, *args, **kwargs):
        if torch.is_inference_mode_enabled():
            runs.setdefault(module, []).append(x.shape[0])
        return encode(module, x, *args, **kwargs)

    monkeypatch.setattr(LSTMAutoencoder, "_encode_patches", counting)
    return runs


def _rows(runs, detector):
    return sum(runs.get(detector.net_.module_, []))


def _detector(options):
    return LSTMAutoencoderDetector(**FAST, **OPTIONS[options], random_state=0)


@pytest.mark.parametrize("options", list(OPTIONS))
def test_fit_scores_each_training_row_once(options, scored_rows):
    X = make_sines(n=N)
    det = _detector(options).fit(X)
    assert _rows(scored_rows, det) == N
    # screening (unless turned off) encodes every row once with its own
    # short net; nothing else encodes while scoring
    screened = OPTIONS[options].get("screen_training", "auto") is not False
    others = [sum(r) for key, r in scored_rows.items() if key is not det.net_.module_]
    assert others == ([N] if screened else [])


@pytest.mark.parametrize("options", list(OPTIONS))
def test_fit_predict_scores_each_row_once(options, scored_rows):
    X = make_sines(n=N)
    det = _detector(options)
    det.fit_predict(X)
    assert _rows(scored_rows, det) == N


@pytest.mark.parametrize("options", ["defaults", "code_distance", "pooled_states"])
@pytest.mark.parametrize(
    "method", ["score_samples", "decision_function", "predict", "transform"]
)
def test_scoring_encodes_each_row_once(options, method, scored_rows):
    det = _detector(options).fit(make_sines(n=N))
    scored_rows.clear()
    new = make_sines(n=det.scoring_batch_size_ + 10, seed=1)  # two batches
    getattr(det, method)(new)
    assert _rows(scored_rows, det) == len(new)
    n_batches = -(-len(new) // det.scoring_batch_size_)
    assert len(scored_rows[det.net_.module_]) == n_batches > 1


@pytest.mark.parametrize("method", ["reconstruct", "score_timesteps"])
def test_outputs_per_time_step_encode_each_row_once(method, scored_rows):
    det = _detector("code_distance").fit(make_sines(n=N))
    scored_rows.clear()
    rng = np.random.default_rng(0)
    ragged = [x[: rng.integers(10, 25)] for x in make_sines(n=40, seed=2)]
    getattr(det, method)(ragged)
    assert _rows(scored_rows, det) == len(ragged)


class _FakeBatches:
    """Batches of uneven sizes, as ``score_pass`` reads them."""

    def __init__(self, x, x_hat, codes, sizes):
        rows = np.arange(len(x))
        self.parts = np.split(rows, np.cumsum(sizes)[:-1]) if sizes else []
        self.x, self.x_hat, self.codes = x, x_hat, codes
        self.n_rows = len(x)

    def __iter__(self):
        for rows in self.parts:
            yield self.x[rows], (self.x_hat[rows], self.codes[rows])


@pytest.mark.parametrize("reduce", [None, lambda f: f.sum(axis=1)])
def test_score_pass_puts_each_batch_at_its_rows(reduce):
    # score_pass writes each batch into arrays of the whole pass: every row's
    # error and features must land at that row, whatever the batch sizes.
    from sklearn_lstmae._inference import score_pass

    rng = np.random.default_rng(0)
    x, x_hat = rng.normal(size=(2, 10, 6, 1))
    codes = rng.normal(size=(10, 3))
    scored = score_pass(
        _FakeBatches(x, x_hat, codes, [4, 1, 5]),
        "mse",
        features=True,
        reduce=reduce,
    )
    np.testing.assert_allclose(scored.errors, np.square(x_hat - x).mean(axis=(1, 2)))
    codes32 = codes.astype(np.float32)
    if reduce is None:
        np.testing.assert_array_equal(scored.features, codes32)
    else:
        np.testing.assert_array_equal(scored.reduced, codes32.sum(axis=1))


def test_score_pass_of_no_rows_is_empty():
    from sklearn_lstmae._inference import score_pass

    empty = np.empty((0, 6, 1))
    batches = _FakeBatches(empty, empty, np.empty((0, 3)), sizes=[])
    scored = score_pass(batches, "mse", features=True)
    assert scored.errors.shape == (0,) and scored.features is None
