"""Training loops and FLOP counts for ``speed.py``: everything but the detector.

- :func:`training_recipe` reads what a fitted detector's skorch net does (module
  and its arguments, optimizer, loss, batch sizes, gradient clipping, learning
  rate schedule) so that :func:`plain_fit` repeats it in a bare PyTorch loop.
- :class:`TutorialAutoencoder` and :func:`tutorial_epoch` are the well-known
  "LSTM autoencoder on ECG5000" tutorial (Venelin Valkov): LSTM(1, 256) ->
  LSTM(256, 128) -> 128-d code repeated 140 times -> LSTM(128, 128) ->
  LSTM(128, 256) -> Linear(256, 1); L1 loss summed, Adam(lr=1e-3), one beat
  per step, in the data's order, then a validation pass, every epoch.
- :func:`usage` reads the process's CPU times and page faults, so that a
  run's system time and faults can be reported beside its wall time.
- :func:`forward_flops` counts a module's multiply-add FLOPs analytically;
  :func:`peak_flops` gives the CPU's theoretical and measured matmul peak.
"""

import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from skorch.callbacks import LRScheduler
from torch import nn

# skorch's own bookkeeping callbacks: not repeated by the plain loop, their
# cost is part of what the comparison measures.
_BOOKKEEPING = {"EpochTimer", "PassthroughScoring", "PrintLog"}


def sync(device):
    """Wait for queued GPU work so that a clock read after it is honest."""
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def usage():
    """``(system CPU s, minor page faults)`` of this process so far.

    All threads count. Zeros where the platform has no ``getrusage``.
    """
    try:
        import resource
    except ImportError:  # Windows
        return 0.0, 0
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_stime, ru.ru_minflt


def timed(fn, device):
    """``(seconds, fn())``, the clock read after ``device``'s queued work."""
    sync(device)
    start = time.perf_counter()
    result = fn()
    sync(device)
    return time.perf_counter() - start, result


@dataclass
class Recipe:
    """One training step's settings, read from a fitted skorch net."""

    module_cls: type
    module_kwargs: dict
    optimizer_cls: type
    optimizer_kwargs: dict
    criterion_cls: type
    criterion_kwargs: dict
    batch_size: int
    valid_batch_size: int
    shuffle: bool
    clip: tuple | None = None  # (max_norm, norm_type)
    scheduler: tuple | None = None  # (policy class, kwargs, step_every)
    notes: list = field(default_factory=list)

    def build(self, device):
        """A fresh module, its optimizer, scheduler (or None) and criterion."""
        module = self.module_cls(**self.module_kwargs).to(device)
        optimizer = self.optimizer_cls(module.parameters(), **self.optimizer_kwargs)
        scheduler = None
        if self.scheduler is not None:
            policy, kwargs, _ = self.scheduler
            scheduler = policy(optimizer, **kwargs)
        return module, optimizer, scheduler, self.criterion_cls(**self.criterion_kwargs)


def _prefixed(params, prefix):
    return {k[len(prefix) :]: v for k, v in params.items() if k.startswith(prefix)}


def training_recipe(net):
    """The :class:`Recipe` of a fitted skorch ``net`` (see the module docstring).

    Callbacks it does not know are listed in ``notes`` (they are not repeated
    by :func:`plain_fit`); early stopping is refused, since the comparison
    needs a fixed number of epochs.
    """
    params = net.get_params(deep=False)
    module_kwargs = _prefixed(params, "module__")
    recipe = Recipe(
        module_cls=type(net.module_),
        module_kwargs=module_kwargs,
        optimizer_cls=net.optimizer,
        optimizer_kwargs={"lr": net.lr, **_prefixed(params, "optimizer__")},
        criterion_cls=net.criterion,
        criterion_kwargs=_prefixed(params, "criterion__"),
        batch_size=params.get("iterator_train__batch_size", net.batch_size),
        valid_batch_size=params.get("iterator_valid__batch_size", net.batch_size),
        shuffle=bool(params.get("iterator_train__shuffle", False)),
    )
    for name, cb in net.callbacks_:
        kind = type(cb).__name__
        if kind == "GradientNormClipping":
            if cb.gradient_clip_value is not None:
                recipe.clip = (cb.gradient_clip_value, cb.gradient_clip_norm_type)
        elif isinstance(cb, LRScheduler):  # PicklableLRScheduler too
            policy = getattr(cb, "policy_", cb.policy)
            if isinstance(policy, str):
                policy = getattr(torch.optim.lr_scheduler, policy)
            recipe.scheduler = (policy, dict(cb.kwargs), cb.step_every)
        elif kind == "EarlyStopping":
            raise ValueError(
                "The detector under test stops early; fit it with patience=None so "
                "that both contenders run the same number of epochs."
            )
        elif kind == "FiniteLossGuard":
            pass  # a loss.item() per batch: the plain loop logs the loss too
        elif kind not in _BOOKKEEPING:
            recipe.notes.append(f"callback {name!r} ({kind}) is not repeated")
    fresh = recipe.module_cls(**module_kwargs)
    n_fresh = sum(p.numel() for p in fresh.parameters())
    n_fitted = sum(p.numel() for p in net.module_.parameters())
    if n_fresh != n_fitted:
        raise ValueError(
            f"Rebuilding {recipe.module_cls.__name__} from the net's module__ "
            f"parameters gives {n_fresh} weights, the fitted one has {n_fitted}."
        )
    return recipe


