"""The allocator preparation before training (glibc only)."""

import subprocess
import sys

import pytest

from sklearn_lstmae import _allocator
from sklearn_lstmae._allocator import _is_glibc

pytestmark = pytest.mark.skipif(not _is_glibc(), reason="glibc's malloc only")

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


def test_freed_step_memory_is_kept_for_the_next_step():
    # Without the preparation the 24 MiB of each round go back to the system
    # and fault in again (about 6,000 pages a round); with it, only the first
    # round faults them in.
    unprepared = _faults_per_round("unprepared")
    prepared = _faults_per_round("prepared")
    assert min(unprepared[1:]) > 1000
    assert max(prepared[1:]) < 100
