"""Training on contaminated data: ECG5000's archive protocol with anomalous TRAIN beats.

Protocol: the training set is the 292 normal beats of ECG5000's TRAIN file
plus ``round(292 * s / (1 - s))`` of its 208 anomalous beats, drawn at random
(``numpy.random.default_rng(draw)``), so that they are a share ``s`` of it;
the test set is every TEST beat (AUROC, anomalous = positive). Shares 0, 5,
10 and 20 %, several draws each.

Detectors, on the same arrays: LSTMAutoencoderDetector over seeds, at its
defaults (``contamination="auto"``: the screening sets aside a far group of
at least 5 % of the training set), with ``contamination=s`` (the share
known: that share screened out), with ``screen_training=True`` (far rows set
aside however few) and with ``screen_training=False`` (no screening); the
peers of
benchmarks/suite.py (IsolationForest over the same seeds, OneClassSVM after
StandardScaler, LOF with ``novelty=True``, PyOD KNN), at their defaults. For
the screening detectors, the precision and recall of ``training_outliers_``
against the anomalous beats drawn.

Run ``python benchmarks/contamination.py`` (ECG5000 from
``$SKLEARN_LSTMAE_DATA``). Each run is a job of a process pool (``--jobs``),
appended to benchmarks/output/contamination-runs.jsonl (``--resume`` skips
those already there); the report goes to the ``contamination`` section of
BENCHMARKS.md. ``--quick``: one draw, one seed, 5 % only, LSTM max_epochs=2.
"""

import json
import sys
import time

import _common
import _suite_data as data
import numpy as np
import suite

RUNS = _common.OUTPUT / "contamination-runs.jsonl"
SHARES = (0.0, 0.05, 0.1, 0.2)
CONFIGS = {
    "LSTM (defaults)": {},
    "LSTM contamination=share": {},
    "LSTM screen_training=True": {"screen_training": True},
    "LSTM screen_training=False": {"screen_training": False},
}
KNOWN = "LSTM contamination=share"
PEERS = suite.CLASSICAL
KEY = ("detector", "share", "draw", "seed", "params")


def training_set(share, draw):
    """The contaminated training beats and a mask of the anomalous ones."""
    ecg = data._ecg5000()
    train = ecg.split == "train"
    normal, anomalous = (
        ecg.data[train & ~ecg.is_anomaly],
        ecg.data[train & ecg.is_anomaly],
    )
    rng = np.random.default_rng(draw)
    n_anomalous = round(len(normal) * share / (1 - share))
    picked = anomalous[rng.choice(len(anomalous), n_anomalous, replace=False)]
    X = np.concatenate([normal, picked])
    is_anomalous = np.arange(len(X)) >= len(normal)
    order = rng.permutation(len(X))
    return X[order], is_anomalous[order]


def run_job(job):
    from sklearn.metrics import roc_auc_score

    ecg = data._ecg5000()
    test = ecg.split == "test"
    X, contaminant = training_set(job["share"], job["draw"])
    name, record = job["detector"], dict(job)
    params = dict(job["params"])
    if name == KNOWN:
        params["contamination"] = job["share"]
    detector = suite._make(name if name in PEERS else suite.LSTM, job["seed"], params)
    start = time.perf_counter()
    detector.fit(X)
    record["fit_s"] = time.perf_counter() - start
    score = suite._anomaly_scores(name, detector, ecg.data[test])
    record["auroc"] = float(roc_auc_score(ecg.is_anomaly[test], score))
    aside = getattr(detector, "training_outliers_", None)
    if aside is not None and params.get("screen_training", True):
        flagged = np.zeros(len(X), dtype=bool)
        flagged[aside] = True
        record["set_aside"] = int(flagged.sum())
        record["hits"] = int((flagged & contaminant).sum())
        record["contaminants"] = int(contaminant.sum())
    return record


def make_jobs(shares, draws, seeds, extra):
    jobs = []
    for name in [*CONFIGS, *PEERS]:
        for share in shares:
            if name == KNOWN and share == 0:
                continue  # contamination=0 is not a valid share
            for draw in draws:
                for seed in seeds if name in (*CONFIGS, "IsolationForest") else [None]:
                    params = (
                        {**CONFIGS.get(name, {}), **extra} if name in CONFIGS else {}
                    )
                    jobs.append(
                        {"detector": name, "share": share, "draw": draw}
                        | {"seed": seed, "params": params}
                    )
    return jobs