def plain_fit(recipe, X_train, X_held, epochs, seed, device, compile=False):
    """Train a fresh module the way the net does, in a bare PyTorch loop.

    Per epoch: shuffled mini-batches (index permutation and tensor slicing, no
    DataLoader), loss against the input, backward, gradient clipping, optimizer
    step, scheduler step, ``loss.item()``; then the loss of the held-out
    sequences in batches, without gradients (skorch's validation pass).
    ``compile=True`` trains ``torch.compile(module)`` instead of the module.
    Returns the last epoch's mean training loss.
    """
    module, optimizer, scheduler, criterion = recipe.build(device)
    forward = torch.compile(module) if compile else module
    step_every = recipe.scheduler[2] if recipe.scheduler else None
    x_train = torch.from_numpy(X_train).to(device)
    x_held = torch.from_numpy(X_held).to(device)
    generator = torch.Generator().manual_seed(seed)
    n, bs = x_train.shape[0], recipe.batch_size
    for _ in range(epochs):
        module.train()
        order = (
            torch.randperm(n, generator=generator).to(device)
            if recipe.shuffle
            else torch.arange(n, device=device)
        )
        total = 0.0
        for start in range(0, n, bs):
            xb = x_train[order[start : start + bs]]
            optimizer.zero_grad()
            loss = criterion(_reconstruction(forward(xb)), xb)
            loss.backward()
            if recipe.clip is not None:
                nn.utils.clip_grad_norm_(
                    module.parameters(), recipe.clip[0], norm_type=recipe.clip[1]
                )
            optimizer.step()
            if step_every == "batch":
                scheduler.step()
            total += loss.item() * xb.shape[0]
        if step_every == "epoch":
            scheduler.step()
        module.eval()
        with torch.no_grad():
            for start in range(0, x_held.shape[0], recipe.valid_batch_size):
                xb = x_held[start : start + recipe.valid_batch_size]
                criterion(_reconstruction(forward(xb)), xb).item()
    return total / n


def _reconstruction(out):
    """The module's reconstruction: its output, or the first item of a tuple
    (the detector's module may also return the code of the same pass)."""
    return out[0] if isinstance(out, tuple) else out


class TutorialAutoencoder(nn.Module):
    """The tutorial's encoder-decoder (batched; with one beat it is the same)."""

    def __init__(self, n_features=1, embedding_dim=128):
        super().__init__()
        self.enc1 = nn.LSTM(n_features, 2 * embedding_dim, batch_first=True)
        self.enc2 = nn.LSTM(2 * embedding_dim, embedding_dim, batch_first=True)
        self.dec1 = nn.LSTM(embedding_dim, embedding_dim, batch_first=True)
        self.dec2 = nn.LSTM(embedding_dim, 2 * embedding_dim, batch_first=True)
        self.output = nn.Linear(2 * embedding_dim, n_features)

    def forward(self, x):
        x, _ = self.enc1(x)
        _, (code, _) = self.enc2(x)
        x = code[-1].unsqueeze(1).expand(-1, x.shape[1], -1)
        x, _ = self.dec1(x)
        x, _ = self.dec2(x)
        return self.output(x)


