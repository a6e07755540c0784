"""The encoder as a feature extractor: ECG5000's five classes from the codes
=========================================================================

The official TRAIN file of ECG5000 is the only copy that keeps the five
classes (1 normal, 2 R-on-T PVC, 3 PVC, 4 supra-ventricular premature beat,
5 unclassified): 500 beats, 292 / 177 / 10 / 19 / 2. The autoencoder is fitted
without labels inside each training fold (``transform`` gives each beat's
code), a logistic regression is fitted on the codes, and the same classifier
on the 140 raw samples is the baseline. Class 5 has only 2 beats, so a
stratified split can have at most 2 folds that each hold one: the example
uses ``StratifiedKFold(n_splits=2)``, repeated with 2 shuffles, and reports
the per-class recall as well as accuracy and balanced accuracy (one class-5
beat per test fold makes its recall 0 or 1).

Run ``python examples/encoder_features.py [--max-epochs N] [--quick]
[--output DIR]``; the PNG file goes to ``DIR`` (default ``examples/output``).
"""

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix
from sklearn.model_selection import RepeatedStratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_lstmae import LSTMAutoencoderDetector
from sklearn_lstmae.datasets import load_ecg5000

CLASSES = (1, 2, 3, 4, 5)


def main(output, max_epochs=20, n_repeats=2):
    X, y = load_ecg5000(subset="train", return_X_y=True)
    print(
        "ECG5000 TRAIN: " + ", ".join(f"class {c}: {(y == c).sum()}" for c in CLASSES)
    )
    cv = RepeatedStratifiedKFold(n_splits=2, n_repeats=n_repeats, random_state=0)
    models = {
        "raw beats": make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)),
        "LSTM codes": make_pipeline(
            LSTMAutoencoderDetector(max_epochs=max_epochs, random_state=0),
            StandardScaler(),
            LogisticRegression(max_iter=5000),
        ),
    }
    confusions = {}
    for name, model in models.items():
        start = time.perf_counter()
        with warnings.catch_warnings():
            # the class labels reach the detector, which ignores them: it is
            # fitted on every beat of the fold, without labels
            warnings.filterwarnings("ignore", message="y must label normal rows")
            result = cross_validate(
                model,
                X,
                y,
                cv=cv,
                scoring=("accuracy", "balanced_accuracy"),
                return_estimator=True,
                return_indices=True,
            )
        seconds = time.perf_counter() - start
        confusions[name] = sum(
            confusion_matrix(y[test], est.predict(X[test]), labels=CLASSES)
            for est, test in zip(
                result["estimator"], result["indices"]["test"], strict=True
            )
        )
        recall = np.diag(confusions[name]) / confusions[name].sum(axis=1)
        acc, bacc = result["test_accuracy"], result["test_balanced_accuracy"]
        print(
            f"{name:>10}: accuracy {acc.mean():.4f} +- {acc.std():.4f}, balanced "
            f"accuracy {bacc.mean():.4f} +- {bacc.std():.4f} "
            f"({len(acc)} folds, {seconds:.0f} s)"
        )
        print(
            " " * 12
            + "recall per class: "
            + ", ".join(f"{c}: {r:.2f}" for c, r in zip(CLASSES, recall, strict=True))
        )
    _plot(confusions, Path(output))


def _plot(confusions, output):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    output.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, len(confusions), figsize=(11, 4.5))
    for ax, (name, cm) in zip(axes, confusions.items(), strict=True):
        shares = cm / cm.sum(axis=1, keepdims=True)
        ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
        for i in range(len(CLASSES)):
            for j in range(len(CLASSES)):
                ax.text(j, i, cm[i, j], ha="center", va="center", fontsize=8)
        ax.set(
            xticks=range(len(CLASSES)),
            yticks=range(len(CLASSES)),
            xticklabels=CLASSES,
            yticklabels=CLASSES,
            xlabel="predicted class",
            ylabel="true class",
            title=f"{name} (counts summed over test folds)",
        )
    fig.savefig(output / "encoder_features.png", dpi=120, bbox_inches="tight")
    plt.close("all")
    print(f"plot written to {output}/")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    default = Path(sys.argv[0]).resolve().parent / "output"
    parser.add_argument("--output", default=default, help="folder for the PNG")
    parser.add_argument("--max-epochs", type=int, default=20)
    parser.add_argument(
        "--quick",
        action="store_true",
        # the docs build sets the variable: a short run there
        default=os.environ.get("SKLEARN_LSTMAE_EXAMPLES_QUICK", "") not in ("", "0"),
        help="5 epochs, one repeat of the 2 folds "
        "(also $SKLEARN_LSTMAE_EXAMPLES_QUICK=1)",
    )
    args = parser.parse_args()
    if args.quick:
        main(args.output, max_epochs=5, n_repeats=1)
    else:
        main(args.output, max_epochs=args.max_epochs)
