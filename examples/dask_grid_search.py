"""Hyperparameter search for the detector on a Dask cluster
========================================================

``GridSearchCV`` runs its fits through joblib; under joblib's Dask backend
every (candidate, fold) fit is a task on the cluster's workers. Each worker
process runs one task at a time (``threads_per_worker=1``) and torch in it uses
``--torch-threads`` threads (the ``LimitTorchThreads`` plugin), so that
workers times threads matches the cores and nothing is oversubscribed.

The search tunes on labelled ECG5000 beats: the detector trains on the rows
labelled 1 (normal) of each training fold, leaving out those labelled -1, and
each candidate is scored by the AUROC of its ``decision_function`` on the
held-out fold.

Run ``python examples/dask_grid_search.py`` for a LocalCluster on this machine,
or ``--scheduler tcp://host:8786`` to use a cluster already running (the
workers need this library installed). The data is read by ``load_ecg5000``
(``$SKLEARN_LSTMAE_DATA``, else the user cache). ``--quick`` (or
``SKLEARN_LSTMAE_EXAMPLES_QUICK=1``) searches on 300 beats for 3 epochs, with
the workers as threads of this process (``processes=False``): a smoke test.
"""

import argparse
import os
import time

import joblib
import numpy as np
from distributed import Client, LocalCluster
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from sklearn_lstmae import LSTMAutoencoderDetector
from sklearn_lstmae.datasets import load_ecg5000
from sklearn_lstmae.distributed import LimitTorchThreads


def main(
    scheduler, n_workers, torch_threads, n_beats, max_epochs, random_state, processes
):
    X, target = load_ecg5000(return_X_y=True)
    rng = np.random.default_rng(random_state)
    rows = rng.choice(len(X), size=min(n_beats, len(X)), replace=False)
    X, y = X[rows], np.where(target[rows] == 1, 1, -1)

    search = GridSearchCV(
        LSTMAutoencoderDetector(
            max_epochs=max_epochs, device="auto", random_state=random_state
        ),
        {"hidden_size": [16, 32], "latent_size": [8, 16]},
        scoring="roc_auc",
        cv=StratifiedKFold(3, shuffle=True, random_state=random_state),
        n_jobs=-1,  # as many tasks at once as the cluster has worker threads
        refit=True,  # the refit of the best candidate runs here, not on a worker
    )

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
        client.register_plugin(LimitTorchThreads(torch_threads))
        print(f"cluster: {client}")
        start = time.perf_counter()
        with joblib.parallel_config(backend="dask"):
            search.fit(X, y)
        seconds = time.perf_counter() - start
    finally:
        client.close()
        if cluster is not None:
            cluster.close()

    n_fits = len(search.cv_results_["params"]) * search.n_splits_
    print(f"{n_fits} fits on {len(X)} beats in {seconds:.1f} s")
    results = search.cv_results_
    for params, mean, std in zip(
        results["params"],
        results["mean_test_score"],
        results["std_test_score"],
        strict=True,
    ):
        print(f"  {params}: AUROC {mean:.4f} +/- {std:.4f}")
    print(f"best: {search.best_params_} (AUROC {search.best_score_:.4f})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--scheduler", help="address of a running Dask scheduler")
    parser.add_argument("--n-workers", type=int, default=2)
    parser.add_argument("--torch-threads", type=int, default=1)
    parser.add_argument("--n-beats", type=int, default=1000)
    parser.add_argument("--max-epochs", type=int, default=5)
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument(
        "--quick",
        action="store_true",
        # the docs build sets the variable: a short run there
        default=os.environ.get("SKLEARN_LSTMAE_EXAMPLES_QUICK", "") not in ("", "0"),
        help="300 beats, 3 epochs, threads (also $SKLEARN_LSTMAE_EXAMPLES_QUICK=1)",
    )
    args = parser.parse_args()
    if args.quick:
        args.n_beats, args.max_epochs = 300, 3
    main(
        args.scheduler,
        args.n_workers,
        args.torch_threads,
        args.n_beats,
        args.max_epochs,
        args.random_state,
        processes=not args.quick,
    )