def tutorial_model(seed, device):
    """The tutorial's module, optimizer and loss (weights seeded locally)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = TutorialAutoencoder().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    return model, optimizer, nn.L1Loss(reduction="sum").to(device)


def tutorial_epoch(model, optimizer, criterion, train, valid, batch_size=1):
    """One tutorial epoch: a step per beat in order, then the validation loss.

    ``train`` and ``valid`` are float32 tensors of shape (n, time, 1) already
    on the model's device. ``batch_size`` > 1 only serves the batched context
    measurement. Returns (mean training loss, mean validation loss) per beat.
    """
    model.train()
    total = 0.0
    for start in range(0, train.shape[0], batch_size):
        seq = train[start : start + batch_size]
        optimizer.zero_grad()
        loss = criterion(model(seq), seq)
        loss.backward()
        optimizer.step()
        total += loss.item()
    model.eval()
    valid_total = 0.0
    with torch.no_grad():
        for start in range(0, valid.shape[0], batch_size):
            seq = valid[start : start + batch_size]
            valid_total += criterion(model(seq), seq).item()
    return total / max(train.shape[0], 1), valid_total / max(valid.shape[0], 1)


def reconstruction_errors(model, x, power=1, batch_size=256):
    """Per-beat mean of ``|reconstruction - x| ** power``, batched (for AUROC)."""
    model.eval()
    out = []
    with torch.no_grad():
        for start in range(0, x.shape[0], batch_size):
            xb = x[start : start + batch_size]
            error = (_reconstruction(model(xb)) - xb).abs() ** power
            out.append(error.mean(dim=(1, 2)).cpu())
    return torch.cat(out).numpy()


_GATES = {nn.LSTM: 4, nn.GRU: 3, nn.RNN: 1}


def forward_flops(module, n_timesteps, n_channels):
    """Forward FLOPs per sequence: 2 per multiply-add of every matrix product.

    An LSTM layer costs, per time step and direction, ``2 * 4 * h * (in + h)``
    (four gates, input and recurrent weights); GRU 3 gates, RNN 1; a Linear
    ``2 * in * out`` per row it is applied to. Element-wise gate arithmetic
    (about ``10 * h`` per step, under 10 % here) is left out. Counted from the
    shapes the layers actually see in one forward pass.

    Returns (FLOPs per sequence, names of other layers with weights, which
    are not counted).
    """
    counts = []

    def rnn_hook(mod, inputs, output):
        x = inputs[0]
        if x.dim() != 3 or getattr(mod, "proj_size", 0):
            raise ValueError("forward_flops handles batched RNNs without proj_size")
        batch_time = x.shape[0] * x.shape[1]
        dirs = 2 if mod.bidirectional else 1
        gates, h = _GATES[type(mod)], mod.hidden_size
        per_step = 0
        for layer in range(mod.num_layers):
            width = mod.input_size if layer == 0 else dirs * h
            per_step += dirs * 2 * gates * h * (width + h)
        counts.append(batch_time * per_step)

    def linear_hook(mod, inputs, output):
        rows = inputs[0].numel() // mod.in_features
        counts.append(rows * 2 * mod.in_features * mod.out_features)

    hooks, uncounted = [], set()
    for sub in module.modules():
        if type(sub) in _GATES:
            hooks.append(sub.register_forward_hook(rnn_hook))
        elif isinstance(sub, nn.Linear):
            hooks.append(sub.register_forward_hook(linear_hook))
        elif any(True for _ in sub.parameters(recurse=False)):
            uncounted.add(type(sub).__name__)
    batch = 2
    # The module's own dtype: a fitted detector with the code distance scores
    # with a float64 module.
    weight = next(module.parameters())
    x = torch.zeros(batch, n_timesteps, n_channels, dtype=weight.dtype)
    try:
        with torch.no_grad():
            module(x.to(weight.device))
    finally:
        for hook in hooks:
            hook.remove()
    return sum(counts) / batch, sorted(uncounted)


def _cpu_info():
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set(), None
    found = re.search(r"^flags\s*:\s*(.+)$", text, re.MULTILINE)
    flags = set(found.group(1).split()) if found else set()
    ghz = None
    try:
        khz = Path("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq").read_text()
        ghz = int(khz) / 1e6
    except (OSError, ValueError):
        mhz = re.findall(r"^cpu MHz\s*:\s*([\d.]+)", text, re.MULTILINE)
        ghz = max(float(m) for m in mhz) / 1e3 if mhz else None
    return flags, ghz


def peak_flops(size, device="cpu", repeats=3):
    """Theoretical and measured float32 peak, in FLOP/s.

    Theoretical (CPU only): cores x GHz x FLOPs per cycle per core, where
    FLOPs per cycle are SIMD float32 lanes (16 with AVX-512, 8 with AVX2, 4
    with SSE) x 2 (an FMA is a multiply and an add) x 2 FMA units (server Xeon
    / EPYC cores have two; some have one: then halve it). GHz is the maximum
    frequency the kernel reports (``cpuinfo_max_freq``, else the highest ``cpu
    MHz``), which may be the base clock on a virtual machine. Cores are
    torch's threads. Measured: the best of ``repeats`` ``size`` x ``size``
    float32 matmuls on ``device``.

    Returns (theoretical or None, measured, description).
    """
    a = torch.randn(size, size, device=device)
    b = torch.randn(size, size, device=device)
    torch.mm(a, b)
    best = math.inf
    for _ in range(repeats):
        best = min(best, timed(lambda: torch.mm(a, b), device)[0])
    measured = 2 * size**3 / best
    if torch.device(device).type != "cpu":
        return None, measured, f"{device}: theoretical peak not computed"
    flags, ghz = _cpu_info()
    if "avx512f" in flags:
        lanes, isa = 16, "AVX-512"
    elif "avx2" in flags and "fma" in flags:
        lanes, isa = 8, "AVX2+FMA"
    else:
        lanes, isa = 4, "SSE"
    per_cycle = lanes * 2 * 2
    cores = torch.get_num_threads()
    theoretical = cores * ghz * 1e9 * per_cycle if ghz else None
    ghz_text = f"{ghz:.2f} GHz" if ghz else "unknown GHz"
    description = (
        f"{cores} cores x {ghz_text} x {per_cycle} FLOPs/cycle ({isa}: {lanes} "
        f"float32 lanes x 2 per FMA x 2 FMA units, assumed)"
    )
    return theoretical, measured, description


def standardized(X):
    """Float32 copy of 2-D beats as (n, time, 1), centred and scaled overall."""
    X = np.asarray(X, dtype=np.float64)
    return ((X - X.mean()) / X.std()).astype(np.float32)[:, :, None]
