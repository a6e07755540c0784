"""Autoencoders trained side by side (``n_members``): the module, its loss
and the detector's outputs with several members."""

import io

import numpy as np
import pytest
import torch

from sklearn_lstmae import LSTMAutoencoderDetector
from sklearn_lstmae._module import LSTMAutoencoder, LSTMAutoencoderEnsemble
from sklearn_lstmae._net import AutoencoderNet

from .conftest import FAST, assert_same_outputs, make_sines

SIZES = dict(n_features=2, hidden_size=4, latent_size=3)


def _ensemble(n_members=3, **kwargs):
    module = LSTMAutoencoderEnsemble(n_members, **SIZES, **kwargs)
    module.reset_parameters(torch.Generator().manual_seed(0))
    return module


def test_members_start_from_different_weights():
    first, second = _ensemble(2).members
    assert not torch.equal(first.encoder.weight_ih_l0, second.encoder.weight_ih_l0)


@pytest.mark.parametrize("lengths", [None, torch.tensor([7, 4, 2, 7, 5])])
def test_training_gives_each_members_output_evaluation_their_mean(lengths):
    module = _ensemble(3, pool_states=True)
    x = torch.randn(5, 7, 2)
    alone = [member.eval()(x, lengths) for member in module.members]
    stacked, code, pooled = module.train()(x, lengths)
    assert stacked.shape == (3, 5, 7, 2)
    for member, out in zip(stacked, alone, strict=True):
        torch.testing.assert_close(member, out[0])
    mean, code, pooled = module.eval()(x, lengths)
    torch.testing.assert_close(mean, torch.stack([o[0] for o in alone]).mean(0))
    torch.testing.assert_close(code, torch.cat([o[1] for o in alone], dim=1))
    torch.testing.assert_close(pooled, torch.cat([o[2] for o in alone], dim=1))
    assert code.shape == (5, 3 * SIZES["latent_size"])


def _net(n_members):
    module = LSTMAutoencoderEnsemble if n_members > 1 else LSTMAutoencoder
    members = {"module__n_members": n_members} if n_members > 1 else {}
    net = AutoencoderNet(
        module,
        **members,
        **{f"module__{k}": v for k, v in SIZES.items()},
        criterion=torch.nn.MSELoss,
        train_split=None,
        random_state=0,
    )
    return net.initialize()


@pytest.mark.parametrize("padded", [False, True])
def test_the_loss_is_the_mean_of_the_members_losses(padded):
    """So each member's gradient is that of its own loss (over the members)."""
    net = _net(3)
    x = np.random.default_rng(0).normal(size=(4, 6, 2)).astype(np.float32)
    X = {"x": x, "lengths": np.array([6, 3, 5, 1])} if padded else x
    members = torch.randn(3, 4, 6, 2)
    loss = net.get_loss((members, None), None, X=X)
    each = [net.get_loss((member, None), None, X=X) for member in members]
    torch.testing.assert_close(loss, torch.stack(each).mean())
    single = _net(1)
    torch.testing.assert_close(
        single.get_loss((members[0], None), None, X=X), each[0], rtol=0, atol=0
    )


@pytest.fixture(scope="module")
def X():
    return make_sines(n=40, n_timesteps=12)


@pytest.fixture(scope="module")
def fitted(X):
    params = {**FAST, "n_members": 3}
    return LSTMAutoencoderDetector(**params, random_state=0).fit(X)


def test_three_members_score_as_one_detector(fitted, X):
    assert isinstance(fitted.net_.module_, LSTMAutoencoderEnsemble)
    n_codes = 3 * FAST["latent_size"]
    assert fitted.transform(X).shape == (len(X), n_codes)
    assert len(fitted.get_feature_names_out()) == n_codes
    assert fitted.code_distance_.train_codes_.shape[1] == 3 * 4 * FAST["hidden_size"]
    assert np.isfinite(fitted.score_samples(X)).all()
    assert fitted.score_timesteps(X).shape == X.shape
    assert fitted.reconstruct(X).shape == X.shape


def test_one_member_is_the_plain_autoencoder(X):
    detector = LSTMAutoencoderDetector(**FAST, random_state=0).fit(X)
    assert type(detector.net_.module_) is LSTMAutoencoder


def test_members_survive_the_params_file(fitted, X):
    buffer = io.BytesIO()
    fitted.save_params(buffer)
    params = {**FAST, "n_members": 3}
    buffer.seek(0)
    twin = LSTMAutoencoderDetector(**params, random_state=0).load_params(buffer)
    assert isinstance(twin.net_.module_, LSTMAutoencoderEnsemble)
    assert_same_outputs(fitted, twin, X)
    buffer.seek(0)
    with pytest.raises(ValueError, match="n_members=3 in the file but 1 here"):
        LSTMAutoencoderDetector(**{**params, "n_members": 1}).load_params(buffer)


def test_screening_fits_a_single_member(monkeypatch):
    built = []
    original = LSTMAutoencoderDetector._build_net

    def spy(self, *args, desc="training", **params):
        net = original(self, *args, desc=desc, **params)
        built.append((desc, net.module))
        return net

    monkeypatch.setattr(LSTMAutoencoderDetector, "_build_net", spy)
    X = make_sines(n=60, n_timesteps=12)
    params = {**FAST, "n_members": 2, "screen_training": True}
    LSTMAutoencoderDetector(**params, random_state=0).fit(X)
    assert built == [
        ("screening", LSTMAutoencoder),
        ("training", LSTMAutoencoderEnsemble),
    ]
