"""Dask: grid-search wall time on 1 and 2 workers, chunked scoring throughput.

Grid search: the same ``GridSearchCV`` (4 candidates x 2 folds on labelled
ECG5000 beats) run in this process with ``n_jobs=1`` (torch on one thread),
then under joblib's Dask backend on a LocalCluster of 1 and of 2 worker
processes (one thread each, torch limited to one thread by
``LimitTorchThreads``). Workers are warmed up (imports) before timing; cluster
start-up is not timed.

Scoring: one fitted detector (default architecture) scores ``--n-score-beats``
noisy ECG5000 beats in memory (``score_samples``, torch on every core and on
one thread), then with ``score_dask`` and ``score_shards`` on 1 and 2 workers,
which read the beats from ``.npy`` shards of 2048 rows; every result is compared
with the first in-memory scores for exact equality.

Run ``python benchmarks/dask_scaling.py`` (ECG5000 from
``$SKLEARN_LSTMAE_DATA``; the "distributed" section of BENCHMARKS.md).
``--quick``: 200 search beats, 1 epoch, 4,096 beats scored. The file is not
named ``distributed.py``: run as a script, it would shadow Dask's
``distributed`` package for every script in this folder.
"""

import logging
import os
import tempfile
import time
from pathlib import Path

import _common
import dask
import dask.array as da
import joblib
import numpy as np
import torch
from distributed import Client, LocalCluster
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from sklearn_lstmae import LSTMAutoencoderDetector
from sklearn_lstmae.datasets import load_ecg5000
from sklearn_lstmae.distributed import LimitTorchThreads, score_dask, score_shards

CHUNK_ROWS = 2048
# In this process: every core (what a user gets by default), then one thread,
# as each worker has, to tell the effect of threads from that of Dask.
_IN_PROCESS_THREADS = sorted({os.cpu_count() or 1, 1}, reverse=True)


def _cluster(n_workers):
    cluster = LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    client = Client(cluster)
    client.register_plugin(LimitTorchThreads(1))
    client.run(_warm_up)
    return cluster, client


def _warm_up():
    import sklearn.model_selection  # noqa: F401

    import sklearn_lstmae  # noqa: F401


def _search(max_epochs, random_state, n_jobs):
    return GridSearchCV(
        LSTMAutoencoderDetector(
            max_epochs=max_epochs, device="cpu", random_state=random_state
        ),
        {"hidden_size": [16, 32], "latent_size": [8, 16]},
        scoring="roc_auc",
        cv=StratifiedKFold(2, shuffle=True, random_state=random_state),
        n_jobs=n_jobs,
        refit=False,
    )


def bench_search(X, y, max_epochs, random_state):
    """Time the search here on one torch thread, then on 1 and 2 Dask workers.

    Here, torch gets one thread as each worker does: on a machine shared with
    other jobs, two OpenMP threads on two cores can be many times slower than
    one for these small LSTMs, which would flatter the workers.
    """
    torch.set_num_threads(1)
    LSTMAutoencoderDetector(hidden_size=4, latent_size=2, max_epochs=1).fit(X[:32])
    start = time.perf_counter()
    local = _search(max_epochs, random_state, n_jobs=1).fit(X, y)
    rows = [("this process, n_jobs=1", time.perf_counter() - start, True)]
    reference = local.cv_results_["mean_test_score"]
    for n_workers in (1, 2):
        cluster, client = _cluster(n_workers)
        try:
            start = time.perf_counter()
            with joblib.parallel_config(backend="dask"):
                search = _search(max_epochs, random_state, n_jobs=-1).fit(X, y)
            seconds = time.perf_counter() - start
        finally:
            client.close()
            cluster.close()
        same = np.array_equal(search.cv_results_["mean_test_score"], reference)
        rows.append((f"Dask, {n_workers} worker(s) x 1 thread", seconds, same))
    return rows


