"""Words for every figure: what a screen reader reads in place of a plot.

A figure says in a sentence or three what it shows, computed from the numbers it draws:

* a function that draws a course figure calls ``describe(ax, "...")`` with what the reader
  should take from it (which run diverged and when, where the minimum is);
* a figure nobody described still gets a plain account of its axes and lines
  (:func:`plain_account`), so that no figure is a picture without words;
* :func:`figure_summary` is the text: the descriptions in axes order, else the plain account.

Where the words go, once :func:`show_in_notebooks` has run (``style.apply_style`` calls it):

* the ``image/png`` output's metadata ``alt``, the Jupyter convention (IPython's
  ``Image(alt=...)``, nbconvert, the course site);
* the PNG itself, as its ``Description`` text chunk (a keyword of the PNG standard). JupyterLab 4
  ignores the metadata, so :mod:`coursekit.accessibility`'s page script reads the chunk and
  gives the ``<img>`` its ``alt``. A saved figure keeps its words too.

A widget shows its summary under its figure, where screen readers announce it (see
:class:`coursekit.display.InteractiveFigure`), and its PNG fallback carries it the same way.
"""

from __future__ import annotations

import importlib
import math
import weakref

import matplotlib
from matplotlib.figure import Figure

__all__ = ["describe", "description", "figure_summary", "plain_account", "png_metadata", "show_in_notebooks",
           "number", "gap_words", "GAP_FLOOR"]

_descriptions: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
MAX_LINES_NAMED = 6  # a plain account names at most this many lines: alt text is read aloud in full
GAP_FLOOR = 1e-9  # loss gaps below this are rounding: said as "less than 1e-9", no digits


def describe(target, text: str):
    """Say what ``target`` (an Axes or a Figure) shows; returns ``target``. A later call replaces it."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"describe: the description must be a non-empty string, got {text!r}")
    _descriptions[target] = text.strip()
    return target


def description(target) -> str | None:
    """What :func:`describe` said about ``target``, or None."""
    return _descriptions.get(target)


def number(value, digits: int = 3) -> str:
    """A number as a sentence reads it: ``digits`` significant digits, thousands separated, and an
    exponent only below 0.001 or from a million."""
    value = float(value)
    if not math.isfinite(value):
        return "infinite" if math.isinf(value) else "not a number"
    if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
        return f"{value:.{digits - 1}e}"
    rounded = float(f"{value:.{digits}g}")  # 663.4 -> 663.0, 1234.5 -> 1230.0: no exponent in between
    return f"{rounded:,.6f}".rstrip("0").rstrip(".")


def gap_words(gap: float) -> str:
    """A loss above its minimum as a sentence says it: 3 significant digits, or "less than 1e-9" where
    only rounding is left (its digits would differ from one processor to the next)."""
    return f"less than {GAP_FLOOR:.0e}" if gap < GAP_FLOOR else number(gap)


def figure_summary(fig: Figure) -> str:
    """The figure's words: its own description and its axes' in order; where none was given,
    a plain account of every axes that shows data."""
    axes = [ax for ax in fig.axes if ax.get_visible() and not _is_colorbar(ax)]
    said = [text for text in [description(fig), *(description(ax) for ax in axes)] if text]
    if said:
        return " ".join(said)
    accounts = [plain_account(ax) for ax in axes if _shows_data(ax)]
    return " ".join(accounts) or "An empty figure."


def plain_account(ax) -> str:
    """What any reader of the axes sees without knowing the lesson: its title, its two axes and
    the range of the data on each, and its labelled lines with the value each one ends at."""
    title = ax.get_title() or ax.get_title("left") or "Plot"
    parts = [f"{title}:"]
    axis_words = [_axis_words("x", ax.get_xlabel(), _data_range(ax.dataLim.intervalx, ax.get_xlim()), ax.get_xscale()),
                  _axis_words("y", ax.get_ylabel(), _data_range(ax.dataLim.intervaly, ax.get_ylim()), ax.get_yscale())]
    parts.append("; ".join(axis_words) + ".")
    lines = [line for line in ax.get_lines() if not line.get_label().startswith("_") and len(line.get_xdata())]
    if lines:
        named = [f"{line.get_label()} ends at {number(_last_finite(line.get_ydata()))}"
                 for line in lines[:MAX_LINES_NAMED]]
        more = f" and {len(lines) - MAX_LINES_NAMED} more" if len(lines) > MAX_LINES_NAMED else ""
        parts.append("Lines: " + "; ".join(named) + more + ".")
    return " ".join(parts)


def png_metadata(text: str) -> dict:
    """``savefig``'s ``metadata`` that puts ``text`` into the PNG as its Description."""
    return {"Description": text}


def show_in_notebooks() -> None:
    """Make every matplotlib figure a notebook shows carry its summary (alt metadata, PNG Description).

    Wraps IPython's PNG formatter for figures (the one ``%matplotlib inline`` installs), keeping
    its settings (``bbox_inches="tight"``). Outside an IPython shell, or before a PNG formatter
    exists, it does nothing. Idempotent.
    """
    from .kernel import running_shell

    shell = running_shell()
    if shell is None:
        return
    formatter = shell.display_formatter.formatters["image/png"]
    if not _has_figure_format(formatter) and "inline" in matplotlib.get_backend():
        # ipykernel's default backend loads at the first figure and then installs its PNG formatter,
        # over one installed before: load it now (a notebook without %matplotlib inline).
        importlib.import_module("matplotlib_inline.backend_inline")
    if not _has_figure_format(formatter):
        return
    draw_png = formatter.lookup_by_type(Figure)
    if getattr(draw_png, "with_alt_text", False):
        return

    def png_with_alt_text(fig):
        text = figure_summary(fig)
        return draw_png(fig, metadata=png_metadata(text)), {"alt": text}

    png_with_alt_text.with_alt_text = True
    formatter.for_type(Figure, png_with_alt_text)


def _has_figure_format(formatter) -> bool:
    try:
        formatter.lookup_by_type(Figure)
    except KeyError:
        return False
    return True


def _data_range(data_interval, limits):
    """The data's own range (the axis limits add margins), or the limits where there is no data."""
    low, high = data_interval
    return (low, high) if math.isfinite(low) and math.isfinite(high) else limits


def _axis_words(name, label, limits, scale) -> str:
    low, high = sorted(limits)
    words = f"{name}: {label or 'unlabelled'} from {number(low)} to {number(high)}"
    return words + (", log scale" if scale == "log" and "log" not in label else "")


def _last_finite(values):
    for value in reversed(list(values)):
        try:
            if math.isfinite(float(value)):
                return float(value)
        except (TypeError, ValueError):
            continue
    return math.nan


def _is_colorbar(ax) -> bool:
    return getattr(ax, "_colorbar", None) is not None


def _shows_data(ax) -> bool:
    return bool(ax.lines or ax.collections or ax.images or ax.patches or ax.texts)
