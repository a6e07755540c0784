"""ECG5000: LSTMAutoencoderDetector against scikit-learn's and PyOD's detectors.

Every detector runs with its defaults, as a user would first try it, on the
same arrays, under two protocols:

- tutorial: all normal beats (train and test files) split 85/15, the 15 % part
  split 67/33 into validation and test normals, the test set completed with as
  many anomalous beats (``tutorial_split(..., random_state=42)``); every
  detector trains on the 85 % only.
- archive: train on the 292 normal beats of the official TRAIN file, test on
  all 4,500 beats of the TEST file.

Each (detector, protocol, seed) runs in a fresh worker process, one at a time,
so that its peak memory can be measured on its own and no global state (PyOD
seeds torch and numpy globally) leaks from one detector into another.

Besides the scores, the report lists the tutorial test beats that keep the
LSTM detector from 142/145 normal beats right, with each one's distance to the
nearest training beat (benchmarks/output/ecg5000_misranked.png draws them).

Run ``python benchmarks/ecg5000.py`` for the full benchmark (it rewrites the
``ecg5000`` section of BENCHMARKS.md and draws benchmarks/output/ecg5000_roc.png),
or ``--quick`` for a reduced run (one seed, the LSTM detector's epochs capped)
whose numbers go to benchmarks/output/BENCHMARKS-quick.md only.
``--lstm-param NAME=VALUE`` runs the LSTM detector with a non-default
parameter (e.g. ``noise_std=0.05``); that report goes to its own section of
BENCHMARKS.md (``ecg5000-options-noise_std-0.05``), beside the defaults' one.
"""

import argparse
import ast
import gc
import math
import operator
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from fractions import Fraction
from importlib.util import find_spec
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path
from typing import NamedTuple

import _common
import numpy as np
import torch
from sklearn.ensemble import IsolationForest
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    f1_score,
    roc_auc_score,
    roc_curve,
)
from sklearn.neighbors import LocalOutlierFactor, NearestNeighbors
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import OneClassSVM

from sklearn_lstmae import LSTMAutoencoderDetector
from sklearn_lstmae.datasets import load_ecg5000, tutorial_split

OUTPUT = Path(__file__).resolve().parent / "output"
LSTM = "LSTMAutoencoderDetector"
QUICK_MAX_EPOCHS = 2

# Targets of issue 3 for the LSTM detector, checked (never assumed) in _targets.
TARGET_AUROC = {"tutorial": 0.997, "archive": 0.993}
TARGET_BALANCED_ACCURACY = {"tutorial": 0.98, "archive": 0.97}
TARGET_CORRECT_SHARE = {"tutorial": Fraction(142, 145)}  # of each class
TARGET_FIT_SECONDS = 90.0


# -- detectors -----------------------------------------------------------------


class _Detector(NamedTuple):
    make: Callable  # (seed, lstm) -> an unfitted detector with its defaults
    seeded: bool  # randomised: one run per seed
    pyod_api: bool  # decision_function higher = more abnormal, predict gives 0/1
    prepare: Callable | None = None  # untimed one-off set-up in the worker


def _lstm(seed, lstm):
    """The LSTM detector; ``lstm``: its epoch cap and non-default parameters."""
    detector = LSTMAutoencoderDetector(random_state=seed, **lstm["params"])
    cap = lstm["max_epochs"]
    if cap is not None:
        epochs = detector.max_epochs  # "auto" trains at least 20 epochs
        detector.set_params(max_epochs=cap if epochs == "auto" else min(epochs, cap))
    return detector


def _pyod_autoencoder(seed, _):
    from pyod.models.auto_encoder import AutoEncoder

    return AutoEncoder(random_state=seed, verbose=0)  # verbose=0: no progress bar


def _compile_pyod_numba():
    """Compile, untimed, the numba function PyOD's AutoEncoder scores with.

    It is compiled on first use in each process (no on-disk cache), which
    would otherwise add tens of seconds to the first fit.
    """
    from pyod.utils.stat_models import pairwise_distances_no_broadcast

    for dtype in (np.float32, np.float64):
        pairwise_distances_no_broadcast(np.zeros((2, 2), dtype), np.ones((2, 2), dtype))


def _pyod_knn(seed, _):
    from pyod.models.knn import KNN

    return KNN()


