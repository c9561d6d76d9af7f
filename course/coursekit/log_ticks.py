"""Plain numbers on log axes: ``0.2, 0.5, 1, 2`` rather than ``2×10⁻¹``.

Readers of the lessons are not physicists: a loss axis labelled ``0.3`` reads at a glance,
``3×10⁻¹`` does not. :func:`plain_log_ticks` labels the decades with plain numbers and,
when the axis spans little more than a decade, also 2, 3 and 5 times each decade, so a
short log axis never shows a single label. Labels are decided when the figure is drawn,
so later changes of the limits (a widget's ``set_ylim``) are taken into account.
"""
from __future__ import annotations

import math

from matplotlib.ticker import FuncFormatter, MaxNLocator

__all__ = ["plain_log_ticks", "integer_ticks"]


def _plain(value):
    return f"{value:g}"


def plain_log_ticks(ax, axis="y", *, max_decades_for_minor=2.0):
    """Label a log-scaled axis of ``ax`` with plain numbers; ``axis`` is "x", "y" or "both"."""
    if axis not in ("x", "y", "both"):
        raise ValueError(f"plain_log_ticks: axis must be 'x', 'y' or 'both', got {axis!r}")
    for name in ("x", "y") if axis == "both" else (axis,):
        target = ax.xaxis if name == "x" else ax.yaxis
        limits = ax.get_xlim if name == "x" else ax.get_ylim

        def minor(value, _position, limits=limits):
            low, high = sorted(limits())
            if value <= 0 or low <= 0 or math.log10(high / low) > max_decades_for_minor:
                return ""
            mantissa = value / 10 ** math.floor(math.log10(value) + 1e-9)
            return _plain(value) if round(mantissa) in (2, 3, 5) and abs(mantissa - round(mantissa)) < 1e-6 else ""

        target.set_major_formatter(FuncFormatter(lambda value, _position: _plain(value)))
        target.set_minor_formatter(FuncFormatter(minor))
    return ax


def integer_ticks(ax, axis="x"):
    """Only whole numbers on an axis (epochs, batch counts)."""
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_locator(MaxNLocator(integer=True))
    return ax

