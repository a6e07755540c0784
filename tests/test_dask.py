"""Dask: grid search on joblib's Dask backend, thread limits, scoring big data.

The scoring tests run twice: on Dask's synchronous scheduler in this process,
and on a LocalCluster with two worker processes, which serves the whole
module. The tests that need the cluster (or a new Python process) are marked
``slow``: starting the cluster takes seconds on a small machine.
"""

import contextlib
import logging
import subprocess
import sys
from pathlib import Path

import dask.array as da
import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from distributed import Client, LocalCluster, get_task_stream
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from sklearn_lstmae import LSTMAutoencoderDetector
from sklearn_lstmae.distributed import LimitTorchThreads, score_dask, score_shards

from .conftest import FAST, RESCORE_RTOL, make_sines

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def client():
    # Not the default client: code given no client runs in this process
    # (score_shards on the synchronous scheduler) even while it exists.
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        client.register_plugin(LimitTorchThreads(1))
        yield client


@pytest.fixture(params=["sync", pytest.param("cluster", marks=pytest.mark.slow)])
def cluster(request):
    """The cluster's client, or None: run in this process."""
    return request.getfixturevalue("client") if request.param == "cluster" else None


def _compute(collection, client):
    if client is None:
        return collection.compute(scheduler="sync")
    return client.compute(collection).result()


def _as_current(client):
    """Make ``client`` the current client, the one code given none uses."""
    return contextlib.nullcontext() if client is None else client.as_current()


@pytest.fixture(scope="module")
def many():
    """More rows than one scoring batch (128 or 1024), not a multiple of it."""
    return make_sines(n=2500, seed=3)


def _torch_threads_per_worker(client):
    return [
        client.submit(lambda: torch.get_num_threads(), pure=False, workers=[w]).result()
        for w in sorted(client.scheduler_info()["workers"])
    ]


@pytest.mark.slow  # a new Python process
def test_importing_the_package_imports_no_dask():
    code = (
        "import sys, sklearn_lstmae\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in "
        "('dask', 'distributed')]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


@pytest.mark.slow
def test_workers_use_the_torch_thread_limit(client):
    assert _torch_threads_per_worker(client) == [1, 1]
    # Threads that already ran tasks are set too, not only new ones.
    client.register_plugin(LimitTorchThreads(2))
    try:
        assert _torch_threads_per_worker(client) == [2, 2]
    finally:
        client.register_plugin(LimitTorchThreads(1))
    assert _torch_threads_per_worker(client) == [1, 1]


def test_thread_limit_is_validated():
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="n_threads must be an integer"):
            LimitTorchThreads(bad)


