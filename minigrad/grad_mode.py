"""Grad mode: whether ops record a graph, as ``torch.autograd.grad_mode``.

The ground floor of the library: it imports nothing from minigrad, so ``tensor.py``
(which asks it on every op) and ``autograd.py`` (which builds on ``Tensor``) import it
without importing each other. As in torch, the mode belongs to a thread: ``no_grad`` in one
thread (an evaluation) does not stop another thread's training from recording its graph.
"""
import contextlib
import threading


class _Mode(threading.local):
    enabled = True  # each thread starts with grad enabled


_mode = _Mode()


def is_grad_enabled() -> bool:
    """True when ops record the graph that ``backward()`` walks (in this thread)."""
    return _mode.enabled


class _GradMode(contextlib.ContextDecorator):
    """Set grad mode inside a ``with`` block or a decorated function, then restore it."""

    enabled: bool

    def __init__(self):
        # A stack per thread: one decorator instance may be re-entered (recursion), or entered by two threads.
        self._local = threading.local()

    def __enter__(self):
        previous = self._local.__dict__.setdefault("previous", [])
        previous.append(_mode.enabled)
        _mode.enabled = self.enabled
        return self

    def __exit__(self, *exc):
        _mode.enabled = self._local.previous.pop()
        return False


class no_grad(_GradMode):
    """Context manager and decorator: ops inside record no graph (evaluation, updates)."""

    enabled = False


class enable_grad(_GradMode):
    """Context manager and decorator: ops inside record a graph, even within ``no_grad``."""

    enabled = True
