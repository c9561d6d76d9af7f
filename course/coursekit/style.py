"""One look for the whole course: a colour-blind-safe palette and matplotlib settings.

Every lesson, exercise and widget draws with these colours so that a reader who has
learnt "Adam is vermillion" in lesson 4 sees the same colour in lesson 9.

Usage in a lesson or in support code::

    from coursekit.style import apply_style, optimizer_color, label_axes, COLORS

    apply_style()                      # once per notebook (widgets call it too)
    ax.plot(xs, ys, color=optimizer_color("Adam"), label="Adam")
    label_axes(ax, "Loss during training", "step", "loss (MSE)", legend=True)

The palette is Okabe & Ito's eight colours ("Color Universal Design", 2008), which stay
distinguishable under the common forms of colour blindness. Yellow is kept for
highlights only: it is too pale for thin lines on white.
"""

from __future__ import annotations

import matplotlib as mpl
from cycler import cycler

__all__ = [
    "OKABE_ITO",
    "clip_style",
    "COLORS",
    "CYCLE",
    "OPTIMIZER_COLORS",
    "OPTIMIZER_LINESTYLES",
    "OPTIMIZER_NAMES",
    "ROLE_COLORS",
    "SEQUENTIAL_CMAP",
    "SURFACE_CMAP",
    "apply_style",
    "optimizer_color",
    "optimizer_style",
    "canonical_optimizer_name",
    "label_axes",
    "color_cycle",
]

# Okabe-Ito, in their published order.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

# Short names for everyday use (``COLORS["blue"]``) plus a neutral grey for
# reference lines, contours and "not the point of this plot" artists.
COLORS = dict(OKABE_ITO, grey="#7F7F7F", light_grey="#D9D9D9")

