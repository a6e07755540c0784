"""Letting glibc's ``malloc`` keep the large blocks a training step frees.

glibc serves a block at or above its mmap threshold from fresh pages and
returns them to the system when it is freed; the free memory at the top of
its heaps goes back too, beyond the trim threshold. Both thresholds adapt:
freeing such a block of up to 32 MiB raises the mmap threshold to its size
and the trim threshold to twice that. A CPU training step allocates and
frees workspaces and gradients of a few MiB each, so until a larger block
has been freed in the process the step's memory is given back at its end
and faulted in again, page by page, at the next one. Freeing one block just
under that limit before training lets glibc adapt at once, as it does by
itself in a process that has freed a large array. Its pages are never
touched, and glibc keeps adapting afterwards (unlike ``mallopt`` or the
``MALLOC_MMAP_THRESHOLD_`` variable, which fix the thresholds).
"""

import os

import numpy as np

# glibc raises its thresholds only for a freed block of at most 32 MiB (on
# 64-bit systems), its bookkeeping included.
_BLOCK_BYTES = 31 * 1024 * 1024


def _is_glibc():
    """Whether the C library is glibc (whose thresholds this adapts)."""
    try:
        return os.confstr("CS_GNU_LIBC_VERSION") is not None
    except (AttributeError, ValueError, OSError):  # not glibc, or no confstr
        return False


def keep_large_blocks():
    """Free one large, untouched block so that glibc raises its thresholds.

    Nothing happens elsewhere than glibc, or where the thresholds are
    already at least this high (set by the user, or adapted earlier).
    """
    if _is_glibc():
        block = np.empty(_BLOCK_BYTES, dtype=np.uint8)
        del block
