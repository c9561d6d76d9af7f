"""Run the lessons' small matrix products on one BLAS thread.

The lessons multiply small matrices (a few hundred rows by 64 columns). For those,
handing the work to several BLAS threads costs more in start-up and waiting than it
saves, and on a busy machine (a shared workshop server, a CI runner) threads that wait
for a free core can make a step ten times slower. ``single_blas_thread`` limits BLAS
to one thread inside a block or a decorated function and restores the setting after.

    from coursekit.threads import single_blas_thread

    @single_blas_thread()
    def train(...):
        ...
"""

from __future__ import annotations

import contextlib
import os
import threading

__all__ = ["limit_blas_threads", "single_blas_thread", "halves", "side_by_side"]


def limit_blas_threads(n: int = 1):
    """Let NumPy's BLAS use ``n`` threads from now on; returns the limiter (None without threadpoolctl).

    Measured on a two-core CI-sized machine: the case study's training step is about 3x
    slower with OpenBLAS's default threads than with one.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a course dependency
        return None
    return threadpool_limits(limits=n, user_api="blas")


class single_blas_thread(contextlib.ContextDecorator):
    """Context manager and decorator: BLAS uses one thread inside, and the old setting after.

    BLAS's thread count is one setting for the whole process, so the blocks of all threads
    count as one: the first to enter sets one thread, the last to leave restores the old
    setting. (A widget trains ahead on a thread of its own while the kernel answers a move;
    each restoring what it found would leave the other's setting behind.)
    """

    def __enter__(self):
        global _blas_limits, _blas_depth
        with _blas_lock:
            if _blas_depth == 0:
                _blas_limits = limit_blas_threads(1)
            _blas_depth += 1
        return self

    def __exit__(self, *exc):
        global _blas_limits, _blas_depth
        with _blas_lock:
            _blas_depth -= 1
            if _blas_depth == 0 and _blas_limits is not None:
                _blas_limits.restore_original_limits()
                _blas_limits = None
        return False


_blas_lock = threading.Lock()
_blas_depth = 0  # blocks inside single_blas_thread, on every thread
_blas_limits = None  # the limiter that restores the setting found by the first block


SPLIT_AT = 24  # copies: below this a step of a stack is mostly Python, which one thread runs at a time


def halves(count: int) -> list:
    """How to cut a stack of ``count`` copies for :func:`side_by_side`: two halves where there are
    at least :data:`SPLIT_AT` copies and two cores or more, else the whole stack (a list of slices).

    Measured on two cores: lesson 7's 31-rate stack 3.4 -> 2.4 s, lesson 8's 37 recurrent
    settings 9.3 -> 5.1 s; 24 copies of the lesson-5 classifier even.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if count < SPLIT_AT or cores < 2:
        return [slice(0, count)]
    return [slice(0, count // 2), slice(count // 2, count)]


def side_by_side(work, parts: list) -> list:
    """``[work(i, part) for i, part in enumerate(parts)]``, the parts on threads of their own.

    NumPy lets go of Python's lock inside its array work (products, ufuncs on more than a few
    hundred numbers), so two halves of a large stack of networks train at the same time. BLAS
    must already be limited to one thread (:func:`single_blas_thread` around the whole call:
    its setting is one for the whole process).
    """
    if len(parts) == 1:
        return [work(0, parts[0])]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(len(parts)) as pool:
        return list(pool.map(work, range(len(parts)), parts))
