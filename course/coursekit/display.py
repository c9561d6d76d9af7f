"""How every course widget shows its figure: live in JupyterLab, a static PNG everywhere else.

The contract for lesson and widget authors
------------------------------------------
A widget is a figure, a few ipywidgets controls and one ``update`` function that moves
the figure's artists to the controls' values. There is one way to build it::

    from coursekit.controls import log_slider
    from coursekit.display import make_widget, new_figure

    def my_widget(lr=0.1):
        fig, ax = new_figure(figsize=(7, 4))          # 1. a figure that is NOT shown yet
        (line,) = ax.plot([], [])
        slider = log_slider("learning rate", lr, 1e-3, 1.0)

        def update(widget):                           # 2. edit artists in place, then redraw
            line.set_data(*compute(slider.value))
            widget.state["result"] = ...              #    what tests and benchmarks read
            widget.redraw()

        return make_widget(fig, {"lr": slider}, update, title="My widget",
                           animated=[line])           # 3. return it, do not display it

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
* ``make_widget`` builds an :class:`InteractiveFigure`, calls ``update`` once to draw the
  default state, lays the figure out once (constrained layout costs more than a redraw,
  so the positions are then kept) and calls ``update`` again whenever a control moves.
  ``controls`` is a dict name -> ipywidget, laid out ``columns`` to a row above the
  figure, or a list of such dicts, one row each. The names are what ``widget.set`` takes.
* ``widget.redraw(full=False)`` is the one call that shows what ``update`` changed:

  - with ``relayout=key`` (a function of the figure), it first lays the figure out again
    when ``key(fig)`` changed: ``relayout=layout_key`` re-lays out when the axes' limits
    change the tick labels, ``relayout=lambda fig: menu.value`` on a surface switch;
  - with ``animated=[artists]``, it repaints only those artists over a cached picture of
    the rest (blitting: text, ticks and contours are not redrawn). Pass ``full=True``
    when anything else changed (axis limits, a legend, contours);
  - otherwise it draws the figure in full.

  Nothing is drawn while the widget is being built: the first display draws everything.
* A widget with per-control behaviour (the optimizer race) passes ``observe=[names]``,
  the controls ``make_widget`` wires to ``update``, observes the others itself and ends
  with the same ``widget.redraw``. ``widget.set(name=value, ...)`` moves controls from
  code (tests, benchmarks, instructor demos) through the very observers a mouse drag
  triggers; ``widget.state`` holds what the last update computed.
* ``code=lambda widget: "..."`` gives the one line of Python that recreates the widget's
  current state (``optimizer_race(surface="valley", lr=0.1, start=(-1.5, 1.0))``): the
  widget shows it, selectable, under its controls, updated on every change, and
  ``widget.code_line`` returns it. :func:`call_line` writes such a line from keywords.
* ``on_click=function(widget, ax, x, y)`` makes a click, or a drag with the button held,
  on the figure call ``function`` with the axes under the mouse and the point in its data
  coordinates (ipympl mouse events, handled in the kernel; drags are throttled, see
  :class:`InteractiveFigure`). ``widget.click(ax, x, y)`` and ``widget.drag(ax, points)``
  send the same events from code (tests, benchmarks); ``widget.observe_clicks(callback)``
  hears each of them after ``on_click`` (the playground's status line does).
  ``key_points=function(widget) -> [(ax, x, y), ...]`` (where the points a click moves are now)
  gives the mouse's route to the keyboard: on a focused figure (Tab reaches it) the arrow keys
  move the point as clicks would, in steps of a twentieth of the axes, Shift+arrow in
  hundredths; "n" moves on to the next point. ``widget.key("left")`` presses a key from code.
* An :class:`InteractiveFigure` displays itself (IPython's ``_repr_mimebundle_``) as ONE
  output carrying three representations of the same thing (:func:`widget_bundle`):

  - ``application/vnd.jupyter.widget-view+json``: the live controls and canvas. JupyterLab
    with a running kernel renders this one; control moves redraw the canvas in place.
  - ``image/png``: the figure at its default values, rendered when the output is produced.
    Headless runs (nbval, ``jupyter nbconvert --execute``) have no browser to draw the
    canvas, so this PNG is what a notebook saved with outputs shows on GitHub.
  - ``text/plain``: ``Interactive figure: <title> (<controls>). <summary>``.

  The summary (``make_widget(..., summary=function of the widget)``) says in words what the
  figure shows now: it is shown under the figure in a live region that screen readers
  announce, is the PNG's alt text (output metadata and the PNG's Description chunk, see
  :mod:`coursekit.alt_text`) and is updated on every redraw.

  This is the same bundle ipympl itself gives a bare canvas; we need our own because a
  canvas inside an ipywidgets box loses ipympl's PNG fallback. A reopened notebook without
  a running kernel shows JupyterLab's "model not found" placeholder until the cell is run
  again (a known JupyterLab limitation shared with every ipympl figure).

Mark widget cells ``# NBVAL_IGNORE_OUTPUT``: the widget model id changes on every run.
Library internals the display needs live in :mod:`coursekit.mpl_compat`.
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import math
import numbers
import os
import time
from contextlib import contextmanager

from matplotlib.backend_bases import MouseButton
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from . import mpl_compat
from .accessibility import BOX_CLASS, SUMMARY_CLASS, widget_aids
from .alt_text import figure_summary, png_metadata
from .style import apply_style

__all__ = [
    "in_kernel",
    "in_voila",
    "preheated_by_voila",
    "new_figure",
    "layout_key",
    "InteractiveFigure",
    "make_widget",
    "moved",
    "widget_bundle",
    "show",
    "call_line",
    "marker_point",
    "COLUMN_FIGURE_PX",
]

_figure_numbers = itertools.count(1)
RAPID_FRAMES_S = 0.25  # frames closer together than this are sent whole (see _attach_ipympl_canvas)
# The widest widget figure, in pixels, that a laptop's notebook column shows without sideways
# scrolling: JupyterLab in a 1,366-px window with its file browser open gives outputs 934 px, and
# ipympl's toolbar takes 38 beside the figure. (A static PNG scales down to its column by itself.)
COLUMN_FIGURE_PX = 880


def in_kernel() -> bool:
    """True when running inside a Jupyter kernel (JupyterLab, nbval, nbconvert)."""
    from .kernel import running_shell

    shell = running_shell()
    return shell is not None and getattr(shell, "kernel", None) is not None


def in_voila() -> bool:
    """True in a kernel that Voilà started: it sets ``SERVER_SOFTWARE=voila/<version>`` once a
    page has asked for the app, and ``VOILA_PREHEAT=True`` in a kernel it preheats before that."""
    return os.environ.get("SERVER_SOFTWARE", "").startswith("voila/") or preheated_by_voila()


def preheated_by_voila() -> bool:
    """True in a kernel that Voilà preheated (``--preheat_kernel=True``), before and after its page arrives."""
    return os.environ.get("VOILA_PREHEAT") == "True"


def _attach_ipympl_canvas(fig: Figure):
    """Put ``fig`` on an ipympl widget canvas without registering it with pyplot."""
    ipympl_backend = mpl_compat.import_ipympl_backend()
    canvas = ipympl_backend.Canvas(fig)
    manager = ipympl_backend.FigureManager(canvas, next(_figure_numbers))  # sets canvas.manager (needed by ipympl)
    # matplotlib's default keys would surprise on a focused widget: 'q' closes the figure for good,
    # 'l' and 'k' switch an axis to log scale, 's' saves. The course's figures take only their own keys.
    if manager.key_press_handler_id is not None:
        canvas.mpl_disconnect(manager.key_press_handler_id)
    # A clean look for lessons: no "Figure 3" header or coordinates footer; the toolbar
    # (zoom, pan, save) appears when the mouse is over the figure.
    canvas.header_visible = False
    canvas.footer_visible = False
    canvas.resizable = False
    canvas.toolbar_position = "left"
    # Frames a drag sends in quick succession go whole: a browser that is still loading one
    # frame drops it for the next, and a dropped diff would leave stale pixels on screen.
    mpl_compat.encode_frames_fast(canvas)
    mpl_compat.send_rapid_frames_whole(canvas, RAPID_FRAMES_S)
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


def layout_key(fig):
    """The decades each log axis of ``fig`` spans (and the widths of linear axes' limits), rounded.

    Tick labels, and so the margins a figure needs, change only when this key changes:
    ``make_widget(..., relayout=layout_key)`` re-runs the (costly) layout only then.
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


class InteractiveFigure:
    """A figure with its controls; shows itself once, live in JupyterLab and as PNG elsewhere.

    Built by :func:`make_widget`. Attributes: ``fig``, ``controls`` (dict name -> ipywidget),
    ``title``, ``state`` (what the last update computed, for tests and benchmarks),
    ``box`` (the ipywidgets container, built on first display), and ``full_draws`` /
    ``fast_draws``, how many redraws painted everything / only the animated artists.

    Blitting, as in matplotlib's "Faster rendering by using blitting" guide: the
    ``animated`` artists are left out of full draws; each full draw (first display,
    resize, HiDPI change, ``redraw(full=True)``) is kept as the background, and a fast
    redraw restores it and paints just the animated artists. PNGs include them too.

    Mouse (``on_click``): a press calls ``on_click(widget, ax, x, y)`` at once; while the
    button is held, moves call it at most once per ``drag_interval`` seconds counted from
    the end of the previous call, so moves that queued up while the kernel was busy are
    skipped instead of replayed late. The release of a drag that moved calls it once more
    at the last position, with ``widget.dragging`` False: it lands a skipped position, and
    lets a widget tidy up what it let slide while dragging (axis limits it only grew).
    ``widget.dragging`` is False on the press too, so a click is tidy at once.
    A drag stays in the axes it started in; a move that reports the button up (it was
    released outside the figure, where the kernel hears nothing) ends the drag. Clicks
    while the toolbar's zoom or pan is on belong to the toolbar and are ignored.
    """

    drag_interval = 0.03  # seconds: about 30 redraws a second while dragging
    key_steps = {"": 1 / 20, "shift": 1 / 100}  # an arrow key moves the point by this share of the axes

    def __init__(self, fig: Figure, controls, *, title: str, columns: int = 3, animated=(), relayout=None,
                 code=None, on_click=None, summary=None, key_points=None, key_hint="the start point"):
        self.fig = fig
        self.canvas = fig.canvas
        if isinstance(controls, dict):
            names = list(controls)
            rows = [{n: controls[n] for n in names[i : i + columns]} for i in range(0, len(names), columns)]
        else:
            rows = list(controls)
        self.controls = {name: control for row in rows for name, control in row.items()}
        self._rows = [list(row.values()) for row in rows]
        self.title = title
        self.state: dict = {}
        self.animated = list(animated)
        self._relayout = relayout
        self._layout_key = None
        self._laid_out = False
        self._background = None  # the last full draw without the animated artists
        self._settled = None  # (n, picture): the background with the first n animated artists drawn
        self._background_size = None
        self._offscreen = False  # True during draws the screen does not show
        self.full_draws = 0
        self.fast_draws = 0
        self._box = None
        self._code = code
        self._code_view = None  # the ipywidgets.HTML showing the code line, built with the box
        self._summary = summary
        self._summary_view = None  # the ipywidgets.HTML under the figure that screen readers announce
        self._on_click = on_click
        self._key_points = key_points if on_click is not None else None
        self._key_axes = None  # the axes whose point the arrow keys move: the last one clicked
        self._key_hint = key_hint
        self._dragging = False
        self._pending = None  # the last drag position skipped by the throttle
        self._last_position = None  # the last position handed to on_click in this drag
        self._moved = False  # whether this drag has moved since the press
        self._drag_axes = None  # the axes the drag started in
        self._last_move_end = -math.inf
        self.clicks = 0  # how many mouse positions reached ``on_click``
        self._click_observers = []  # called after each mouse position reached ``on_click``
        for artist in self.animated:
            artist.set_animated(True)
        if self.animated:
            self.canvas.mpl_connect("draw_event", self._on_draw)
        if on_click is not None:
            for name in ("button_press_event", "motion_notify_event", "button_release_event"):
                self.canvas.mpl_connect(name, self._on_mouse)
        if self._key_points is not None:
            self.canvas.mpl_connect("key_press_event", self._on_key)

    # -- drawing ------------------------------------------------------------------------------

    def redraw(self, full: bool = False) -> None:
        """Show what the update changed: re-lay out if the layout key changed, else blit the
        animated artists if only they changed, else draw in full (see the module docstring)."""
        if self._code_view is not None:
            self._code_view.value = _code_html(self.code_line)
        if self._summary_view is not None:
            self._summary_view.value = _summary_html(self.summary)
        if not self._laid_out:
            return  # still being built: nothing is shown yet, the first display draws everything
        if self._relayout is not None and self._relayout(self.fig) != self._layout_key:
            self.lay_out()  # new tick labels or titles: new margins
            full = True
        if full or not self._background_fits():
            self.full_draws += 1
            self.canvas.draw_idle()
            return
        self.fast_draws += 1
        if mpl_compat.waiting_for_first_frame(self.canvas):
            # ipympl sends a blit as a diff against the last frame it sent; a browser that
            # has not shown a first frame would paint it on an empty canvas. Send it whole.
            mpl_compat.send_next_frame_whole(self.canvas)
        self._blit_changed()
        self.canvas.blit(self.fig.bbox)

    def _blit_changed(self):
        """Repaint the animated artists from the first one that changed (matplotlib marks a changed
        artist ``stale``; a draw clears the mark). The picture with the unchanged ones before it is
        kept as a second background, so a drag that changes only the last few (a path, its text)
        does not redraw the titles before them: text is the slowest thing Agg draws."""
        first = next((i for i, artist in enumerate(self.animated) if artist.stale), len(self.animated))
        if self._settled is None or self._settled[0] != first:
            self.canvas.restore_region(self._background)
            self._draw_animated(self.animated[:first])
            self._settled = (first, self.canvas.copy_from_bbox(self.fig.bbox))
        else:
            self.canvas.restore_region(self._settled[1])
        self._draw_animated(self.animated[first:])

    def lay_out(self) -> None:
        """Lay the figure out (constrained layout), then keep those positions.

        Constrained layout measures every text on every draw, which costs more than drawing
        the data; a widget's layout changes only when its tick labels or titles do.
        """
        if self._relayout is not None:
            self._layout_key = self._relayout(self.fig)
        with self._offscreen_draw():  # a layout pass clears the canvas and paints nothing
            self.fig.set_layout_engine("constrained")
            self.fig.draw_without_rendering()
            self.fig.set_layout_engine("none")
        # The axes may have moved and the canvas is blank: the cached picture is stale, so
        # the next redraw draws in full (a blit would show a transparent figure).
        self._background = self._settled = None
        self._laid_out = True

    def png(self) -> bytes:
        """The figure as it looks now (animated artists included), as PNG bytes carrying the summary."""
        buffer = io.BytesIO()
        with self._offscreen_draw():
            for artist in self.animated:
                artist.set_animated(False)
            try:
                self.fig.savefig(buffer, format="png", dpi=self.fig.dpi, metadata=png_metadata(self.summary))
            finally:
                for artist in self.animated:
                    artist.set_animated(True)
        self._background = self._settled = None  # savefig painted over the cached frame
        return buffer.getvalue()

    @contextmanager
    def _offscreen_draw(self):
        """Draws in here (a layout pass, a PNG export) are not what the screen shows: no background."""
        self._offscreen = True
        try:
            yield
        finally:
            self._offscreen = False

    def _on_draw(self, event):
        # A full draw just painted every static artist: keep it, then add the animated ones.
        if self._offscreen or event.canvas is not self.canvas:
            return
        self._background = self.canvas.copy_from_bbox(self.fig.bbox)
        self._background_size = self._frame_size()
        self._settled = None
        self._draw_animated()

    def _draw_animated(self, artists=None):
        for artist in self.animated if artists is None else artists:
            if artist.get_visible():
                self.fig.draw_artist(artist)

    def _frame_size(self):
        return (*self.fig.bbox.size, self.fig.dpi)

    def _background_fits(self):
        # A resize or a new dpi (HiDPI screen, enlarge) leaves the cached pixels the wrong size.
        return self._background is not None and self._background_size == self._frame_size()

    # -- mouse ----------------------------------------------------------------------------------------

    def _on_mouse(self, event):
        toolbar = getattr(self.canvas, "toolbar", None)
        if toolbar is not None and getattr(toolbar, "mode", ""):
            return  # zoom or pan is on: the toolbar owns the mouse
        if event.name == "button_press_event":
            if event.button != 1 or event.inaxes is None:
                return
            self._dragging = True
            self._pending = None
            self._moved = False
            self._drag_axes = event.inaxes
            self._apply_click(event.inaxes, event.xdata, event.ydata)
        elif event.name == "motion_notify_event":
            if not self._dragging:
                return
            if MouseButton.LEFT not in event.buttons:
                self._end_drag()  # released outside the figure: no release event came
                return
            if event.inaxes is not self._drag_axes:
                return
            self._moved = True
            if time.perf_counter() - self._last_move_end < self.drag_interval:
                self._pending = (event.inaxes, event.xdata, event.ydata)
                return
            self._apply_click(event.inaxes, event.xdata, event.ydata)
        elif self._dragging:  # button released
            self._end_drag()

    def _end_drag(self):
        self._dragging = False
        last = self._pending or self._last_position
        self._pending = None
        if self._moved and last is not None:
            self._apply_click(*last)

    @property
    def dragging(self) -> bool:
        """True while the mouse moves with its button held on the figure (a drag in progress).

        False on the press itself: a click may be all there is (no release call follows one
        that did not move), so it must land as tidily as a drag's release does."""
        return self._dragging and self._moved

    def _apply_click(self, ax, x, y):
        self._pending = None
        self._last_position = (ax, x, y)
        self._key_axes = ax
        self.clicks += 1
        self._on_click(self, ax, float(x), float(y))
        for observer in self._click_observers:
            observer(self)
        self._last_move_end = time.perf_counter()

    # -- keyboard: the mouse's route for those who do not use one ------------------------------------

    def _on_key(self, event):
        """An arrow key moves the point of the axes last clicked (at first the first point
        ``key_points`` names) by ``key_steps[""]`` of the axes' width or height, Shift+arrow by
        ``key_steps["shift"]``, as a click there would; "n" moves the keys on to the next point."""
        points = list(self._key_points(self))
        if not points:
            return
        axes = [ax for ax, _x, _y in points]
        current = axes.index(self._key_axes) if self._key_axes in axes else 0
        if event.key in ("n", "N"):
            self._key_axes = axes[(current + 1) % len(axes)]
            return
        modifier, _, arrow = (event.key or "").rpartition("+")
        if arrow not in _ARROWS or modifier not in self.key_steps:
            return
        ax, x, y = points[current]
        dx, dy = _ARROWS[arrow]
        share = self.key_steps[modifier]
        x = _step_along(ax.get_xlim(), ax.get_xscale(), x, dx * share)
        y = _step_along(ax.get_ylim(), ax.get_yscale(), y, dy * share)
        self._apply_click(ax, x, y)

    def key(self, name):
        """Press key ``name`` ("left", "shift+up", "n") on the figure from code, as a focused
        figure in the browser does; returns ``self``."""
        from matplotlib.backend_bases import KeyEvent

        self.canvas.callbacks.process("key_press_event", KeyEvent("key_press_event", self.canvas, name))
        return self

    @property
    def figure_label(self) -> str:
        """The figure's name for a screen reader: its title, and what its keys do."""
        if self._key_points is None:
            return f"Figure: {self.title}"
        return (f"Figure: {self.title}. The arrow keys move {self._key_hint} as a click would, Shift+arrow in "
                "small steps" + (", the N key switches to the next point" if len(self._key_points(self)) > 1 else "")
                + ".")

    def observe_clicks(self, callback) -> None:
        """Call ``callback(widget)`` after every mouse position that reached ``on_click`` (a
        click, each drag step): what a mouse changes is no control, so control observers miss it."""
        self._click_observers.append(callback)

    def mouse_event(self, name, ax, x, y):
        """Send one mouse event (``"button_press_event"``, ``"motion_notify_event"``, ...) at data point
        (``x``, ``y``) of ``ax`` through the canvas, as ipympl does for a browser's mouse."""
        from matplotlib.backend_bases import MouseEvent

        px, py = ax.transData.transform((x, y))
        if name == "motion_notify_event":  # a move reports the buttons held: the left one while dragging
            event = MouseEvent(name, self.canvas, px, py, buttons={MouseButton.LEFT} if self._dragging else None)
        else:
            event = MouseEvent(name, self.canvas, px, py, button=MouseButton.LEFT)
        self.canvas.callbacks.process(name, event)

    def click(self, ax, x, y):
        """Click at data point (``x``, ``y``) of axes ``ax`` from code, through the mouse handlers."""
        self.mouse_event("button_press_event", ax, x, y)
        self.mouse_event("button_release_event", ax, x, y)
        return self

    def drag(self, ax, points, *, release=True):
        """Press at the first of ``points`` (data coordinates of ``ax``), move through the others,
        then release (unless ``release=False``), exactly as a mouse drag would."""
        points = list(points)
        self.mouse_event("button_press_event", ax, *points[0])
        for x, y in points[1:]:
            self.mouse_event("motion_notify_event", ax, x, y)
        if release:
            self.mouse_event("button_release_event", ax, *points[-1])
        return self

    # -- controls and display ---------------------------------------------------------------------

    @property
    def summary(self) -> str:
        """What the figure shows now, in words: ``summary(widget)`` given to :func:`make_widget`, computed
        from ``widget.state``; else the figure's descriptions (:mod:`coursekit.alt_text`)."""
        return self._summary(self) if self._summary is not None else figure_summary(self.fig)

    @property
    def code_line(self):
        """The one line of Python that recreates this widget's current state (None without ``code``)."""
        return None if self._code is None else self._code(self)

    def set(self, **values):
        """Move controls from code, by name, exactly as a user would; returns ``self``."""
        for name, value in values.items():
            if name not in self.controls:
                raise KeyError(f"no control named {name!r}; controls are {sorted(self.controls)}")
            self.controls[name].value = value
        return self

    @property
    def box(self):
        """The ipywidgets container: the rows of controls above the canvas."""
        if self._box is None:
            import ipywidgets as widgets

            children = [widgets.VBox([widgets.HBox(row) for row in self._rows])]
            if self._code is not None:
                self._code_view = widgets.HTML(_code_html(self.code_line))
                self._code_view.add_class("coursekit-code-line")
                children.append(self._code_view)
            if isinstance(self.canvas, widgets.DOMWidget):
                children.append(self.canvas)
            self._summary_view = widgets.HTML(_summary_html(self.summary))
            self._summary_view.add_class(SUMMARY_CLASS)  # a live region: screen readers announce each change
            children.append(self._summary_view)
            aids = widget_aids(self.figure_label, figure_keys=self._key_points is not None)
            self._box = widgets.VBox([*children, aids])  # for screen readers and keyboards
            self._box.add_class(BOX_CLASS)
        return self._box

    def text(self) -> str:
        names = ", ".join(self.controls)
        return f"Interactive figure: {self.title} ({names}). {self.summary}"

    def __repr__(self) -> str:
        return f"<{self.text()}>"

    def _repr_mimebundle_(self, include=None, exclude=None):
        return widget_bundle(self)


def make_widget(fig: Figure, controls, update, *, title: str, columns: int = 3, animated=(), relayout=None,
                observe=None, code=None, on_click=None, summary=None, key_points=None,
                key_hint="the start point") -> InteractiveFigure:
    """Wire a figure, its controls and its ``update(widget)`` into an :class:`InteractiveFigure`.

    Calls ``update`` once for the default state, lays the figure out once, then calls it
    whenever a control in ``observe`` (default: all) changes value. ``update`` edits artists
    and ends with ``widget.redraw()``. ``animated``: the artists updates change (redrawn
    alone, by blitting); ``relayout``: a function of the figure whose value changes when
    the layout must be computed again (:func:`layout_key`). ``code``: a function of the
    widget returning the line of Python that recreates its state (shown under the
    controls, ``widget.code_line``); ``on_click(widget, ax, x, y)``: what a click or drag
    on the figure does. ``summary``: a function of the widget returning, in a sentence or three, what
    the figure shows now (from ``widget.state``): shown under the figure, announced by screen readers,
    the alt text of the PNG. ``key_points``: with ``on_click``, a function of the widget returning
    ``[(ax, x, y), ...]``, the points a click moves (a start point) where they are now: the arrow keys
    of a focused figure move them, the keyboard's route to what the mouse does (:func:`marker_point` reads
    one off a marker); ``key_hint`` names what they move, for a screen reader. See the module docstring.
    """
    widget = InteractiveFigure(fig, controls, title=title, columns=columns, animated=animated,
                               relayout=relayout, code=code, on_click=on_click, summary=summary,
                               key_points=key_points, key_hint=key_hint)
    update(widget)
    widget.lay_out()
    for name in widget.controls if observe is None else observe:
        widget.controls[name].observe(lambda change: moved(change) and update(widget), names="value")
    return widget


def marker_point(marker):
    """``(axes, x, y)`` of a one-point marker (a start dot): where the arrow keys move it from."""
    xs, ys = marker.get_data()
    return marker.axes, float(xs[0]), float(ys[0])


_ARROWS = {"left": (-1, 0), "right": (1, 0), "up": (0, 1), "down": (0, -1)}


def _step_along(limits, scale, value, share):
    """``value`` moved by ``share`` of the axis between ``limits`` (in decades on a log axis), kept inside them."""
    low, high = sorted(limits)
    if scale == "log" and low > 0:
        span = math.log10(high) - math.log10(low)
        moved_to = 10 ** (math.log10(max(value, low)) + share * span)
    else:
        moved_to = value + share * (high - low)
    return min(max(moved_to, low), high)


def moved(change) -> bool:
    """False for a page's echo of a slider's float value: a browser that shows a slider sends its
    value back once, computed by its own arithmetic (``10 ** -1.3`` may come back 1 ulp away), and
    that is no move; redrawing for it would start a widget's training ahead before anyone moved."""
    old, new = change["old"], change["new"]
    if isinstance(old, float) and isinstance(new, float):
        return not math.isclose(old, new, rel_tol=1e-9)
    return True


def widget_bundle(shown) -> dict:
    """The display bundle of a widget: its PNG and text, plus the live widget view in a kernel.

    Returns ``(bundle, metadata)``: the PNG's metadata carries the summary as its ``alt``.
    ``shown`` has ``png()``, ``text()``, ``summary`` and ``box`` (the ipywidgets container, built only
    where a kernel can show it): an :class:`InteractiveFigure` or a playground panel.
    A Voilà page gets no PNG: it shows the live view and is never saved, and each PNG
    costs 0.2-0.5 s of the page's start.
    """
    bundle, metadata = {"text/plain": shown.text()}, {}
    if not (in_kernel() and in_voila()):
        bundle["image/png"] = base64.b64encode(shown.png()).decode("ascii")
        metadata["image/png"] = {"alt": shown.summary}
    if in_kernel():
        view = shown.box._repr_mimebundle_().get("application/vnd.jupyter.widget-view+json")
        if view is not None:
            bundle["application/vnd.jupyter.widget-view+json"] = view
    return bundle, metadata


def show(widget) -> None:
    """Display a widget now (for use inside loops or functions, where no cell value shows)."""
    from IPython.display import display

    display(widget)


def _summary_html(text) -> str:
    return f'<p style="margin: 2px 0 4px; max-width: 60em">{html.escape(text)}</p>'


def _code_html(line) -> str:
    # user-select: all: one click selects the whole line, ready to copy into a cell.
    return ('<code style="user-select: all; white-space: pre; font-size: 12px">'
            f"{html.escape(line or '')}</code>")


def _literal(value) -> str:
    """``value`` as short Python source: floats to 6 significant digits, tuples of them."""
    if isinstance(value, (tuple, list)):
        inner = ", ".join(_literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, (bool, str)) or value is None:
        return repr(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        text = f"{float(value):.6g}"
        return text if any(c in text for c in ".en") else text + ".0"  # keep it a float
    return repr(value)


def signature_defaults(function, *names) -> dict:
    """``{name: default}`` of ``function``'s parameters ``names``, read from its signature: a widget's
    code line leaves out what equals them (:func:`call_line`) without a second copy of the values."""
    import inspect

    parameters = inspect.signature(function).parameters
    missing = [name for name in names if name not in parameters
               or parameters[name].default is inspect.Parameter.empty]
    if missing:
        raise ValueError(f"signature_defaults: {function.__name__} has no default for {', '.join(missing)}")
    return {name: parameters[name].default for name in names}


def call_line(function: str, *args, defaults=None, **kwargs) -> str:
    """``function(arg, ..., name=value, ...)`` as one line of Python (a widget's ``code`` line).

    Keywords whose value reads as ``defaults[name]`` are left out, to keep the line short
    (a browser slider sends 0.9 back as 0.9000000000000001: still the default).
    """
    defaults = defaults or {}
    parts = [_literal(a) for a in args] + [f"{name}={_literal(v)}" for name, v in kwargs.items()
                                           if name not in defaults or _literal(defaults[name]) != _literal(v)]
    return f"{function}({', '.join(parts)})"
