"""Keep freed array memory in the process instead of handing it back to the kernel each step.

A training step allocates and frees the same large arrays (activations, im2col matrices,
gradients) every iteration. glibc's malloc serves blocks above its mmap threshold (128 KiB
at start, raised on the fly up to 32 MiB) with a fresh ``mmap`` and returns them with
``munmap`` when freed, and it gives the top of the heap back to the kernel once more than
its trim threshold is free there. Either way the next step's arrays start on pages the
kernel must fault in and zero again: on a 2-core machine this took 40 % of a small CNN's
training step (35 ms with glibc's defaults, 19 ms with the settings below).

Fixing both thresholds keeps those pages in the process for reuse, the way PyTorch's
caching allocators do for their own tensors. The cost is that up to ``TRIM_THRESHOLD`` bytes of
freed memory stay resident after a peak. The settings apply to the whole process (NumPy
allocates through malloc); set ``CHAINRULE_MALLOC_TUNING=0`` in the environment to leave
malloc as it was.
"""

from __future__ import annotations

import os
import sys

# mallopt parameters (glibc's malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

#: Blocks up to this size come from the heap, not from a private mmap (glibc's maximum).
MMAP_THRESHOLD = 32 * 2**20
#: Free memory at the top of the heap kept for reuse before it is returned to the kernel.
TRIM_THRESHOLD = 128 * 2**20

applied = False


def tune_malloc() -> bool:
    """Raise glibc's mmap and trim thresholds (see the module docstring); True if applied.

    Does nothing, and returns False, off Linux, with another C library, or when the
    environment sets ``CHAINRULE_MALLOC_TUNING=0``.
    """
    global applied
    if applied:
        return True
    if not sys.platform.startswith("linux") or os.environ.get("CHAINRULE_MALLOC_TUNING") == "0":
        return False
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and other C libraries have no mallopt
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    applied = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
    return applied


tune_malloc()