DETECTORS = {
    LSTM: _Detector(_lstm, True, False),
    "IsolationForest": _Detector(
        lambda seed, _: IsolationForest(random_state=seed), True, False
    ),
    "OneClassSVM (scaled)": _Detector(
        lambda seed, _: make_pipeline(StandardScaler(), OneClassSVM()), False, False
    ),
    "LocalOutlierFactor (novelty)": _Detector(
        lambda seed, _: LocalOutlierFactor(novelty=True), False, False
    ),
    "PyOD AutoEncoder": _Detector(
        _pyod_autoencoder, True, True, prepare=_compile_pyod_numba
    ),
    "PyOD KNN": _Detector(_pyod_knn, False, True),
}


# -- one run, in a fresh worker process ---------------------------------------


def _run_one(name, seed, X_train, X_test, lstm, trace_python):
    """Fit one detector, score the test beats; return scores, labels, costs."""
    spec = DETECTORS[name]
    detector = spec.make(seed, lstm)
    if spec.prepare is not None:
        spec.prepare()
    gc.collect()
    with _PeakMemory(trace_python) as memory:
        start = time.perf_counter()
        detector.fit(X_train)
        fit_seconds = time.perf_counter() - start
        start = time.perf_counter()
        if spec.pyod_api:  # higher = more abnormal; predict gives 1 for outliers
            anomaly_score = detector.decision_function(X_test)
            score_seconds = time.perf_counter() - start
            pred = np.where(detector.predict(X_test) == 1, -1, 1)
        else:
            anomaly_score = -detector.score_samples(X_test)
            score_seconds = time.perf_counter() - start
            pred = detector.predict(X_test)
    net = getattr(detector, "net_", None)  # the LSTM detector's skorch net
    epochs = None if net is None else len(net.history)
    return {
        "anomaly_score": np.asarray(anomaly_score, dtype=np.float64),
        "pred": np.asarray(pred),
        "fit_s": fit_seconds,
        "score_s": score_seconds,
        "rss_mib": memory.rss_mib,
        "python_mib": memory.python_mib,
        "epochs": epochs,
    }


class _PeakMemory:
    """Increase of the process's peak RSS (and optionally tracemalloc's peak).

    On Linux the RSS high-water mark (VmHWM) is reset through
    /proc/self/clear_refs on entry, so ``rss_mib`` is the peak RSS reached
    inside the block minus the RSS on entry. Elsewhere it falls back to the
    growth of ``ru_maxrss``, a lower bound.
    """

    def __init__(self, trace_python):
        self.trace_python = trace_python
        self.rss_mib = self.python_mib = None

    def __enter__(self):
        try:
            Path("/proc/self/clear_refs").write_text("5")
            self._peak = lambda: _proc_status_kib("VmHWM")
            self._before = _proc_status_kib("VmRSS")
        except OSError:
            import resource

            self._peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            self._before = self._peak()
        if self.trace_python:
            import tracemalloc

            tracemalloc.start()
        return self

    def __exit__(self, *exc):
        self.rss_mib = (self._peak() - self._before) / 1024
        if self.trace_python:
            import tracemalloc

            self.python_mib = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        return False


