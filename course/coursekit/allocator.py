"""Let freed memory serve the next training step instead of going back to the system (glibc only).

A training step allocates a few arrays of some megabytes (activations, gradients) and frees
them when it ends. glibc's ``malloc`` hands free memory at the top of its heap back to the
system once it exceeds a threshold, and the next step then takes it back page by page, each
page a fault that the kernel fills with zeros. Its threshold starts low and rises by itself
only after the process frees one large array: measured on lesson 5's sweep (105 networks,
300 steps), the first sweep in a fresh kernel had 1.1 million page faults and took about twice
as long as the same sweep run again. :func:`keep_freed_memory` sets the two thresholds where
glibc's own rule ends up (arrays up to 32 MiB from the heap, up to 64 MiB of free heap kept),
so the first sweep runs as fast as the later ones. The cost is at most 64 MiB of memory a
kernel keeps for reuse. Elsewhere (macOS, Windows, musl) it does nothing.
"""

from __future__ import annotations

import ctypes
import functools
import platform

__all__ = ["keep_freed_memory"]

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameter numbers (malloc.h)
_MMAP_THRESHOLD_MAX = 32 * 2**20  # glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit systems


@functools.lru_cache(maxsize=None)
def keep_freed_memory() -> bool:
    """Raise glibc's trim and mmap thresholds to where its dynamic rule caps them; True if it did.

    Once per process (later calls return the first answer).
    """
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # pragma: no cover - a glibc without mallopt
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_MAX)) and \
        bool(mallopt(_M_TRIM_THRESHOLD, 2 * _MMAP_THRESHOLD_MAX))
