"""The allocator preparation before training (glibc only)."""

import subprocess
import sys

import numpy as np
import pytest

from sklearn_lstmae import LSTMAutoencoderDetector, _allocator, _estimator
from sklearn_lstmae._allocator import _is_glibc

# A fresh process repeats what a training step does to the allocator: it
# allocates blocks of a few MiB, writes them and frees them, six times, and
# prints the minor page faults of each round. It loads the module from its
# file, not through the package (whose imports take seconds).
_STEPS = """
import importlib.util, resource, sys
spec = importlib.util.spec_from_file_location("_allocator", sys.argv[2])
allocator = importlib.util.module_from_spec(spec)
spec.loader.exec_module(allocator)
if sys.argv[1] == "prepared":
    allocator.keep_large_blocks()
faults = []
for _ in range(6):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    blocks = [bytearray(3 * 1024 * 1024) for _ in range(8)]
    del blocks
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
print(*faults)
"""


def _faults_per_round(mode):
    out = subprocess.run(
        [sys.executable, "-c", _STEPS, mode, _allocator.__file__],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    return [int(n) for n in out.split()]


@pytest.mark.skipif(not _is_glibc(), reason="glibc's malloc only")
def test_freed_step_memory_is_kept_for_the_next_step():
    # Without the preparation the 24 MiB of each round go back to the system
    # and fault in again (about 6,000 pages a round); with it, only the first
    # round faults them in.
    unprepared = _faults_per_round("unprepared")
    prepared = _faults_per_round("prepared")
    assert min(unprepared[1:]) > 1000
    assert max(prepared[1:]) < 100


def _raising(exc):
    def confstr(name):
        raise exc

    return confstr


@pytest.mark.parametrize(
    "confstr, expected",
    [
        (lambda name: "glibc 2.36", True),
        (lambda name: None, False),  # a known name without a value here
        (_raising(ValueError("unrecognized configuration name")), False),  # macOS
        (_raising(OSError(22, "Invalid argument")), False),
    ],
)
def test_only_glibc_counts_as_glibc(monkeypatch, confstr, expected):
    monkeypatch.setattr(_allocator.os, "confstr", confstr)
    assert _is_glibc() is expected


def test_no_block_is_allocated_elsewhere_than_glibc(monkeypatch):
    monkeypatch.setattr(_allocator, "_is_glibc", lambda: False)
    monkeypatch.setattr(_allocator.np, "empty", pytest.fail)
    _allocator.keep_large_blocks()


def test_fit_prepares_the_allocator_before_training(monkeypatch):
    calls = []
    monkeypatch.setattr(_estimator, "keep_large_blocks", lambda: calls.append("block"))
    monkeypatch.setattr(
        _estimator.LSTMAutoencoderDetector,
        "_build_net",
        _recording(LSTMAutoencoderDetector._build_net, calls),
    )
    X = np.random.default_rng(0).normal(size=(16, 6))
    LSTMAutoencoderDetector(hidden_size=4, latent_size=2, max_epochs=1).fit(X)
    assert calls[0] == "block" and calls.count("block") == 1
    assert "net" in calls


def _recording(build_net, calls):
    def build(self, *args, **kwargs):
        calls.append("net")
        return build_net(self, *args, **kwargs)

    return build