# Default colour order for lines that are not optimizers (yellow left out on purpose).
CYCLE = [
    OKABE_ITO["blue"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["bluish_green"],
    OKABE_ITO["orange"],
    OKABE_ITO["reddish_purple"],
    OKABE_ITO["sky_blue"],
    OKABE_ITO["black"],
]

# The race order used by widgets and legends.
OPTIMIZER_NAMES = ("SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam", "AdamW")

# One fixed colour per optimizer across the whole course. Related methods get related
# colours (Momentum/Nesterov both blues, Adam/AdamW vermillion/orange) and different
# line styles, so the pairs can still be told apart in greyscale prints.
OPTIMIZER_COLORS = {
    "SGD": OKABE_ITO["black"],
    "Momentum": OKABE_ITO["blue"],
    "Nesterov": OKABE_ITO["sky_blue"],
    "AdaGrad": OKABE_ITO["bluish_green"],
    "RMSProp": OKABE_ITO["reddish_purple"],
    "Adam": OKABE_ITO["vermillion"],
    "AdamW": OKABE_ITO["orange"],
}

OPTIMIZER_LINESTYLES = {
    "SGD": "-",
    "Momentum": "-",
    "Nesterov": "--",
    "AdaGrad": "-",
    "RMSProp": "-",
    "Adam": "-",
    "AdamW": "--",
}

# Colours with a fixed meaning outside optimizer races.
ROLE_COLORS = {
    "train": OKABE_ITO["blue"],
    "validation": OKABE_ITO["vermillion"],
    "test": OKABE_ITO["bluish_green"],
    "lr": OKABE_ITO["reddish_purple"],
    "grad_norm": OKABE_ITO["orange"],
    "threshold": COLORS["grey"],
    "minimum": OKABE_ITO["black"],
    "start": OKABE_ITO["black"],
    "highlight": OKABE_ITO["yellow"],
    # the four learning-rate regimes of lesson 2, from cool (too small) to hot (diverges)
    "too_small": OKABE_ITO["sky_blue"],
    "good": OKABE_ITO["bluish_green"],
    "too_large": OKABE_ITO["orange"],
    "diverges": OKABE_ITO["vermillion"],
}

# Perceptually uniform, colour-blind-safe colour maps.
SEQUENTIAL_CMAP = "cividis"  # for "more of something" (batch size, learning rate sweeps)
SURFACE_CMAP = "Greys"  # for loss-surface contours: quiet grey behind coloured paths

# Names people actually type, mapped to the course's spelling (torch class names included).
_ALIASES = {
    "sgd": "SGD",
    "gd": "SGD",
    "momentum": "Momentum",
    "sgd+momentum": "Momentum",
    "heavyball": "Momentum",
    "nesterov": "Nesterov",
    "nag": "Nesterov",
    "adagrad": "AdaGrad",
    "rmsprop": "RMSProp",
    "adam": "Adam",
    "adamw": "AdamW",
}


def canonical_optimizer_name(name: str) -> str:
    """Return the course's spelling of an optimizer name ("rmsprop" -> "RMSProp")."""
    key = str(name).strip().lower().replace(" ", "").replace("_", "")
    if key not in _ALIASES:
        raise ValueError(
            f"unknown optimizer name {name!r}; expected one of {', '.join(OPTIMIZER_NAMES)}"
        )
    return _ALIASES[key]


def optimizer_color(name: str) -> str:
    """The course-wide colour of an optimizer, accepting torch spellings ("Adagrad", "RMSprop")."""
    return OPTIMIZER_COLORS[canonical_optimizer_name(name)]


def optimizer_style(name: str) -> dict:
    """Keyword arguments for ``ax.plot`` that draw an optimizer in its course style."""
    canonical = canonical_optimizer_name(name)
    return {
        "color": OPTIMIZER_COLORS[canonical],
        "linestyle": OPTIMIZER_LINESTYLES[canonical],
        "label": canonical,
    }


def color_cycle(n: int) -> list[str]:
    """``n`` distinct course colours for lines that are not optimizers (repeats after 7)."""
    return [CYCLE[i % len(CYCLE)] for i in range(n)]


_COURSE_RC = {
    # Readable on a projector and in a notebook column without zooming.
    "figure.figsize": (7.5, 4.5),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.constrained_layout.use": True,
    "font.size": 11,
    "axes.titlesize": 13,
    "axes.titleweight": "bold",
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "legend.frameon": False,
    "axes.prop_cycle": cycler(color=CYCLE),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "lines.linewidth": 2.0,
    "lines.markersize": 5,
    "image.cmap": SEQUENTIAL_CMAP,
}


def apply_style() -> None:
    """Set the course's matplotlib defaults (idempotent; call once at the top of a notebook).

    In a notebook, every figure shown from then on also carries its words (:mod:`coursekit.alt_text`)."""
    from .alt_text import show_in_notebooks  # here: a module that only wants a colour imports no figure code

    mpl.rcParams.update(_COURSE_RC)
    show_in_notebooks()


def label_axes(ax, title=None, xlabel=None, ylabel=None, *, legend=False, legend_loc="best"):
    """Give an axes its title and axis labels in one call; optionally draw its legend.

    Units belong in the labels: ``label_axes(ax, "Loss curve", "step", "loss (cross-entropy, nats)")``.
    Returns ``ax`` so calls can be chained.
    """
    if title is not None:
        ax.set_title(title)
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    if legend:
        handles, _ = ax.get_legend_handles_labels()
        if handles:
            ax.legend(loc=legend_loc)
    return ax


def clip_style(mode, threshold=None):
    """Colour and line style of a gradient-clipping setting (``mode`` None: off, "norm" or "value"), the
    same in every plot of lesson 8 and of the case study's clipping study."""
    if mode is None:
        return {"color": ROLE_COLORS["diverges"], "linestyle": "-"}
    if mode == "norm":
        return {"color": COLORS["blue"] if (threshold or 0) <= 2 else COLORS["sky_blue"], "linestyle": "-"}
    return {"color": COLORS["bluish_green"], "linestyle": "--"}