def bench_scoring(detector, X):
    """Time in-memory scoring, then score_dask and score_shards on the cluster.

    The archive lies on disk as .npy shards; the Dask array is built from them
    lazily, so the workers read the data, as they would a real archive.
    """
    rows, reference = [], None
    for n_threads in _IN_PROCESS_THREADS:
        torch.set_num_threads(n_threads)
        start = time.perf_counter()
        scores = detector.score_samples(X)
        seconds = time.perf_counter() - start
        if reference is None:
            reference = scores
        rows.append(
            (
                f"in memory, torch {n_threads} thread(s)",
                seconds,
                _max_diff(scores, reference),
            )
        )
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, begin in enumerate(range(0, len(X), CHUNK_ROWS)):
            paths.append(Path(tmp) / f"part-{i:04d}.npy")
            np.save(paths[-1], X[begin : begin + CHUNK_ROWS])
        dX = da.concatenate(
            [
                da.from_delayed(
                    dask.delayed(np.load)(str(path)),
                    (min(CHUNK_ROWS, len(X) - i * CHUNK_ROWS), X.shape[1]),
                    dtype=X.dtype,
                )
                for i, path in enumerate(paths)
            ]
        )
        for n_workers in (1, 2):
            cluster, client = _cluster(n_workers)
            try:
                start = time.perf_counter()
                scores = client.compute(score_dask(detector, dX)).result()
                seconds = time.perf_counter() - start
                rows.append(
                    (
                        f"score_dask, {n_workers} worker(s)",
                        seconds,
                        _max_diff(scores, reference),
                    )
                )
                start = time.perf_counter()
                scores = score_shards(detector, tmp, client=client)
                seconds = time.perf_counter() - start
                rows.append(
                    (
                        f"score_shards (.npy), {n_workers} worker(s)",
                        seconds,
                        _max_diff(scores, reference),
                    )
                )
            finally:
                client.close()
                cluster.close()
    return rows


def _max_diff(scores, reference):
    if scores.shape != reference.shape:
        return float("nan")
    return float(np.abs(scores - reference).max())


def main(argv=None):
    p = _common.parser(__doc__, "200 search beats, 1 epoch, 4,096 beats scored")
    sizes = {
        "n_search_beats": (2000, 200),
        "max_epochs": (8, 1),
        "n_score_beats": (40_000, 4096),
    }
    for name in sizes:
        p.add_argument("--" + name.replace("_", "-"), type=int)
    p.add_argument("--random-state", type=int, default=0)
    args = p.parse_args(argv)
    for name, (full, quick) in sizes.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    ecg = load_ecg5000()
    rng = np.random.default_rng(args.random_state)

    rows = rng.choice(len(ecg.data), size=args.n_search_beats, replace=False)
    X, y = ecg.data[rows], np.where(ecg.is_anomaly[rows], -1, 1)
    search_rows = bench_search(X, y, args.max_epochs, args.random_state)

    normal = ecg.data[~ecg.is_anomaly]
    detector = LSTMAutoencoderDetector(
        max_epochs=1, device="cpu", random_state=args.random_state
    ).fit(normal[:1000])
    n = args.n_score_beats
    X_big = ecg.data[rng.integers(0, len(ecg.data), n)]
    X_big = X_big + rng.normal(0, 0.05, X_big.shape)
    score_rows = bench_scoring(detector, X_big)

    base = search_rows[0][1]
    search_table = [
        [name, f"{seconds:.1f}", f"{base / seconds:.2f}x", "yes" if same else "NO"]
        for name, seconds, same in search_rows
    ]
    base = score_rows[0][1]
    score_table = [
        [name, f"{seconds:.1f}", f"{n / seconds:,.0f}", f"{base / seconds:.2f}x"]
        + [f"{diff:g}"]
        for name, seconds, diff in score_rows
    ]
    direction = "bidirectional" if detector.bidirectional else "one direction"
    parts = [
        f"Grid search: 4 candidates x 2 folds = 8 fits of LSTMAutoencoderDetector "
        f"(hidden_size 16/32, latent_size 8/16, max_epochs={args.max_epochs}) on "
        f"{args.n_search_beats} labelled ECG5000 beats, scoring roc_auc, "
        "refit=False, one torch thread per fit. Cluster start-up and worker "
        "imports are not timed; the first row is the reference for the cv scores.",
        _common.table(
            ["where", "wall time (s)", "speed-up", "cv scores equal to n_jobs=1"],
            search_table,
        ),
        f"Scoring: {n} beats of {X_big.shape[1]} steps, default architecture "
        f"(hidden_size {detector.hidden_size}, latent_size {detector.latent_size}, "
        f"{direction}), chunks/shards of {CHUNK_ROWS} rows read from disk by the "
        "workers (the Dask array is built lazily from the same shards); one "
        "torch thread per worker; the first row is the reference for the scores.",
        _common.table(
            ["how", "wall time (s)", "beats/s", "vs in memory"]
            + ["max abs diff to in memory"],
            score_table,
        ),
    ]
    _common.publish("distributed", "Distributed (Dask)", parts, args)


if __name__ == "__main__":
    main()
