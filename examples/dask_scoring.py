"""Scoring an archive too big for memory: shards on disk, or a Dask array
======================================================================

A detector is trained once, in memory, on normal ECG5000 beats. The archive to
score is then a directory of ``.npy`` shards (here written from ECG5000 beats
with a little noise, ``--n-beats`` in all, standing in for millions of beats
from thousands of patients). Two ways to score it on a Dask cluster:

* ``score_shards(detector, directory)``: each worker reads and scores whole
  shards; the scores come back in shard order.
* ``score_dask(detector, X)``: for data already in a Dask array (here the same
  shards, stacked lazily); scoring is one task per block of rows.

Either way the detector reaches each worker once, and the scores are those of
``detector.score_samples`` on the whole archive in memory (checked at the end,
which needs the archive in memory: keep ``--n-beats`` modest for that).

Run ``python examples/dask_scoring.py [--scheduler tcp://host:8786]``; shards
go to ``--output`` (default ``examples/output/shards``), which the workers must
be able to read. ``--quick`` (or ``SKLEARN_LSTMAE_EXAMPLES_QUICK=1``) trains
for 1 epoch and scores 2,000 beats, with the workers as threads of this
process (``processes=False``): a smoke test.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import dask.array as da
import numpy as np
from distributed import Client, LocalCluster

from sklearn_lstmae import LSTMAutoencoderDetector
from sklearn_lstmae.datasets import load_ecg5000
from sklearn_lstmae.distributed import LimitTorchThreads, score_dask, score_shards

SHARD_ROWS = 8192  # a multiple of the 1024 rows scored at once: exact scores


def write_archive(directory, X, n_beats, random_state):
    """Noisy copies of the beats of X, as zero-padded .npy shards."""
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("part-*.npy"):
        old.unlink()
    rng = np.random.default_rng(random_state)
    for i, start in enumerate(range(0, n_beats, SHARD_ROWS)):
        n = min(SHARD_ROWS, n_beats - start)
        beats = X[rng.integers(0, len(X), n)] + rng.normal(0, 0.05, (n, X.shape[1]))
        np.save(directory / f"part-{i:05d}.npy", beats)
    return sorted(directory.glob("part-*.npy"))


def main(scheduler, n_workers, output, n_beats, max_epochs, random_state, processes):
    ecg = load_ecg5000()
    normal = ecg.data[~ecg.is_anomaly]
    detector = LSTMAutoencoderDetector(
        max_epochs=max_epochs, device="cpu", random_state=random_state
    ).fit(normal)
    paths = write_archive(Path(output), ecg.data, n_beats, random_state)
    print(f"{n_beats} beats in {len(paths)} shards under {output}/")

    if scheduler:
        client, cluster = Client(scheduler), None
    else:
        cluster = LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=processes,
            dashboard_address=None,
        )
        client = Client(cluster)
    try:
        client.register_plugin(LimitTorchThreads(1))
        start = time.perf_counter()
        from_shards = score_shards(detector, output, client=client)
        print(f"score_shards: {time.perf_counter() - start:.1f} s")

        X = da.concatenate(
            [da.from_delayed(_load(p), _shape(p), dtype=np.float64) for p in paths]
        )
        start = time.perf_counter()
        from_array = client.compute(score_dask(detector, X)).result()
        print(f"score_dask: {time.perf_counter() - start:.1f} s")
    finally:
        client.close()
        if cluster is not None:
            cluster.close()

    in_memory = detector.score_samples(np.concatenate([np.load(p) for p in paths]))
    print(
        "identical to the in-memory scores: "
        f"shards {np.array_equal(from_shards, in_memory)}, "
        f"dask array {np.array_equal(from_array, in_memory)}"
    )
    outliers = (from_shards < detector.offset_).sum()
    print(f"beats flagged as anomalies: {outliers} of {n_beats}")


def _load(path):
    from dask import delayed

    return delayed(np.load)(str(path))


def _shape(path):
    return np.load(path, mmap_mode="r").shape


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    default = Path(sys.argv[0]).resolve().parent / "output" / "shards"
    parser.add_argument("--scheduler", help="address of a running Dask scheduler")
    parser.add_argument("--n-workers", type=int, default=2)
    parser.add_argument("--output", default=default, help="folder for the shards")
    parser.add_argument("--n-beats", type=int, default=20_000)
    parser.add_argument("--max-epochs", type=int, default=3)
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument(
        "--quick",
        action="store_true",
        # the docs build sets the variable: a short run there
        default=os.environ.get("SKLEARN_LSTMAE_EXAMPLES_QUICK", "") not in ("", "0"),
        help="1 epoch, 2,000 beats, threads (also $SKLEARN_LSTMAE_EXAMPLES_QUICK=1)",
    )
    args = parser.parse_args()
    if args.quick:
        args.n_beats, args.max_epochs = 2000, 1
    main(
        args.scheduler,
        args.n_workers,
        args.output,
        args.n_beats,
        args.max_epochs,
        args.random_state,
        processes=not args.quick,
    )
