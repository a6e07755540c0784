"""A multi-dataset benchmark: LSTMAutoencoderDetector against classical detectors.

Protocols (AUROC, anomalous = positive, higher anomaly score = more anomalous):

1. One-class UCR (UnitTest, OSULeaf, PickupGestureWiimoteZ, PLAID, ACSF1;
   official TRAIN/TEST files): for each class c, train on the TRAIN series of
   class c, score every TEST series, AUROC of "not c". Per dataset: the mean
   over classes and the worst class.
2. ECG5000. Tutorial: ``tutorial_split(data, is_anomaly, random_state=42)``,
   train on X_train, test on X_test / y_test. Archive: train on the normal
   beats of the TRAIN file, test on all TEST beats.
3. TSAD long series: train on the leading anomaly-free stretch (mitdb stamps
   0-2999, yahoo 0-399) cut into sliding windows (mitdb: 128 stamps, step 2,
   1,437 windows; yahoo: 64 stamps, step 1, 337 windows); score every window
   of the whole series (step 1), map window scores to time stamps with
   ``timestamp_scores(..., aggregate="mean")``; report the time-stamp AUROC
   against ``label`` and whether the top-scoring stamp is labelled anomalous.

Defaults are chosen on UnitTest, OSULeaf, PLAID ("choice" group) and confirmed
on PickupGestureWiimoteZ, ACSF1, mitdb, yahoo ("confirmation"); ECG5000 apart.

Detectors, each at its defaults, on the same arrays: LSTM =
LSTMAutoencoderDetector(random_state=seed) (series of different lengths as a
list); IsolationForest(random_state=seed); OneClassSVM =
make_pipeline(StandardScaler(), OneClassSVM()); LOF =
LocalOutlierFactor(novelty=True); KNN = pyod.models.knn.KNN(); ROCKAD =
aeon's ROCKAD(random_state=seed) on shape (n, 1, T). Peers see flattened
series, those of different lengths padded at the end with their own last
value up to the dataset's longest series (train and test together).

Measured: AUROC per unit (the mean over classes and the worst class per
dataset), the LSTM against its best classical peer and ROCKAD, its ECG5000
AUROC against ``TARGET_AUROC``, and the median fit time. ``--contaminate
SHARE`` adds other classes' TRAIN series to each one-class training set
(``_suite_data.contaminated``).

Run ``python benchmarks/suite.py`` (data from ``$SKLEARN_LSTMAE_UCR_DATA``,
``$SKLEARN_LSTMAE_DATA`` and ``$SKLEARN_LSTMAE_TSAD_DATA``, else
../shared/data). Each (dataset, class, detector, seed) is one job of a process
pool (``--jobs``); its record is appended to benchmarks/output/suite-runs.jsonl
(``--resume`` skips jobs already there) and the report is built from that
file, into the ``suite`` section of BENCHMARKS.md
(``suite-options-<name>-<value>`` with ``--lstm-param``,
``...-contaminated-<share>`` with ``--contaminate``) and
benchmarks/output/suite_auroc.png. ``--quick``: one seed, UnitTest and
OSULeaf, LSTM max_epochs=2.
"""

import argparse
import ast
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

import _common
import _suite_data as data
import numpy as np

RUNS = _common.OUTPUT / "suite-runs.jsonl"
LSTM, ROCKAD = "LSTM", "ROCKAD"
CLASSICAL = ("IsolationForest", "OneClassSVM", "LOF", "KNN")
DETECTORS = (LSTM, *CLASSICAL, ROCKAD)
SEEDED = (LSTM, "IsolationForest", ROCKAD)
TARGET_AUROC = {"ECG5000 tutorial": 0.997, "ECG5000 archive": 0.993}
QUICK_DATASETS, QUICK_MAX_EPOCHS = ("UnitTest", "OSULeaf"), 2
KEY = ("dataset", "class", "detector", "seed", "config")

# -- one job, in a worker process ---------------------------------------------


def _init_worker():
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    threadpool_limits(1)


