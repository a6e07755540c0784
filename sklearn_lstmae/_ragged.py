"""Variable-length sequences held as one zero-padded array and their lengths."""

import numpy as np


class _Ragged:
    """Sequences of different lengths, padded with zeros after their end.

    Indexing rows (an int array, a boolean mask or a slice) returns another
    ``_Ragged`` trimmed to the longest sequence it keeps, so a chunk is never
    longer than it has to be. ``shape`` is that of the padded array.

    Parameters
    ----------
    values : ndarray of shape (n_samples, max_length, n_channels)
        The sequences, zero after each one's end.
    lengths : ndarray of shape (n_samples,), dtype int64
        The number of real time steps of each sequence (at least 1).
    univariate : bool, default=False
        Whether the sequences were given as 1-D arrays (so that outputs
        shaped like the input drop the channel axis).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lstmae._ragged import _Ragged
    >>> r = _Ragged.from_list([np.ones((2, 1)), np.ones((3, 1))])
    >>> r.shape, r.lengths.tolist(), r[[0]].shape
    ((2, 3, 1), [2, 3], (1, 2, 1))
    """

    def __init__(self, values, lengths, univariate=False):
        self.values = values
        self.lengths = lengths
        self.univariate = univariate

    @classmethod
    def from_list(cls, sequences, univariate=False):
        """Pad a list of (length_i, n_channels) float arrays."""
        lengths = np.array([len(s) for s in sequences], dtype=np.int64)
        n_channels = sequences[0].shape[1]
        values = np.zeros((len(sequences), lengths.max(), n_channels))
        values[_step_mask(lengths, lengths.max())] = np.concatenate(sequences)
        return cls(values, lengths, univariate)

    @property
    def shape(self):
        return self.values.shape

    def __len__(self):
        return self.values.shape[0]

    def __getitem__(self, rows):
        lengths = self.lengths[rows]
        longest = int(lengths.max()) if lengths.size else 0
        return _Ragged(self.values[rows, :longest], lengths, self.univariate)

    def mask(self):
        """Boolean (n_samples, max_length) array, True at real time steps."""
        return _step_mask(self.lengths, self.values.shape[1])

    def real_steps(self):
        """Every real time step, concatenated: (sum(lengths), n_channels)."""
        return self.values[self.mask()]


def _n_values(X):
    """Values in sequences ``X``: real time steps times channels, summed."""
    if isinstance(X, _Ragged):
        return int(X.lengths.sum()) * X.shape[2]
    return int(X.size)


def _step_mask(lengths, max_length):
    """True where the step index is below the sequence's length."""
    return np.arange(max_length) < np.asarray(lengths)[:, np.newaxis]


def _unpad(padded, lengths):
    """Split a (n_samples, max_length, ...) array into one array per sequence."""
    mask = _step_mask(lengths, padded.shape[1])
    return np.split(padded[mask], np.cumsum(lengths)[:-1])


def _split_inputs(inputs):
    """``(x, lengths)`` of model inputs: a dict for padded sequences, else x."""
    if isinstance(inputs, dict):
        return inputs["x"], inputs["lengths"]
    return inputs, None
