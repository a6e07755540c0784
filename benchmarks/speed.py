"""How fast LSTMAutoencoderDetector trains and scores, against plain PyTorch.

Run (ECG5000 from ``$SKLEARN_LSTMAE_DATA``)::

    python benchmarks/speed.py            # full run, rewrites BENCHMARKS.md "speed"
    python benchmarks/speed.py --quick    # small sizes, prints only

Every contender runs in this one process on the same data and device, with
the same number of torch threads. What is measured:

1. Training throughput (training beats per second, median of ``--runs``
   interleaved runs after a warm-up) of ``LSTMAutoencoderDetector.fit`` with
   ``patience=None`` and ``max_epochs=--epochs``, other parameters default,
   on the tutorial's normal training beats, against a plain PyTorch loop
   repeating what the fitted net does (its module class and arguments, Adam,
   loss, batch size, gradient clipping, learning-rate schedule; read from
   ``det.net_``). Both hold out the same beats and compute their loss every
   epoch (the detector's default ``validation_fraction``); the detector's time
   is its whole ``fit``: checks, standardisation, split, skorch, the held-out
   errors and the threshold. The gap is what the skorch and scikit-learn
   layers cost. The tutorial's loop (one beat per step) is timed on a limited
   number of beats and extrapolated to its 150 epochs.
2. Time to AUROC >= 0.99 on the tutorial protocol (test normals and as many
   anomalies): the detector with its defaults, fitted with an extra skorch
   callback (added by subclassing here) that scores the test beats after each
   epoch; the tutorial's loop, trained for real epoch by epoch up to
   ``--tutorial-max-epochs``. Both clocks exclude the AUROC scoring itself.
3. ``score_samples`` on 10^3 .. 10^6 synthetic float32 beats, each size in a
   fresh process (``_speed_scoring.py``): time and peak resident memory.
4. Achieved GFLOP/s of training against the CPU's peak (``_speed_loops.py``
   documents both counts).

The Targets table at the top of the report is computed from these numbers.
``--device cuda`` runs everything on the GPU (without CUDA the report says
"not measured: no GPU"). Section "Precision and torch.compile" times the
detector and the plain loop in float32 and under bfloat16 autocast, and the
plain loop under torch.compile (on CUDA, or with --compile).

Run time, full: about 25 minutes on a quiet 2-core CPU, mostly the tutorial's
real batch-size-1 run to AUROC 0.99 (about 15 minutes; ``--tutorial-epochs N``
replaces it by an extrapolation) and scoring 10^6 beats (about 6 minutes).
``--quick`` (about 2 minutes) trains on 400 beats, caps the AUROC run at 3
epochs, skips the tutorial's run, scores 10^3 and 10^4 beats, and writes its
report to benchmarks/output/BENCHMARKS-quick.md (not committed) instead. On a
machine shared with other work, pass ``--threads 1``: torch's OpenMP threads
competing with other processes for the cores can be 10 to 100 times slower
than one thread. To see where the time goes, profile with
``benchmarks/_speed_profile.py`` (py-spy or torch.profiler; see its docstring).
"""

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import joblib
import numpy as np
import torch
from _common import stamp, write_section
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
)
from sklearn.metrics import roc_auc_score
from skorch.callbacks import Callback

from sklearn_lstmae import LSTMAutoencoderDetector
from sklearn_lstmae.datasets import load_ecg5000, tutorial_split

TARGET_AUROC = 0.99
TUTORIAL_EPOCHS = 150  # the tutorial's training length
SCORING_CHILD = Path(__file__).with_name("_speed_scoring.py")
QUICK_REPORT = Path(__file__).with_name("output") / "BENCHMARKS-quick.md"

# Targets of issue 4, evaluated from the measurements in `_targets`.
MIN_THROUGHPUT_RATIO = 0.90  # detector / plain loop
MIN_SPEEDUP_TO_AUROC = 50.0  # tutorial time / detector time
MAX_PEAK_RSS = 2e9  # bytes, scoring 10^6 beats
MAX_EXTRA_GROWTH = 0.10  # extra memory growth / input growth, 10^5 -> 10^6


def _log(message):
    print(message, file=sys.stderr, flush=True)