def _make(name, seed, params):
    """An unfitted detector at its defaults (``params``: the LSTM's overrides)."""
    from aeon.anomaly_detection.collection import ROCKAD as Rockad
    from pyod.models.knn import KNN
    from sklearn.ensemble import IsolationForest
    from sklearn.neighbors import LocalOutlierFactor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import OneClassSVM

    from sklearn_lstmae import LSTMAutoencoderDetector

    return {
        LSTM: lambda: LSTMAutoencoderDetector(random_state=seed, **params),
        "IsolationForest": lambda: IsolationForest(random_state=seed),
        "OneClassSVM": lambda: make_pipeline(StandardScaler(), OneClassSVM()),
        "LOF": lambda: LocalOutlierFactor(novelty=True),
        "KNN": KNN,
        ROCKAD: lambda: Rockad(random_state=seed),
    }[name]()


def _anomaly_scores(name, detector, X):
    if name == "KNN":
        return detector.decision_function(X)
    return detector.predict(X) if name == ROCKAD else -detector.score_samples(X)


def run_job(job):
    """Fit and score one job: its record, with ``error`` if the detector failed."""
    from sklearn.metrics import roc_auc_score

    from sklearn_lstmae import timestamp_scores

    name, record = job["detector"], {k: job[k] for k in ("group", *KEY)}
    task = data.task(job["dataset"], job["class"])
    if job.get("contaminate"):
        share = job["contaminate"]
        task = data.contaminated(task, job["dataset"], job["class"], share)
    X_train, X_test = task.X_train, task.X_test
    if name != LSTM:
        X_train, X_test = (data.pad_last(X, task.length) for X in (X_train, X_test))
    if name == ROCKAD:
        X_train, X_test = X_train[:, None], X_test[:, None]
    try:
        detector = _make(name, job["seed"], job["params"])
        start = time.perf_counter()
        detector.fit(X_train)
        fit_s = time.perf_counter() - start
        score = np.asarray(_anomaly_scores(name, detector, X_test), dtype=float)
        if task.window:
            n, window = task.y_test.size, task.window
            score = timestamp_scores(score, n, window=window, aggregate="mean")
            record["top_hit"] = bool(task.y_test[np.argmax(score)])
        record["auroc"] = float(roc_auc_score(task.y_test, score))
        record["fit_s"] = fit_s
    except Exception as exc:  # a detector failing on a unit is a result too
        record["error"] = f"{type(exc).__name__}: {exc}"
    return record


# -- jobs and the runs file ---------------------------------------------------


def config_key(params, contaminate=0.0):
    """The LSTM's overrides, and the share of other classes' series added."""
    key = ",".join(f"{k}={v!r}" for k, v in sorted(params.items())) or "defaults"
    return key + (f"; contaminated {contaminate!r}" if contaminate else "")


def job_key(record):
    """What makes two runs the same job (results and timings left out)."""
    return json.dumps([record[k] for k in KEY])


def make_jobs(datasets, detectors, seeds, lstm_params, contaminate=0.0):
    """Every job, the LSTM's (the longest) first."""
    jobs = []
    for name in sorted(detectors, key=lambda d: d != LSTM):
        params = lstm_params if name == LSTM else {}
        config = config_key(params, contaminate)
        for dataset in datasets:
            job = {"group": data.group_of(dataset), "dataset": dataset}
            job |= {"detector": name, "config": config, "params": params}
            job |= {"contaminate": contaminate} if contaminate else {}
            jobs += [
                job | {"class": unit, "seed": seed}
                for unit in data.units(dataset)
                for seed in (seeds if name in SEEDED else [None])
            ]
    return jobs


def read_runs(path, key=None):
    """The records of ``path`` by job key, the last of a key winning.

    ``key``: a record's job key (``job_key`` by default).
    """
    runs = {}
    for line in Path(path).read_text().splitlines() if Path(path).exists() else []:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:  # a line cut short by an interrupted run
            continue
        runs[(key or job_key)(record)] = record
    return runs


def describe(record):
    """A job's line of progress."""
    r = record
    return f"{r['dataset']} {r['class']} {r['detector']} seed {r['seed']}"


