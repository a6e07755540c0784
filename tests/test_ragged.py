"""Variable-length sequences: padding, packing and masks must not show."""

import numpy as np
import pytest
import torch

from sklearn_lstmae import LSTMAutoencoderDetector
from sklearn_lstmae._module import LSTMAutoencoder
from sklearn_lstmae._net import AutoencoderNet
from sklearn_lstmae.datasets import make_ecg_beats

from .conftest import FAST, make_sines


@pytest.fixture(scope="module")
def sequences():
    X = make_sines(n=48, n_timesteps=30)
    lengths = np.random.default_rng(0).integers(10, 31, 48)
    lengths[:4] = 30  # a few full-length ones
    return [x[:length] for x, length in zip(X, lengths, strict=True)]


@pytest.fixture(scope="module")
def fitted(sequences):
    return LSTMAutoencoderDetector(**FAST, random_state=0).fit(sequences)


# -- the torch module and the loss -------------------------------------------


@pytest.mark.parametrize("bidirectional", [True, False])
def test_module_ignores_padding(bidirectional):
    module = LSTMAutoencoder(
        2, hidden_size=5, latent_size=3, bidirectional=bidirectional
    ).eval()
    module.reset_parameters(torch.Generator().manual_seed(0))
    x = torch.randn(4, 9, 2, generator=torch.Generator().manual_seed(1))
    lengths = torch.tensor([9, 4, 7, 1])
    padded = x.clone()
    for i, length in enumerate(lengths):
        padded[i, length:] = 99.0  # garbage after each end
    with torch.no_grad():
        codes = module.encode(padded, lengths)
        out, _ = module(padded, lengths)
        for i, length in enumerate(lengths):
            alone = x[i : i + 1, :length]
            torch.testing.assert_close(codes[i], module.encode(alone)[0])
            torch.testing.assert_close(out[i, :length], module(alone)[0][0])


def test_loss_is_the_mean_over_real_values_only():
    net = AutoencoderNet(
        LSTMAutoencoder,
        module__n_features=2,
        criterion=torch.nn.L1Loss,
        train_split=None,
    ).initialize()
    x = torch.randn(3, 6, 2, generator=torch.Generator().manual_seed(0))
    y_pred = torch.randn(3, 6, 2, generator=torch.Generator().manual_seed(1))
    lengths = torch.tensor([6, 2, 4])
    code = torch.zeros(3, 4)  # the module returns (reconstruction, code)
    loss = net.get_loss((y_pred, code), None, X={"x": x, "lengths": lengths})
    real = torch.arange(6)[None, :] < lengths[:, None]
    expected = (y_pred - x).abs()[real].mean()
    torch.testing.assert_close(loss, expected)
    garbage = torch.where(real[:, :, None], y_pred, 1e3)
    torch.testing.assert_close(
        net.get_loss((garbage, code), None, X={"x": x, "lengths": lengths}),
        expected,
    )


# -- the estimator -------------------------------------------------------------


def test_fit_on_sequences_of_different_lengths(fitted, sequences):
    assert fitted.n_timesteps_ is None and fitted.n_channels_ == 1
    assert not hasattr(fitted, "n_features_in_")
    scores = fitted.score_samples(sequences)
    assert scores.shape == (len(sequences),) and np.isfinite(scores).all()
    steps = np.concatenate(sequences)
    assert fitted.mean_[0] == pytest.approx(steps.mean())
    assert fitted.scale_[0] == pytest.approx(steps.std())


def test_score_alone_equals_score_in_a_ragged_batch(fitted, sequences):
    in_batch = fitted.score_samples(sequences)
    alone = np.array([fitted.score_samples([x])[0] for x in sequences[::6]])
    np.testing.assert_allclose(alone, in_batch[::6], rtol=1e-5, atol=1e-7)
    reordered = fitted.score_samples(sequences[::-1])[::-1]
    np.testing.assert_allclose(reordered, in_batch, rtol=1e-5, atol=1e-7)


def test_full_length_sequences_score_as_the_equivalent_array(fitted, sequences):
    full = np.stack(sequences[:4])  # the fixed-length path, no packing
    np.testing.assert_allclose(
        fitted.score_samples(sequences)[:4],
        fitted.score_samples(full),
        rtol=1e-5,
        atol=1e-7,
    )


def test_list_of_equal_length_arrays_is_the_array(sines, fitted_sines):
    det = LSTMAutoencoderDetector(**FAST, random_state=0)
    as_list = list(sines)
    from_list = det.fit(as_list).score_samples(as_list)
    assert det.n_timesteps_ == 24 and det.n_features_in_ == 24
    # fitted_sines: the same detector fitted on the array
    np.testing.assert_array_equal(from_list, fitted_sines.score_samples(sines))


