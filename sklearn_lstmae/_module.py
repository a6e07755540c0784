"""The PyTorch LSTM encoder-decoder (no numpy, no scikit-learn in here)."""

import math

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


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
    pool_states : bool, default=False
        Whether :meth:`forward` also returns the pooled states (see
        :meth:`pooled_states`), from the same run of the encoder.

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
    >>> reconstruction, code = module(x)
    >>> reconstruction.shape, code.shape
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
        pool_states=False,
    ):
        super().__init__()
        self.patch_size = patch_size
        self.pool_states = pool_states
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

    def encode(self, x, lengths=None):
        """Map ``x`` of shape (batch, time, features) to codes (batch, latent)."""
        patches = self._to_patches(x, lengths)
        return self._encode_patches(patches, self._patch_lengths(lengths))[0]

    def pooled_states(self, x, lengths=None):
        """Mean and maximum over time of the encoder's outputs: (batch, 4 * hidden).

        For a bidirectional encoder, ``2 * hidden`` values per time step.
        Unlike the code (the last state), the pooled states do not depend on
        where in the sequence a pattern occurs. With ``lengths`` only each
        sequence's real patches are pooled.
        """
        patches = self._to_patches(x, lengths)
        return self._encode_patches(patches, self._patch_lengths(lengths), True)[1]

    def decode(self, code, n_timesteps, lengths=None):
        """Rebuild a (batch, n_timesteps, features) sequence from ``code``."""
        n_patches = -(-n_timesteps // self.patch_size)
        out = self._decode_patches(code, n_patches, self._patch_lengths(lengths))
        return self._from_patches(out, n_timesteps)

    def _encode_patches(self, x, lengths=None, pool=False):
        """``(code, pooled states or None)`` from one run of the encoder."""
        packed = x
        if lengths is not None:
            packed = pack_padded_sequence(
                x, lengths.cpu(), batch_first=True, enforce_sorted=False
            )
        out, (h_n, _) = self.encoder(packed)  # packed: h_n in the batch's order
        last = h_n[-self.directions :]  # last layer, every direction
        code = self.to_latent(torch.cat(tuple(last), dim=1))
        if not pool:
            return code, None
        if lengths is None:
            return code, torch.cat([out.mean(dim=1), out.amax(dim=1)], dim=1)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        steps = torch.arange(out.shape[1], device=out.device)
        real = (steps[None, :] < lengths.to(out.device)[:, None]).unsqueeze(2)
        mean = (out * real).sum(dim=1) / real.sum(dim=1)
        peak = out.masked_fill(~real, float("-inf")).amax(dim=1)
        return code, torch.cat([mean, peak], dim=1)

    def _decode_patches(self, code, n_patches, lengths=None):
        inputs = code.unsqueeze(1).expand(-1, n_patches, -1)
        if self.n_time_features:
            position = self._position_encoding(n_patches, code, lengths)
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
        """``(reconstruction, code)``, plus the pooled states with ``pool_states``.

        One run of the encoder gives the code (and the pooled states); the
        decoder rebuilds the (batch, time, features) input from the code.
        """
        patches = self._to_patches(x, lengths)
        patch_lengths = self._patch_lengths(lengths)
        code, pooled = self._encode_patches(patches, patch_lengths, self.pool_states)
        out = self._decode_patches(code, patches.shape[1], patch_lengths)
        reconstruction = self._from_patches(out, x.shape[1])
        if pooled is None:
            return reconstruction, code
        return reconstruction, code, pooled

    def _to_patches(self, x, lengths=None):
        """(batch, T, C) -> (batch, ceil(T / p), p * C), padding with the last step.

        With ``lengths``, each row's steps after its end are first replaced by
        its own last real step, so the partial patch at a sequence's end holds
        the same values whether the sequence is padded in a batch or not.
        """
        p = self.patch_size
        if p == 1:
            return x
        if lengths is not None:
            steps = torch.arange(x.shape[1], device=x.device)
            last = (lengths.to(x.device) - 1).clamp(min=0)
            index = torch.minimum(steps[None, :], last[:, None])
            x = x.gather(1, index[:, :, None].expand(-1, -1, x.shape[2]))
        pad = -x.shape[1] % p
        if pad:
            x = torch.cat([x, x[:, -1:].expand(-1, pad, -1)], dim=1)
        return x.reshape(x.shape[0], x.shape[1] // p, p * x.shape[2])

    def _patch_lengths(self, lengths):
        """Number of patches of each sequence: ``ceil(length / patch_size)``."""
        if lengths is None or self.patch_size == 1:
            return lengths
        return -(-lengths // self.patch_size)

    def _from_patches(self, out, n_timesteps):
        """Inverse of :meth:`_to_patches`, cropping the padding."""
        if self.patch_size == 1:
            return out
        out = out.reshape(out.shape[0], -1, out.shape[2] // self.patch_size)
        return out[:, :n_timesteps]

    def flatten_parameters(self):
        """Pack each LSTM's weights into one contiguous block again.

        cuDNN wants an LSTM's weights in one block, which ``.to(device)``
        arranges; weights restored by unpickling onto a GPU are separate
        tensors, and cuDNN would then copy them at every call (PyTorch's
        "RNN module weights are not part of single contiguous chunk of
        memory" warning). A no-op on the CPU.
        """
        for module in (self.encoder, self.decoder):
            module.flatten_parameters()

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


class LSTMAutoencoderEnsemble(nn.Module):
    """Independent :class:`LSTMAutoencoder` members read as one autoencoder.

    Every member reads the same input. In training mode the reconstruction
    is each member's, stacked on a leading axis (members, batch, time,
    features), so that the net fits each member to the input on its own; in
    evaluation mode it is their mean. The code (and the pooled states) are
    the members', side by side. Averaging members drawn from different
    initial weights steadies what one net fitted on few sequences gives.

    Parameters
    ----------
    n_members : int, default=2
        Number of autoencoders.
    **kwargs
        Passed to every :class:`LSTMAutoencoder`.

    Examples
    --------
    >>> import torch
    >>> from sklearn_lstmae._module import LSTMAutoencoderEnsemble
    >>> module = LSTMAutoencoderEnsemble(3, n_features=2, hidden_size=8, latent_size=4)
    >>> reconstruction, code = module.eval()(torch.zeros(5, 10, 2))
    >>> reconstruction.shape, code.shape
    (torch.Size([5, 10, 2]), torch.Size([5, 12]))
    """

    def __init__(self, n_members=2, **kwargs):
        super().__init__()
        self.members = nn.ModuleList(
            LSTMAutoencoder(**kwargs) for _ in range(n_members)
        )

    def forward(self, x, lengths=None):
        """``(reconstruction, code)``, plus the pooled states when pooled."""
        outputs = [member(x, lengths) for member in self.members]
        reconstruction = torch.stack([out[0] for out in outputs])
        if not self.training:
            reconstruction = reconstruction.mean(dim=0)
        rest = (
            torch.cat(parts, dim=1)
            for parts in zip(*(o[1:] for o in outputs), strict=True)
        )
        return (reconstruction, *rest)

    def flatten_parameters(self):
        """Each member's :meth:`LSTMAutoencoder.flatten_parameters`."""
        for member in self.members:
            member.flatten_parameters()

    def reset_parameters(self, generator=None):
        """Each member's weights, drawn in turn from ``generator``."""
        for member in self.members:
            member.reset_parameters(generator)