def _proc_status_kib(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise OSError(f"{field} not in /proc/self/status")


# -- data, runs and metrics (parent process) ----------------------------------


def _protocols():
    ecg = load_ecg5000()
    split = tutorial_split(ecg.data, ecg.is_anomaly, random_state=42)
    train = ecg.split == "train"
    test = ~train
    return {
        "tutorial": (split.X_train, split.X_test, split.y_test),
        "archive": (
            ecg.data[train & ~ecg.is_anomaly],
            ecg.data[test],
            np.where(ecg.is_anomaly[test], -1, 1),
        ),
    }


def _metrics(y, run):
    anomalous = y == -1
    score, pred = run["anomaly_score"], run["pred"]
    return {
        "auroc": roc_auc_score(anomalous, score),
        "auprc": average_precision_score(anomalous, score),
        "bal_acc": balanced_accuracy_score(y, pred),
        "f1": f1_score(y, pred, pos_label=-1),
        "normal_ok": int(((pred == 1) & ~anomalous).sum()),
        "anomalous_ok": int(((pred == -1) & anomalous).sum()),
        **_threshold_ceiling(anomalous, score),
        "fit_s": run["fit_s"],
        "score_s": run["score_s"],
        "rss_mib": run["rss_mib"],
        "python_mib": run["python_mib"],
    }


def _threshold_ceiling(anomalous, score):
    """What the best threshold on these test labels would give this ranking.

    Not reachable by a detector (it needs the test labels); it separates what
    a detector's threshold costs from what its ranking allows.
    ``best_both_ok``: the most beats of the smaller side (normal or anomalous)
    correct at any one threshold, e.g. whether 142/145 on both sides exists;
    ``best_bal_acc_both_ok``: the best balanced accuracy among the thresholds
    that keep ``best_both_ok`` beats right on both sides (whether 142/145 on
    both sides together with a balanced accuracy of 0.98 exists).
    """
    fpr, tpr, _ = roc_curve(anomalous, score, drop_intermediate=False)
    n_anomalous = int(anomalous.sum())
    n_normal = anomalous.size - n_anomalous
    normal_ok = np.rint((1 - fpr) * n_normal)
    anomalous_ok = np.rint(tpr * n_anomalous)
    bal_acc = (tpr + 1 - fpr) / 2
    both_ok = np.minimum(normal_ok, anomalous_ok)
    most = both_ok.max()
    return {
        "best_bal_acc": float(bal_acc.max()),
        "best_both_ok": int(most),
        "best_bal_acc_both_ok": float(bal_acc[both_ok == most].max()),
    }


def _equal_classes(y):
    """Whether the test set has as many normal as anomalous beats (tutorial):
    only then is "the same count right on both sides" a fair measure."""
    return (y == 1).sum() == (y == -1).sum()


def _run_all(protocols, names, seeds, lstm, trace_python):
    """Run every (protocol, detector, seed), one worker process at a time."""
    results = {p: {} for p in protocols}
    context = _worker_context()
    with ProcessPoolExecutor(1, mp_context=context, max_tasks_per_child=1) as pool:
        for protocol, (X_train, X_test, y_test) in protocols.items():
            for name in names:
                runs = []
                for seed in seeds if DETECTORS[name].seeded else seeds[:1]:
                    future = pool.submit(
                        _run_one, name, seed, X_train, X_test, lstm, trace_python
                    )
                    run = future.result()
                    run["seed"] = seed
                    run["metrics"] = _metrics(y_test, run)
                    runs.append(run)
                    m = run["metrics"]
                    print(
                        f"  {protocol:8s} {name:29s} seed {seed}: AUROC "
                        f"{m['auroc']:.4f}, bal. acc. {m['bal_acc']:.4f}, fit "
                        f"{m['fit_s']:.1f} s",
                        flush=True,
                    )
                results[protocol][name] = runs
    return results


def _worker_context():
    """A fresh process per run; forkserver imports the libraries only once.

    Where CUDA is available, spawn: on an H200 a worker forked from a
    forkserver that had imported torch failed its first CUDA call
    ("CUDA error: initialization error").
    """
    if "forkserver" not in get_all_start_methods() or torch.cuda.is_available():
        return get_context("spawn")
    context = get_context("forkserver")
    preload = ["sklearn.ensemble", "sklearn.neighbors", "sklearn.svm", "sklearn_lstmae"]
    if find_spec("pyod") is not None:
        preload += ["pyod.models.auto_encoder", "pyod.models.knn"]
    context.set_forkserver_preload(preload)
    return context


def _values(runs, key):
    return np.array([run["metrics"][key] for run in runs], dtype=np.float64)


def _fmt(runs, key, digits):
    values = _values(runs, key)
    if np.isnan(values).any():
        return "n/a"
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{values.mean():.{digits}f} ± {values.std(ddof=1):.{digits}f}"


def _fmt_count(runs, key, total):
    values = _values(runs, key)
    if len(values) == 1:
        return f"{values[0]:.0f}/{total}"
    return f"{values.mean():.1f} ± {values.std(ddof=1):.1f} /{total}"


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _results_table(runs_by_name, y, trace_python):
    n_normal, n_anomalous = int((y == 1).sum()), int((y == -1).sum())
    header = [
        "detector",
        "runs",
        "AUROC",
        "AUPRC",
        "bal. acc.",
        "F1",
        "normal correct",
        "anomalous correct",
        "fit s",
        "score s",
        "peak RSS +MiB",
    ]
    if trace_python:
        header.append("tracemalloc MiB")
    rows = []
    for name, runs in runs_by_name.items():
        row = [
            name,
            len(runs),
            _fmt(runs, "auroc", 4),
            _fmt(runs, "auprc", 4),
            _fmt(runs, "bal_acc", 4),
            _fmt(runs, "f1", 4),
            _fmt_count(runs, "normal_ok", n_normal),
            _fmt_count(runs, "anomalous_ok", n_anomalous),
            _fmt(runs, "fit_s", 1),
            _fmt(runs, "score_s", 2),
            _fmt(runs, "rss_mib", 0),
        ]
        if trace_python:
            row.append(_fmt(runs, "python_mib", 0))
        rows.append(row)
    return _table(header, rows)


def _ceiling_table(results, y_by_protocol):
    """Balanced accuracy of ``predict`` against the best threshold's."""
    header = [
        "protocol",
        "detector",
        "bal. acc. of predict",
        "best bal. acc. at any threshold",
        "most beats right on both sides at one threshold",
        "best bal. acc. keeping that many right on both sides",
    ]
    rows = []
    for protocol, runs_by_name in results.items():
        y = y_by_protocol[protocol]
        for name, runs in runs_by_name.items():
            both = both_bal_acc = "n/a (classes of unequal size)"
            if _equal_classes(y):
                both = _fmt_count(runs, "best_both_ok", int((y == 1).sum()))
                both_bal_acc = _fmt(runs, "best_bal_acc_both_ok", 4)
            rows.append(
                [
                    protocol,
                    name,
                    _fmt(runs, "bal_acc", 4),
                    _fmt(runs, "best_bal_acc", 4),
                    both,
                    both_bal_acc,
                ]
            )
    return _table(header, rows)


def _ceiling_per_seed(results, y_by_protocol):
    """The LSTM detector's row of the ceiling table, one value per seed."""
    lines = []
    for protocol, runs_by_name in results.items():
        runs = runs_by_name.get(LSTM, [])
        if len(runs) < 2:
            continue
        keys = [("bal_acc", "bal. acc. of predict"), ("best_bal_acc", "best")]
        if _equal_classes(y_by_protocol[protocol]):
            keys.append(("best_bal_acc_both_ok", "best keeping that many"))
        values = "; ".join(
            f"{label} {', '.join(f'{v:.4f}' for v in _values(runs, key))}"
            for key, label in keys
        )
        seeds = ", ".join(str(run["seed"]) for run in runs)
        lines.append(f"{LSTM}, {protocol}, per seed ({seeds}): {values}.\n")
    return lines


def _normals_needed(y):
    """Test normals, and how many must be right for the tutorial's target."""
    n_normal = int((y == 1).sum())
    return n_normal, math.ceil(TARGET_CORRECT_SHARE["tutorial"] * n_normal)


def _misranked_beats(X_train, X_test, y, runs, need):
    """The test beats between the LSTM detector and ``need`` normal beats right.

    Keeping ``need`` normal beats right takes a threshold above the ``k``-th
    highest-scored normal beat, ``k = n_normal - need + 1``; every anomalous
    beat scored at or below that one is then missed.

    Returned, one dict per beat, sorted by label then by distance: the normal
    beats scored above at least one anomalous beat, and the anomalous beats
    scored at or below the ``k``-th highest normal, in any run. ``distance``
    is the beat's Euclidean distance to its nearest training beat divided by
    the median of the test normals' (no detector, no label involved);
    ``normals_farther`` counts the test normals farther than that;
    ``wrong_side`` holds, per run, how many beats of the other class the
    detector scores on the wrong side of this one.
    """
    normal = y == 1
    k = int(normal.sum()) - need + 1
    nearest = NearestNeighbors(n_neighbors=1).fit(X_train).kneighbors(X_test)[0][:, 0]
    distance = nearest / np.median(nearest[normal])
    scores = np.array([run["anomaly_score"] for run in runs])
    wrong = np.empty_like(scores, dtype=np.int64)
    picked = np.zeros(y.size, dtype=bool)
    for i, score in enumerate(scores):
        normals, anomalies = np.sort(score[normal]), np.sort(score[~normal])
        wrong[i, normal] = np.searchsorted(anomalies, score[normal], side="left")
        wrong[i, ~normal] = normals.size - np.searchsorted(
            normals, score[~normal], side="right"
        )
        picked |= normal & (wrong[i] > 0)
        picked |= ~normal & (score <= normals[-k])
    beats = [
        {
            "beat": int(j),
            "normal": bool(normal[j]),
            "distance": float(distance[j]),
            "normals_farther": int((distance[normal] > distance[j]).sum()),
            "wrong_side": [int(w) for w in wrong[:, j]],
        }
        for j in np.flatnonzero(picked)
    ]
    return sorted(beats, key=lambda b: (not b["normal"], -b["distance"]))


def _misranked_section(protocols, results):
    """Markdown for the tutorial beats ``_misranked_beats`` picks (or nothing)."""
    runs = results.get("tutorial", {}).get(LSTM)
    if "tutorial" not in TARGET_CORRECT_SHARE or not runs:
        return [], []
    X_train, X_test, y = protocols["tutorial"]
    n_normal, need = _normals_needed(y)
    beats = _misranked_beats(X_train, X_test, y, runs, need)
    seeds = ", ".join(str(run["seed"]) for run in runs)
    plural = "s" if len(runs) > 1 else ""
    header = [
        "test beat",
        "label",
        "distance to nearest training beat (÷ median of test normals)",
        "test normals farther from every training beat",
        f"beats of the other class on its wrong side (seed{plural} {seeds})",
    ]
    rows = [
        [
            b["beat"],
            "normal" if b["normal"] else "anomalous",
            f"{b['distance']:.2f}",
            f"{b['normals_farther']}/{n_normal}",
            ", ".join(map(str, b["wrong_side"])),
        ]
        for b in beats
    ]
    text = [
        f"### Which tutorial test beats stand between {LSTM} and {need}/{n_normal}\n",
        f"For {need}/{n_normal} normal beats right, a threshold may flag at "
        f"most {n_normal - need} normal beats, so it lies above the score of "
        "every other normal beat and misses each anomalous beat scored below "
        f"those. Listed: the normal beats {LSTM} scores above at least one "
        "anomalous beat, and the anomalous beats a threshold keeping "
        f"{need}/{n_normal} normal beats right would miss, on any seed. The "
        "distance column uses neither the detector nor the labels: how far the "
        "beat lies from the closest training beat (raw values, "
        "Euclidean), against the median test normal's.\n",
        _table(header, rows) + "\n",
    ]
    return text, beats


# -- targets of the LSTM detector ---------------------------------------------


def _targets(results, y_by_protocol):
    """One row per target: what, measured, met by the mean, met by every seed."""
    rows = []
    for protocol, runs_by_name in results.items():
        lstm = runs_by_name.get(LSTM)
        if not lstm:
            continue
        peers = {n: r for n, r in runs_by_name.items() if n != LSTM}
        y = y_by_protocol[protocol]
        for key, label, target in [
            ("auroc", "AUROC", TARGET_AUROC[protocol]),
            ("bal_acc", "balanced accuracy", TARGET_BALANCED_ACCURACY[protocol]),
        ]:
            values = _values(lstm, key)
            rows.append(
                _target_row(f"{protocol}: {label} ≥ {target:g}", values, target, 4)
            )
        share = TARGET_CORRECT_SHARE.get(protocol)
        for key, label, label_value in [
            ("normal_ok", "normal beats correct", 1),
            ("anomalous_ok", "anomalous beats correct", -1),
        ]:
            if share is None:
                break
            n = int((y == label_value).sum())
            need = math.ceil(share * n)
            values = _values(lstm, key)
            text = f"{protocol}: {label} ≥ {need}/{n}"
            digits = 1 if len(values) > 1 else 0
            rows.append(_target_row(text, values, need, digits, suffix=f"/{n}"))
        for key, label in [("auroc", "AUROC"), ("bal_acc", "balanced accuracy")]:
            if not peers:
                break
            peer_means = {n: _values(r, key).mean() for n, r in peers.items()}
            best = max(peer_means, key=peer_means.get)
            values = _values(lstm, key)
            row = _target_row(
                f"{protocol}: {label} ahead of every peer",
                values,
                peer_means[best],
                4,
                strict=True,
            )
            row[1] += f" vs {peer_means[best]:.4f} ({best})"
            rows.append(row)
        values = _values(lstm, "fit_s")
        text = f"{protocol}: fit ≤ {TARGET_FIT_SECONDS:.0f} s"
        rows.append(
            _target_row(text, values, TARGET_FIT_SECONDS, 1, suffix=" s", upper=True)
        )
    header = ["target (LSTM detector)", "measured", "met (mean)", "met (every seed)"]
    return _table(header, rows)


def _target_row(text, values, bound, digits, suffix="", strict=False, upper=False):
    """A Targets row: ``values`` (one per seed) against a floor or a ceiling."""
    compare = operator.le if upper else operator.gt if strict else operator.ge
    worst = values.max() if upper else values.min()
    measured = f"{values.mean():.{digits}f}{suffix}"
    if len(values) > 1:
        measured += f" (worst seed {worst:.{digits}f})"
    yes = {True: "yes", False: "**no**"}
    return [
        text,
        measured,
        yes[bool(compare(values.mean(), bound))],
        yes[bool(compare(worst, bound))],
    ]


# -- report -------------------------------------------------------------------


def _report(
    results, protocols, args, wall_seconds, loads, figure_paths, skipped, misranked
):
    y_by_protocol = {p: y for p, (_, _, y) in protocols.items()}
    parts = ["## ECG5000: LSTMAutoencoderDetector and its peers\n", _common.stamp()]
    if args.lstm_params:
        shown = ", ".join(f"{k}={v!r}" for k, v in args.lstm_params.items())
        parts.append(
            f"**Not the defaults: LSTMAutoencoderDetector({shown}), every other "
            "parameter default. The peers are unchanged.**\n"
        )
    if args.reduced:
        parts.append(
            f"**Reduced run (`--quick` or `--max-epochs`): the LSTM detector's "
            f"max_epochs was capped at {args.max_epochs} and only seed(s) "
            f"{', '.join(map(str, args.seeds))} ran. These are NOT the numbers of "
            "the defaults.**\n"
        )
    parts.append(
        "Every detector runs with its defaults on the same arrays. Tutorial: "
        "the normal beats of both files split 85/15, the 15 % split 67/33 into "
        "validation and test normals, the test set completed with as many "
        "anomalous beats (`tutorial_split(random_state=42)`); training on the "
        "85 % only. Archive: training on the normal beats of the official TRAIN "
        "file, testing on all TEST beats.\n"
    )
    for protocol, runs_by_name in results.items():
        X_train, X_test, y = protocols[protocol]
        parts.append(
            f"### {protocol.capitalize()} protocol: train {len(X_train)} normal "
            f"beats; test {int((y == 1).sum())} normal + {int((y == -1).sum())} "
            "anomalous\n"
        )
        parts.append(_results_table(runs_by_name, y, args.tracemalloc) + "\n")
        epochs = [r["epochs"] for r in runs_by_name.get(LSTM, [])]
        if epochs:
            parts.append(f"LSTM epochs trained (per seed): {epochs}.\n")
    parts.append("### Targets\n")
    parts.append(_targets(results, y_by_protocol) + "\n")
    parts.append("### What the threshold costs and what the ranking allows\n")
    parts.append(
        "The best threshold is chosen here with the test labels, which no "
        "detector may do: it is not a result, but an upper bound of what any "
        "threshold rule could reach with each detector's ranking of the test "
        "beats. The gap to `predict` is what the detector's own threshold "
        "(chosen from training data) costs.\n"
    )
    parts.append(_ceiling_table(results, y_by_protocol) + "\n")
    parts += _ceiling_per_seed(results, y_by_protocol)
    parts += misranked
    notes = [
        "AUROC and AUPRC rank the test beats by each detector's anomaly score "
        "(`-score_samples` for scikit-learn's API, `decision_function` for "
        "PyOD's), anomalous = positive. Balanced accuracy, F1 (anomalous = "
        "positive) and the correct counts use each detector's own `predict`, "
        "whose threshold comes from training data only (PyOD's 0/1 labels "
        "mapped to +1/-1; PyOD's default contamination 0.1 kept).",
        f"Seeded detectors ({', '.join(n for n, d in DETECTORS.items() if d.seeded)}) "
        f"ran with random_state in {args.seeds}: mean ± sample standard "
        "deviation. The others are deterministic and ran once. Only "
        "random_state is set (and PyOD AutoEncoder's verbose=0, which hides its "
        "progress bar); every other parameter is the detector's default.",
        "fit s: `fit` on the training beats; score s: the one call giving the "
        "test beats' anomaly scores (`predict` not timed); wall-clock "
        "`time.perf_counter`, torch's default thread count.",
        "peak RSS +MiB: each run happens in a fresh worker process (forked from "
        "a multiprocessing forkserver that imported the libraries, or spawned "
        "where there is none); the figure is the peak resident set size "
        "reached during fit + scoring + predict minus the RSS just before "
        "(the Linux high-water mark VmHWM, reset through /proc/self/clear_refs; "
        "elsewhere the growth of ru_maxrss, a lower bound). It counts torch's "
        "CPU tensors and one-off library initialisation, which tracemalloc "
        "does not see. PyOD's numba function is compiled before the "
        "measurement (untimed), once per worker"
        + (
            "; tracemalloc MiB is the peak of Python/numpy allocations, traced "
            "during the same runs, so fit times are slightly inflated."
            if args.tracemalloc
            else "."
        ),
        f"Total wall time {wall_seconds / 60:.1f} min; load average "
        f"{loads[0]:.1f} at the start and {loads[1]:.1f} at the end (other "
        "processes on the machine slow every time column).",
    ]
    if skipped:
        notes.append(f"Skipped: {skipped}.")
    for label, paths in figure_paths.items():
        if paths:
            shown = ", ".join(f"`{os.path.relpath(p, _common.ROOT)}`" for p in paths)
            notes.append(f"{label}: {shown}.")
    parts.append("Notes:\n\n" + "\n".join(f"- {n}" for n in notes) + "\n")
    return "\n".join(parts)


def _pyplot(figure):
    """matplotlib.pyplot on the Agg backend; None (and a message) without it."""
    try:
        import matplotlib
    except ImportError:
        print(f"matplotlib is not installed: no {figure}.")
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save_figure(plt, fig, paths, dpi):
    """Write ``fig`` to every path (making folders), close it; the paths."""
    written = []
    for path in map(Path, paths):
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=dpi, bbox_inches="tight")
        written.append(path)
    plt.close(fig)
    return written


