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
        return make_widget(fig, {"lr": slider}, title="My widget")  # 3. return, do not display

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
* ``make_widget`` lays the figure out once and freezes it (constrained layout costs more
  than a redraw); build the default state before calling it. A widget whose update
  function writes into ``widget.state`` passes ``fixed_layout=False``, calls its update
  once, then calls :func:`freeze_layout` itself.
* Controls update artists (``set_data``, ``set_offsets``, ``set_text``) and call
  :func:`redraw`; figures are never re-created, so nothing flickers or stacks. Where a
  full redraw is too slow (ticks and text dominate), register the changing artists with
  :class:`FastRedraw` and call its ``update()`` instead: only those artists are repainted.
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
    "freeze_layout",
    "FastRedraw",
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


def freeze_layout(fig: Figure) -> None:
    """Lay the figure out once (constrained layout), then keep those positions.

    Constrained layout measures every text on every draw, which costs more than drawing
    the data; a widget's layout does not change when a slider moves, so it is computed
    once. Call it again after changing something that needs new margins (other tick
    labels after switching surfaces, a longer title): it lays the figure out anew.
    """
    fast = getattr(fig, "_coursekit_fast_redraw", None)
    if fast is not None:
        fast._ignore_draw_events = True  # a layout pass clears the canvas and paints nothing
    try:
        fig.set_layout_engine("constrained")
        fig.draw_without_rendering()
        fig.set_layout_engine("none")
    finally:
        if fast is not None:
            fast._ignore_draw_events = False
            # The axes may have moved and the canvas is blank: the cached picture is stale,
            # so the next update draws in full (a blit would show a transparent background).
            fast.background = None


class FastRedraw:
    """Redraw only the artists a control changes, over a cached picture of the rest.

    Matplotlib spends most of a full redraw on text, ticks and grid lines, which a slider
    move does not change. ``FastRedraw`` marks the changing artists *animated*: a full
    draw then paints everything else, the result is kept as the background, and an
    update restores that background and paints just the animated artists (blitting, as
    in matplotlib's "Faster rendering by using blitting" guide). Any full draw (first
    display, resize, HiDPI change, ``update(full=True)``) refreshes the background, so
    the figure is always complete; static PNGs include the animated artists too.

    Usage inside a widget::

        fast = FastRedraw(fig, [line, dot, title_text])
        def on_change(change):
            line.set_data(...)                 # animated artists: cheap
            fast.update()
        def on_surface(change):
            contours.remove(); ...             # static artists changed: full draw
            fast.update(full=True)

    Works with ipympl canvases (the blit sends the changed pixels to the browser) and
    with Agg (benchmarks, tests), where ``update`` paints synchronously.
    """

    def __init__(self, fig: Figure, artists=()):
        self.fig = fig
        self.canvas = fig.canvas
        self.artists: list = []
        self.background = None
        self._ignore_draw_events = False
        self.full_draws = 0
        self.fast_draws = 0
        self.add(*artists)
        self._cid = self.canvas.mpl_connect("draw_event", self._on_draw)
        fig._coursekit_fast_redraw = self  # found by figure_png

    def add(self, *artists):
        """Register more changing artists (they are drawn in the order added)."""
        for artist in artists:
            artist.set_animated(True)
            self.artists.append(artist)
        self.background = None

    def _on_draw(self, event):
        # A full draw just painted every static artist: keep it, then add the animated ones.
        if self._ignore_draw_events or event.canvas is not self.canvas:
            return
        self.background = self.canvas.copy_from_bbox(self.fig.bbox)
        self._renderer = self.canvas.get_renderer()
        self._draw_animated()

    def _draw_animated(self):
        for artist in self.artists:
            if artist.get_visible():
                self.fig.draw_artist(artist)

    def _background_fits(self):
        # A new renderer (size or dpi changed) means the cached pixels no longer fit.
        return self.background is not None and self.canvas.get_renderer() is self._renderer

    def update(self, full: bool = False):
        """Show the artists' new state: a blit if only animated artists changed."""
        if full or not self._background_fits():
            self.full_draws += 1
            self.canvas.draw_idle()
            return
        self.fast_draws += 1
        if getattr(self.canvas, "syncing_data_url", False):
            # ipympl sends a blit as a diff against the last frame it sent. Until the browser
            # has shown a first frame (ipympl is still syncing its data URL), a diff would be
            # painted on an empty canvas: only the moving artists, no axes. Send it whole.
            self.canvas._force_full = True
        self.canvas.restore_region(self.background)
        self._draw_animated()
        self.canvas.blit(self.fig.bbox)

    def png(self) -> bytes:
        """The complete figure (animated artists included) as PNG bytes."""
        self._ignore_draw_events = True
        for artist in self.artists:
            artist.set_animated(False)
        try:
            return _savefig_png(self.fig)
        finally:
            for artist in self.artists:
                artist.set_animated(True)
            self._ignore_draw_events = False
            self.background = None  # savefig painted over the cached frame


def _savefig_png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi)
    return buffer.getvalue()


def figure_png(fig: Figure) -> bytes:
    """The figure's current state as PNG bytes (animated artists included)."""
    fast = getattr(fig, "_coursekit_fast_redraw", None)
    return fast.png() if fast is not None else _savefig_png(fig)


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

    def __init__(self, fig: Figure, controls, *, title: str, columns: int = 3, rows=None):
        self.fig = fig
        if isinstance(controls, dict):
            self.controls = dict(controls)
        else:
            self.controls = {
                (getattr(c, "description", "") or f"control{i}"): c for i, c in enumerate(controls)
            }
        self.title = title
        self.columns = columns
        self.rows = rows
        self.state: dict = {}
        self._box = None

    @property
    def box(self):
        """The ipywidgets container (controls above the canvas)."""
        if self._box is None:
            import ipywidgets as widgets

            if self.rows is None:
                children = [controls_box(self.controls.values(), self.columns)]
            else:
                children = [widgets.HBox(list(row)) for row in self.rows]
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


def make_widget(fig: Figure, controls, *, title: str, columns: int = 3, rows=None,
                fixed_layout: bool = True) -> InteractiveFigure:
    """Bundle a figure and its controls; the result displays itself when it ends a cell.

    ``controls``: a dict name -> ipywidget (names are what ``InteractiveFigure.set`` takes)
    or a list (named by each control's description). They are laid out ``columns`` to a
    row above the figure, or as given by ``rows`` (a list of lists of controls).
    ``fixed_layout=True`` computes the layout once (see :func:`freeze_layout`): call
    ``make_widget`` after drawing the default state, so titles and legends are in place.
    """
    if fixed_layout:
        freeze_layout(fig)
    return InteractiveFigure(fig, controls, title=title, columns=columns, rows=rows)


def show(widget: InteractiveFigure) -> None:
    """Display a widget now (for use inside loops or functions, where no cell value shows)."""
    from IPython.display import display

    display(widget)
