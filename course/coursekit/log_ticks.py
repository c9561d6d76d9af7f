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

__all__ = ["plain_log_ticks", "integer_ticks", "layout_key"]


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


def layout_key(fig):
    """The decades each log axis of ``fig`` spans (and the widths of linear axes' limits), rounded.

    Tick labels, and so the margins a figure needs, change only when this key changes:
    a widget re-runs its (costly) layout only then.
    """
    key = []
    for ax in fig.axes:
        for name, limits in (("x", ax.get_xlim()), ("y", ax.get_ylim())):
            low, high = sorted(limits)
            scale = ax.get_xscale() if name == "x" else ax.get_yscale()
            if scale == "log" and low > 0:
                key.append((math.floor(math.log10(low)), math.ceil(math.log10(high))))
            else:
                key.append((len(f"{low:g}"), len(f"{high:g}")))
    return tuple(key)
