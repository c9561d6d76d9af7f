"""How every course widget shows its figure: live in JupyterLab, a static PNG everywhere else.

The contract for lesson and widget authors
------------------------------------------
A widget is a figure plus a few ipywidgets controls. Build it in three steps::

    from coursekit.display import new_figure, redraw, make_widget
    import ipywidgets as widgets

    def my_widget(lr=0.1):
        fig, ax = new_figure(figsize=(7, 4))          # 1. a figure that is NOT shown yet
        (line,) = ax.plot(*compute(lr))               #    draw the default state once
        slider = log_slider("learning rate", lr, 1e-3, 1.0)

        def on_change(change):                        # 2. a control edits artists in place
            line.set_data(*compute(slider.value))
            redraw(fig)                               #    fig.canvas.draw_idle()

        slider.observe(on_change, names="value")
        return make_widget(fig, [slider], title="My widget")   # 3. return, do not display

and in the notebook the widget function is the last expression of a cell::

    # NBVAL_IGNORE_OUTPUT
    my_widget()

What happens
------------
* ``new_figure`` makes a :class:`matplotlib.figure.Figure` on an **ipympl canvas** when the
  code runs inside a Jupyter kernel, and on a plain Agg canvas elsewhere (tests, benchmarks,
  scripts). The figure is never registered with pyplot, so neither pyplot's end-of-cell
  flush, the inline backend nor ipympl's ``flush_figures`` can show it a second time: a
  widget appears exactly once, whatever ``%matplotlib`` backend the notebook uses (inline
  for static plots is fine and is the course default).
* ``make_widget`` returns an :class:`InteractiveFigure`. It displays itself (IPython's
  ``_repr_mimebundle_``) as ONE output carrying three representations of the same thing:

  - ``application/vnd.jupyter.widget-view+json``: the live controls and canvas. JupyterLab
    with a running kernel renders this one; slider moves redraw the canvas in place.
  - ``image/png``: the figure at its default values, rendered when the output is produced.
    Headless runs (nbval, ``jupyter nbconvert --execute``) have no browser to draw the
    canvas, so this PNG is what a notebook saved with outputs shows on GitHub.
  - ``text/plain``: a short stable line, ``Interactive figure: <title> (<controls>)``.

  This is the same bundle ipympl itself gives a bare canvas; we need our own because a
  canvas inside an ipywidgets box loses ipympl's PNG fallback. A reopened notebook without
  a running kernel shows JupyterLab's "model not found" placeholder until the cell is run
  again (a known JupyterLab limitation shared with every ipympl figure).
* Controls update artists (``set_data``, ``set_offsets``, ``set_text``) and call
  :func:`redraw`; figures are never re-created, so nothing flickers or stacks.
  ``InteractiveFigure.set(name=value, ...)`` moves controls from code (tests, benchmarks,
  instructor demos) through the very same observers a mouse drag triggers.

Mark widget cells ``# NBVAL_IGNORE_OUTPUT``: the widget model id changes on every run.
"""

from __future__ import annotations

import base64
import io
import itertools
import sys

import matplotlib

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .style import apply_style

__all__ = [
    "in_kernel",
    "new_figure",
    "redraw",
    "figure_png",
    "InteractiveFigure",
    "make_widget",
    "show",
    "controls_box",
]

_figure_numbers = itertools.count(1)


