"""ECG5000: LSTMAutoencoderDetector against scikit-learn's and PyOD's detectors.

Data: ECG5000 (from ``$SKLEARN_LSTMAE_DATA``), two protocols:

- tutorial: ``tutorial_split(data, is_anomaly, random_state=42)``: all normal
  beats split 85/15, the 15 % split into validation and test normals, the
  test set completed with as many anomalous beats; training on the 85 %.
- archive: training on the normal beats of the official TRAIN file, testing
  on every beat of the TEST file.

Detectors, each at its defaults (only ``random_state`` set) on the same
arrays: LSTMAutoencoderDetector, IsolationForest, OneClassSVM after
StandardScaler, LocalOutlierFactor(novelty=True), PyOD's AutoEncoder and KNN
(skipped without PyOD). Seeded detectors run once per ``--seeds``.

Measured per run: AUROC and AUPRC of the anomaly scores, balanced accuracy,
F1 and the correct counts of ``predict``, fit and scoring time, and the peak
resident memory added. Each (protocol, detector, seed) runs in a fresh worker
process, one at a time, so that its memory is measured on its own and no
global state (PyOD seeds torch and numpy) leaks into the next.

Run ``python benchmarks/ecg5000.py`` (the ``ecg5000`` section of BENCHMARKS.md
and benchmarks/output/ecg5000_roc.png). ``--quick``: the first seed, the LSTM
detector's ``max_epochs`` capped at 2 (``--max-epochs N`` caps it as well and
also counts as a reduced run). ``--lstm-param NAME=VALUE`` runs the LSTM
detector with a non-default parameter (e.g. ``hidden_size=128``), reported in
its own section (``ecg5000-options-hidden_size-128``).
"""

import ast
import gc
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
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
from sklearn.neighbors import LocalOutlierFactor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import OneClassSVM

from sklearn_lstmae import LSTMAutoencoderDetector
from sklearn_lstmae.datasets import load_ecg5000, tutorial_split

LSTM = "LSTMAutoencoderDetector"
QUICK_MAX_EPOCHS = 2


# -- detectors ----------------------------------------------------------------


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
    would otherwise add to the first fit's time.
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
    return {
        "anomaly_score": np.asarray(anomaly_score, dtype=np.float64),
        "pred": np.asarray(pred),
        "fit_s": fit_seconds,
        "score_s": score_seconds,
        "rss_mib": memory.rss_mib,
        "python_mib": memory.python_mib,
        "epochs": None if net is None else len(net.history),
        "set_aside": _set_aside(detector),
    }


def _set_aside(detector):
    """Training rows the LSTM detector's screening set aside (None for peers)."""
    aside = getattr(detector, "training_outliers_", None)
    return None if aside is None else int(len(aside))


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
    test = ecg.split == "test"
    return {
        "tutorial": (split.X_train, split.X_test, split.y_test),
        "archive": (
            ecg.data[~test & ~ecg.is_anomaly],
            ecg.data[test],
            np.where(ecg.is_anomaly[test], -1, 1),
        ),
    }


def _metrics(y, run):
    anomalous, score, pred = y == -1, run["anomaly_score"], run["pred"]
    costs = ("fit_s", "score_s", "rss_mib", "python_mib")
    return {
        "auroc": roc_auc_score(anomalous, score),
        "auprc": average_precision_score(anomalous, score),
        "bal_acc": balanced_accuracy_score(y, pred),
        "f1": f1_score(y, pred, pos_label=-1),
        "normal_ok": int(((pred == 1) & ~anomalous).sum()),
        "anomalous_ok": int(((pred == -1) & anomalous).sum()),
        **{key: run[key] for key in costs},
    }


def _run_all(protocols, names, seeds, lstm, trace_python):
    """Run every (protocol, detector, seed), one worker process at a time."""
    results = {p: {} for p in protocols}
    with ProcessPoolExecutor(
        1, mp_context=_worker_context(), max_tasks_per_child=1
    ) as pool:
        for protocol, (X_train, X_test, y_test) in protocols.items():
            for name in names:
                runs = results[protocol][name] = []
                for seed in seeds if DETECTORS[name].seeded else seeds[:1]:
                    job = (name, seed, X_train, X_test, lstm, trace_python)
                    run = pool.submit(_run_one, *job).result()
                    run |= {"seed": seed, "metrics": _metrics(y_test, run)}
                    runs.append(run)
                    m = run["metrics"]
                    print(
                        f"  {protocol:8s} {name:29s} seed {seed}: AUROC "
                        f"{m['auroc']:.4f}, bal. acc. {m['bal_acc']:.4f}, fit "
                        f"{m['fit_s']:.1f} s",
                        flush=True,
                    )
    return results


