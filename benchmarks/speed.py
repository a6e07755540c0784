"""How fast LSTMAutoencoderDetector trains and scores, against plain PyTorch.

Data: ECG5000 (from ``$SKLEARN_LSTMAE_DATA``), the tutorial protocol
(``tutorial_split(random_state=42)``). Every contender runs in this process on
the same beats, device (``--device``) and torch threads (``--threads``).
Measured:

1. Training throughput (training beats/s, median of ``--runs`` interleaved
   runs after an untimed first run of each) on the normal training beats for
   ``--epochs`` epochs: ``LSTMAutoencoderDetector(max_epochs=epochs,
   patience=None).fit`` as a whole (other parameters default); a plain PyTorch
   loop repeating what the fitted net does (``_speed_loops.training_recipe``:
   module, optimizer, loss, batches, clipping, schedule, held-out loss); with
   ``--compile`` (default on CUDA) that loop over ``torch.compile(module)``;
   the ECG5000 tutorial's loop (one beat per step, and batched) on a few
   beats, extrapolated to its 150 epochs.
2. Time to AUROC >= 0.99 on the tutorial's test beats: the detector at its
   defaults, one fit per ``--auroc-seeds`` (a callback scores the test beats
   after each epoch, off the clock); the tutorial's loop trained for real up
   to ``--tutorial-max-epochs``, or ``--tutorial-epochs N`` times its
   extrapolated epoch time.
3. ``score_samples`` on ``--sizes`` synthetic float32 beats, each size in a
   fresh process (``_speed_scoring.py``): time and peak resident memory.
4. Achieved GFLOP/s of training and scoring against the CPU's peak
   (``_speed_loops.forward_flops`` and ``peak_flops``).

Run ``python benchmarks/speed.py`` (section ``speed`` of BENCHMARKS.md, or
``speed-cuda`` with ``--device cuda``); the tutorial's real batch-size-1 run
and scoring 10^6 beats take most of its time. ``--quick``: 400 training
beats, 2 epochs, the AUROC runs capped at 3 epochs and one seed, no tutorial
run, 10^3 and 10^4 beats scored. On a machine shared with other work, pass
``--threads 1``: OpenMP threads competing for the cores are far slower than
one thread. ``_speed_profile.py`` shows where the time goes.
"""

import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import _common
import joblib
import numpy as np
import torch
from _speed_loops import (
    forward_flops,
    peak_flops,
    plain_fit,
    reconstruction_errors,
    standardized,
    sync,
    timed,
    training_recipe,
    tutorial_epoch,
    tutorial_model,
    usage,
)
from sklearn.metrics import roc_auc_score
from skorch.callbacks import Callback

from sklearn_lstmae import LSTMAutoencoderDetector
from sklearn_lstmae.datasets import load_ecg5000, tutorial_split

TARGET_AUROC = 0.99
TUTORIAL_EPOCHS = 150  # the tutorial's training length
SCORING_CHILD = Path(__file__).with_name("_speed_scoring.py")
CONTENDERS = {
    "det": "`LSTMAutoencoderDetector.fit`",
    "plain": "plain PyTorch loop, same module",
    "compiled": "plain PyTorch loop, `torch.compile(module)`",
}


def _log(message):
    print(message, file=sys.stderr, flush=True)


def _parse_args(argv=None):
    p = _common.parser(__doc__, "small sizes (see the docstring)")
    add = p.add_argument
    add("--device", default="cpu", help="cpu or cuda (default cpu)")
    add("--threads", type=int, default=torch.get_num_threads(), help="torch threads")
    add("--runs", type=int, default=5, help="timed runs of each contender")
    add("--epochs", type=int, default=None, help="epochs of each throughput run")
    add("--sizes", type=int, nargs="+", default=None, help="beats to score")
    add("--tutorial-max-epochs", type=int, default=None, help="0 skips that run")
    add("--tutorial-epochs", type=int, help="extrapolate with this many epochs")
    add("--auroc-seeds", type=int, nargs="+", default=None, help="random_states")
    add("--compile", action="store_true", help="time torch.compile on the CPU too")
    args = p.parse_args(argv)
    quick = args.quick
    defaults = {
        "epochs": 2 if quick else 3,
        "sizes": [10**3, 10**4] if quick else [10**3, 10**4, 10**5, 10**6],
        "tutorial_max_epochs": 0 if quick else 25,
        "auroc_seeds": [42] if quick else [42, 0, 1],
    }
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.tutorial_epochs is not None:
        args.tutorial_max_epochs = 0
    args.cuda = torch.device(args.device).type == "cuda"
    args.compile = args.compile or args.cuda
    args.n_throughput = 400 if quick else None  # training beats (None: all)
    args.tutorial_beats = (40, 20, 128) if quick else (400, 100, 640)
    args.auroc_max_epochs = 3 if quick else None  # None: the default
    return args


