"""Argument checks shared by minigrad's training tools and the course built on it.

One wording for the usual mistakes (a learning rate of 0, a batch size of 2.5): each
check raises ``ValueError`` naming the argument, what it must be and what it got, with
the calling function's name first when ``caller`` is given. Python and NumPy numbers
both count (``np.float32(0.1)``, ``np.int64(8)``); ``True`` is not a number here.
"""
import math
import numbers

import numpy as np

__all__ = ["is_number", "is_count", "check_positive", "check_count"]


def is_number(value, kind=numbers.Real) -> bool:
    """A Python or NumPy number of ``kind`` (``numbers.Integral`` for whole numbers), not a bool."""
    return isinstance(value, kind) and not isinstance(value, (bool, np.bool_))


def is_count(value, low=1) -> bool:
    """A whole number >= ``low``: a Python int or a NumPy integer (such as an element of ``np.arange``)."""
    return is_number(value, numbers.Integral) and value >= low


def _prefix(caller):
    return f"{caller}: " if caller else ""


def check_positive(name, value, caller=None) -> float:
    """``value`` as a float, after checking it is a finite number > 0 (a learning rate, a threshold)."""
    if not is_number(value) or not 0 < value < math.inf:  # `not 0 < nan` rejects NaN too
        raise ValueError(f"{_prefix(caller)}{name} must be a finite number > 0, got {value!r}")
    return float(value)


def check_count(name, value, caller=None, low=1) -> int:
    """``value`` as an int, after checking it is a whole number >= ``low`` (a batch size, a number of steps)."""
    if not is_count(value, low):
        what = "a positive integer" if low == 1 else f"an integer >= {low}"
        raise ValueError(f"{_prefix(caller)}{name} must be {what}, got {value!r}")
    return int(value)