def _parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads")
    parser.add_argument("--runs", type=int, default=5, help="throughput runs each")
    parser.add_argument("--epochs", type=int, default=None, help="throughput epochs")
    parser.add_argument("--sizes", type=int, nargs="+", default=None)
    parser.add_argument(
        "--tutorial-max-epochs",
        type=int,
        default=None,
        help="cap of the tutorial's real run to AUROC 0.99 (0 skips it)",
    )
    parser.add_argument(
        "--tutorial-epochs",
        type=int,
        default=None,
        help="skip that run: extrapolate with this many epochs (say where from)",
    )
    parser.add_argument(
        "--auroc-seeds",
        type=int,
        nargs="+",
        default=None,
        help="random_state of each timed run to AUROC 0.99 (median reported)",
    )
    parser.add_argument(
        "--variant-runs",
        type=int,
        default=None,
        help="runs of each precision / torch.compile variant (0 skips them)",
    )
    parser.add_argument(
        "--compile",
        action="store_true",
        help="also time torch.compile (default: on CUDA only)",
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    quick = args.quick
    defaults = {
        "epochs": 2 if quick else 3,
        "sizes": [10**3, 10**4] if quick else [10**3, 10**4, 10**5, 10**6],
        "tutorial_max_epochs": 0 if quick else 25,
        "threads": torch.get_num_threads(),
        "variant_runs": 1 if quick else 3,
        "auroc_seeds": [42] if quick else [42, 0, 1],
    }
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.tutorial_epochs is not None:
        args.tutorial_max_epochs = 0
    args.compile = args.compile or torch.device(args.device).type == "cuda"
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
    """Median beats/s of the detector's fit and of the plain loop."""
    device = args.device

    def detector_fit(seed, epochs, data):
        det = LSTMAutoencoderDetector(
            max_epochs=epochs, patience=None, device=device, random_state=seed
        )
        return det.fit(data)

    def plain(recipe, n_train, n_held, seed, epochs):
        Xs = standardized(X)
        return plain_fit(
            recipe, Xs[:n_train], Xs[n_train : n_train + n_held], epochs, seed, device
        )

    _log("training throughput: warm-up")
    warm = detector_fit(0, 1, X[:128])
    plain(training_recipe(warm.net_), *_beats_per_epoch(warm.net_), 0, 1)

    seconds = {"det": [], "plain": []}
    cpu = {"det": [], "plain": []}
    recipe = n_train = n_held = module = None  # set by the first detector run
    for run in range(args.runs):
        # Run 0 starts with the detector, whose fitted net gives the recipe;
        # then the order alternates so that neither always goes first.
        for who in ("det", "plain") if run % 2 == 0 else ("plain", "det"):
            if who == "det":
                job = partial(detector_fit, run, args.epochs, X)
            else:
                job = partial(plain, recipe, n_train, n_held, run, args.epochs)
            cpu_start = time.process_time()
            wall, result = timed(job, device)
            cpu[who].append(time.process_time() - cpu_start)
            seconds[who].append(wall)
            if who == "det":
                recipe = training_recipe(result.net_)
                n_train, n_held = _beats_per_epoch(result.net_)
                module = result.net_.module_
        _log(
            f"  run {run + 1}/{args.runs}: detector {seconds['det'][-1]:.2f} s, "
            f"plain {seconds['plain'][-1]:.2f} s"
        )
    work = n_train * args.epochs
    return {
        "n_train": n_train,
        "n_held": n_held,
        "n_timesteps": X.shape[1],
        "recipe": recipe,
        "det_seconds": seconds["det"],
        "plain_seconds": seconds["plain"],
        "det_cpu": statistics.median(cpu["det"]),
        "plain_cpu": statistics.median(cpu["plain"]),
        "det_rate": work / statistics.median(seconds["det"]),
        "plain_rate": work / statistics.median(seconds["plain"]),
        "module": module,
    }


def precision_variants(X, train, args):
    """Median beats/s of float32 / bfloat16 autocast / torch.compile variants.

    The same beats and epochs as :func:`training_throughput`; the detector
    with ``precision="float32"`` and ``"bfloat16"``, the plain loop with both
    and, when ``args.compile``, the plain loop over ``torch.compile(module)``
    (its first run, which compiles, is a warm-up and not counted).
    """
    if args.variant_runs <= 0:
        return None
    device, epochs = args.device, args.epochs
    n_train, n_held, recipe = train["n_train"], train["n_held"], train["recipe"]
    Xs = standardized(X)
    x_train, x_held = Xs[:n_train], Xs[n_train : n_train + n_held]

    def det(precision, seed):
        return LSTMAutoencoderDetector(
            max_epochs=epochs,
            patience=None,
            device=device,
            precision=precision,
            random_state=seed,
        ).fit(X)

    def plain(precision, compile, seed):
        return plain_fit(
            recipe, x_train, x_held, epochs, seed, device, precision, compile
        )

    jobs = {
        "detector, float32": partial(det, "float32"),
        "detector, bfloat16 autocast": partial(det, "bfloat16"),
        "plain loop, float32": partial(plain, "float32", False),
        "plain loop, bfloat16 autocast": partial(plain, "bfloat16", False),
    }
    if args.compile:
        jobs["plain loop, torch.compile, float32"] = partial(plain, "float32", True)
        _log("variants: compiling (warm-up)")
        timed(partial(jobs["plain loop, torch.compile, float32"], 0), device)
    seconds = {name: [] for name in jobs}
    for run in range(args.variant_runs):
        names = list(jobs) if run % 2 == 0 else list(jobs)[::-1]
        for name in names:
            seconds[name].append(timed(partial(jobs[name], run), device)[0])
        _log(f"  variants run {run + 1}/{args.variant_runs} done")
    work = n_train * epochs
    return {name: (work / statistics.median(s), s) for name, s in seconds.items()}


def _variants_text(variants, bf16_auroc, args):
    if variants is None:
        return "Not run (--variant-runs 0)."
    base = variants["plain loop, float32"][0]
    lines = [
        f"Same beats and {args.epochs} epochs as above, median of "
        f"{args.variant_runs} interleaved runs. bfloat16: "
        '`LSTMAutoencoderDetector(precision="bfloat16")`, i.e. forward passes '
        "under `torch.autocast(dtype=torch.bfloat16)`, float32 weights and "
        "optimizer.",
        "",
        "| variant | beats/s | vs plain float32 | runs, wall s |",
        "|---|---:|---:|---|",
    ]
    for name, (rate, runs) in variants.items():
        lines.append(
            f"| {name} | {rate:.0f} | {rate / base:.2f}x | "
            f"{', '.join(f'{s:.2f}' for s in runs)} |"
        )
    if not args.compile:
        lines += ["", "torch.compile: not timed on the CPU (pass --compile)."]
    if bf16_auroc is not None:
        lines += ["", "With bfloat16: " + " ".join(_detector_runs_text(bf16_auroc))]
    return "\n".join(lines)


def _as_beats(X, device):
    return torch.from_numpy(np.asarray(X, dtype=np.float32)[:, :, None]).to(device)


def tutorial_throughput(split, args, batch_size):
    """Beats/s of the tutorial's training and validation steps (limited beats)."""
    n_train, n_valid, n_batched = args.tutorial_beats
    device = args.device
    model, optimizer, criterion = tutorial_model(0, device)
    train = _as_beats(split.X_train, device)
    valid = _as_beats(split.X_val, device)
    tutorial_epoch(model, optimizer, criterion, train[:2], valid[:2])  # warm-up
    train_s, _ = timed(
        lambda: tutorial_epoch(model, optimizer, criterion, train[:n_train], valid[:0]),
        device,
    )
    valid_s, _ = timed(
        lambda: tutorial_epoch(model, optimizer, criterion, train[:0], valid[:n_valid]),
        device,
    )
    model, optimizer, criterion = tutorial_model(0, device)
    batched = train[:n_batched]
    tutorial_epoch(
        model, optimizer, criterion, batched[:batch_size], valid[:0], batch_size
    )
    batched_s, _ = timed(
        lambda: tutorial_epoch(
            model, optimizer, criterion, batched, valid[:0], batch_size
        ),
        device,
    )
    train_rate, valid_rate = n_train / train_s, n_valid / valid_s
    epoch = len(split.X_train) / train_rate + len(split.X_val) / valid_rate
    return {
        "train_rate": train_rate,
        "valid_rate": valid_rate,
        "batched_rate": n_batched / batched_s,
        "batch_size": batch_size,
        "epoch_seconds": epoch,
        "beats": (n_train, n_valid, n_batched),
        "module": model,
    }


# -- 2. time to AUROC >= 0.99 ----------------------------------------------------


class _AurocTrace(Callback):
    """After each epoch, the test AUROC and the training time so far.

    The time runs from the start of ``fit`` (set in ``start``) and leaves out
    the time this callback spends scoring.
    """

    def __init__(self, detector, X, is_anomaly):
        self.detector, self.X, self.is_anomaly = detector, X, is_anomaly

    def on_train_begin(self, net, **kwargs):
        self.records, self.scoring = [], 0.0

    def on_epoch_end(self, net, **kwargs):
        sync(self.detector.device_)
        now = time.perf_counter()
        errors = -self.detector.score_samples(self.X)
        auroc = roc_auc_score(self.is_anomaly, errors)
        self.records.append((len(net.history), now - self.start - self.scoring, auroc))
        self.scoring += time.perf_counter() - now


class _TracedDetector(LSTMAutoencoderDetector):
    """The detector with :class:`_AurocTrace` appended to its net's callbacks."""

    def _build_net(self, *args, **kwargs):
        net = super()._build_net(*args, **kwargs)
        net.callbacks = [*net.callbacks, ("auroc_trace", self.trace_)]
        return net


def _first_at_target(records):
    return next(((e, s, a) for e, s, a in records if a >= TARGET_AUROC), None)


def detector_time_to_auroc(split, args, seeds, precision="float32"):
    """One traced fit per seed of ``seeds``; the median run leads.

    ``first`` is the median over seeds of the time to AUROC >= 0.99 (a seed
    that never gets there counts as infinitely slow), with its epoch.
    """
    runs = [_time_to_auroc_one(split, args, precision, seed) for seed in seeds]
    never = (math.inf, math.inf, None)
    ranked = sorted(runs, key=lambda r: (r["first"] or never)[1])
    median = ranked[(len(ranked) - 1) // 2]  # the lower median
    return {**median, "runs": runs}


def _time_to_auroc_one(split, args, precision, seed):
    is_anomaly = split.y_test == -1
    params = {"device": args.device, "random_state": seed}
    if precision != "float32":
        params["precision"] = precision
    if args.auroc_max_epochs is not None:
        params["max_epochs"] = args.auroc_max_epochs
    det = _TracedDetector(**params)
    det.trace_ = _AurocTrace(det, split.X_test, is_anomaly)
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
    final = roc_auc_score(is_anomaly, -det.score_samples(split.X_test))
    return {
        "records": records,
        "first": _first_at_target(records),
        "fit_seconds": fit_seconds,
        "epochs": len(det.net_.history),
        "final_auroc": final,
        "params": {k: v for k, v in params.items() if k != "device"},
    }


def tutorial_time_to_auroc(split, args, epoch_seconds):
    """Real tutorial epochs until AUROC >= 0.99, or an extrapolation."""
    if args.tutorial_max_epochs <= 0:
        if args.tutorial_epochs is None:
            return None
        return {
            "extrapolated": True,
            "first": (args.tutorial_epochs, args.tutorial_epochs * epoch_seconds, None),
            "records": [],
        }
    device = args.device
    model, optimizer, criterion = tutorial_model(42, device)
    train = _as_beats(split.X_train, device)
    valid = _as_beats(split.X_val, device)
    test = _as_beats(split.X_test, device)
    is_anomaly = split.y_test == -1
    elapsed, records = 0.0, []
    for epoch in range(1, args.tutorial_max_epochs + 1):
        seconds, _ = timed(
            lambda: tutorial_epoch(model, optimizer, criterion, train, valid), device
        )
        elapsed += seconds
        auroc = roc_auc_score(is_anomaly, reconstruction_errors(model, test))
        records.append((epoch, elapsed, auroc))
        _log(f"  tutorial epoch {epoch}: {elapsed:.0f} s, AUROC {auroc:.4f}")
        if auroc >= TARGET_AUROC:
            break
    return {
        "extrapolated": False,
        "first": _first_at_target(records),
        "records": records,
    }


# -- 3. scoring ---------------------------------------------------------------------


def _chunk_sizes(det, n_timesteps):
    """The batch sizes ``score_samples`` feeds the module (found by a hook)."""
    seen = []
    hook = det.net_.module_.register_forward_hook(
        lambda mod, args, kwargs, out: seen.append(
            (args[0] if args else kwargs["x"]).shape[0]
        ),
        with_kwargs=True,
    )
    try:
        det.score_samples(np.zeros((5000, n_timesteps), dtype=np.float32))
    finally:
        hook.remove()
    return seen


def _forward_chunks(module, x, chunk):
    for start in range(0, x.shape[0], chunk):
        module(x[start : start + chunk])


def chunk_sweep(module, n_timesteps, args):
    """Module-only inference beats/s by chunk size (median of interleaved reps)."""
    n, reps = (1024, 3) if args.quick else (4096, 3)
    x = torch.randn(n, n_timesteps, 1, device=args.device)
    module.eval()
    rates = {c: [] for c in (32, 128, 512, 1024, 4096) if c <= n}
    with torch.inference_mode():
        module(x[:128])
        for _ in range(reps):
            for chunk in rates:
                job = partial(_forward_chunks, module, x, chunk)
                rates[chunk].append(n / timed(job, args.device)[0])
    return {c: statistics.median(r) for c, r in rates.items()}


def scoring(split, args, workdir):
    """Fit a default detector for one epoch, then score each size in a child."""
    n_fit = 256 if args.quick else len(split.X_train)
    det = LSTMAutoencoderDetector(max_epochs=1, device=args.device, random_state=0)
    det.fit(split.X_train[:n_fit])
    chunks = _chunk_sizes(det, split.X_train.shape[1])
    path = Path(workdir) / "detector.joblib"
    joblib.dump(det, path)
    rows = []
    for n in args.sizes:
        _log(f"scoring {n} beats in a fresh process")
        out = subprocess.run(
            [sys.executable, str(SCORING_CHILD), str(path), str(n), str(args.threads)],
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            raise RuntimeError(f"scoring {n} beats failed:\n{out.stderr[-3000:]}")
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    _log("module-only inference by chunk size")
    sweep = chunk_sweep(det.net_.module_, split.X_train.shape[1], args)
    return {"rows": rows, "chunk": max(chunks), "sweep": sweep}


# -- report ---------------------------------------------------------------------------


def _verdict(ok):
    return "PASS" if ok else "FAIL"


def _targets(train, to_auroc, tutorial_auroc, score_rows):
    rows = []
    ratio = train["det_rate"] / train["plain_rate"]
    rows.append(
        (
            f"detector training throughput >= {MIN_THROUGHPUT_RATIO:.0%} of the "
            "plain loop (median of runs)",
            f"{ratio:.1%} ({train['det_rate']:.0f} vs {train['plain_rate']:.0f} "
            "beats/s)",
            _verdict(ratio >= MIN_THROUGHPUT_RATIO),
        )
    )
    name = f"time to AUROC >= {TARGET_AUROC} >= {MIN_SPEEDUP_TO_AUROC:.0f}x shorter"
    det_first = to_auroc["first"]
    tut_first = tutorial_auroc["first"] if tutorial_auroc else None
    if det_first is None:
        rows.append((name, "detector never reached it", "FAIL"))
    elif tutorial_auroc is None:
        rows.append((name, "tutorial run skipped", "not evaluated"))
    elif tut_first is None:
        last_epoch, last_s, _ = tutorial_auroc["records"][-1]
        bound = last_s / det_first[1]
        verdict = "PASS" if bound >= MIN_SPEEDUP_TO_AUROC else "not evaluated"
        rows.append(
            (
                name,
                f">= {bound:.1f}x (tutorial not there after {last_epoch} epochs, "
                f"{last_s:.0f} s; detector {det_first[1]:.1f} s)",
                verdict,
            )
        )
    else:
        speedup = tut_first[1] / det_first[1]
        how = " (extrapolated)" if tutorial_auroc["extrapolated"] else ""
        rows.append(
            (
                name,
                f"{speedup:.1f}x (tutorial {tut_first[1]:.0f} s{how}, detector "
                f"{det_first[1]:.1f} s)",
                _verdict(speedup >= MIN_SPEEDUP_TO_AUROC),
            )
        )
    by_n = {r["n"]: r for r in score_rows}
    largest = by_n[max(by_n)]
    ran_million = 10**6 in by_n
    rows.append(
        (
            f"peak RSS scoring 10^6 beats < {MAX_PEAK_RSS / 1e9:.0f} GB",
            f"{largest['peak_rss'] / 1e6:.0f} MB"
            + ("" if ran_million else f" at {largest['n']:,} beats"),
            _verdict(largest["peak_rss"] < MAX_PEAK_RSS)
            if ran_million
            else "not evaluated: 10^6 not run",
        )
    )
    if len(by_n) >= 2:
        small, large = sorted(by_n)[-2:]
        extra = {
            n: by_n[n]["peak_rss"] - by_n[n]["baseline_rss"] for n in (small, large)
        }
        grown = by_n[large]["input_bytes"] - by_n[small]["input_bytes"]
        growth = (extra[large] - extra[small]) / grown
        both = (small, large) == (10**5, 10**6)
        rows.append(
            (
                "memory above the input flat from 10^5 to 10^6 beats (grows by < "
                f"{MAX_EXTRA_GROWTH:.0%} of the added input)",
                f"{extra[small] / 1e6:.0f} -> {extra[large] / 1e6:.0f} MB "
                f"({growth:+.1%} of {grown / 1e6:.0f} MB added)"
                + ("" if both else f", {small:,} -> {large:,} beats"),
                _verdict(growth < MAX_EXTRA_GROWTH)
                if both
                else "not evaluated: 10^5 and 10^6 not run",
            )
        )
    lines = ["| target | measured | verdict |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def _gpu_note(args):
    if torch.device(args.device).type == "cuda":
        name = torch.cuda.get_device_name(0)
        gpu = f"measured on {name} (every number in this section)"
    elif torch.cuda.is_available():
        gpu = "not measured: run with --device cuda"
    else:
        gpu = "not measured: no GPU"
    return f"GPU: {gpu}. bf16 autocast: see Precision and torch.compile."


def _render(
    args, split, train, variants, tut, to_auroc, tut_auroc, scored, flops, bf16_auroc
):
    n_train, n_held, epochs = train["n_train"], train["n_held"], args.epochs
    recipe = train["recipe"]
    clip = f"clip grad norm {recipe.clip[0]}" if recipe.clip else "no clipping"
    sched = recipe.scheduler[0].__name__ if recipe.scheduler else "no schedule"
    out = [stamp()]
    if args.quick:
        out.append("**Quick run (small sizes): not comparable with the full run.**\n")
    out += [
        _gpu_note(args),
        f"Torch threads: {args.threads}. Tutorial protocol: {len(split.X_train)} "
        f"normal training beats, {len(split.X_val)} validation, "
        f"{len(split.X_test)} test ({(split.y_test == -1).sum()} anomalous).",
        "",
        "### Targets",
        "",
        _targets(train, to_auroc, tut_auroc, scored["rows"]),
        "",
        "### Training throughput",
        "",
        f"{n_train} training + {n_held} held-out beats per epoch, {epochs} "
        f"epochs, median of {args.runs} interleaved runs. Detector: "
        f"`LSTMAutoencoderDetector(patience=None, max_epochs={epochs})`, other "
        "parameters default, whole `fit` timed. Plain loop: the same module "
        f"class and arguments ({recipe.module_kwargs}), "
        f"{recipe.optimizer_cls.__name__}, {recipe.criterion_cls.__name__}, "
        f"batch {recipe.batch_size}, {clip}, {sched}, the held-out loss every "
        "epoch, index slicing instead of a DataLoader.",
    ]
    if recipe.notes:
        out.append("Not repeated by the plain loop: " + "; ".join(recipe.notes) + ".")
    fmt = ", ".join
    out += [
        "",
        "| contender | beats/s | runs, wall s | median CPU s | achieved GFLOP/s |",
        "|---|---:|---|---:|---:|",
        f"| `LSTMAutoencoderDetector.fit` | {train['det_rate']:.0f} | "
        f"{fmt(f'{s:.2f}' for s in train['det_seconds'])} | "
        f"{train['det_cpu']:.2f} | {flops['det'] / 1e9:.1f} |",
        f"| plain PyTorch loop, same module | {train['plain_rate']:.0f} | "
        f"{fmt(f'{s:.2f}' for s in train['plain_seconds'])} | "
        f"{train['plain_cpu']:.2f} | {flops['plain'] / 1e9:.1f} |",
        f"| tutorial loop, batch size 1 (first {tut['beats'][0]} beats) | "
        f"{tut['train_rate']:.1f} | - | - | {flops['tutorial'] / 1e9:.1f} |",
        f"| tutorial architecture, batch size {tut['batch_size']} "
        f"({tut['beats'][2]} beats) | {tut['batched_rate']:.0f} | - | - | "
        f"{flops['tutorial_batched'] / 1e9:.1f} |",
        "",
        "Median CPU s: process CPU time of a run (all threads; less sensitive "
        "to other load than wall time, but it counts idle-spinning threads).",
        "",
        f"Tutorial's 150 epochs, extrapolated from {tut['beats'][0]} training and "
        f"{tut['beats'][1]} validation beats at batch size 1 "
        f"({tut['train_rate']:.1f} and {tut['valid_rate']:.1f} beats/s): "
        f"{tut['epoch_seconds']:.0f} s an epoch, "
        f"{TUTORIAL_EPOCHS * tut['epoch_seconds'] / 60:.0f} minutes in all.",
        "",
        "### Precision and torch.compile",
        "",
        _variants_text(variants, bf16_auroc, args),
        "",
        "### Time to AUROC >= 0.99 (tutorial protocol)",
        "",
        _auroc_text(to_auroc, tut_auroc, tut),
        "",
        "### Scoring (`score_samples`, one fresh process per size)",
        "",
        f"Synthetic standard-normal float32 beats; the detector's defaults fitted "
        f"for one epoch (the weights do not change the cost); it feeds the "
        f"module chunks of {scored['chunk']} beats (seen by a forward hook). "
        "Baseline: resident memory after loading the "
        "model, creating the input and a warm-up call; peak: the high-water "
        "mark during the call.",
        "",
        "| beats | input MB | baseline RSS MB | peak RSS MB | above baseline MB "
        "| seconds | beats/s | us/beat |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in scored["rows"]:
        out.append(
            f"| {r['n']:,} | {r['input_bytes'] / 1e6:.0f} | "
            f"{r['baseline_rss'] / 1e6:.0f} | {r['peak_rss'] / 1e6:.0f} | "
            f"{(r['peak_rss'] - r['baseline_rss']) / 1e6:.0f} | "
            f"{r['seconds']:.2f} | {r['n'] / r['seconds']:.0f} | "
            f"{1e6 * r['seconds'] / r['n']:.0f} |"
        )
    gpu_peaks = [(r["n"], r["gpu_peak_bytes"]) for r in scored["rows"]]
    if any(peak is not None for _, peak in gpu_peaks):
        out += [
            "",
            "GPU memory peak during the call (`torch.cuda.max_memory_allocated`): "
            + ", ".join(f"{n:,} beats {peak / 1e6:.0f} MB" for n, peak in gpu_peaks)
            + ".",
        ]
    sweep = scored["sweep"]
    out += [
        "",
        "Module-only inference (no checks, no numpy), beats/s by chunk size, "
        "median of 3 interleaved passes: "
        + ", ".join(f"{c}: {r:.0f}" for c, r in sweep.items())
        + ".",
        "",
        "### Achieved FLOP/s",
        "",
        flops["text"],
    ]
    return "\n".join(out) + "\n"


def _detector_runs_text(det):
    """Paragraphs on the detector's traced fits: the median, then every run."""
    runs = det["runs"]
    lines = []
    if len(runs) > 1:
        first = det["first"]
        lines.append(
            f"Detector, {len(runs)} seeds (`random_state` "
            f"{', '.join(str(r['params']['random_state']) for r in runs)}): median "
            + (
                f"time to AUROC >= {TARGET_AUROC} {first[1]:.1f} s (seed "
                f"{det['params']['random_state']}); every run:"
                if first
                else "run never reached it"
            )
        )
    for run in runs:
        params = ", ".join(f"{k}={v}" for k, v in run["params"].items())
        first = run["first"]
        trace = ", ".join(f"{e}: {a:.3f}" for e, _, a in run["records"])
        reached = (
            f"first reached after epoch {first[0]}, {first[1]:.1f} s of training"
            if first
            else "never reached"
        )
        lines.append(
            f"Detector `LSTMAutoencoderDetector({params})`, otherwise defaults: "
            f"{reached}; the whole fit ran {run['epochs']} epochs in "
            f"{run['fit_seconds']:.1f} s and ends at AUROC "
            f"{run['final_auroc']:.4f}. AUROC by epoch: {trace}."
        )
    return lines


def _auroc_text(det, tut_auroc, tut):
    lines = _detector_runs_text(det)
    if tut_auroc is None:
        lines.append(
            "Tutorial loop: not run (--tutorial-max-epochs 0); pass "
            "--tutorial-epochs N to extrapolate."
        )
    elif tut_auroc["extrapolated"]:
        n, seconds, _ = tut_auroc["first"]
        lines.append(
            f"Tutorial loop: extrapolated, not measured: {n} epochs (given by "
            f"--tutorial-epochs) x {tut['epoch_seconds']:.0f} s an epoch "
            f"(measured on limited beats above) = {seconds:.0f} s."
        )
    else:
        trace = ", ".join(f"{e}: {a:.3f}" for e, _, a in tut_auroc["records"])
        first = tut_auroc["first"]
        reached = (
            f"first reached after epoch {first[0]}, {first[1]:.0f} s"
            if first
            else f"not reached in {len(tut_auroc['records'])} epochs"
        )
        lines.append(
            f"Tutorial loop (batch size 1, Adam 1e-3, L1 sum, validation every "
            f"epoch), trained for real: {reached}. AUROC by epoch: {trace}."
        )
    lines.append(
        "Clocks count training and per-epoch validation, not the AUROC scoring; "
        "the detector's starts with `fit` (checks, standardisation, split)."
    )
    return "\n\n".join(lines)


def _flops(train, tut, scored, args):
    n_timesteps = train["n_timesteps"]
    per_beat, uncounted = forward_flops(train["module"], n_timesteps, 1)
    tut_beat, _ = forward_flops(tut["module"], n_timesteps, 1)
    epoch_work = train["n_train"] * 3 * per_beat + train["n_held"] * per_beat
    work = args.epochs * epoch_work
    det = work / statistics.median(train["det_seconds"])
    plain = work / statistics.median(train["plain_seconds"])
    largest = max(scored["rows"], key=lambda r: r["n"])
    scoring_rate = per_beat * largest["n"] / largest["seconds"]
    theoretical, measured, how = peak_flops(2048 if args.quick else 4096, args.device)
    share = (
        f"{plain / theoretical:.1%} of the theoretical peak, "
        if theoretical
        else "theoretical peak unknown, "
    )
    text = (
        f"Forward FLOPs per beat, counted analytically (2 per multiply-add; an "
        f"LSTM layer costs 2 x 4 x h x (in + h) per step and direction, a Linear "
        f"2 x in x out per row; element-wise gate maths left out): detector "
        f"module {per_beat / 1e6:.1f} MFLOP, tutorial module {tut_beat / 1e6:.1f} "
        f"MFLOP. A training step costs 3x the forward (backward about 2x); the "
        f"held-out pass 1x. Peak: theoretical {how}"
        + (f" = {theoretical / 1e9:.0f} GFLOP/s" if theoretical else "")
        + "; measured float32 matmul "
        f"(torch.mm, best of 3) {measured / 1e9:.0f} GFLOP/s.\n\n"
        f"Training, plain loop: {plain / 1e9:.1f} GFLOP/s = {share}"
        f"{plain / measured:.1%} of the matmul peak; detector "
        f"{det / 1e9:.1f} GFLOP/s. Scoring ({largest['n']:,} beats): "
        f"{scoring_rate / 1e9:.1f} GFLOP/s."
    )
    if uncounted:
        text += f" Layers not counted: {', '.join(uncounted)}."
    return {
        "det": det,
        "plain": plain,
        "tutorial": 3 * tut_beat * tut["train_rate"],
        "tutorial_batched": 3 * tut_beat * tut["batched_rate"],
        "text": text,
    }


def main(argv=None):
    args = _parse_args(argv)
    torch.set_num_threads(args.threads)
    if torch.device(args.device).type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda asked for, but CUDA is not available")
    ecg = load_ecg5000()
    split = tutorial_split(ecg.data, ecg.is_anomaly, random_state=42)
    X = split.X_train[: args.n_throughput]
    start = time.perf_counter()
    train = training_throughput(X, args)
    _log("precision and torch.compile variants")
    variants = precision_variants(X, train, args)
    _log("tutorial loop throughput")
    tut = tutorial_throughput(split, args, train["recipe"].batch_size)
    _log("detector: time to AUROC 0.99")
    to_auroc = detector_time_to_auroc(split, args, args.auroc_seeds)
    bf16_auroc = None
    if variants is not None:
        _log("detector, bfloat16 autocast: time to AUROC 0.99")
        # one seed only (the first): the float32 runs carry the target
        bf16_auroc = detector_time_to_auroc(
            split, args, args.auroc_seeds[:1], precision="bfloat16"
        )
    _log("tutorial: time to AUROC 0.99")
    tut_auroc = tutorial_time_to_auroc(split, args, tut["epoch_seconds"])
    with tempfile.TemporaryDirectory() as workdir:
        scored = scoring(split, args, workdir)
    flops = _flops(train, tut, scored, args)
    body = _render(
        args,
        split,
        train,
        variants,
        tut,
        to_auroc,
        tut_auroc,
        scored,
        flops,
        bf16_auroc,
    )
    body += (
        f"\nThe whole script ran {(time.perf_counter() - start) / 60:.1f} minutes.\n"
    )
    print(body)
    if args.no_write:
        _log("not written (--no-write)")
    elif args.quick:
        QUICK_REPORT.parent.mkdir(exist_ok=True)
        _log(f"wrote {write_section('speed-quick', body, QUICK_REPORT)}")
    else:
        _log(f"wrote {write_section('speed', body)}")


if __name__ == "__main__":
    main()