# -- 1. training throughput ---------------------------------------------------


def _beats_per_epoch(net):
    """Training and held-out beats of the net's last epoch (from its history)."""
    batches = net.history[-1]["batches"]
    n_train = sum(b.get("train_batch_size", 0) for b in batches)
    n_held = sum(b.get("valid_batch_size", 0) for b in batches)
    return n_train, n_held


def training_throughput(X, args):
    """Wall and CPU seconds of each contender's runs, interleaved.

    The detector's untimed first run gives the recipe the plain loops repeat
    and the held-out split they use; each plain loop's first run warms it up
    (and compiles).
    """

    def det(seed):
        return LSTMAutoencoderDetector(
            max_epochs=args.epochs, patience=None, device=args.device, random_state=seed
        ).fit(X)

    _log("training throughput: warm-up")
    warm = det(0)
    recipe = training_recipe(warm.net_)
    n_train, n_held = _beats_per_epoch(warm.net_)
    Xs = standardized(X)
    held = Xs[n_train : n_train + n_held]
    plain = partial(plain_fit, recipe, Xs[:n_train], held, args.epochs)
    jobs = {"det": det, "plain": partial(plain, device=args.device)}
    if args.compile:
        jobs["compiled"] = partial(plain, device=args.device, compile=True)
    for name in list(jobs)[1:]:
        jobs[name](seed=0)
    wall, cpu, sys_cpu, faults = ({name: [] for name in jobs} for _ in range(4))
    for run in range(args.runs):
        for name in list(jobs) if run % 2 == 0 else list(jobs)[::-1]:
            cpu_start, (sys_start, faults_start) = time.process_time(), usage()
            wall[name].append(timed(partial(jobs[name], seed=run), args.device)[0])
            cpu[name].append(time.process_time() - cpu_start)
            sys_end, faults_end = usage()
            sys_cpu[name].append(sys_end - sys_start)
            faults[name].append(faults_end - faults_start)
        last = ", ".join(f"{name} {s[-1]:.2f} s" for name, s in wall.items())
        _log(f"  run {run + 1}/{args.runs}: {last}")
    return {
        "n_train": n_train,
        "n_held": n_held,
        "n_timesteps": X.shape[1],
        "recipe": recipe,
        "module": warm.net_.module_,
        "wall": wall,
        "cpu": cpu,
        "sys": sys_cpu,
        "faults": faults,
        "steps": args.epochs * -(-n_train // recipe.batch_size),
    }


def _as_beats(X, device):
    return torch.from_numpy(np.asarray(X, dtype=np.float32)[:, :, None]).to(device)


def tutorial_throughput(split, args, batch_size):
    """Beats/s of the tutorial's training and validation steps (limited beats)."""
    n_train, n_valid, n_batched = args.tutorial_beats
    device = args.device
    model, optimizer, criterion = tutorial_model(0, device)
    train = _as_beats(split.X_train, device)
    valid = _as_beats(split.X_val, device)

    def epoch_seconds(train, valid, batch_size=1):
        run = partial(tutorial_epoch, model, optimizer, criterion)
        return timed(lambda: run(train, valid, batch_size), device)[0]

    epoch_seconds(train[:2], valid[:2])  # warm-up
    train_rate = n_train / epoch_seconds(train[:n_train], valid[:0])
    valid_rate = n_valid / epoch_seconds(train[:0], valid[:n_valid])
    model, optimizer, criterion = tutorial_model(0, device)
    epoch_seconds(train[:batch_size], valid[:0], batch_size)  # warm-up
    batched_rate = n_batched / epoch_seconds(train[:n_batched], valid[:0], batch_size)
    return {
        "train_rate": train_rate,
        "valid_rate": valid_rate,
        "batched_rate": batched_rate,
        "batch_size": batch_size,
        "epoch_seconds": len(split.X_train) / train_rate
        + len(split.X_val) / valid_rate,
        "beats": (n_train, n_valid, n_batched),
        "module": model,
    }


# -- 2. time to AUROC >= 0.99 -------------------------------------------------


class _AurocTrace(Callback):
    """After each epoch, the test AUROC and the training time so far.

    The detector's scoring state is complete only when ``fit`` ends, so the
    test beats are scored from the net's module: standardised with the
    training beats' mean and standard deviation (as ``standardize=True``
    does) and ranked by mean squared reconstruction error (the default
    loss). The time runs from ``start`` and leaves out this scoring.
    """

    def __init__(self, X_train, X_test, is_anomaly):
        self.x = ((X_test - X_train.mean()) / X_train.std()).astype(np.float32)
        self.is_anomaly = is_anomaly

    def on_train_begin(self, net, **kwargs):
        self.records, self.scoring = [], 0.0

    def on_epoch_end(self, net, **kwargs):
        sync(net.device)
        now = time.perf_counter()
        x = _as_beats(self.x, net.device)
        auroc = roc_auc_score(self.is_anomaly, reconstruction_errors(net.module_, x, 2))
        self.records.append((len(net.history), now - self.start - self.scoring, auroc))
        self.scoring += time.perf_counter() - now


class _TracedDetector(LSTMAutoencoderDetector):
    """The detector with :class:`_AurocTrace` appended to its net's callbacks."""

    def _build_net(self, X_train, X_held, seed, **params):
        net = super()._build_net(X_train, X_held, seed, **params)
        net.callbacks = [*net.callbacks, ("auroc_trace", self.trace_)]
        return net


def _first_at_target(records):
    return next(((e, s, a) for e, s, a in records if a >= TARGET_AUROC), None)


def detector_time_to_auroc(split, args):
    """One traced fit per seed; the run with the median time to the target.

    A seed that never gets there counts as infinitely slow.
    """
    runs = [_time_to_auroc_one(split, args, seed) for seed in args.auroc_seeds]
    never = (math.inf, math.inf, None)
    ranked = sorted(runs, key=lambda r: (r["first"] or never)[1])
    return {**ranked[(len(ranked) - 1) // 2], "runs": runs}  # the lower median


def _time_to_auroc_one(split, args, seed):
    is_anomaly = split.y_test == -1
    params = {"random_state": seed}
    if args.auroc_max_epochs is not None:
        params["max_epochs"] = args.auroc_max_epochs
    det = _TracedDetector(device=args.device, **params)
    det.trace_ = _AurocTrace(split.X_train, split.X_test, is_anomaly)
    det.trace_.start = time.perf_counter()
    det.fit(split.X_train)
    sync(args.device)
    fit_seconds = time.perf_counter() - det.trace_.start - det.trace_.scoring
    records = getattr(det.trace_, "records", [])
    if not records:
        raise RuntimeError(
            "The AUROC callback never ran: LSTMAutoencoderDetector._build_net "
            "changed; update _TracedDetector in benchmarks/speed.py."
        )
    return {
        "records": records,
        "first": _first_at_target(records),
        "fit_seconds": fit_seconds,
        "epochs": len(det.net_.history),
        "final_auroc": roc_auc_score(is_anomaly, -det.score_samples(split.X_test)),
        "params": params,
    }


def tutorial_time_to_auroc(split, args, epoch_seconds):
    """Real tutorial epochs until AUROC >= 0.99, an extrapolation, or None."""
    if args.tutorial_max_epochs <= 0:
        if args.tutorial_epochs is None:
            return None
        n = args.tutorial_epochs
        return {"extrapolated": True, "first": (n, n * epoch_seconds, None)}
    device = args.device
    model, optimizer, criterion = tutorial_model(42, device)
    train, valid, test = (
        _as_beats(X, device) for X in (split.X_train, split.X_val, split.X_test)
    )
    elapsed, records = 0.0, []
    for epoch in range(1, args.tutorial_max_epochs + 1):
        run = partial(tutorial_epoch, model, optimizer, criterion, train, valid)
        elapsed += timed(run, device)[0]
        auroc = roc_auc_score(split.y_test == -1, reconstruction_errors(model, test))
        records.append((epoch, elapsed, auroc))
        _log(f"  tutorial epoch {epoch}: {elapsed:.0f} s, AUROC {auroc:.4f}")
        if auroc >= TARGET_AUROC:
            break
    return {
        "extrapolated": False,
        "first": _first_at_target(records),
        "records": records,
    }


# -- 3. scoring ---------------------------------------------------------------


def scoring(split, args):
    """Fit a default detector for one epoch, then score each size in a child."""
    n_fit = 256 if args.quick else len(split.X_train)
    det = LSTMAutoencoderDetector(max_epochs=1, device=args.device, random_state=0)
    det.fit(split.X_train[:n_fit])
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / "detector.joblib"
        joblib.dump(det, path)
        for n in args.sizes:
            _log(f"scoring {n} beats in a fresh process")
            child = [sys.executable, str(SCORING_CHILD), str(path), str(n)]
            out = subprocess.run(
                [*child, str(args.threads)], capture_output=True, text=True
            )
            if out.returncode != 0:
                raise RuntimeError(f"scoring {n} beats failed:\n{out.stderr[-3000:]}")
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return rows


# -- report -------------------------------------------------------------------


def _throughput_parts(args, train, tut, flops):
    n_train, n_held, recipe = train["n_train"], train["n_held"], train["recipe"]
    clip = f"clip grad norm {recipe.clip[0]}" if recipe.clip else "no clipping"
    sched = recipe.scheduler[0].__name__ if recipe.scheduler else "no schedule"
    per_beat = flops["det_beat"]
    epoch_flops = (3 * n_train + n_held) * per_beat  # a training step: 3 forwards
    rows = []
    for name, wall in train["wall"].items():
        seconds = statistics.median(wall)
        rate, gflops = n_train * args.epochs / seconds, args.epochs * epoch_flops
        cpu = statistics.median(train["cpu"][name])
        sys_cpu = statistics.median(train["sys"][name])
        faults = statistics.median(train["faults"][name]) / train["steps"]
        runs = ", ".join(f"{s:.2f}" for s in wall)
        row = [CONTENDERS[name], f"{rate:.0f}", runs, f"{cpu:.2f}", f"{sys_cpu:.2f}"]
        rows.append([*row, f"{faults:.0f}", f"{gflops / seconds / 1e9:.1f}"])
    for label, rate in [
        (f"tutorial loop, batch size 1 (first {tut['beats'][0]} beats)", "train"),
        (
            f"tutorial architecture, batch size {tut['batch_size']} "
            f"({tut['beats'][2]} beats)",
            "batched",
        ),
    ]:
        beats_s = tut[f"{rate}_rate"]
        gflops = 3 * flops["tut_beat"] * beats_s / 1e9
        rows.append([label, f"{beats_s:.1f}", "-", "-", "-", "-", f"{gflops:.1f}"])
    header = [
        "contender",
        "beats/s",
        "runs, wall s",
        "median CPU s",
        "of it system",
        "page faults / step",
        "GFLOP/s",
    ]
    notes = "; ".join(recipe.notes)
    return [
        "### Training throughput",
        f"{n_train} training + {n_held} held-out beats per epoch, {args.epochs} "
        f"epochs, median of {args.runs} interleaved runs. Detector: "
        f"`LSTMAutoencoderDetector(patience=None, max_epochs={args.epochs})`, "
        "whole `fit` timed. Plain loop: the same module class and arguments "
        f"({recipe.module_kwargs}), {recipe.optimizer_cls.__name__}, "
        f"{recipe.criterion_cls.__name__}, batch {recipe.batch_size}, {clip}, "
        f"{sched}, the held-out loss every epoch, index slicing instead of a "
        "DataLoader" + (f"; not repeated: {notes}." if notes else "."),
        _common.table(header, rows),
        "Median CPU s: process CPU time of a run (all threads); of it system: "
        "the part spent in the kernel. Page faults / step: minor page faults "
        f"of a run (median) over its {train['steps']} training steps, held-out "
        "passes and the detector's set-up included (each page the C "
        "allocator takes from the system again counts once more). GFLOP/s: "
        "achieved, from the FLOP counts below.",
        f"Tutorial's {TUTORIAL_EPOCHS} epochs, extrapolated from "
        f"{tut['beats'][0]} training and {tut['beats'][1]} validation beats at "
        f"batch size 1 ({tut['train_rate']:.1f} and {tut['valid_rate']:.1f} "
        f"beats/s): {tut['epoch_seconds']:.0f} s an epoch, "
        f"{TUTORIAL_EPOCHS * tut['epoch_seconds'] / 60:.0f} minutes in all.",
    ]


def _trace(records):
    return ", ".join(f"{e}: {a:.3f}" for e, _, a in records)


def _auroc_parts(det, tut_auroc):
    parts = ["### Time to AUROC >= 0.99 (tutorial protocol)"]
    first = det["first"]
    if len(det["runs"]) > 1:
        seeds = ", ".join(str(r["params"]["random_state"]) for r in det["runs"])
        seed = det["params"]["random_state"]
        median = f"{first[1]:.1f} s (seed {seed})" if first else "never reached"
        parts.append(f"Detector, `random_state` {seeds}: median time {median}.")
    for run in det["runs"]:
        params = ", ".join(f"{k}={v}" for k, v in run["params"].items())
        reached = run["first"]
        when = (
            f"reached after epoch {reached[0]}, {reached[1]:.1f} s of training"
            if reached
            else "never reached"
        )
        parts.append(
            f"`LSTMAutoencoderDetector({params})`: {when}; the whole fit ran "
            f"{run['epochs']} epochs in {run['fit_seconds']:.1f} s, final AUROC "
            f"{run['final_auroc']:.4f}. AUROC by epoch: {_trace(run['records'])}."
        )
    if tut_auroc is None:
        parts.append("Tutorial loop: not run (`--tutorial-epochs N` extrapolates).")
    elif tut_auroc["extrapolated"]:
        n, seconds, _ = tut_auroc["first"]
        parts.append(
            f"Tutorial loop: extrapolated, {n} epochs (`--tutorial-epochs`) at "
            f"the epoch time above: {seconds:.0f} s."
        )
    else:
        reached = tut_auroc["first"]
        when = (
            f"reached after epoch {reached[0]}, {reached[1]:.0f} s"
            if reached
            else f"not reached in {len(tut_auroc['records'])} epochs"
        )
        parts.append(
            f"Tutorial loop (batch size 1, Adam 1e-3, L1 sum, validation every "
            f"epoch), trained for real: {when}. AUROC by epoch: "
            f"{_trace(tut_auroc['records'])}."
        )
    if first and tut_auroc and tut_auroc["first"]:
        ratio = tut_auroc["first"][1] / first[1]
        parts.append(f"Tutorial's time / detector's (median): {ratio:.1f}x.")
    parts.append(
        "Clocks count training and per-epoch validation, not the AUROC scoring; "
        "the detector's starts with `fit` (checks, standardisation, split)."
    )
    return parts


def _scoring_parts(scored, flops):
    rows = []
    for r in scored:
        n, seconds, peak, base = r["n"], r["seconds"], r["peak_rss"], r["baseline_rss"]
        mb = [r["input_bytes"] / 1e6, base / 1e6, peak / 1e6, (peak - base) / 1e6]
        rate = [f"{seconds:.2f}", f"{n / seconds:.0f}", f"{1e6 * seconds / n:.0f}"]
        rows.append([f"{n:,}", *(f"{m:.0f}" for m in mb), *rate])
    header = ["beats", "input MB", "baseline RSS MB", "peak RSS MB"]
    header += ["above baseline MB", "seconds", "beats/s", "us/beat"]
    parts = [
        "### Scoring (`score_samples`, one fresh process per size)",
        "Synthetic standard-normal float32 beats; the detector's defaults fitted "
        "for one epoch (the weights do not change the cost). Baseline: resident "
        "memory after loading the model, creating the input and a warm-up call; "
        "peak: the high-water mark during the call.",
        _common.table(header, rows),
    ]
    gpu = [(r["n"], r["gpu_peak_bytes"]) for r in scored]
    if any(peak is not None for _, peak in gpu):
        parts.append(
            "GPU memory peak during the call (`torch.cuda.max_memory_allocated`): "
            + ", ".join(f"{n:,} beats {peak / 1e6:.0f} MB" for n, peak in gpu)
            + "."
        )
    largest = max(scored, key=lambda r: r["n"])
    rate = flops["det_beat"] * largest["n"] / largest["seconds"]
    parts.append(f"Scoring {largest['n']:,} beats achieves {rate / 1e9:.1f} GFLOP/s.")
    return parts


def _flops(train, tut, args):
    """Forward FLOPs per beat of both modules, the peak, and their text."""
    n_timesteps = train["n_timesteps"]
    det_beat, uncounted = forward_flops(train["module"], n_timesteps, 1)
    tut_beat, _ = forward_flops(tut["module"], n_timesteps, 1)
    theoretical, measured, how = peak_flops(2048 if args.quick else 4096, args.device)
    plain = statistics.median(train["wall"]["plain"])
    work = args.epochs * (3 * train["n_train"] + train["n_held"]) * det_beat
    rate = work / plain
    share = f"{rate / theoretical:.1%} of the theoretical peak, " if theoretical else ""
    text = (
        "Forward FLOPs per beat, counted analytically (2 per multiply-add; an "
        "LSTM layer 2 x 4 x h x (in + h) per step and direction, a Linear "
        "2 x in x out per row; element-wise gate maths left out): detector "
        f"module {det_beat / 1e6:.1f} MFLOP, tutorial module "
        f"{tut_beat / 1e6:.1f} MFLOP. A training step costs 3 forwards, a "
        f"held-out pass 1. Peak: theoretical {how}"
        + (f" = {theoretical / 1e9:.0f} GFLOP/s" if theoretical else "")
        + f"; float32 matmul (torch.mm, best of 3) {measured / 1e9:.0f} GFLOP/s. "
        f"The plain loop reaches {share}{rate / measured:.1%} of the "
        "matmul peak."
        + (f" Layers not counted: {', '.join(uncounted)}." if uncounted else "")
    )
    return {"det_beat": det_beat, "tut_beat": tut_beat, "text": text}


def main(argv=None):
    args = _parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.cuda and not torch.cuda.is_available():
        raise SystemExit("--device cuda asked for, but CUDA is not available")
    ecg = load_ecg5000()
    split = tutorial_split(ecg.data, ecg.is_anomaly, random_state=42)
    train = training_throughput(split.X_train[: args.n_throughput], args)
    _log("tutorial loop throughput")
    tut = tutorial_throughput(split, args, train["recipe"].batch_size)
    _log("detector: time to AUROC 0.99")
    to_auroc = detector_time_to_auroc(split, args)
    _log("tutorial: time to AUROC 0.99")
    tut_auroc = tutorial_time_to_auroc(split, args, tut["epoch_seconds"])
    scored = scoring(split, args)
    flops = _flops(train, tut, args)
    gpu = torch.cuda.get_device_name(0) if args.cuda else "none (`--device cpu`)"
    parts = [
        f"GPU: {gpu}. Torch threads: {args.threads}. Tutorial protocol: "
        f"{len(split.X_train)} normal training beats, {len(split.X_val)} "
        f"validation, {len(split.X_test)} test ({(split.y_test == -1).sum()} "
        "anomalous).",
        *_throughput_parts(args, train, tut, flops),
        *_auroc_parts(to_auroc, tut_auroc),
        *_scoring_parts(scored, flops),
        "### FLOP counts and peak",
        flops["text"],
    ]
    name = "speed-cuda" if args.cuda else "speed"
    title = "Speed: training and scoring against plain PyTorch"
    _common.publish(name, title + (" (CUDA)" if args.cuda else ""), parts, args)


if __name__ == "__main__":
    main()
