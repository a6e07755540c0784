"""Scoring data bigger than memory: a Dask array, or a list of shard files."""

import math
import os
import uuid
from pathlib import Path

import dask
import dask.array as da
import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from .._estimator import LSTMAutoencoderDetector

_METHODS = {
    "score_samples": np.float64,
    "decision_function": np.float64,
    "predict": np.int64,
}
_SHARD_SUFFIXES = (".npy", ".parquet")


def score_dask(detector, X, *, method="score_samples"):
    """Score a Dask array of sequences block by block, lazily.

    The fitted detector enters the task graph once, as a single task, so a
    distributed scheduler sends it to each worker once; every block of rows is
    then scored where it lies. Compute the result with the scheduler in use
    (a ``distributed.Client``, or Dask's local threads).

    Parameters
    ----------
    detector : LSTMAutoencoderDetector
        A fitted detector (or another fitted estimator with ``method``).
    X : dask.array.Array of shape (n_samples, n_timesteps) or \
            (n_samples, n_timesteps, n_channels)
        Sequences shaped like the training data, chunked along the rows. A
        sequence must not be split across chunks: chunks along the time steps
        or channels are joined (see Notes).
    method : {"score_samples", "decision_function", "predict"}, \
            default="score_samples"
        The detector's method applied to each block.

    Returns
    -------
    scores : dask.array.Array of shape (n_samples,)
        ``getattr(detector, method)(X)``, not yet computed: float64 scores, or
        int64 labels for ``"predict"``.

    See Also
    --------
    score_shards : Score a directory of ``.npy`` or ``.parquet`` files.

    Notes
    -----
    ``X`` is rechunked to whole sequences (one chunk along every axis but the
    first). For an :class:`~sklearn_lstmae.LSTMAutoencoderDetector`, the row
    chunks are also made multiples of the rows it scores at once (its
    scoring chunk, ``max(batch_size, 128)`` on the CPU, ``max(batch_size,
    1024)`` on a GPU), when they are not already: each row then goes
    through the network in the same batch as in the in-memory call, and the
    scores equal those of ``detector.score_samples(X.compute())`` exactly
    (float32 kernels may round differently for a batch of another size, by a
    relative 1e-8 or so). Row chunks of unknown size are kept as they are.

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> from sklearn_lstmae import LSTMAutoencoderDetector
    >>> from sklearn_lstmae.distributed import score_dask
    >>> rng = np.random.default_rng(0)
    >>> X = np.sin(np.linspace(0, 6, 20) + rng.uniform(0, 0.3, (64, 1)))
    >>> det = LSTMAutoencoderDetector(hidden_size=8, latent_size=4, max_epochs=2,
    ...                               random_state=0).fit(X)
    >>> scores = score_dask(det, da.from_array(X, chunks=(16, 20)))
    >>> scores.shape, scores.chunks
    ((64,), ((64,),))
    >>> np.array_equal(scores.compute(), det.score_samples(X))
    True
    """
    dtype = _check_method(detector, method)
    if not isinstance(X, da.Array):
        raise TypeError(
            f"X must be a dask.array.Array, got {type(X).__name__}; use "
            "dask.array.from_array(X, chunks=(n_rows, -1)) or, for a Dask "
            "DataFrame, df.to_dask_array(lengths=True)."
        )
    if X.ndim not in (2, 3):
        raise ValueError(
            "Expected a 2-D Dask array (n_samples, n_timesteps) or a 3-D one "
            f"(n_samples, n_timesteps, n_channels), got {X.ndim}-D with shape "
            f"{X.shape}."
        )
    if any(math.isnan(size) for size in X.shape[1:]):
        raise ValueError(
            f"X has an unknown number of time steps or channels (shape "
            f"{X.shape}); compute its chunk sizes first (X.compute_chunk_sizes())."
        )
    expected = getattr(detector, "n_features_in_", None)
    if expected is not None and X.shape[1] != expected:
        raise ValueError(
            f"X has {X.shape[1]} time steps per sequence, but "
            f"{type(detector).__name__} was fitted on sequences of {expected}."
        )
    X = X.rechunk(_whole_sequence_chunks(X.chunks, _scoring_step(detector)))
    return _score_blocks(detector, X, method, dtype)


