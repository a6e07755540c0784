"""The torch module alone: shapes, patches and the position encoding."""

import numpy as np
import pytest
import torch

from sklearn_lstmae import LSTMAutoencoderDetector
from sklearn_lstmae._module import LSTMAutoencoder

from .conftest import FAST, make_sines


@pytest.mark.parametrize("patch_size", [1, 2, 3, 4, 10, 11])
@pytest.mark.parametrize("n_features", [1, 3])
def test_patches_keep_every_time_step(patch_size, n_features):
    module = LSTMAutoencoder(n_features, 8, 4, patch_size=patch_size)
    x = torch.randn(5, 10, n_features)
    out, _ = module(x)
    assert out.shape == x.shape
    torch.testing.assert_close(out, module.decode(module.encode(x), 10))


def test_patch_round_trip_is_exact():
    module = LSTMAutoencoder(2, 8, 4, patch_size=3)
    x = torch.randn(4, 10, 2)
    patches = module._to_patches(x)
    assert patches.shape == (4, 4, 6)
    torch.testing.assert_close(module._from_patches(patches, 10), x)
    # the padding repeats the last step
    torch.testing.assert_close(patches[:, -1, 2:4], x[:, -1])


def test_position_encoding_changes_the_decoder_input():
    with_pos = LSTMAutoencoder(1, 8, 4, n_time_features=8)
    without = LSTMAutoencoder(1, 8, 4, n_time_features=0)
    assert with_pos.decoder.input_size == 4 + 8
    assert without.decoder.input_size == 4
    enc = with_pos._position_encoding(7, torch.zeros(1))
    assert enc.shape == (1, 7, 8)
    assert not torch.allclose(enc[0, 0], enc[0, -1])


def test_detector_with_patches_scores_every_sequence():
    X = make_sines(n=48, n_timesteps=25)
    det = LSTMAutoencoderDetector(**FAST, patch_size=4, random_state=0).fit(X)
    assert det.net_.module_.encoder.input_size == 4
    assert det.score_samples(X).shape == (48,)
    assert det.reconstruct(X).shape == X.shape


def test_ragged_fit_with_patches_and_params_file(tmp_path):
    """Padding a short sequence in a batch must not change its score."""
    rng = np.random.default_rng(0)
    X = [
        np.sin(np.linspace(0, 6, n)) + rng.normal(0, 0.05, n) for n in (19, 21, 22)
    ] * 8
    det = LSTMAutoencoderDetector(**FAST, patch_size=4, random_state=0).fit(X)
    assert det.n_timesteps_ is None
    batch = det.score_samples(X[:3])
    alone = np.array([det.score_samples([x])[0] for x in X[:3]])
    np.testing.assert_allclose(batch, alone, rtol=1e-5)
    det.save_params(tmp_path / "p.pt")
    other = LSTMAutoencoderDetector(**FAST, patch_size=4).load_params(tmp_path / "p.pt")
    np.testing.assert_array_equal(other.score_samples(X[:3]), batch)
    assert other.n_timesteps_ is None


def test_auto_patch_keeps_the_recurrence_short():
    from sklearn_lstmae._training import _resolve_patch_size

    sizes = [_resolve_patch_size("auto", n) for n in (1, 24, 140, 141, 427, 1460)]
    assert sizes == [2, 2, 2, 3, 7, 21]
    assert _resolve_patch_size(5, 1460) == 5


def test_auto_patch_of_a_ragged_fit_survives_the_params_file(tmp_path):
    rng = np.random.default_rng(0)
    X = [np.sin(np.linspace(0, 6, n)) + rng.normal(0, 0.05, n) for n in (150, 290)]
    det = LSTMAutoencoderDetector(**FAST, random_state=0).fit(X * 8)
    assert det.patch_size_ == 5 and det.net_.module_.encoder.input_size == 5
    det.save_params(tmp_path / "p.pt")
    other = LSTMAutoencoderDetector(**FAST).load_params(tmp_path / "p.pt")
    assert other.patch_size_ == 5
    np.testing.assert_array_equal(other.score_samples(X), det.score_samples(X))
