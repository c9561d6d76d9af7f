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

__all__ = ["limit_blas_threads", "single_blas_thread"]


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
    """Context manager and decorator: BLAS uses one thread inside, and the old setting after."""

    def __enter__(self):
        self._limits = limit_blas_threads(1)
        return self

    def __exit__(self, *exc):
        if self._limits is not None:
            self._limits.restore_original_limits()
        return False
