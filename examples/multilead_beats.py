"""Three ECG leads, beats of their own lengths, an anomaly visible in one lead only
================================================================================

SYNTHETIC DATA: no multichannel ECG is available offline, so the beats come
from ``make_ecg_beats``, a wave model of the heartbeat (sums of Gaussian P,
Q, R, S, T waves, after McSharry et al. 2003) seen in the limb leads I, II
and III as projections of one vector per wave (Einthoven's II = I + III
holds before noise). Each beat keeps its own length (heart rate 50-100 per
minute at 100 Hz). An anomalous beat has, in lead I only, an inverted T wave
or a raised ST segment; leads II and III are those of a normal beat.

1. Train one detector on the three leads, given as a list of (length, 3)
   arrays of different lengths (padded, packed and masked inside), and one on
   lead II alone, a common single-lead set-up.
2. Compare them on beats with the lead-I anomaly: the single-lead detector
   cannot see it; the three-lead one can, and its per-lead error
   (``score_timesteps(per_channel=True)``) names the lead.
3. Check that padding does not show: a beat scored alone gets the score it
   gets inside the batch.

Run ``python examples/multilead_beats.py [--max-epochs N] [--quick]
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
from sklearn_lstmae.datasets import make_ecg_beats

LEADS = ("I", "II", "III")


def main(output, max_epochs=15):
    X_train, _ = make_ecg_beats(
        500, variable_length=True, anomaly_fraction=0.0, random_state=0
    )
    X_test, y_test = make_ecg_beats(
        300,
        variable_length=True,
        anomaly_fraction=0.3,
        anomalous_lead=0,
        random_state=1,
    )
    abnormal = y_test == -1
    lengths = [len(x) for x in X_train]
    print(
        f"{len(X_train)} normal training beats of {min(lengths)} to "
        f"{max(lengths)} samples; {len(X_test)} test beats, {abnormal.sum()} "
        "with lead I altered"
    )
    params = dict(hidden_size=32, latent_size=16, max_epochs=max_epochs, random_state=0)
    three = LSTMAutoencoderDetector(**params)
    start = time.perf_counter()
    three.fit(X_train)
    print(
        f"3-lead detector: {len(three.net_.history)} epochs in "
        f"{time.perf_counter() - start:.0f} s; n_timesteps_={three.n_timesteps_}"
    )
    lead_ii = LSTMAutoencoderDetector(**params).fit([x[:, 1] for x in X_train])

    auc_three = roc_auc_score(abnormal, -three.score_samples(X_test))
    auc_ii = roc_auc_score(abnormal, -lead_ii.score_samples([x[:, 1] for x in X_test]))
    print(f"AUROC, 3 leads: {auc_three:.4f}; lead II only: {auc_ii:.4f}")
    pred = three.predict(X_test)
    print(
        f"3-lead detector flags {(pred[abnormal] == -1).mean():.3f} of the altered "
        f"beats and {(pred[~abnormal] == -1).mean():.3f} of the normal ones"
    )
    per_lead = np.stack(
        [-s.mean(axis=0) for s in three.score_timesteps(X_test, per_channel=True)]
    )  # (n_beats, 3): mean error of each lead
    named = per_lead[abnormal].argmax(axis=1)
    print(
        "lead with the largest error, altered beats: "
        + ", ".join(f"{lead} {(named == i).mean():.3f}" for i, lead in enumerate(LEADS))
    )
    alone = np.array([three.score_samples([x])[0] for x in X_test[:50]])
    in_batch = three.score_samples(X_test)[:50]
    print(
        f"max |score alone - score in the batch|: {np.abs(alone - in_batch).max():.2e}"
    )
    _plot(three, X_test, y_test, per_lead, Path(output))


def _plot(detector, X_test, y_test, per_lead, output):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    output.mkdir(parents=True, exist_ok=True)
    abnormal = np.flatnonzero(y_test == -1)
    picks = [np.flatnonzero(y_test == 1)[0], abnormal[0], abnormal[1]]
    beats = [X_test[i] for i in picks]
    recon = detector.reconstruct(beats)
    errors = detector.score_timesteps(beats, per_channel=True)
    fig, axes = plt.subplots(3, 3, figsize=(13, 7), sharey="row")
    for col, (i, beat, r, e) in enumerate(
        zip(picks, beats, recon, errors, strict=True)
    ):
        kind = "normal" if y_test[i] == 1 else "lead I altered"
        for lead in range(3):
            ax = axes[lead, col]
            ax.plot(beat[:, lead], label="beat")
            ax.plot(r[:, lead], label="reconstruction")
            ax.plot(
                -e[:, lead] - 0.8, color="C3", label="error, std units, shifted by -0.8"
            )
            ax.set_title(
                f"{kind} ({len(beat)} samples), lead {LEADS[lead]}", fontsize=9
            )
    axes[0, 0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(output / "multilead_beats.png", dpi=120, bbox_inches="tight")

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.boxplot(
        [per_lead[y_test == 1, lead] for lead in range(3)]
        + [per_lead[y_test == -1, lead] for lead in range(3)],
        tick_labels=[f"normal\n{lead}" for lead in LEADS]
        + [f"altered\n{lead}" for lead in LEADS],
    )
    ax.set(ylabel="mean error of the lead", title="Per-lead error of each beat")
    fig.savefig(output / "multilead_errors.png", dpi=120, bbox_inches="tight")
    plt.close("all")
    print(f"plots written to {output}/")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    default = Path(sys.argv[0]).resolve().parent / "output"
    parser.add_argument("--output", default=default, help="folder for the PNGs")
    parser.add_argument("--max-epochs", type=int, default=15)
    parser.add_argument(
        "--quick",
        action="store_true",
        # the docs build sets the variable: a short run there
        default=os.environ.get("SKLEARN_LSTMAE_EXAMPLES_QUICK", "") not in ("", "0"),
        help="3 epochs only (also $SKLEARN_LSTMAE_EXAMPLES_QUICK=1)",
    )
    args = parser.parse_args()
    main(args.output, max_epochs=3 if args.quick else args.max_epochs)
