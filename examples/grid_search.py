"""Tune LSTMAutoencoderDetector with GridSearchCV on labelled validation beats
===========================================================================

The detector trains on normal data only: ``fit(X, y)`` leaves out the rows
labelled -1. So a grid search can be run on one labelled array: the normal
training beats (label 1, always in the training fold), then a validation fold
of normal beats (label 1) and anomalous beats (label -1). A
``PredefinedSplit`` trains each candidate on the training beats and scores it
on the validation fold by ``roc_auc`` (how well the reconstruction error
separates the two kinds of beats); the best candidate is then refitted on
every labelled-normal beat and evaluated on the untouched test beats.

Data: the tutorial protocol of ECG5000 (``tutorial_split(random_state=42)``)
gives the training, validation-normal and test beats; the validation fold is
completed with as many anomalous beats, drawn from those not in the test set.

Run ``python examples/grid_search.py [--output DIR]`` (a 2 x 2 grid over
``hidden_size`` and ``latent_size``, five fits of the default detector: a few
minutes); ``--quick`` trains two small candidates on 400 beats for 2 epochs (a
smoke test, not the numbers of the defaults). The data is read by
``load_ecg5000`` (``$SKLEARN_LSTMAE_DATA``, else the user cache). The figure is
written to ``DIR`` (default ``examples/output``).
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import balanced_accuracy_score, roc_auc_score
from sklearn.model_selection import GridSearchCV, PredefinedSplit

from sklearn_lstmae import LSTMAutoencoderDetector
from sklearn_lstmae.datasets import load_ecg5000, tutorial_split

GRID = {"hidden_size": [32, 64], "latent_size": [16, 32]}
QUICK_GRID = {"hidden_size": [16], "latent_size": [4, 16]}


def main(output, quick=False, random_state=42):
    ecg = load_ecg5000()
    split = tutorial_split(ecg.data, ecg.is_anomaly, random_state=random_state)
    rng = np.random.default_rng(random_state)
    X_train, X_val = split.X_train, split.X_val

    # Validation anomalies: anomalous beats that are not in the test set.
    in_test = {row.tobytes() for row in split.X_test}
    spare = np.array(
        [x for x in ecg.data[ecg.is_anomaly] if x.tobytes() not in in_test]
    )
    A_val = spare[rng.choice(len(spare), len(X_val), replace=False)]

    detector = LSTMAutoencoderDetector(random_state=random_state)
    grid = GRID
    if quick:
        X_train = X_train[rng.choice(len(X_train), 400, replace=False)]
        detector.set_params(max_epochs=2)
        grid = QUICK_GRID
        print("Quick run: 400 training beats, 2 epochs; not the defaults' numbers.")

    # One labelled array; test_fold -1: always trained on, 0: the validation fold.
    X = np.concatenate([X_train, X_val, A_val])
    y = np.r_[np.ones(len(X_train) + len(X_val), int), -np.ones(len(A_val), int)]
    test_fold = np.r_[-np.ones(len(X_train), int), np.zeros(2 * len(X_val), int)]
    print(
        f"training fold: {len(X_train)} normal beats; validation fold: "
        f"{len(X_val)} normal + {len(A_val)} anomalous beats; grid {grid}"
    )

    search = GridSearchCV(
        detector,
        grid,
        scoring={"roc_auc": "roc_auc", "balanced_accuracy": "balanced_accuracy"},
        refit="roc_auc",  # then fit(X, y): every beat labelled 1, the -1 left out
        cv=PredefinedSplit(test_fold),
        error_score="raise",
    )
    start = time.perf_counter()
    search.fit(X, y)
    print(f"grid search: {time.perf_counter() - start:.1f} s\n")

    columns = ["param_hidden_size", "param_latent_size", "mean_fit_time"]
    columns += ["mean_test_roc_auc", "mean_test_balanced_accuracy"]
    table = pd.DataFrame(search.cv_results_)[columns]
    table.columns = ["hidden", "latent", "fit s", "val. AUROC", "val. bal. acc."]
    print(
        table.round({"fit s": 1, "val. AUROC": 4, "val. bal. acc.": 4}).to_string(
            index=False
        )
    )
    print(f"\nbest: {search.best_params_} (validation AUROC {search.best_score_:.4f})")

    best = search.best_estimator_
    pred = best.predict(split.X_test)
    errors = -best.score_samples(split.X_test)
    normal, anomalous = split.y_test == 1, split.y_test == -1
    print(
        f"test: AUROC {roc_auc_score(anomalous, errors):.4f}, balanced accuracy "
        f"{balanced_accuracy_score(split.y_test, pred):.4f}; correct normal "
        f"{(pred[normal] == 1).sum()}/{normal.sum()}, correct anomalous "
        f"{(pred[anomalous] == -1).sum()}/{anomalous.sum()}"
    )
    _figure(table, Path(output))


def _figure(table, output):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    output.mkdir(parents=True, exist_ok=True)
    scores = table.pivot(index="hidden", columns="latent", values="val. AUROC")
    fig, ax = plt.subplots(figsize=(1.8 * scores.shape[1] + 2, 1.2 * len(scores) + 2))
    image = ax.imshow(scores.to_numpy(dtype=float), cmap="YlGn")
    for (i, j), value in np.ndenumerate(scores.to_numpy(dtype=float)):
        ax.text(j, i, f"{value:.4f}", ha="center", va="center")
    ax.set_xticks(range(scores.shape[1]), scores.columns)
    ax.set_yticks(range(len(scores)), scores.index)
    ax.set(xlabel="latent_size", ylabel="hidden_size", title="Validation AUROC")
    fig.colorbar(image, ax=ax)
    path = output / "grid_search.png"
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    print(f"figure written to {path}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    default = Path(sys.argv[0]).resolve().parent / "output"
    parser.add_argument("--output", default=default, help="folder for the PNG")
    parser.add_argument(
        "--quick",
        action="store_true",
        # the docs build sets the variable: a short run there
        default=os.environ.get("SKLEARN_LSTMAE_EXAMPLES_QUICK", "") not in ("", "0"),
        help="a short smoke test (also $SKLEARN_LSTMAE_EXAMPLES_QUICK=1)",
    )
    parser.add_argument("--random-state", type=int, default=42)
    args = parser.parse_args()
    main(args.output, args.quick, args.random_state)
