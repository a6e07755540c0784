"""Scoring passes: the trained module's outputs over validated sequences.

One forward pass per row gives everything a score needs: the module returns
the reconstruction and the code (and the pooled states when it was built to
pool them) from one run of its encoder. Batches go through skorch's
``forward_iter``, and rows are standardised as they are read, so memory stays
flat in the number of rows.
"""

import numpy as np
import torch

from ._progress import scoring_progress
from ._ragged import _split_inputs, _unpad
from ._scoring import _sample_errors, _timestep_errors, _value_errors

# Rows per forward pass when scoring: small batches stay in the CPU's caches,
# large ones keep a GPU busy.
CPU_SCORING_ROWS, GPU_SCORING_ROWS = 128, 1024


def scoring_batch_size(device, batch_size):
    """Rows per forward pass on ``device``, at least the training ``batch_size``."""
    on_gpu = torch.device(device).type == "cuda"
    return max(batch_size, GPU_SCORING_ROWS if on_gpu else CPU_SCORING_ROWS)


class _ModelInput:
    """Validated sequences as the module reads them, standardised per batch.

    skorch's iterator reads ``X[rows]`` for each batch; the net's
    ``get_iterator`` takes ``rows_per_batch`` from here for scoring passes.
    The last slice read is kept, so that reading it again (to pair a batch
    with its outputs) does not standardise it twice.
    """

    def __init__(self, X, standardizer, rows_per_batch, dtype):
        self.X = X
        self.standardizer = standardizer
        self.rows_per_batch = rows_per_batch
        self.dtype = dtype
        self._last = (None, None)

    def __len__(self):
        return self.X.shape[0]

    def __getitem__(self, rows):
        if isinstance(rows, slice) and rows == self._last[0]:
            return self._last[1]
        batch = self.standardizer.transform(self.X[rows], self.dtype)
        if isinstance(rows, slice):
            self._last = (rows, batch)
        return batch


def forward_batches(net, X, standardizer, rows_per_batch, *, verbose=0):
    """The batches of one pass over validated sequences ``X`` (see
    :class:`_Batches`). With ``verbose``, a pass of several batches shows a
    progress bar."""
    dtype = next(net.module_.parameters()).dtype
    data = _ModelInput(X, standardizer, rows_per_batch, _NUMPY[dtype])
    return _Batches(net, data, verbose)


class _Batches:
    """One scoring pass: iterating yields ``(inputs, outputs)`` per batch.

    ``inputs``: the batch in model space (an array, or the dict of padded
    values and lengths); ``outputs``: the module's outputs as numpy arrays
    (reconstruction, code[, pooled states]), in the module's dtype.
    ``n_rows``: the rows of the whole pass, so that per-row results can be
    written into arrays allocated once.
    """

    def __init__(self, net, data, verbose):
        self.net, self.data, self.verbose = net, data, verbose
        self.n_rows = len(data)

    def __iter__(self):
        data, step = self.data, self.data.rows_per_batch
        starts = range(0, len(data), step)
        with torch.inference_mode():
            outputs = self.net.forward_iter(data, training=False)
            batches = zip(starts, outputs, strict=True)
            for start, out in scoring_progress(batches, len(starts), self.verbose):
                yield data[start : start + step], tuple(o.numpy() for o in out)


_NUMPY = {torch.float32: np.float32, torch.float64: np.float64}


def set_scoring_dtype(module, device, *, double):
    """Score in float64 when ``double`` (not on MPS, which lacks it).

    A float32 encoder's codes change in their last digits with the batch
    they are computed in; a score built on codes would carry that along.
    """
    if double and torch.device(device).type != "mps":
        module.double()


class _Pass:
    """Per-row outputs of one scoring pass: errors, and features or None, or
    what a function made of each batch's features (``reduced``) or None."""

    def __init__(self, errors, features=None, reduced=None):
        self.errors = errors
        self.features = features
        self.reduced = reduced

    def take(self, rows):
        """The outputs of ``rows`` (indices into the pass's rows)."""
        features, reduced = (
            None if a is None else a[rows] for a in (self.features, self.reduced)
        )
        return _Pass(self.errors[rows], features, reduced)


def score_pass(batches, loss, *, features, reduce=None):
    """Each row's error (``loss`` per row) and, if ``features``, its code
    features (the module's last output, in float32), from the
    :class:`_Batches` of :func:`forward_batches`.

    ``reduce``: a function of one batch's features, row by row; then only
    its result is kept (``reduced``), so memory does not grow with the
    features of every row. Results go into arrays of all the pass's rows,
    allocated once, so nothing allocated for one batch outlives it.
    """
    errors, kept, start = np.empty(batches.n_rows), None, 0
    for inputs, out in batches:
        x, lengths = _split_inputs(inputs)
        stop = start + x.shape[0]
        errors[start:stop] = _sample_errors(x, out[0], loss, lengths)
        if features:
            part = out[-1].astype(np.float32)
            part = part if reduce is None else reduce(part)
            if kept is None:
                kept = np.empty((batches.n_rows, *part.shape[1:]), part.dtype)
            kept[start:stop] = part
        start = stop
    if reduce is None:
        return _Pass(errors, kept)
    return _Pass(errors, reduced=kept)


def step_errors(batches, loss, *, per_channel):
    """The error of every time step (and channel, if ``per_channel``) of
    each row: one array, or a list of arrays for padded rows."""
    errors = _value_errors if per_channel else _timestep_errors
    return _per_row(batches, lambda x, out: errors(x, out[0], loss))


def reconstructions(batches, standardizer):
    """Each row's reconstruction in the input's units, (n, time, channels):
    one array, or a list of arrays for padded rows."""
    return _per_row(batches, lambda x, out: standardizer.inverse_transform(out[0]))


def _per_row(batches, compute):
    """``compute(x, outputs)`` over ``batches``, one array of rows; for
    padded rows, a list of arrays cut to each row's length."""
    parts, padded = [], False
    for inputs, out in batches:
        x, lengths = _split_inputs(inputs)
        part = compute(x, out)
        padded = lengths is not None
        parts.extend(_unpad(part, lengths) if padded else [part])
    return parts if padded else np.concatenate(parts)