def run_jobs(jobs, n_workers, path, worker=None, describe=describe):
    """Run ``jobs`` in ``n_workers`` processes, appending each record to ``path``.

    ``worker``: the function that runs a job (``run_job`` by default);
    ``describe``: a record's line of progress.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and not path.read_text().endswith("\n"):
        with path.open("a") as out:  # close a line cut short by an interrupted run
            out.write("\n")
    pool = ProcessPoolExecutor(n_workers, get_context("spawn"), _init_worker)
    try:
        futures = [pool.submit(worker or run_job, job) for job in jobs]
        for done, future in enumerate(as_completed(futures), start=1):
            r = future.result()
            with path.open("a") as out:
                out.write(json.dumps(r) + "\n")
            result = r.get("error") or f"AUROC {r['auroc']:.4f}, fit {r['fit_s']:.1f} s"
            print(f"[{done}/{len(jobs)}] {describe(r)}: {result}", flush=True)
    finally:  # on Ctrl-C or an error, drop the queued jobs
        pool.shutdown(cancel_futures=True)


# -- summaries ----------------------------------------------------------------


def row_name(record):
    """The report row: the dataset, or "ECG5000 <protocol>"."""
    dataset = record["dataset"]
    return f"{dataset} {record['class']}" if dataset == "ECG5000" else dataset


def rows_of(cells, group=None):
    """The report rows with results (of ``group``), in the suite's order."""
    present = {row for row, _ in cells}
    names = data.GROUPS[group] if group else data.DATASETS
    return [row for name in names for row in data.rows(name) if row in present]


def summarize(records):
    """{(row, detector): cell}. A cell: ``per_seed`` (mean AUROC over the classes
    whose job ran), ``per_class`` (mean over seeds), ``below`` (classes under 0.5
    per seed), ``hits`` (top stamp labelled anomalous), ``fit_s``, ``failed`` (jobs
    that raised; the report says so beside the mean)."""
    groups = {}
    for r in records:
        groups.setdefault((row_name(r), r["detector"]), []).append(r)
    cells = {}
    for key, group in groups.items():
        runs = [r for r in group if "error" not in r]
        by_seed, by_class = {}, {}
        for r in runs:
            by_seed.setdefault(r["seed"], []).append(r["auroc"])
            by_class.setdefault(r["class"], []).append(r["auroc"])
        failed = len(group) - len(runs)
        cells[key] = {
            "per_seed": {s: np.mean(a) for s, a in by_seed.items()},
            "per_class": {c: np.mean(a) for c, a in by_class.items()},
            "below": {s: sum(a < 0.5 for a in v) for s, v in by_seed.items()},
            "hits": [r["top_hit"] for r in runs if "top_hit" in r],
            "fit_s": [r["fit_s"] for r in runs],
            "failed": failed,
        }
    return cells


def mean_over(cells, rows, detector):
    """A cell of the per-seed mean over ``rows``; None if a row lacks values."""
    found = [cells.get((row, detector)) for row in rows]
    if not rows or not all(c and c["per_seed"] for c in found):
        return None
    seeds = set.intersection(*(set(c["per_seed"]) for c in found))
    return {
        "per_seed": {s: np.mean([c["per_seed"][s] for c in found]) for s in seeds},
        "below": {s: sum(c["below"][s] for c in found) for s in seeds},
        "hits": [],
        "failed": sum(c["failed"] for c in found),
    }


def _stats(cell):
    """(mean, sample std or None) over seeds; None without values."""
    values = list((cell or {}).get("per_seed", {}).values())
    if not values:
        return None
    return float(np.mean(values)), np.std(values, ddof=1) if len(values) > 1 else None


# -- report -------------------------------------------------------------------


def auroc_text(cell, detector):
    """(value to rank, text): mean AUROC, the LSTM's ± std, top-stamp hits."""
    stats = _stats(cell)
    if stats is None:
        return None, "failed" if cell and cell["failed"] else "n/a"
    text = f"{stats[0]:.3f}"
    if detector == LSTM and stats[1] is not None:
        text += f" ± {stats[1]:.3f}"
    if cell.get("failed"):
        text += f" ({cell['failed']} failed)"
    hits = cell["hits"]
    if hits:  # TSAD: top stamp in a labelled anomaly, yes/no or seeds of all
        one = "yes" if hits[0] else "no"
        text += f", top {one if len(hits) == 1 else f'{sum(hits)}/{len(hits)}'}"
    return stats[0], text


def worst_text(cell, detector):
    if _stats(cell) is None:
        return auroc_text(cell, detector)
    worst = min(cell["per_class"], key=cell["per_class"].get)
    return cell["per_class"][worst], f"{cell['per_class'][worst]:.3f} (class {worst})"