def job_key(record):
    return json.dumps([record[k] for k in KEY])


def describe(record):
    """A job's line of progress."""
    r = record
    return f"{r['detector']} share {r['share']} draw {r['draw']} seed {r['seed']}"


def _mean(records, key):
    values = [r[key] for r in records]
    return float(np.mean(values)) if values else float("nan")


def report(records, args):
    """The report's Markdown blocks (``_common.publish`` adds title and stamp)."""
    shares = sorted({r["share"] for r in records})
    names = [n for n in [*CONFIGS, *PEERS] if any(r["detector"] == n for r in records)]
    cell = {
        (n, s): [r for r in records if r["detector"] == n and r["share"] == s]
        for n in names
        for s in shares
    }

    def auroc(runs):
        worst = min((r["auroc"] for r in runs), default=None)
        return f"{_mean(runs, 'auroc'):.4f} (min {worst:.4f})" if runs else "n/a"

    aurocs = [[n, *(auroc(cell[(n, s)]) for s in shares)] for n in names]
    best_peer = {
        s: max((_mean(cell[(p, s)], "auroc"), p) for p in PEERS if cell.get((p, s)))
        for s in shares
        if any(cell.get((p, s)) for p in PEERS)
    }
    screen = []
    for n in names:
        for s in shares:
            runs = [r for r in cell[(n, s)] if "set_aside" in r]
            if not runs:
                if n in CONFIGS and cell[(n, s)]:
                    fit = f"{_mean(cell[(n, s)], 'fit_s'):.1f}"
                    screen.append([n, f"{s:.0%}", "", "", "", fit])
                continue
            aside = sum(r["set_aside"] for r in runs)
            hits = sum(r["hits"] for r in runs)
            total = sum(r["contaminants"] for r in runs)
            screen.append(
                [
                    n,
                    f"{s:.0%}",
                    f"{aside / len(runs):.1f}",
                    f"{hits / aside:.3f}" if aside else "n/a",
                    f"{hits / total:.3f}" if total else "n/a",
                    f"{_mean(runs, 'fit_s'):.1f}",
                ]
            )
    peer_line = ", ".join(f"{s:.0%}: {v:.4f} ({p})" for s, (v, p) in best_peer.items())
    header = ["detector", "share", "set aside (mean)", "precision", "recall"]
    return [
        f"Draws {args.draws}, LSTM and IsolationForest seeds {args.seeds}; "
        f"{args.jobs} worker processes (one torch thread each).",
        "Training: the 292 normal TRAIN beats plus anomalous TRAIN beats drawn "
        "at random, a share s of the training set; test: all 4,500 TEST beats. "
        "AUROC, mean over draws and seeds (and the worst run):",
        _common.table(["detector", *[f"{s:.0%} anomalous" for s in shares]], aurocs),
        f"Best peer per share: {peer_line}.",
        "Training rows set aside by the screening, against the anomalous beats "
        "drawn (summed over runs), and the fit time:",
        _common.table([*header, "fit (s, mean)"], screen),
    ]


def parse(argv):
    p = _common.parser(__doc__, "1 draw, 1 seed, 5 %%, 2 epochs")
    p.add_argument("--draws", type=int, nargs="+", default=[0, 1])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--shares", type=float, nargs="+", default=list(SHARES))
    p.add_argument("--jobs", type=int, default=2, help="worker processes")
    p.add_argument("--resume", action="store_true", help="skip runs in the runs file")
    args = p.parse_args(argv)
    args.extra = {}
    if args.quick:
        args.draws, args.seeds, args.shares = args.draws[:1], args.seeds[:1], [0.05]
        args.extra = {"max_epochs": 2}
    return args


def main(argv=None):
    args = parse(argv)
    jobs = make_jobs(args.shares, args.draws, args.seeds, args.extra)
    done = suite.read_runs(RUNS, job_key) if args.resume else {}
    todo = [j for j in jobs if job_key(j) not in done]
    if todo:
        suite.run_jobs(todo, args.jobs, RUNS, worker=run_job, describe=describe)
    runs = suite.read_runs(RUNS, job_key)
    records = [runs[job_key(j)] for j in jobs]
    title = "Contaminated training data (ECG5000 archive protocol)"
    _common.publish("contamination", title, report(records, args), args)


if __name__ == "__main__":
    sys.exit(main())
