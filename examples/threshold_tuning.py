"""Choose the operating point of an LSTM autoencoder for a wanted false-alarm rate
===============================================================================

The default rule (``contamination="auto"``) sets the threshold at a robust
z-score of 3 on the logarithm of the reconstruction errors,
``exp(median + 3 * 1.4826 * MAD)``: the median of the held-out normal training
beats, the MAD (median absolute deviation) of those and of the beats the
weights were fitted on, each about its own median. When the cost of a false
alarm is known, ``tune_threshold`` chooses it instead from normal
validation beats, without retraining:
``detector.tune_threshold(X_val, false_alarm_rate=rate)`` flags that share
of them (with labelled validation data, ``scoring=`` maximises a metric).
This script compares both on the tutorial protocol of ECG5000
(``tutorial_split(random_state=42)``): it trains on the normal training
beats, sets one threshold per wanted rate from the validation normals, and
prints the false-alarm rate and the detection
rate of each rule on the test beats.

Run ``python examples/threshold_tuning.py [--rate 0.01 0.05] [--output DIR]``;
``--quick`` trains on 400 beats for 2 epochs (a smoke test, not the numbers of
the defaults). The data is read by ``load_ecg5000`` (``$SKLEARN_LSTMAE_DATA``,
else the user cache). The figure is written to ``DIR`` (default
``examples/output``).
"""

import argparse
import time
from pathlib import Path

import numpy as np

from sklearn_lstmae import LSTMAutoencoderDetector
from sklearn_lstmae.datasets import load_ecg5000, tutorial_split


def main(rates, output, quick=False, random_state=42):
    ecg = load_ecg5000()
    split = tutorial_split(ecg.data, ecg.is_anomaly, random_state=random_state)
    X_train = split.X_train
    detector = LSTMAutoencoderDetector(random_state=random_state)
    if quick:
        rng = np.random.default_rng(random_state)
        X_train = X_train[rng.choice(len(X_train), 400, replace=False)]
        detector.set_params(max_epochs=2)
        print("Quick run: 400 training beats, 2 epochs; not the defaults' numbers.")
    start = time.perf_counter()
    detector.fit(X_train)
    print(
        f"trained on {len(X_train)} normal beats in {time.perf_counter() - start:.1f} s"
    )

    # Reconstruction errors: score_samples is minus the error.
    val_errors = -detector.score_samples(split.X_val)
    test_errors = -detector.score_samples(split.X_test)
    normal, anomalous = split.y_test == 1, split.y_test == -1

    # Each rule only moves the threshold: tune_threshold sets it from the
    # validation normals without retraining, and predict follows it.
    thresholds = {'default (contamination="auto")': detector.threshold_}
    for rate in rates:
        detector.tune_threshold(split.X_val, false_alarm_rate=rate)
        thresholds[f"{rate:g} false-alarm rate on validation"] = detector.threshold_

    print(
        f"\nvalidation: {len(val_errors)} normal beats (a rate below "
        f"1/{len(val_errors)} cannot be resolved); test: {normal.sum()} normal + "
        f"{anomalous.sum()} anomalous beats"
    )
    print(
        f"{'rule':40s} {'threshold':>9s} {'val. false alarms':>17s} "
        f"{'test false alarms':>17s} {'test detected':>13s}"
    )
    for name, threshold in thresholds.items():
        flagged = test_errors > threshold  # what predict flags at this threshold
        val_alarms = np.mean(val_errors > threshold)
        false_alarms = flagged[normal].sum()
        detected = flagged[anomalous].sum()
        print(
            f"{name:40s} {threshold:9.4f} {val_alarms:17.3f} "
            f"{false_alarms / normal.sum():9.3f} ({false_alarms:3d}) "
            f"{detected / anomalous.sum():7.3f} ({detected:3d})"
        )
    print(
        f"the detector now predicts at the last threshold: it flags "
        f"{(detector.predict(split.X_test) == -1).sum()} test beats"
    )
    _figure(thresholds, val_errors, test_errors, normal, Path(output))


def _figure(thresholds, val_errors, test_errors, normal, output):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import roc_curve

    output.mkdir(parents=True, exist_ok=True)
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    bins = np.linspace(*np.quantile(test_errors, [0.0, 0.99]), 60)
    left.hist(val_errors, bins, alpha=0.5, density=True, label="validation normal")
    left.hist(test_errors[normal], bins, alpha=0.5, density=True, label="test normal")
    left.hist(
        test_errors[~normal], bins, alpha=0.5, density=True, label="test anomalous"
    )
    fpr, tpr, _ = roc_curve(~normal, test_errors)
    right.plot(fpr, tpr, color="grey", label="every threshold (test ROC)")
    for i, (name, threshold) in enumerate(thresholds.items()):
        color = "k" if i == 0 else f"C{i + 2}"
        left.axvline(threshold, color=color, ls="--", label=name)
        flagged = test_errors > threshold
        right.plot(
            flagged[normal].mean(),
            flagged[~normal].mean(),
            "o",
            color=color,
            label=name,
        )
    left.set(xlabel="reconstruction error", ylabel="density", title="Errors")
    left.legend(fontsize=8)
    right.set(
        xlabel="false-alarm rate on test normals",
        ylabel="detection rate on test anomalies",
        title="Operating points",
        xlim=(0, 1),
        ylim=(0, 1.01),
    )
    right.set_xscale("symlog", linthresh=0.01)  # linear below 1 %: 0 stays visible
    right.legend(fontsize=8, loc="best")
    path = output / "threshold_tuning.png"
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    print(f"\nfigure written to {path}")


if __name__ == "__main__":
    import os
    import sys

    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    default = Path(sys.argv[0]).resolve().parent / "output"
    parser.add_argument(
        "--rate",
        type=float,
        nargs="+",
        default=[0.01, 0.05],
        help="wanted false-alarm rates",
    )
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
    main(args.rate, args.output, args.quick, args.random_state)
