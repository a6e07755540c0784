"""A detector over a long ECG recording: windows, a score per time stamp, streaming
================================================================================

SYNTHETIC DATA: the recordings come from ``make_ecg_recording``, a wave model
of the heartbeat (sums of Gaussian P, Q, R, S, T waves, after McSharry et
al. 2003) with heart-rate variation, baseline wander and noise; the abnormal
beats are premature ventricular contractions (PVC-like: early, wide QRS, no P
wave, T wave opposite to the QRS). No real long recording is used.

1. Cut a clean 5-minute recording into overlapping 1-second windows
   (``SlidingWindows``) and train the detector on them.
2. Score every window of a new recording with abnormal beats, and map the
   window scores back to one score per time stamp (``timestamp_scores``:
   the mean, or the worst, of the windows covering it).
3. Score the same recording as a stream arriving 0.25 s at a time
   (``StreamingScorer``), with a bounded buffer, and check the scores equal
   the batch ones.

Run ``python examples/long_recording.py [--max-epochs N] [--quick]
[--output DIR]``; the PNG files go to ``DIR`` (default ``examples/output``).
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from sklearn_lstmae import (
    LSTMAutoencoderDetector,
    SlidingWindows,
    StreamingScorer,
    timestamp_scores,
)
from sklearn_lstmae.datasets import make_ecg_recording

FS = 100  # samples per second
WINDOW, STEP = 100, 5  # 1 s windows every 50 ms


def main(output, max_epochs=15):
    train, _ = make_ecg_recording(
        350, sampling_rate=FS, anomaly_fraction=0.0, random_state=0
    )
    test, truth = make_ecg_recording(
        90, sampling_rate=FS, anomaly_fraction=0.08, random_state=1
    )
    windows = SlidingWindows(WINDOW, step=2 * STEP).fit(train)
    X_train = windows.transform(train)
    print(
        f"training recording: {len(train) / FS:.0f} s, {len(X_train)} windows of "
        f"{WINDOW} samples; test recording: {len(test) / FS:.0f} s with "
        f"{truth.mean():.1%} of its samples in abnormal beats"
    )
    detector = LSTMAutoencoderDetector(
        hidden_size=32, latent_size=16, max_epochs=max_epochs, random_state=0
    )
    start = time.perf_counter()
    detector.fit(X_train)
    seconds = time.perf_counter() - start
    print(f"trained {len(detector.net_.history)} epochs in {seconds:.0f} s")

    # Batch: every window of the test recording, then one score per time stamp.
    X_test = SlidingWindows(WINDOW, step=STEP).fit_transform(test)
    window_errors = -detector.score_samples(X_test)  # higher: more abnormal
    per_stamp = {
        agg: timestamp_scores(
            window_errors, len(test), window=WINDOW, step=STEP, aggregate=agg
        )
        for agg in ("mean", "max")
    }
    covered = ~np.isnan(per_stamp["mean"])
    for agg, scores in per_stamp.items():
        auc = roc_auc_score(truth[covered], scores[covered])
        print(f"AUROC per time stamp ({agg} over covering windows): {auc:.4f}")
    flagged = window_errors > detector.threshold_
    starts = np.arange(len(X_test)) * STEP
    hit = truth[starts[:, None] + np.arange(WINDOW)].any(axis=1)
    print(
        f"windows above the threshold: {flagged[hit].mean():.3f} of those "
        f"touching an abnormal beat, {flagged[~hit].mean():.3f} of the others"
    )

    # Streaming: 25 samples (0.25 s) at a time, a bounded buffer.
    stream = StreamingScorer(detector, WINDOW, step=STEP)
    streamed, largest_buffer = [], 0
    for chunk in np.array_split(test, np.arange(25, len(test), 25)):
        streamed.append(-stream.update(chunk))
        largest_buffer = max(largest_buffer, stream.buffer_size)
    streamed = np.concatenate(streamed)
    print(
        f"streaming: {stream.n_windows_} windows scored, largest buffer "
        f"{largest_buffer} samples (bound {WINDOW - 1}); max |stream - batch| = "
        f"{np.abs(streamed - window_errors).max():.2e}"
    )
    _plot(test, truth, per_stamp, detector.threshold_, Path(output))


def _plot(test, truth, per_stamp, threshold, output):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    output.mkdir(parents=True, exist_ok=True)
    t = np.arange(len(test)) / FS
    fig, axes = plt.subplots(2, 1, figsize=(14, 5), sharex=True, height_ratios=[3, 2])
    axes[0].plot(t, test, lw=0.7, color="k")
    for ax in axes:
        ax.fill_between(
            t,
            0,
            1,
            where=truth,
            transform=ax.get_xaxis_transform(),
            color="C3",
            alpha=0.15,
            lw=0,
        )
    axes[0].set(ylabel="lead II (mV)", title="Synthetic ECG, abnormal beats shaded")
    axes[1].plot(t, per_stamp["max"], label="worst covering window")
    axes[1].plot(t, per_stamp["mean"], label="mean of covering windows")
    axes[1].axhline(threshold, color="k", ls="--", lw=0.8, label="threshold")
    axes[1].set(xlabel="time (s)", ylabel="reconstruction error")
    axes[1].legend(loc="upper right")
    fig.savefig(output / "long_recording.png", dpi=120, bbox_inches="tight")
    first = np.flatnonzero(truth)[0] / FS  # around the first abnormal beat
    for ax in axes:
        ax.set_xlim(max(first - 6, 0), first + 6)
    fig.savefig(output / "long_recording_zoom.png", dpi=120, bbox_inches="tight")
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