def in_kernel() -> bool:
    """True when running inside a Jupyter kernel (JupyterLab, nbval, nbconvert)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a course dependency
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _import_ipympl():
    """Import ipympl's canvas classes WITHOUT letting ipympl switch pyplot's backend.

    ``import ipympl`` calls ``matplotlib.use("module://ipympl.backend_nbagg")`` when
    matplotlib is loaded, which would turn every later static ``plt.plot`` of a lesson into
    a widget. We put back whatever backend the notebook had chosen (``%matplotlib inline``,
    ``%matplotlib widget`` or not yet decided).
    """
    if "ipympl.backend_nbagg" not in sys.modules:
        previous = dict.__getitem__(matplotlib.rcParams, "backend")  # may be the auto sentinel
        import ipympl.backend_nbagg  # noqa: F401

        if dict.__getitem__(matplotlib.rcParams, "backend") != previous:
            matplotlib.use(previous)
    return sys.modules["ipympl.backend_nbagg"]


def _attach_ipympl_canvas(fig: Figure):
    """Put ``fig`` on an ipympl widget canvas without registering it with pyplot."""
    ipympl_backend = _import_ipympl()
    Canvas, FigureManager = ipympl_backend.Canvas, ipympl_backend.FigureManager

    canvas = Canvas(fig)
    FigureManager(canvas, next(_figure_numbers))  # sets canvas.manager (needed by ipympl)
    # A clean look for lessons: no "Figure 3" header or coordinates footer; the toolbar
    # (zoom, pan, save) appears when the mouse is over the figure.
    canvas.header_visible = False
    canvas.footer_visible = False
    canvas.resizable = False
    canvas.toolbar_position = "left"
    return canvas


def new_figure(nrows=1, ncols=1, *, figsize=None, interactive=None, squeeze=True, **subplot_kw):
    """A figure for a widget, not yet displayed; returns ``(fig, axes)`` like ``plt.subplots``.

    ``interactive=None`` picks an ipympl canvas inside a Jupyter kernel and Agg elsewhere;
    pass ``False`` to force Agg (benchmarks, tests) or ``True`` to insist on ipympl.
    ``subplot_kw`` goes to ``Figure.subplots`` (``sharex``, ``width_ratios``, ...).
    """
    apply_style()
    fig = Figure(figsize=figsize)
    if interactive is None:
        interactive = in_kernel()
    if interactive:
        _attach_ipympl_canvas(fig)
    else:
        FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=squeeze, **subplot_kw)
    return fig, axes


def redraw(fig: Figure) -> None:
    """Ask the canvas to repaint after artists changed (coalesced by the backend)."""
    fig.canvas.draw_idle()


def figure_png(fig: Figure) -> bytes:
    """The figure's current state as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi)
    return buffer.getvalue()


def controls_box(controls, columns: int = 3):
    """Lay controls out in rows of ``columns`` (a list of widgets -> one ipywidgets box)."""
    import ipywidgets as widgets

    controls = list(controls)
    rows = [
        widgets.HBox(controls[i : i + columns]) for i in range(0, len(controls), columns)
    ]
    return widgets.VBox(rows)


class InteractiveFigure:
    """A figure with its controls; shows itself once, live in JupyterLab and as PNG elsewhere.

    Attributes: ``fig`` (the matplotlib Figure), ``controls`` (dict name -> ipywidget),
    ``title``, ``box`` (the ipywidgets container, built on first display) and ``state``
    (a dict the widget function may fill with whatever its update computed last, for
    tests and benchmarks to read).
    """

    def __init__(self, fig: Figure, controls, *, title: str, columns: int = 3):
        self.fig = fig
        if isinstance(controls, dict):
            self.controls = dict(controls)
        else:
            self.controls = {
                (getattr(c, "description", "") or f"control{i}"): c for i, c in enumerate(controls)
            }
        self.title = title
        self.columns = columns
        self.state: dict = {}
        self._box = None

    @property
    def box(self):
        """The ipywidgets container (controls above the canvas)."""
        if self._box is None:
            import ipywidgets as widgets

            children = [controls_box(self.controls.values(), self.columns)]
            if isinstance(self.fig.canvas, widgets.DOMWidget):
                children.append(self.fig.canvas)
            self._box = widgets.VBox(children)
        return self._box

    def set(self, **values):
        """Move controls from code, by name, exactly as a user would; returns ``self``."""
        for name, value in values.items():
            if name not in self.controls:
                raise KeyError(f"no control named {name!r}; controls are {sorted(self.controls)}")
            self.controls[name].value = value
        return self

    def png(self) -> bytes:
        """The figure as it looks now, as PNG bytes."""
        return figure_png(self.fig)

    def text(self) -> str:
        names = ", ".join(self.controls)
        return f"Interactive figure: {self.title} ({names})"

    def __repr__(self) -> str:
        return f"<{self.text()}>"

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = {
            "image/png": base64.b64encode(self.png()).decode("ascii"),
            "text/plain": self.text(),
        }
        if in_kernel():
            widget_bundle = self.box._repr_mimebundle_()
            view = widget_bundle.get("application/vnd.jupyter.widget-view+json")
            if view is not None:
                bundle["application/vnd.jupyter.widget-view+json"] = view
        return bundle


def make_widget(fig: Figure, controls, *, title: str, columns: int = 3) -> InteractiveFigure:
    """Bundle a figure and its controls; the result displays itself when it ends a cell."""
    return InteractiveFigure(fig, controls, title=title, columns=columns)


def show(widget: InteractiveFigure) -> None:
    """Display a widget now (for use inside loops or functions, where no cell value shows)."""
    from IPython.display import display

    display(widget)
