"""Abnormal heartbeats in ECG5000 with an LSTM autoencoder: the tutorial's five steps
==================================================================================

1. Prepare the data: every normal beat is split 85/15, the 15 % again 67/33
   into validation and test normals, and the test set gets as many anomalous
   beats (the tutorial's protocol, random_state=42).
2. Build the LSTM autoencoder: ``LSTMAutoencoderDetector()`` with its defaults.
3. Train and evaluate it on the normal training beats (early stopping on a
   held-out tenth of them).
4. Choose a threshold: the default rule (``contamination="auto"``) sets it from
   the reconstruction errors of the held-out normal beats.
5. Classify unseen beats: everything above the threshold is an anomaly.

Run ``python examples/ecg5000_anomaly_detection.py [--output DIR]``. The data
is read by ``load_ecg5000`` (``$SKLEARN_LSTMAE_DATA``, else the user cache,
downloading the official archive once). Plots are written as PNG files to
``DIR`` (default ``examples/output``). ``--quick`` (or
``SKLEARN_LSTMAE_EXAMPLES_QUICK=1``) trains on 400 beats for 2 epochs: a smoke
test, not the numbers of the defaults.
"""

import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import balanced_accuracy_score, roc_auc_score

from sklearn_lstmae import LSTMAutoencoderDetector
from sklearn_lstmae.datasets import load_ecg5000, tutorial_split


def main(output, random_state=42, quick=False):
    # 1. Prepare the data.
    ecg = load_ecg5000()
    split = tutorial_split(ecg.data, ecg.is_anomaly, random_state=random_state)
    n_test = (split.y_test == 1).sum()
    print(
        f"ECG5000: {len(ecg.data)} beats; train {len(split.X_train)} normal, "
        f"validation {len(split.X_val)} normal, test {n_test} normal + "
        f"{n_test} anomalous"
    )
    if quick:
        rng = np.random.default_rng(random_state)
        split.X_train = split.X_train[
            rng.choice(len(split.X_train), 400, replace=False)
        ]
        print("Quick run: 400 training beats, 2 epochs; not the defaults' numbers.")

    # 2-3. Build the LSTM autoencoder and train it on normal beats only
    # (verbose=1: a bar on stderr shows the epochs, the losses and the time left).
    detector = LSTMAutoencoderDetector(random_state=random_state, verbose=1)
    start = time.perf_counter()
    if quick:
        detector.set_params(max_epochs=2)
    detector.fit(split.X_train)
    fit_seconds = time.perf_counter() - start
    history = detector.net_.history
    print(
        f"trained {len(history)} epochs in {fit_seconds:.1f} s on "
        f"{detector.device_}; best held-out loss "
        f"{min(history[:, 'valid_loss']):.4f}"
    )

    # 4. The threshold, from the errors of held-out normal training beats.
    val_errors = -detector.score_samples(split.X_val)
    print(
        f"threshold (reconstruction error): {detector.threshold_:.4f}; "
        f"validation normals above it: {(val_errors > detector.threshold_).sum()}"
        f"/{len(val_errors)}"
    )

    # 5. Classify unseen beats.
    errors = -detector.score_samples(split.X_test)
    pred = detector.predict(split.X_test)
    normal, anomalous = split.y_test == 1, split.y_test == -1
    print(
        f"correct normal beats: {(pred[normal] == 1).sum()}/{normal.sum()}; "
        f"correct anomalous beats: {(pred[anomalous] == -1).sum()}/"
        f"{anomalous.sum()}"
    )
    print(
        f"balanced accuracy: {balanced_accuracy_score(split.y_test, pred):.4f}; "
        f"AUROC: {roc_auc_score(anomalous, errors):.4f}"
    )
    _plots(detector, split, val_errors, errors, Path(output))


def _plots(detector, split, val_errors, errors, output):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    output.mkdir(parents=True, exist_ok=True)
    history = detector.net_.history
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(history[:, "train_loss"], label="train")
    ax.plot(history[:, "valid_loss"], label="held-out normal")
    ax.set(xlabel="epoch", ylabel=f"{detector.loss} loss", title="Training curve")
    ax.legend()
    fig.savefig(output / "training_curve.png", dpi=120, bbox_inches="tight")

    fig, ax = plt.subplots(figsize=(6, 4))
    bins = np.linspace(0, np.quantile(errors, 0.99), 60)
    normal = split.y_test == 1
    ax.hist(val_errors, bins, alpha=0.5, label="validation normal", density=True)
    ax.hist(errors[normal], bins, alpha=0.5, label="test normal", density=True)
    ax.hist(errors[~normal], bins, alpha=0.5, label="test anomalous", density=True)
    ax.axvline(detector.threshold_, color="k", ls="--", label="threshold")
    ax.set(xlabel="reconstruction error", ylabel="density", title="Errors")
    ax.legend()
    fig.savefig(output / "error_histograms.png", dpi=120, bbox_inches="tight")

    picks = [*np.flatnonzero(normal)[:3], *np.flatnonzero(~normal)[:3]]
    recon = detector.reconstruct(split.X_test[picks])
    fig, axes = plt.subplots(2, 3, figsize=(12, 5), sharey=True)
    for ax, i, r in zip(axes.ravel(), picks, recon, strict=True):
        kind = "normal" if normal[i] else "anomalous"
        ax.plot(split.X_test[i], label="beat")
        ax.plot(r, label="reconstruction")
        ax.set_title(f"{kind}, error {errors[i]:.3f}")
    axes[0, 0].legend()
    fig.savefig(output / "reconstructions.png", dpi=120, bbox_inches="tight")
    plt.close("all")
    print(f"plots written to {output}/")


if __name__ == "__main__":
    import os
    import sys

    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    default = Path(sys.argv[0]).resolve().parent / "output"
    parser.add_argument("--output", default=default, help="folder for the PNGs")
    parser.add_argument("--random-state", type=int, default=42)
    parser.add_argument(
        "--quick",
        action="store_true",
        # the docs build sets the variable: a short run there
        default=os.environ.get("SKLEARN_LSTMAE_EXAMPLES_QUICK", "") not in ("", "0"),
        help="a short smoke test (also $SKLEARN_LSTMAE_EXAMPLES_QUICK=1)",
    )
    args = parser.parse_args()
    main(args.output, args.random_state, args.quick)