@pytest.mark.slow
def test_grid_search_on_the_dask_backend_matches_a_local_search(client, sines):
    rng = np.random.default_rng(1)
    outliers = rng.normal(0, 1.0, (16, sines.shape[1]))
    X = np.vstack([sines, outliers])
    y = np.r_[np.ones(len(sines)), -np.ones(len(outliers))]

    def search(n_jobs):
        return GridSearchCV(
            LSTMAutoencoderDetector(**FAST, device="cpu", random_state=0),
            {"hidden_size": [4, 8]},
            scoring="roc_auc",
            cv=StratifiedKFold(2, shuffle=True, random_state=0),
            n_jobs=n_jobs,
        )

    local = search(n_jobs=1).fit(X, y)
    with (
        client.as_current(),
        get_task_stream(client) as tasks,
        joblib.parallel_config(backend="dask"),
    ):
        remote = search(n_jobs=-1).fit(X, y)

    workers = set(client.scheduler_info()["workers"])
    assert tasks.data and {t["worker"] for t in tasks.data} <= workers
    np.testing.assert_array_equal(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    assert remote.best_params_ == local.best_params_
    assert remote.best_estimator_.device_ == "cpu"


@pytest.mark.parametrize(
    "chunks",
    [(1024, 24), (700, 24), (1024, 10), (2500, 24)],
    ids=["aligned", "rows-rechunked", "time-split", "one-block"],
)
def test_score_dask_equals_in_memory_scores(cluster, fitted_sines, many, chunks):
    scores = score_dask(fitted_sines, da.from_array(many, chunks=chunks))
    assert scores.shape == (len(many),) and scores.dtype == np.float64
    assert all(c % fitted_sines.scoring_batch_size_ == 0 for c in scores.chunks[0][:-1])
    detector_keys = [
        k for k in dict(scores.__dask_graph__()) if str(k).startswith("lstmae-det")
    ]
    assert len(detector_keys) == 1  # the detector is one task, sent once
    np.testing.assert_array_equal(
        _compute(scores, cluster), fitted_sines.score_samples(many)
    )


def test_score_dask_with_unknown_row_chunks(cluster, fitted_sines, many):
    dX = da.from_array(many, chunks=(1024, 24))
    kept = dX[dX[:, 0] > -10]  # keeps every row, but Dask no longer knows how many
    assert np.isnan(kept.shape[0])
    scores = _compute(score_dask(fitted_sines, kept), cluster)
    np.testing.assert_array_equal(scores, fitted_sines.score_samples(many))


def test_score_dask_multivariate_and_other_methods(cluster):
    X = make_sines(n=1500, n_channels=2, seed=4)
    det = LSTMAutoencoderDetector(**FAST, contamination=0.1, random_state=0)
    det.fit(X[:96])
    dX = da.from_array(X, chunks=(512, 24, 1))
    for method in ("score_samples", "decision_function", "predict"):
        out = _compute(score_dask(det, dX, method=method), cluster)
        np.testing.assert_array_equal(out, getattr(det, method)(X))


def test_score_dask_validates_its_input(fitted_sines, many):
    dX = da.from_array(many, chunks=(1024, 24))
    with pytest.raises(NotFittedError):
        score_dask(LSTMAutoencoderDetector(), dX)
    with pytest.raises(TypeError, match="dask.array.Array"):
        score_dask(fitted_sines, many)
    with pytest.raises(ValueError, match="10 time steps per sequence"):
        score_dask(fitted_sines, dX[:, :10])
    with pytest.raises(ValueError, match="got 4-D"):
        score_dask(fitted_sines, dX[:, :, None, None])
    with pytest.raises(ValueError, match="method must be one of"):
        score_dask(fitted_sines, dX, method="transform")


def _write_shards(directory, X, sizes):
    """Alternate .npy and .parquet shards of ``sizes`` rows, named in order."""
    bounds = np.cumsum([0, *sizes])
    for i, (start, stop) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        part = X[start:stop]
        if i % 2:
            columns = [f"t{j}" for j in range(X.shape[1])]
            pd.DataFrame(part, columns=columns).to_parquet(
                directory / f"part-{i:03d}.parquet"
            )
        else:
            np.save(directory / f"part-{i:03d}.npy", part)
    return sorted(directory.iterdir())


def test_score_shards_equals_in_memory_scores(cluster, fitted_sines, many, tmp_path):
    paths = _write_shards(tmp_path, many, [1024, 1024, 452])
    expected = fitted_sines.score_samples(many)
    with _as_current(cluster):  # given no client: the current one, if any
        np.testing.assert_array_equal(score_shards(fitted_sines, tmp_path), expected)
    np.testing.assert_array_equal(
        score_shards(fitted_sines, paths, client=cluster), expected
    )
    # A list keeps its own order.
    reordered = score_shards(fitted_sines, paths[::-1], client=cluster)
    np.testing.assert_array_equal(reordered[:452], expected[-452:])


def test_score_shards_of_other_sizes_agree_to_float_rounding(
    cluster, fitted_sines, many, tmp_path
):
    _write_shards(tmp_path, many, [300, 5, 1195, 1000])
    scores = score_shards(fitted_sines, tmp_path, client=cluster)
    # Rows scored in batches of other sizes than in memory: float32 kernels
    # may round differently.
    np.testing.assert_allclose(
        scores, fitted_sines.score_samples(many), rtol=RESCORE_RTOL, atol=0
    )


def test_score_shards_with_feature_names(cluster, tmp_path):
    X = make_sines(n=200, seed=6)
    frame = pd.DataFrame(X, columns=[f"t{j}" for j in range(X.shape[1])])
    det = LSTMAutoencoderDetector(**FAST, random_state=0).fit(frame)
    frame.to_parquet(tmp_path / "a.parquet")
    np.testing.assert_array_equal(
        score_shards(det, tmp_path, client=cluster), det.score_samples(frame)
    )


def test_score_shards_validates_its_input(fitted_sines, tmp_path):
    with pytest.raises(ValueError, match="No .npy or .parquet files"):
        score_shards(fitted_sines, tmp_path)
    with pytest.raises(ValueError, match="must be .npy or .parquet"):
        score_shards(fitted_sines, [tmp_path / "a.csv"])
    with pytest.raises(ValueError, match="No shards"):
        score_shards(fitted_sines, [])
    np.save(tmp_path / "a.npy", make_sines(n=4))
    with pytest.raises(NotFittedError):
        score_shards(LSTMAutoencoderDetector(), tmp_path)


@pytest.mark.skipif(
    torch.cuda.device_count() < 2, reason="needs two or more CUDA devices"
)
def test_one_worker_per_gpu_fits_on_its_own_gpu(sines):
    """The multi-GPU path: one Dask worker per GPU (what dask-cuda's
    LocalCUDACluster sets up), each seeing only its GPU as device 0."""
    from distributed import Nanny, Scheduler, SpecCluster

    n_gpus = torch.cuda.device_count()
    workers = {
        i: {
            "cls": Nanny,
            "options": {"nthreads": 1, "env": {"CUDA_VISIBLE_DEVICES": str(i)}},
        }
        for i in range(n_gpus)
    }
    scheduler = {"cls": Scheduler, "options": {"dashboard_address": None}}

    def fit_here(X):
        import os

        det = LSTMAutoencoderDetector(**FAST, device="cuda", random_state=0).fit(X)
        return os.environ["CUDA_VISIBLE_DEVICES"], det.device_, det.score_samples(X)

    with (
        SpecCluster(workers=workers, scheduler=scheduler) as cluster,
        Client(cluster) as gpu_client,
    ):
        gpu_client.wait_for_workers(n_gpus)
        addresses = sorted(gpu_client.scheduler_info()["workers"])
        results = [
            gpu_client.submit(fit_here, sines, pure=False, workers=[w]).result()
            for w in addresses
        ]
    assert sorted(r[0] for r in results) == [str(i) for i in range(n_gpus)]
    assert all(r[1] == "cuda" for r in results)
    for _, _, scores in results:
        assert scores.shape == (len(sines),) and np.isfinite(scores).all()