def grid(rows, detectors, text=auroc_text):
    """A table of (label, {detector: cell}) rows, the highest value bold."""
    lines = []
    for label, by_detector in rows:
        pairs = [text(by_detector.get(d), d) for d in detectors]
        best = max((v for v, _ in pairs if v is not None), default=None)
        bold = [f"**{t}**" if v is not None and v == best else t for v, t in pairs]
        lines.append([label, *bold])
    return _common.table(["dataset", *detectors], lines)


def dataset_rows(cells, rows):
    return [(row, {d: cells.get((row, d)) for d in DETECTORS}) for row in rows]


def mean_row(cells, rows, label=None):
    label = label or f"mean of {len(rows)} one-class UCR"
    return label, {d: mean_over(cells, rows, d) for d in DETECTORS}


def group_section(group, cells, detectors):
    """Markdown of one group: mean AUROC (and mean row), then the worst class."""
    rows = rows_of(cells, group)
    ucr = [r for r in rows if r in data.ONE_CLASS]
    means = dataset_rows(cells, rows) + ([mean_row(cells, ucr)] if ucr else [])
    parts = [f"### {group} group\n", "Mean AUROC over the classes:\n"]
    parts.append(grid(means, detectors) + "\n")
    if ucr:
        parts.append("Worst class's AUROC (mean over seeds):\n")
        parts.append(grid(dataset_rows(cells, ucr), detectors, worst_text) + "\n")
    return parts if rows else []


def verdict_table(cells):
    """The LSTM's AUROC per one-class dataset against the best classical peer
    and 0.5, and the suite mean against ROCKAD's."""
    ucr = [r for r in rows_of(cells) if r in data.ONE_CLASS]
    suite = mean_row(cells, ucr, f"suite mean of {len(ucr)}")
    lines = [_verdict_row(*row) for row in [*dataset_rows(cells, ucr), suite]]
    lstm, rockad = _stats(suite[1][LSTM]), _stats(suite[1][ROCKAD])
    lines.append([f"suite mean vs {ROCKAD}", _num(lstm), f"{ROCKAD} {_num(rockad)}"])
    lines[-1] += [_ge(lstm, rockad), ""]
    header = ["one-class", LSTM, "peer", "LSTM ≥ peer", "classes < 0.5, per seed"]
    return _common.table(header, lines)


def _verdict_row(label, by_detector):
    lstm = _stats(by_detector[LSTM])
    peers = {d: _stats(by_detector[d]) for d in CLASSICAL}
    peers = {d: s for d, s in peers.items() if s is not None}
    best = max(peers, key=lambda d: peers[d][0], default=None)
    peer = f"best classical: {best} {_num(peers[best])}" if best else "n/a"
    below = (by_detector[LSTM] or {}).get("below", {})
    counts = ", ".join(str(below[s]) for s in sorted(below, key=lambda s: s or 0))
    return [label, _num(lstm), peer, _ge(lstm, peers.get(best)), counts or "n/a"]


def _num(stats):
    return "n/a" if stats is None else f"{stats[0]:.4f}"


def _ge(a, b):
    return "n/a" if a is None or b is None else "yes" if a[0] >= b[0] else "**no**"


def ecg_targets(cells):
    """The LSTM's ECG5000 AUROC against its targets, by the mean and every seed."""
    lines, yes = [], {True: "yes", False: "**no**"}
    for row, target in TARGET_AUROC.items():
        values = list((cells.get((row, LSTM)) or {}).get("per_seed", {}).values())
        if values:
            mean, worst = np.mean(values), min(values)
            measured = f"{mean:.4f} (worst seed {worst:.4f})"
            lines.append([f"{row}: AUROC ≥ {target}", measured])
            lines[-1] += [yes[bool(mean >= target)], yes[bool(worst >= target)]]
    header = ["target (LSTM)", "measured", "met (mean)", "met (every seed)"]
    return _common.table(header, lines) if lines else ""


def fit_text(cell, _):
    median = np.median(cell["fit_s"]) if cell and cell["fit_s"] else None
    return (
        None,
        "n/a" if median is None else f"{median:.2f}" if median >= 0.01 else "< 0.01",
    )