def test_outputs_on_sequences_of_different_lengths(fitted, sequences):
    lengths = [len(x) for x in sequences]
    steps = fitted.score_timesteps(sequences)
    assert [len(s) for s in steps] == lengths
    # without the code distance, the score is the mean over real steps
    plain = LSTMAutoencoderDetector(**FAST, code_distance=False, random_state=0)
    plain_steps = plain.fit(sequences).score_timesteps(sequences)
    np.testing.assert_allclose(
        [s.mean() for s in plain_steps], plain.score_samples(sequences), rtol=1e-12
    )
    X_hat = fitted.reconstruct(sequences)
    assert [x.shape for x in X_hat] == [x.shape for x in sequences]
    codes = fitted.transform(sequences)
    assert codes.shape == (len(sequences), FAST["latent_size"])
    alone = fitted.transform([sequences[5]])
    # float32 rounding: cuDNN picks kernels by batch size (measured 2e-5)
    rtol = 1e-4 if fitted.device_ == "cuda" else 1e-5
    np.testing.assert_allclose(alone[0], codes[5], rtol=rtol, atol=1e-6)
    proba = fitted.anomaly_probability(sequences)
    assert np.all((proba >= 0) & (proba <= 1))
    assert set(np.unique(fitted.predict(sequences))) <= {-1, 1}


def test_multichannel_sequences_of_different_lengths():
    X, y = make_ecg_beats(
        40, n_timesteps=30, variable_length=True, anomaly_fraction=0.2, random_state=0
    )
    assert len({len(x) for x in X}) > 1 and X[0].shape[1] == 3
    det = LSTMAutoencoderDetector(**FAST, random_state=0).fit(X, y)
    assert det.n_channels_ == 3
    assert det.score_samples(X).shape == (40,)
    steps = det.score_timesteps(X, per_channel=True)
    assert [s.shape for s in steps] == [x.shape for x in X]
    with pytest.raises(ValueError, match="2 channel.*fitted on 3"):
        det.score_samples([x[:, :2] for x in X])


def test_ragged_model_scores_arrays_of_any_length(fitted):
    assert fitted.score_samples(make_sines(n=3, n_timesteps=50)).shape == (3,)
    assert fitted.score_samples(make_sines(n=3, n_timesteps=5)).shape == (3,)


def test_fixed_length_model_scores_lists_of_any_length(sines, fitted_sines):
    # The PLAID case: every training sequence of one class happened to have
    # the same length, the sequences to score do not.
    X = [sines[0], sines[1][:20], sines[2][:7]]
    scores = fitted_sines.score_samples(X)
    alone = [fitted_sines.score_samples(x[np.newaxis])[0] for x in X[:1]]
    alone += [fitted_sines.score_samples([x])[0] for x in X[1:]]
    np.testing.assert_allclose(scores, alone, rtol=1e-5)
    assert [s.shape for s in fitted_sines.score_timesteps(X)] == [(24,), (20,), (7,)]
    assert [r.shape for r in fitted_sines.reconstruct(X)] == [(24,), (20,), (7,)]
    # A list of sequences that share another length than the training one.
    other = [x[:10] for x in sines[:3]]
    assert fitted_sines.predict(other).shape == (3,)
    # An array keeps the training length (scikit-learn's n_features_in_).
    with pytest.raises(ValueError, match="fitted on sequences of 24 time steps"):
        fitted_sines.score_samples(np.asarray(other))


def test_fit_on_a_list_of_one_length_scores_lists_of_any_length(sines):
    det = LSTMAutoencoderDetector(**FAST, random_state=0).fit(list(sines[:32]))
    as_array = LSTMAutoencoderDetector(**FAST, random_state=0).fit(sines[:32])
    np.testing.assert_array_equal(
        det.score_samples(sines[32:]), as_array.score_samples(sines[32:])
    )
    assert det.score_samples([sines[40], sines[41][:5]]).shape == (2,)


@pytest.mark.parametrize(
    "X, match",
    [
        ([np.zeros(5), np.zeros((6, 2))], "all alike"),
        ([np.zeros((5, 1)), np.zeros((6, 2))], "same number of channels"),
        ([np.zeros(5), np.zeros(0)], "0 sample"),
        ([np.zeros(5), np.full(6, np.nan)], "NaN"),
        ([np.zeros((5, 1, 1)), np.zeros((6, 1, 1))], "dim 3"),
    ],
)
def test_bad_ragged_input(X, match):
    with pytest.raises(ValueError, match=match):
        LSTMAutoencoderDetector(**FAST).fit(X)
