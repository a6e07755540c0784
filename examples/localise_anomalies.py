"""Where is a heartbeat abnormal, and how unusual is it? ECG5000, beyond one label
===============================================================================

The tutorial stops at "this beat is abnormal". Here the same detector also
says *where* along the beat it departs from normal (``score_timesteps``: the
reconstruction error of every time step) and *how unusual* its error is for a
normal beat (``anomaly_probability``: the share of held-out normal beats
rebuilt no better, i.e. the empirical distribution function of their errors).

1. Train on the normal training beats of the tutorial's split.
2. Plot an anomalous test beat, its reconstruction and the error along it,
   against the band of per-step errors of normal validation beats.
3. Check the probabilities: on unseen normal beats, ``P > q`` should happen
   for a share of about ``1 - q`` of them.

Run ``python examples/localise_anomalies.py [--max-epochs N] [--quick]
[--output DIR]``; the PNG files go to ``DIR`` (default ``examples/output``).
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from sklearn_lstmae import LSTMAutoencoderDetector
from sklearn_lstmae.datasets import load_ecg5000, tutorial_split


def main(output, max_epochs=10, random_state=42):
    ecg = load_ecg5000()
    split = tutorial_split(ecg.data, ecg.is_anomaly, random_state=random_state)
    detector = LSTMAutoencoderDetector(max_epochs=max_epochs, random_state=0)
    start = time.perf_counter()
    detector.fit(split.X_train)
    print(
        f"trained {len(detector.net_.history)} epochs on {len(split.X_train)} "
        f"normal beats in {time.perf_counter() - start:.0f} s"
    )

    # Localisation: the reconstruction error of every time step. Their mean is
    # the beat's reconstruction error; score_samples also weighs the code
    # distance (code_distance=False: it is that mean, negated).
    steps_val = -detector.score_timesteps(split.X_val)  # errors, normal beats
    steps_test = -detector.score_timesteps(split.X_test)
    errors = steps_test.mean(axis=1)
    abnormal = split.y_test == -1
    print(
        "AUROC of the beat's reconstruction error (test set): "
        f"{roc_auc_score(abnormal, errors):.4f}; of score_samples: "
        f"{roc_auc_score(abnormal, -detector.score_samples(split.X_test)):.4f}"
    )
    band = np.quantile(steps_val, 0.99, axis=0)  # 99 % of normal beats below
    outside = steps_test > band
    print(
        "share of time steps above the normal 99 % band: normal beats "
        f"{outside[~abnormal].mean():.3f}, anomalous beats "
        f"{outside[abnormal].mean():.3f}"
    )
    many = outside.sum(axis=1) >= 14  # a tenth of the beat out of the band
    print(
        "beats with at least 14 of 140 steps above the band: normal "
        f"{many[~abnormal].mean():.3f}, anomalous {many[abnormal].mean():.3f}"
    )

    # Calibration: on unseen normal beats, P > q for about 1 - q of them.
    p_val = detector.anomaly_probability(split.X_val)
    p_test = detector.anomaly_probability(split.X_test)
    for q in (0.5, 0.9, 0.99):
        print(
            f"P(anomaly) > {q}: validation normals {(p_val > q).mean():.3f} "
            f"(expected ~{1 - q:.2f}), test normals "
            f"{(p_test[~abnormal] > q).mean():.3f}, test anomalies "
            f"{(p_test[abnormal] > q).mean():.3f}"
        )
    _plots(detector, split, steps_val, steps_test, band, p_val, p_test, Path(output))


def _plots(detector, split, steps_val, steps_test, band, p_val, p_test, output):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    output.mkdir(parents=True, exist_ok=True)
    abnormal = split.y_test == -1
    errors = steps_test.mean(axis=1)
    # a typical anomalous beat (median error among anomalies) and a normal one
    anomalous = np.flatnonzero(abnormal)
    pick = anomalous[np.argsort(errors[anomalous])[len(anomalous) // 2]]
    normal = np.flatnonzero(~abnormal)
    calm = normal[np.argsort(errors[normal])[len(normal) // 2]]
    recon = detector.reconstruct(split.X_test[[pick, calm]])
    fig, axes = plt.subplots(2, 2, figsize=(12, 6), sharex=True, height_ratios=[2, 1])
    steps = np.arange(split.X_test.shape[1])
    for col, (i, r, kind) in enumerate(
        [(pick, recon[0], "anomalous"), (calm, recon[1], "normal")]
    ):
        top, bottom = axes[0, col], axes[1, col]
        top.plot(steps, split.X_test[i], label="beat")
        top.plot(steps, r, label="reconstruction")
        top.set_title(
            f"{kind} test beat: error {errors[i]:.3f}, P(anomaly) {p_test[i]:.3f}"
        )
        bottom.fill_between(steps, 0, band, color="0.85", label="99 % of normal beats")
        bottom.plot(steps, steps_test[i], color="C3", label="error at each step")
        hot = steps_test[i] > band
        top.scatter(steps[hot], split.X_test[i][hot], color="C3", s=8, zorder=3)
        bottom.set(xlabel="time step", ylabel="|x - x_hat| (std units)")
    axes[0, 0].legend()
    axes[1, 0].legend()
    fig.suptitle("Where the beat departs from normal (red: above the normal band)")
    fig.savefig(output / "localisation.png", dpi=120, bbox_inches="tight")

    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    axes[0].plot(steps, steps_test[~abnormal].mean(0), label="normal test beats")
    axes[0].plot(steps, steps_test[abnormal].mean(0), label="anomalous test beats")
    axes[0].set(
        xlabel="time step", ylabel="mean error", title="Mean error along the beat"
    )
    axes[0].legend()
    q = np.linspace(0, 1, 101)
    axes[1].plot(q, [(p_val > x).mean() for x in q], label="validation normals")
    axes[1].plot(q, [(p_test[abnormal] > x).mean() for x in q], label="anomalies")
    axes[1].plot(q, 1 - q, "k--", label="calibrated: 1 - q")
    axes[1].set(
        xlabel="q",
        ylabel="share with P(anomaly) > q",
        title="anomaly_probability on unseen beats",
    )
    axes[1].legend()
    fig.savefig(output / "probability_calibration.png", dpi=120, bbox_inches="tight")
    plt.close("all")
    print(f"plots written to {output}/")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    default = Path(sys.argv[0]).resolve().parent / "output"
    parser.add_argument("--output", default=default, help="folder for the PNGs")
    parser.add_argument("--max-epochs", type=int, default=10)
    parser.add_argument(
        "--quick",
        action="store_true",
        # the docs build sets the variable: a short run there
        default=os.environ.get("SKLEARN_LSTMAE_EXAMPLES_QUICK", "") not in ("", "0"),
        help="3 epochs only (also $SKLEARN_LSTMAE_EXAMPLES_QUICK=1)",
    )
    args = parser.parse_args()
    main(args.output, max_epochs=3 if args.quick else args.max_epochs)
