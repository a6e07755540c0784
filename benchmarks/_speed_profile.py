"""A short detector fit and a scoring call to profile, and a profile summary.

Profile with py-spy (``pip install py-spy``; the ECG5000 data as for speed.py)::

    py-spy record -r 200 -f speedscope -o /tmp/prof.json -- \\
        python benchmarks/_speed_profile.py --threads 1
    python benchmarks/_speed_profile.py --summary /tmp/prof.json

The run fits once on a few beats first (imports, first-optimizer and kernel
set-up costs), then calls ``profiled_fit`` (the detector with
``patience=None``, ``--epochs`` epochs on the first ``--beats`` normal
training beats of the tutorial split) and ``profiled_score`` (``--score``
synthetic beats); it writes no report. The summary
lists, for each of the two, the share of samples under each Python frame
(inclusive) and the frames the samples were in (self). ``--ops`` prints
torch.profiler's operator table for each call instead of running for py-spy.
"""

import argparse
import collections
import json
import time
from pathlib import Path

import numpy as np
import torch

from sklearn_lstmae import LSTMAutoencoderDetector
from sklearn_lstmae.datasets import load_ecg5000, tutorial_split

_TARGETS = ("profiled_fit", "profiled_score")


def profiled_fit(X, epochs):
    det = LSTMAutoencoderDetector(max_epochs=epochs, patience=None, random_state=0)
    return det.fit(X)


def profiled_score(det, X):
    return det.score_samples(X)


def run(args):
    torch.set_num_threads(args.threads)
    ecg = load_ecg5000()
    X = tutorial_split(ecg.data, ecg.is_anomaly, random_state=42).X_train
    X = X[: args.beats]
    beats = np.random.default_rng(0).standard_normal((args.score, X.shape[1]))
    beats = beats.astype(np.float32)
    # Warm-up, outside the profiled functions.
    det = LSTMAutoencoderDetector(max_epochs=1, random_state=0).fit(X[:64])
    det.score_samples(beats[:64])
    calls = [
        ("profiled_fit", lambda: profiled_fit(X, args.epochs)),
        ("profiled_score", lambda: profiled_score(det, beats)),
    ]
    for name, call in calls:
        start = time.perf_counter()
        if args.ops:
            with torch.profiler.profile() as prof:
                call()
            table = prof.key_averages().table(sort_by="self_cpu_time_total")
            print("\n".join(table.splitlines()[:16]))
        else:
            call()
        print(f"{name}: {time.perf_counter() - start:.2f} s")


def _frame_name(frame):
    path = frame.get("file", "")
    for marker in ("site-packages/", "/benchmarks/", "/sklearn_lstmae/"):
        path = path.split(marker)[-1]
    return f"{frame['name']} ({path}:{frame.get('line', '')})"


def summary(path, rows):
    """Print the inclusive and self shares of samples under each target."""
    data = json.loads(Path(path).read_text())
    names = [_frame_name(f) for f in data["shared"]["frames"]]
    profile = max(data["profiles"], key=lambda p: len(p["samples"]))
    for target in _TARGETS:
        inclusive, own, total = collections.Counter(), collections.Counter(), 0.0
        for stack, weight in zip(profile["samples"], profile["weights"], strict=True):
            frames = [names[i] for i in stack]
            if not any(f.startswith(target + " ") for f in frames):
                continue
            total += weight
            for frame in set(frames):
                inclusive[frame] += weight
            own[frames[-1]] += weight
        print(f"== {target}: {total:.2f} s of samples")
        for title, counter in (("inclusive", inclusive), ("self", own)):
            print(f"-- {title}")
            for frame, weight in counter.most_common(rows):
                print(f"{100 * weight / max(total, 1e-9):6.1f}%  {frame}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--beats", type=int, default=600, help="training beats")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--score", type=int, default=20000, help="beats to score")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--ops", action="store_true", help="torch.profiler tables")
    parser.add_argument("--summary", metavar="SPEEDSCOPE_JSON")
    parser.add_argument("--rows", type=int, default=25)
    args = parser.parse_args()
    if args.summary:
        summary(args.summary, args.rows)
    else:
        run(args)


if __name__ == "__main__":
    main()
