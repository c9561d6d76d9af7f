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

__all__ = ["single_blas_thread"]


class single_blas_thread(contextlib.ContextDecorator):
    """Context manager and decorator: BLAS uses one thread inside (a no-op without threadpoolctl)."""

    def __enter__(self):
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
            self._limits = None
            return self
        self._limits = threadpool_limits(limits=1, user_api="blas")
        return self

    def __exit__(self, *exc):
        if self._limits is not None:
            self._limits.restore_original_limits()
        return False