def _roc_figure(results, protocols, paths):
    plt = _pyplot("ROC figure")
    if plt is None:
        return []
    n = len(results)
    fig, axes = plt.subplots(2, n, figsize=(6 * n, 10.5), squeeze=False)
    for column, (protocol, runs_by_name) in enumerate(results.items()):
        y = protocols[protocol][2]
        for ax in axes[:, column]:
            for name, runs in runs_by_name.items():
                fpr, tpr, _ = roc_curve(y == -1, runs[0]["anomaly_score"])
                auroc = runs[0]["metrics"]["auroc"]
                ax.plot(fpr, tpr, label=f"{name} ({auroc:.4f})", lw=1.5)
            ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls=":")
            ax.set(
                xlabel="false-alarm rate (normal beats flagged)",
                ylabel="detection rate (anomalous beats flagged)",
            )
        axes[0, column].set_title(f"ECG5000, {protocol} protocol")
        axes[0, column].legend(loc="lower right", fontsize=8, title="AUROC, first seed")
        axes[1, column].set(xlim=(0, 0.1), ylim=(0.8, 1.005), title="zoom")
    return _save_figure(plt, fig, paths, dpi=120)


def _misranked_figure(protocols, beats, path):
    """The beats of ``_misranked_beats`` over the training beats' 5-95 % band."""
    plt = _pyplot("figure of the misranked beats") if beats else None
    if plt is None:
        return []
    X_train, X_test, y = protocols["tutorial"]
    n_normal, need = _normals_needed(y)
    low, high = np.percentile(X_train, [5, 95], axis=0)
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5), sharey=True)
    for ax, normal in zip(axes, (True, False), strict=True):
        ax.fill_between(
            np.arange(low.size), low, high, color="0.85", label="training, 5-95 %"
        )
        for b in (b for b in beats if b["normal"] == normal):
            ax.plot(X_test[b["beat"]], lw=1.2, label=f"test beat {b['beat']}")
        kind = (
            "normal beats scored above anomalous ones"
            if normal
            else f"anomalous beats missed at {need}/{n_normal} normals right"
        )
        ax.set(title=f"Tutorial protocol: {kind}", xlabel="sample")
        ax.legend(fontsize=7, ncol=2)
    return _save_figure(plt, fig, [path], dpi=110)