def _worker_context():
    """A fresh process per run; forkserver imports the libraries only once.

    Where CUDA is available, spawn: a worker forked from a forkserver that
    had imported torch can fail its first CUDA call.
    """
    if "forkserver" not in get_all_start_methods() or torch.cuda.is_available():
        return get_context("spawn")
    context = get_context("forkserver")
    preload = ["sklearn.ensemble", "sklearn.neighbors", "sklearn.svm", "sklearn_lstmae"]
    if find_spec("pyod") is not None:
        preload += ["pyod.models.auto_encoder", "pyod.models.knn"]
    context.set_forkserver_preload(preload)
    return context


# -- report -------------------------------------------------------------------


def _fmt(runs, key, digits, total=None):
    """Mean ± sample std over runs (the value of one run), "/total" for counts."""
    values = np.array([run["metrics"][key] for run in runs], dtype=np.float64)
    if np.isnan(values).any():
        return "n/a"
    out = f"{values.mean():.{digits}f}"
    if len(values) > 1:
        out += f" ± {values.std(ddof=1):.{digits}f}"
    return out if total is None else f"{out} /{total}"


def _results_table(runs_by_name, y, trace_python):
    n_normal, n_anomalous = int((y == 1).sum()), int((y == -1).sum())
    header = ["detector", "runs", "AUROC", "AUPRC", "bal. acc.", "F1"]
    header += ["normal correct", "anomalous correct", "fit s", "score s"]
    header += ["peak RSS +MiB"] + ["tracemalloc MiB"] * trace_python
    rows = []
    for name, runs in runs_by_name.items():
        counts = 0 if len(runs) == 1 else 1
        row = [name, len(runs)]
        row += [_fmt(runs, key, 4) for key in ("auroc", "auprc", "bal_acc", "f1")]
        row += [
            _fmt(runs, "normal_ok", counts, n_normal),
            _fmt(runs, "anomalous_ok", counts, n_anomalous),
            _fmt(runs, "fit_s", 1),
            _fmt(runs, "score_s", 2),
            _fmt(runs, "rss_mib", 0),
        ]
        rows.append(row + [_fmt(runs, "python_mib", 0)] * trace_python)
    return _common.table(header, rows)


def _report_parts(results, protocols, args, figures, skipped):
    parts = []
    if args.lstm_params:
        shown = ", ".join(f"{k}={v!r}" for k, v in args.lstm_params.items())
        parts.append(
            f"**Not the defaults: {LSTM}({shown}), every other parameter "
            "default. The peers are unchanged.**"
        )
    if args.max_epochs is not None:
        parts.append(
            f"**Reduced run: the LSTM detector's max_epochs capped at "
            f"{args.max_epochs}, seed(s) {', '.join(map(str, args.seeds))}.**"
        )
    parts.append("Protocols and detectors: the docstring of `benchmarks/ecg5000.py`.")
    for protocol, runs_by_name in results.items():
        X_train, _, y = protocols[protocol]
        parts.append(
            f"### {protocol.capitalize()} protocol: train {len(X_train)} normal "
            f"beats; test {int((y == 1).sum())} normal + {int((y == -1).sum())} "
            "anomalous"
        )
        parts.append(_results_table(runs_by_name, y, args.tracemalloc))
        epochs = [r["epochs"] for r in runs_by_name.get(LSTM, [])]
        if epochs:
            parts.append(f"LSTM epochs trained (per seed): {epochs}.")
        aside = [r.get("set_aside") for r in runs_by_name.get(LSTM, [])]
        if aside:
            parts.append(f"LSTM training rows set aside (per seed): {aside}.")
    seeded = ", ".join(n for n, d in DETECTORS.items() if d.seeded)
    notes = [
        "AUROC and AUPRC rank the test beats by each detector's anomaly score "
        "(`-score_samples`, or PyOD's `decision_function`), anomalous = "
        "positive. Balanced accuracy, F1 and the correct counts use each "
        "detector's own `predict` (PyOD's 0/1 mapped to +1/-1, its default "
        "contamination 0.1 kept).",
        f"Seeded detectors ({seeded}) ran with random_state in {args.seeds}: "
        "mean ± sample standard deviation; the others ran once.",
        "fit s: `fit` on the training beats; score s: the call giving the "
        "anomaly scores (`predict` not timed); torch's default thread count.",
        "peak RSS +MiB: the peak resident set size during fit, scoring and "
        "predict minus the RSS just before, in a fresh worker process (Linux "
        "VmHWM, reset through /proc/self/clear_refs; elsewhere the growth of "
        "ru_maxrss, a lower bound). PyOD's numba function is compiled first, "
        "untimed"
        + (
            "; tracemalloc MiB: the peak of Python/numpy allocations, traced in "
            "the same runs (fit times slightly inflated)."
            if args.tracemalloc
            else "."
        ),
    ]
    if skipped:
        notes.append(f"Skipped: {skipped}.")
    if figures:
        shown = ", ".join(f"`{os.path.relpath(p, _common.ROOT)}`" for p in figures)
        notes.append(f"ROC curves (first seed of each detector): {shown}.")
    return parts + ["Notes:\n\n" + "\n".join(f"- {n}" for n in notes)]