def failures(records):
    """One line per (detector, dataset) with failed jobs: count, first error."""
    failed = {}
    for r in (r for r in records if "error" in r):
        failed.setdefault((r["detector"], r["dataset"]), []).append(r["error"])
    return [
        f"{d} failed on {len(e)} job(s) of {ds}: {e[0]}"
        for (d, ds), e in failed.items()
    ]


def report(records, args, figure_path):
    """The report's Markdown blocks (``_common.publish`` adds title and stamp)."""
    cells = summarize(records)
    detectors = [d for d in DETECTORS if any(d == det for _, det in cells)]
    config = config_key(args.lstm_params)
    parts = []
    if args.contaminate:
        parts.append(
            f"**Contaminated training sets:** each class's TRAIN series plus "
            f"series of the other classes' TRAIN files drawn at random, "
            f"{args.contaminate:.0%} of the training set "
            "(`_suite_data.contaminated`); test sets unchanged."
        )
    if args.lstm_params:
        parts.append(
            f"**Not the defaults: LSTMAutoencoderDetector({config}).** The peers "
            "run at their defaults."
        )
    parts.append(
        f"Datasets {', '.join(args.datasets)}; detectors {', '.join(args.detectors)}; "
        f"seeds {', '.join(map(str, args.seeds))}. Protocols: the docstring of "
        "`benchmarks/suite.py`."
    )
    for group in data.GROUPS:
        parts += group_section(group, cells, detectors)
    ucr = [r for r in rows_of(cells) if r in data.ONE_CLASS]
    if len({data.group_of(r) for r in ucr}) > 1:
        parts += ["### All one-class UCR datasets"]
        parts.append(grid([mean_row(cells, ucr)], detectors))
    if any((r, LSTM) in cells for r in ucr):
        parts += [f"### LSTM ({config}): measured", verdict_table(cells)]
    if ecg_targets(cells):
        parts += ["### ECG5000 targets", ecg_targets(cells)]
    parts += ["### Median fit time (s)"]
    parts.append(grid(dataset_rows(cells, rows_of(cells)), detectors, fit_text))
    notes = [
        "Bold: the highest of a row. Peers see flattened series; series of different "
        "lengths are padded at the end with their own last value up to the longest "
        "series of the dataset (train and test together); the LSTM gets a list.",
        f"Seeded detectors ({', '.join(SEEDED)}): mean over seeds; the LSTM's ± is "
        "the sample std over seeds of its mean over classes. The others ran once.",
        "A detector that failed on some classes (jobs) is averaged over those it "
        "ran on, and its cell says how many failed; a mean over datasets carries "
        "the count along.",
        "TSAD cells: time-stamp AUROC, then whether the top-scoring stamp lies in a "
        "labelled anomaly (top yes/no, or the seeds where it does).",
        "Anomaly scores: `-score_samples` (scikit-learn's detectors, the LSTM), "
        "`decision_function` (PyOD KNN), `predict` (aeon ROCKAD).",
        f"Fit time: wall-clock `fit` in a worker process (torch and BLAS on one "
        f"thread), {args.jobs} worker(s) at once"
        + ("; runs found by --resume are older." if args.resume else "."),
        f"Raw runs: `{os.path.relpath(RUNS, _common.ROOT)}`, {len(records)} records.",
        *failures(records),
    ]
    if figure_path:
        notes.append(f"Figure: `{os.path.relpath(figure_path, _common.ROOT)}`.")
    return parts + ["Notes:\n\n" + "\n".join(f"- {n}" for n in notes)]


def figure(cells, path):
    """Grouped bars of the mean AUROC per dataset; the LSTM's std over seeds."""
    try:
        import matplotlib
    except ImportError:
        print("matplotlib is not installed: no figure.")
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = rows_of(cells)
    detectors = [d for d in DETECTORS if any((r, d) in cells for r in rows)]
    width, x = 0.8 / len(detectors), np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(max(6, 1.3 * len(rows)), 4.5))
    for i, d in enumerate(detectors):
        stats = [_stats(cells.get((r, d))) or (np.nan, None) for r in rows]
        errors = [s[1] or 0 for s in stats] if d == LSTM else None
        offset = (i - (len(detectors) - 1) / 2) * width
        ax.bar(x + offset, [s[0] for s in stats], width, yerr=errors, label=d)
    ax.set_xticks(x, rows, rotation=30, ha="right")
    ax.set(ylabel="mean AUROC over classes", ylim=(0, 1.05))
    ax.legend(
        fontsize=8, ncol=len(detectors), loc="lower center", bbox_to_anchor=(0.5, 1)
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


# -- command line -------------------------------------------------------------


def parse_param(text):
    """``NAME=VALUE``, VALUE a Python literal, else a string."""
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"wants NAME=VALUE, got {text!r}")
    try:
        return name, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return name, value


