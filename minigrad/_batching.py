"""How ``minigrad.func.vmap`` reaches the few functions that need a rule of their own.

Most functions need nothing: inside ``vmap`` they meet tensors whose methods already know the
model axis (``minigrad/func.py``). A function that works on raw arrays (a fused loss, the
clipping helpers) is marked ``@batchable``; while a ``vmap`` runs, a call to it goes to the rule
that ``minigrad.func`` registered for it, which calls the function itself on the stacked arrays.
Outside ``vmap`` the mark costs one check of a counter. The counter belongs to a thread, so a
``vmap`` in one thread leaves another thread's calls alone.
"""
import functools
import threading

RULES = {}  # the marked function -> its rule(function, *args, **kwargs)


class _Depth(threading.local):
    count = 0  # how many vmaps are running in this thread


_depth = _Depth()


def batchable(fn):
    """Mark ``fn`` as one whose calls inside ``vmap`` go to its registered rule."""
    @functools.wraps(fn)
    def call(*args, **kwargs):
        if _depth.count:
            rule = RULES.get(call)
            if rule is not None:
                return rule(fn, *args, **kwargs)
        return fn(*args, **kwargs)
    return call


def enter():
    _depth.count += 1


def leave():
    _depth.count -= 1


def depth():
    return _depth.count