def _roc_figure(results, protocols, paths):
    """ROC curves of each detector's first seed, whole and zoomed; the paths."""
    try:
        import matplotlib
    except ImportError:
        print("matplotlib is not installed: no ROC figure.")
        return []
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return paths


def _section_name(params):
    """The BENCHMARKS.md section: ``ecg5000``, or one per non-default set."""
    words = [f"{k}-{v}" for k, v in sorted(params.items())]
    return "-".join(["ecg5000-options", *words]) if words else "ecg5000"


def _parse(argv):
    p = _common.parser(
        __doc__, f"first seed only, LSTM epochs capped at {QUICK_MAX_EPOCHS}"
    )
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument(
        "--max-epochs", type=int, help="cap the LSTM detector's max_epochs (reduced)"
    )
    p.add_argument(
        "--lstm-param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a non-default LSTM parameter (a Python literal; repeatable)",
    )
    p.add_argument("--figure", type=Path, help="also write the ROC figure here")
    p.add_argument(
        "--tracemalloc", action="store_true", help="also trace Python allocations"
    )
    args = p.parse_args(argv)
    if args.quick:
        args.seeds = args.seeds[:1]
        if args.max_epochs is None:
            args.max_epochs = QUICK_MAX_EPOCHS
    args.quick = args.quick or args.max_epochs is not None  # a reduced run
    args.lstm_params = {}
    for item in args.lstm_param:
        name, sep, value = item.partition("=")
        if not sep:
            p.error(f"--lstm-param wants NAME=VALUE, got {item!r}")
        args.lstm_params[name] = ast.literal_eval(value)
    LSTMAutoencoderDetector(**args.lstm_params)  # unknown names fail here
    return args


def main(argv=None):
    args = _parse(argv)
    protocols = _protocols()
    names, skipped = list(DETECTORS), ""
    if find_spec("pyod") is None:
        names = [n for n, d in DETECTORS.items() if not d.pyod_api]
        skipped = "PyOD's detectors (PyOD not installed: `pip install .[bench]`)"
        print(f"Skipping {skipped}.")
    lstm = {"max_epochs": args.max_epochs, "params": args.lstm_params}
    results = _run_all(protocols, names, args.seeds, lstm, args.tracemalloc)
    name = _section_name(args.lstm_params)
    figures = []
    if not args.no_write:
        suffix = name.removeprefix("ecg5000").replace("-", "_")
        suffix += "_quick" if args.quick else ""
        paths = [_common.OUTPUT / f"ecg5000_roc{suffix}.png"]
        if args.figure:
            paths.append(args.figure)
        figures = _roc_figure(results, protocols, paths)
    parts = _report_parts(results, protocols, args, figures, skipped)
    title = f"ECG5000: {LSTM} and its peers"
    _common.publish(name, title, parts, args)


if __name__ == "__main__":
    sys.exit(main())
