"""Grad mode: whether ops record a graph, as ``torch.autograd.grad_mode``.

The ground floor of the library: it imports nothing from minigrad, so ``tensor.py``
(which asks it on every op) and ``autograd.py`` (which builds on ``Tensor``) import it
without importing each other.
"""
import contextlib

_grad_enabled = True


def is_grad_enabled() -> bool:
    """True when ops record the graph that ``backward()`` walks."""
    return _grad_enabled


class _GradMode(contextlib.ContextDecorator):
    """Set grad mode inside a ``with`` block or a decorated function, then restore it."""

    enabled: bool

    def __init__(self):
        self._previous = []  # a stack: one decorator instance may be re-entered (recursion)

    def __enter__(self):
        global _grad_enabled
        self._previous.append(_grad_enabled)
        _grad_enabled = self.enabled
        return self

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self._previous.pop()
        return False


class no_grad(_GradMode):
    """Context manager and decorator: ops inside record no graph (evaluation, updates)."""

    enabled = False


class enable_grad(_GradMode):
    """Context manager and decorator: ops inside record a graph, even within ``no_grad``."""

    enabled = True