def parse(argv):
    p = _common.parser(__doc__, "1 seed, UnitTest+OSULeaf, 2 epochs")
    add = p.add_argument
    add("--seeds", type=int, nargs="+", default=[0, 1, 2])
    add(
        "--datasets",
        nargs="+",
        choices=data.DATASETS,
        metavar="NAME",
        help=f"default: all of {', '.join(data.DATASETS)}",
    )
    add(
        "--detectors",
        nargs="+",
        choices=DETECTORS,
        default=list(DETECTORS),
        metavar="NAME",
        help=f"default: all of {', '.join(DETECTORS)}",
    )
    add(
        "--lstm-param",
        type=parse_param,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override an LSTM parameter (a Python literal, else a string; repeatable)",
    )
    add(
        "--contaminate",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="add other classes' TRAIN series, SHARE of each training set "
        "(one-class UCR datasets only)",
    )
    add("--jobs", type=int, default=2, help="worker processes (default 2)")
    add(
        "--resume",
        action="store_true",
        help="skip the jobs in the runs file (delete it after changing the library)",
    )
    args = p.parse_args(argv)
    args.lstm_params = dict(args.lstm_param)
    args.detectors = list(dict.fromkeys(args.detectors))  # no job twice
    args.seeds = list(dict.fromkeys(args.seeds))
    if args.quick:
        args.seeds = args.seeds[:1]
        args.datasets = args.datasets or list(QUICK_DATASETS)
        args.lstm_params.setdefault("max_epochs", QUICK_MAX_EPOCHS)
    default = data.ONE_CLASS if args.contaminate else data.DATASETS
    args.datasets = list(dict.fromkeys(args.datasets or default))
    if args.contaminate and not set(args.datasets) <= set(data.ONE_CLASS):
        p.error("--contaminate applies to the one-class UCR datasets only")
    from sklearn_lstmae import LSTMAutoencoderDetector

    try:
        LSTMAutoencoderDetector(**args.lstm_params)
    except TypeError as exc:
        p.error(str(exc))
    return args


def section_name(args):
    """``suite``, with the LSTM's overrides and the contamination (none quick)."""
    if args.quick:
        return "suite"  # _common.publish adds "-quick"
    words = [f"{k}-{v}" for k, v in sorted(args.lstm_params.items())]
    name = "-".join(["suite-options", *words]) if words else "suite"
    return f"{name}-contaminated-{args.contaminate}" if args.contaminate else name


def main(argv=None):
    args = parse(argv)
    jobs = make_jobs(
        args.datasets, args.detectors, args.seeds, args.lstm_params, args.contaminate
    )
    done = read_runs(RUNS) if args.resume else {}
    todo = [job for job in jobs if job_key(job) not in done]
    print(f"{len(jobs)} jobs, {len(jobs) - len(todo)} found in {RUNS}", flush=True)
    if todo:
        run_jobs(todo, args.jobs, RUNS)
    runs = read_runs(RUNS)
    records = [runs[job_key(job)] for job in jobs if job_key(job) in runs]
    name, path = section_name(args), None
    if not args.no_write:
        suffix = name.removeprefix("suite").replace("-", "_")
        suffix += "_quick" if args.quick else ""
        path = figure(summarize(records), _common.OUTPUT / f"suite_auroc{suffix}.png")
    title = "Suite: LSTMAutoencoderDetector on UCR, ECG5000 and TSAD data"
    if args.contaminate:
        share = f"{args.contaminate:.0%}"
        title = f"Suite with {share} of each training set from other classes"
    _common.publish(name, title, report(records, args, path), args)


if __name__ == "__main__":
    sys.exit(main())