def _options_section(params):
    """BENCHMARKS.md section of a run with non-default LSTM parameters."""
    words = [f"{k}-{v}" for k, v in sorted(params.items())]
    return "ecg5000-options-" + "-".join(words)


def _parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"first seed only, LSTM epochs capped at {QUICK_MAX_EPOCHS} (unless "
        "--max-epochs), written to benchmarks/output/BENCHMARKS-quick.md",
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--max-epochs",
        type=int,
        default=None,
        help="cap the LSTM detector's max_epochs (a reduced run, for development)",
    )
    parser.add_argument(
        "--lstm-param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="run the LSTM detector with this non-default parameter (a Python "
        "literal; repeatable); the report goes to its own section",
    )
    parser.add_argument("--figure", help="also write the ROC figure to this path")
    parser.add_argument(
        "--no-write", action="store_true", help="write no report, only print it"
    )
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="also trace Python/numpy allocations (slows fitting a little)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds = args.seeds[:1]
        if args.max_epochs is None:
            args.max_epochs = QUICK_MAX_EPOCHS
    args.reduced = args.quick or args.max_epochs is not None
    args.lstm_params = {}
    for item in args.lstm_param:
        name, sep, value = item.partition("=")
        if not sep:
            parser.error(f"--lstm-param wants NAME=VALUE, got {item!r}")
        args.lstm_params[name] = ast.literal_eval(value)
    LSTMAutoencoderDetector(**args.lstm_params)  # unknown names fail here
    return args


def main(argv=None):
    args = _parse(argv)
    start, load_start = time.perf_counter(), os.getloadavg()[0]
    protocols = _protocols()
    names, skipped = list(DETECTORS), ""
    if find_spec("pyod") is None:
        names = [n for n, d in DETECTORS.items() if not d.pyod_api]
        skipped = "PyOD's detectors (PyOD not installed: `pip install .[bench]`)"
        print(f"Skipping {skipped}.")
    if args.reduced:
        print(
            f"Reduced run: LSTM max_epochs capped at {args.max_epochs}, seeds "
            f"{args.seeds}; these are not the defaults' numbers."
        )
    lstm = {"max_epochs": args.max_epochs, "params": args.lstm_params}
    results = _run_all(protocols, names, args.seeds, lstm, args.tracemalloc)

    suffix = "_quick" if args.reduced else "_options" if args.lstm_params else ""
    figures = [OUTPUT / f"ecg5000_roc{suffix}.png"]
    if args.figure:
        figures.append(Path(args.figure))
    misranked, beats = _misranked_section(protocols, results)
    figures = {
        "ROC curves (first seed of each detector)": _roc_figure(
            results, protocols, figures
        ),
        "The beats of the table above, drawn": _misranked_figure(
            protocols, beats, OUTPUT / f"ecg5000_misranked{suffix}.png"
        ),
    }
    wall = time.perf_counter() - start
    body = _report(
        results,
        protocols,
        args,
        wall,
        (load_start, os.getloadavg()[0]),
        figures,
        skipped,
        misranked,
    )
    print("\n" + body)
    if not args.no_write:
        if args.reduced:
            OUTPUT.mkdir(parents=True, exist_ok=True)
            path = _common.write_section(
                "ecg5000-quick", body, OUTPUT / "BENCHMARKS-quick.md"
            )
        elif args.lstm_params:
            path = _common.write_section(_options_section(args.lstm_params), body)
        else:
            path = _common.write_section("ecg5000", body)
        print(f"Report written to {path}")
    for label, paths in figures.items():
        for path in paths:
            print(f"{label}: written to {path}")


if __name__ == "__main__":
    sys.exit(main())
