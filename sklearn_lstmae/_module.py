"""The PyTorch LSTM encoder-decoder (no numpy, no scikit-learn in here)."""

import math

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence


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

    Notes
    -----
    Every method takes an optional ``lengths`` tensor of shape (batch,) for
    zero-padded sequences of different lengths. The encoder then reads a
    packed sequence (:func:`torch.nn.utils.rnn.pack_padded_sequence`), so
    padding never reaches the code, and the position ``t`` of each sequence
    runs from 0 to 1 over its own real steps. The decoder is causal: its
    outputs at real steps do not depend on the padding after them; outputs
    at padded steps are meaningless and must be ignored by the caller.
    Without ``lengths`` nothing is packed.

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
    ):
        super().__init__()
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

    def encode(self, x, lengths=None):
        """Map ``x`` of shape (batch, time, features) to codes (batch, latent)."""
        if lengths is not None:
            x = pack_padded_sequence(
                x, lengths.cpu(), batch_first=True, enforce_sorted=False
            )
        _, (h_n, _) = self.encoder(x)  # packed: h_n is back in the batch's order
        last = h_n[-self.directions :]  # last layer, every direction
        return self.to_latent(torch.cat(tuple(last), dim=1))

    def decode(self, code, n_timesteps, lengths=None):
        """Rebuild a (batch, n_timesteps, features) sequence from ``code``."""
        inputs = code.unsqueeze(1).expand(-1, n_timesteps, -1)
        if self.n_time_features:
            position = self._position_encoding(n_timesteps, code, lengths)
            inputs = torch.cat([inputs, position.expand(code.shape[0], -1, -1)], dim=2)
        out, _ = self.decoder(inputs)
        return self.output(out)

    def _position_encoding(self, n_timesteps, like, lengths=None):
        if lengths is None:  # (1, time, 1): the same positions for every row
            t = torch.linspace(0, 1, n_timesteps, device=like.device, dtype=like.dtype)
            t = t[None, :, None]
        else:  # (batch, time, 1): each row's own 0..1 over its real steps
            steps = torch.arange(n_timesteps, device=like.device, dtype=like.dtype)
            last = (lengths.to(like.device, like.dtype) - 1).clamp(min=1)
            t = (steps[None, :] / last[:, None])[:, :, None]
        k = torch.arange(
            1, self.n_time_features // 2 + 1, device=like.device, dtype=like.dtype
        )
        angle = math.pi * t * k
        return torch.cat([torch.sin(angle), torch.cos(angle)], dim=2)

    def forward(self, x, lengths=None):
        return self.decode(self.encode(x, lengths), x.shape[1], lengths)

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
