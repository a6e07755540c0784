"""The PyTorch LSTM encoder-decoder (no numpy, no scikit-learn in here)."""

import math

import torch
from torch import nn


class LSTMAutoencoder(nn.Module):
    """Sequence-to-sequence LSTM autoencoder.

    The encoder reads the sequence (optionally in both directions) and its
    last hidden state is projected to a fixed-length code. The decoder
    receives that code at every time step, together with a fixed sinusoidal
    encoding of the step's position (so it need not count steps to know where
    in the sequence it is), and an LSTM followed by a linear layer rebuilds
    the sequence.

    Parameters
    ----------
    n_features : int
        Number of channels of each time step.
    hidden_size : int, default=64
        Width of the encoder and decoder LSTMs.
    latent_size : int, default=32
        Length of the code produced by :meth:`encode`.
    num_layers : int, default=1
        Stacked LSTM layers in the encoder and in the decoder.
    dropout : float, default=0.0
        Dropout between stacked LSTM layers (only used when ``num_layers > 1``).
    bidirectional : bool, default=True
        Whether the encoder reads the sequence in both directions.
    n_time_features : int, default=8
        Length of the position encoding given to the decoder: sines and
        cosines of ``k * pi * t`` for ``k = 1 .. n_time_features // 2`` with
        ``t`` running from 0 to 1 over the sequence. 0 disables it.
    patch_size : int, default=1
        Consecutive time steps read (and rebuilt) together by one LSTM step:
        a sequence of ``T`` steps becomes ``ceil(T / patch_size)`` steps of
        ``patch_size * n_features`` values (the last one padded by repeating
        the final step, the padding cropped from the output). Larger patches
        shorten the recurrence, which makes training and scoring faster.

    Examples
    --------
    >>> import torch
    >>> from sklearn_lstmae._module import LSTMAutoencoder
    >>> module = LSTMAutoencoder(n_features=2, hidden_size=8, latent_size=4)
    >>> x = torch.zeros(3, 10, 2)
    >>> module(x).shape, module.encode(x).shape
    (torch.Size([3, 10, 2]), torch.Size([3, 4]))
    """

    def __init__(
        self,
        n_features,
        hidden_size=64,
        latent_size=32,
        num_layers=1,
        dropout=0.0,
        bidirectional=True,
        n_time_features=8,
        patch_size=1,
    ):
        super().__init__()
        self.patch_size = patch_size
        n_features = n_features * patch_size
        dropout = dropout if num_layers > 1 else 0.0
        directions = 2 if bidirectional else 1
        self.encoder = nn.LSTM(
            n_features,
            hidden_size,
            num_layers=num_layers,
            dropout=dropout,
            bidirectional=bidirectional,
            batch_first=True,
        )
        self.to_latent = nn.Linear(directions * hidden_size, latent_size)
        self.n_time_features = 2 * (n_time_features // 2)
        self.decoder = nn.LSTM(
            latent_size + self.n_time_features,
            hidden_size,
            num_layers=num_layers,
            dropout=dropout,
            batch_first=True,
        )
        self.output = nn.Linear(hidden_size, n_features)
        self.directions = directions

    def encode(self, x):
        """Map ``x`` of shape (batch, time, features) to codes (batch, latent)."""
        return self._encode_patches(self._to_patches(x))

    def decode(self, code, n_timesteps):
        """Rebuild a (batch, n_timesteps, features) sequence from ``code``."""
        n_patches = -(-n_timesteps // self.patch_size)
        return self._from_patches(self._decode_patches(code, n_patches), n_timesteps)

    def _encode_patches(self, x):
        _, (h_n, _) = self.encoder(x)
        last = h_n[-self.directions :]  # last layer, every direction
        return self.to_latent(torch.cat(tuple(last), dim=1))

    def _decode_patches(self, code, n_patches):
        inputs = code.unsqueeze(1).expand(-1, n_patches, -1)
        if self.n_time_features:
            position = self._position_encoding(n_patches, code)
            inputs = torch.cat([inputs, position.expand(code.shape[0], -1, -1)], dim=2)
        out, _ = self.decoder(inputs)
        return self.output(out)

    def _position_encoding(self, n_timesteps, like):
        t = torch.linspace(0, 1, n_timesteps, device=like.device, dtype=like.dtype)
        k = torch.arange(
            1, self.n_time_features // 2 + 1, device=like.device, dtype=like.dtype
        )
        angle = math.pi * t[:, None] * k[None, :]
        return torch.cat([torch.sin(angle), torch.cos(angle)], dim=1).unsqueeze(0)

    def forward(self, x):
        n_timesteps = x.shape[1]
        patches = self._to_patches(x)
        out = self._decode_patches(self._encode_patches(patches), patches.shape[1])
        return self._from_patches(out, n_timesteps)

    def _to_patches(self, x):
        """(batch, T, C) -> (batch, ceil(T / p), p * C), padding with the last step."""
        p = self.patch_size
        if p == 1:
            return x
        pad = -x.shape[1] % p
        if pad:
            x = torch.cat([x, x[:, -1:].expand(-1, pad, -1)], dim=1)
        return x.reshape(x.shape[0], x.shape[1] // p, p * x.shape[2])

    def _from_patches(self, out, n_timesteps):
        """Inverse of :meth:`_to_patches`, cropping the padding."""
        if self.patch_size == 1:
            return out
        out = out.reshape(out.shape[0], -1, out.shape[2] // self.patch_size)
        return out[:, :n_timesteps]

    def reset_parameters(self, generator=None):
        """Draw every weight from U(-1/sqrt(fan_in), 1/sqrt(fan_in)).

        This is PyTorch's own rule for LSTM layers, applied with ``generator``
        so that initialisation is reproducible without the global seed.
        """
        with torch.no_grad():
            for module in (self.encoder, self.to_latent, self.decoder, self.output):
                fan = (
                    module.hidden_size
                    if isinstance(module, nn.LSTM)
                    else module.in_features
                )
                bound = 1.0 / math.sqrt(fan)
                for param in module.parameters():
                    param.uniform_(-bound, bound, generator=generator)