def score_shards(detector, shards, *, client=None, method="score_samples"):
    """Score ``.npy`` and ``.parquet`` shards on a cluster, one task per shard.

    Each shard is read and scored by a worker (the files must be readable at
    the same path there); only the scores come back, in shard order.

    Parameters
    ----------
    detector : LSTMAutoencoderDetector
        A fitted detector (or another fitted estimator with ``method``).
    shards : str, path or list of them
        A directory, whose ``.npy`` and ``.parquet`` files are the shards in
        the order of their names (zero-pad numbers: ``part-007.npy``), or a
        list of such files in the order wanted. A ``.npy`` file holds an
        array of shape (n, n_timesteps) or (n, n_timesteps, n_channels); a
        ``.parquet`` file a table with one row per sequence and one column per
        time step (univariate sequences).
    client : distributed.Client, default=None
        The cluster to run on. ``None`` uses the current default client when
        there is one, else scores the shards one by one in this process.
    method : {"score_samples", "decision_function", "predict"}, \
            default="score_samples"
        The detector's method applied to each shard.

    Returns
    -------
    scores : ndarray of shape (n_sequences,)
        The scores of every shard's rows, shard after shard: float64, or int64
        labels for ``"predict"``.

    See Also
    --------
    score_dask : Score a Dask array.

    Notes
    -----
    The scores equal those of the in-memory call on the concatenated shards
    exactly when every shard but the last holds a multiple of
    the detector's scoring chunk; otherwise a shard's last rows are scored
    in a batch of another size and may differ by a relative 1e-8 or so. The
    detector enters the task graph once and reaches each worker once.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from sklearn_lstmae import LSTMAutoencoderDetector
    >>> from sklearn_lstmae.distributed import score_shards
    >>> rng = np.random.default_rng(0)
    >>> X = np.sin(np.linspace(0, 6, 20) + rng.uniform(0, 0.3, (64, 1)))
    >>> det = LSTMAutoencoderDetector(hidden_size=8, latent_size=4, max_epochs=2,
    ...                               random_state=0).fit(X)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     np.save(Path(tmp) / "part-0.npy", X[:40])
    ...     np.save(Path(tmp) / "part-1.npy", X[40:])
    ...     scores = score_shards(det, tmp)
    >>> scores.shape
    (64,)
    >>> np.allclose(scores, det.score_samples(X), rtol=1e-6, atol=0)
    True
    """
    _check_method(detector, method)
    paths = _shard_paths(shards)  # at least one, or it raises
    if client is None:
        client = _default_client()
    tasks = _shard_tasks(detector, paths, method)
    results = dask.compute(*tasks, scheduler=client if client is not None else "sync")
    return np.concatenate(results)


# -- private computations (inputs already validated) ------------------------


def _check_method(detector, method):
    if method not in _METHODS:
        raise ValueError(f"method must be one of {sorted(_METHODS)}, got {method!r}.")
    if not callable(getattr(detector, method, None)):
        raise TypeError(f"{type(detector).__name__} has no method {method!r}.")
    check_is_fitted(detector)
    return _METHODS[method]


def _scoring_step(detector):
    """Rows the detector scores at once, or None when unknown."""
    if isinstance(detector, LSTMAutoencoderDetector):
        return detector.scoring_batch_size_
    return None


def _whole_sequence_chunks(chunks, step):
    """Rechunking spec: whole sequences; rows in multiples of ``step`` if known."""
    spec = {axis: -1 for axis in range(1, len(chunks))}
    rows = chunks[0]
    if step is None or any(math.isnan(c) for c in rows):
        return spec
    if any(c % step for c in rows[:-1]):
        spec[0] = step * max(1, round(float(np.median(rows)) / step))
    return spec


def _detector_task(detector):
    """The detector as one task of the graph, under a fresh key."""
    return dask.delayed(detector, name=f"lstmae-detector-{uuid.uuid4().hex}")


def _score_blocks(detector, X, method, dtype):
    return da.map_blocks(
        _score_block,
        X,
        _detector_task(detector),
        method,
        dtype,
        drop_axis=list(range(1, X.ndim)),
        dtype=dtype,
        meta=np.empty((0,), dtype=dtype),
        name=f"lstmae-{method.replace('_', '-')}",
    )


def _score_block(block, detector, method, dtype):
    if block.shape[0] == 0:
        return np.empty(0, dtype=dtype)
    return getattr(detector, method)(block)


def _shard_paths(shards):
    if isinstance(shards, (str, os.PathLike)) and Path(shards).is_dir():
        paths = sorted(p for p in Path(shards).iterdir() if p.suffix in _SHARD_SUFFIXES)
        if not paths:
            raise ValueError(
                f"No .npy or .parquet files in the directory {str(shards)!r}."
            )
        return paths
    if isinstance(shards, (str, os.PathLike)):
        shards = [shards]
    paths = [Path(p) for p in shards]
    bad = [str(p) for p in paths if p.suffix not in _SHARD_SUFFIXES]
    if bad:
        raise ValueError(
            f"Shards must be .npy or .parquet files (or a directory of them), "
            f"got {bad[:5]}."
        )
    if not paths:
        raise ValueError("No shards given.")
    return paths


def _shard_tasks(detector, paths, method):
    detector = _detector_task(detector)
    score = dask.delayed(_score_shard, pure=True)
    return [score(detector, str(path), method) for path in paths]


def _score_shard(detector, path, method):
    if path.endswith(".npy"):
        X = np.load(path, allow_pickle=False)
    else:
        X = pd.read_parquet(path)
        if not hasattr(detector, "feature_names_in_"):
            X = X.to_numpy()
    return _score_block(X, detector, method, _METHODS[method])


def _default_client():
    from distributed import default_client

    try:
        return default_client()
    except ValueError:
        return None
