"""The playground's machinery: a :class:`Preset` (one button's settings), a :class:`PresetPanel`
(a course widget with a row of preset buttons) and :func:`enlarge` (projector-sized type).

The demos and their presets live in :mod:`coursekit.playground` (learning rate, clipping,
race) and :mod:`coursekit.playground_recipes` (schedules, batch size, range test).
"""

from __future__ import annotations

import html
import math
import os
from dataclasses import dataclass, field

from . import mpl_compat
from .controls import nearest_log_stop
from .display import InteractiveFigure, in_voila, preheated_by_voila, widget_bundle
from .surfaces import get_surface

__all__ = [
    "DEMOS",
    "QUERY_KEY",
    "Preset",
    "PresetResult",
    "PresetPanel",
    "enlarge",
    "on_log_grid",
    "preset_link",
    "preset_link_html",
    "in_voila",
    "wait_for_page",
    "INSTRUCTOR_SCALE",
    "INSTRUCTOR_WIDTH_PX",
]

# Every demo of the playground, in page order.
DEMOS = ("learning_rate", "clipping", "race", "schedule", "batch_size", "range_test")

ACTIVE_COLOR = "#0072B2"  # the active preset's button: Okabe-Ito blue, white text at 5:1 contrast
QUERY_KEY = "preset"  # the app opens on the preset named in its address: ...?preset=no_warmup
# Not a control: the start point that a click or drag on a loss surface moves. A widget that
# has one keeps it in ``widget.state["start"]``; a preset may name one under this key.
START = "start"


@dataclass(frozen=True)
class Preset:
    """One preset button: ``label`` on the button, ``values`` for the ``demo``'s controls.

    ``values`` maps control names (as ``InteractiveFigure.set`` takes them) to values, and
    optionally ``"start"`` to a start point for a widget whose start the mouse moves (by
    default such a preset starts from its ``"surface"``'s own start), or
    is a function returning that dict, for settings that the lesson's code computes (the
    range test's suggestions); read them with :meth:`control_values`. ``says`` is the
    sentence shown under the buttons while the preset is active. ``key`` names the preset
    in the app's address (``?preset=<key>``).
    """

    key: str
    label: str
    demo: str
    values: object = field(hash=False)
    says: str = ""

    def __post_init__(self):
        if self.demo not in DEMOS:
            raise ValueError(f"preset {self.key!r}: demo must be one of {DEMOS}, got {self.demo!r}")

    def control_values(self) -> dict:
        """The control values this preset sets (computed on first use where ``values`` is a function)."""
        return dict(self.values() if callable(self.values) else self.values)


def preset_link(key: str) -> str:
    """The address suffix that opens the playground app on preset ``key``."""
    return f"?{QUERY_KEY}={key}"


def wait_for_page() -> bool:
    """In a kernel that Voilà preheats (``--preheat_kernel=True``), block until a page asks for
    the app, so that the page's address (``QUERY_STRING``) is known; elsewhere return at once.
    False if the kernel could not hear from Voilà (its helper only warns then): the address is unknown.

    Voilà runs the notebook in a pool of kernels before anyone opens it and serves a page
    from one of them: everything above the call is ready when the page arrives.
    """
    # Voilà puts the page's request into the environment, SERVER_SOFTWARE with it: once that is
    # there, the page has arrived.
    if preheated_by_voila() and "SERVER_SOFTWARE" not in os.environ:
        from voila.utils import wait_for_request  # only where Voilà started the kernel

        wait_for_request()
    return not preheated_by_voila() or "SERVER_SOFTWARE" in os.environ


def preset_link_html(key: str) -> str:
    """The preset's link as HTML: a real link in the Voilà app (a right-click copies the whole
    address for a slide), plain text in JupyterLab, where following it would reload Lab."""
    text = f"<code>{html.escape(preset_link(key))}</code>"
    if in_voila():
        return f"<a href='{html.escape(preset_link(key))}' class='coursekit-preset-href'>{text}</a>"
    return text


def on_log_grid(value: float, lowest: float, steps_per_decade: int) -> float:
    """``value`` moved to the nearest stop of a log slider starting at ``lowest``.

    A browser slider snaps a value between two stops to a stop and sends that back, so a
    preset off the grid would be changed the moment it is shown.
    """
    return nearest_log_stop(value, math.log10(lowest), 1.0 / steps_per_decade)


@dataclass
class PresetResult:
    """What a preset shows: ``summary`` (one line of computed facts) and the raw ``data``
    (the lesson's own run object), plus ``extra`` facts the tests and the notebook read."""

    preset: Preset
    summary: str
    data: object
    extra: dict = field(default_factory=dict)


# Instructor size: text and lines this many times larger than in the lessons, the figure
# about as wide in pixels as a notebook column on a 1366-pixel projector.
INSTRUCTOR_SCALE = 1.35
INSTRUCTOR_WIDTH_PX = 1150


def enlarge(widget: InteractiveFigure, height_px: int, *, width_px: int = INSTRUCTOR_WIDTH_PX,
            scale: float = INSTRUCTOR_SCALE) -> InteractiveFigure:
    """Make a widget's figure readable from the back of a room: ``scale`` times larger type
    and lines, ``width_px`` x ``height_px`` pixels. Returns the widget.

    Raising the dpi enlarges everything drawn in points (text, lines, markers), including
    what later updates draw; the size in inches shrinks to keep the pixel size.
    """
    if not (scale > 0 and width_px > 0 and height_px > 0):
        raise ValueError(f"enlarge: scale, width_px and height_px must be > 0, got {scale}, {width_px}, "
                         f"{height_px}")
    fig = widget.fig
    dpi = 100.0 * scale
    # Resize the figure only, without telling a browser canvas that does not exist yet
    # (ipympl sends the size when its view starts), and keep the dpi on HiDPI screens.
    mpl_compat.set_base_dpi(fig, dpi)
    fig.set_size_inches(width_px / dpi, height_px / dpi, forward=False)
    widget.lay_out()
    return widget


class PresetPanel:
    """A course widget with a row of preset buttons above it.

    Displays itself exactly like the widget (see :mod:`coursekit.display`): live buttons,
    controls and canvas in JupyterLab or Voilà, the figure as a PNG elsewhere.
    ``apply(key)`` does what clicking the button does; ``active()`` names the preset the
    controls currently match (a manual slider move clears it, and so does a click or drag
    that moves the start away from the preset's, for widgets with a start). Under the buttons: what the
    active preset shows and its link (``?preset=<key>``), then the one line of Python that
    recreates the widget's state (:attr:`code_line`): the widget's own line where it has
    one (``make_widget(..., code=...)``), else ``code(widget)``, shown by the panel.
    """

    def __init__(self, widget: InteractiveFigure, presets, *, title: str, code=None):
        self.widget = widget
        self.presets = {preset.key: preset for preset in presets}
        self._values = {key: preset.control_values() for key, preset in self.presets.items()}
        self._starts = {key: self._preset_start(key, values) for key, values in self._values.items()}
        for key, values in self._values.items():
            unknown = set(values) - set(widget.controls)
            if unknown:
                raise ValueError(f"preset {key!r} sets unknown controls {sorted(unknown)}; "
                                 f"{widget.title!r} has {sorted(widget.controls)}")
        self.title = title
        self._code = code
        self._code_view = None
        self._box = None
        self._buttons = {}
        self._status = None

    def _preset_start(self, key, values):
        """Take ``"start"`` out of a preset's values: the start it puts the widget at (its
        surface's own start by default), or None where the widget has no start."""
        start = values.pop(START, None)
        if START not in self.widget.state:
            if start is not None:
                raise ValueError(f"preset {key!r} sets a start, but {self.widget.title!r} has no start point")
            return None
        if start is None:
            if "surface" not in values:
                return None  # the preset leaves the start where it is
            start = get_surface(values["surface"]).start
        return tuple(float(v) for v in start)

    def _start_matches(self, key) -> bool:
        wanted = self._starts[self._key(key)]
        if wanted is None:
            return True
        current = self.widget.state.get(START)
        return current is not None and all(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
                                           for a, b in zip(current, wanted))

    @property
    def fig(self):
        return self.widget.fig

    @property
    def state(self):
        return self.widget.state

    @property
    def code_line(self):
        """The one line of Python that recreates the widget's current state (None if unknown)."""
        own = getattr(self.widget, "code_line", None)
        if own is not None:
            return own
        return None if self._code is None else self._code(self.widget)

    def _key(self, key) -> str:
        """A preset of this panel by key, button label or :class:`Preset`."""
        if isinstance(key, Preset):
            key = key.key
        for preset in self.presets.values():
            if key in (preset.key, preset.label):
                return preset.key
        raise KeyError(f"preset {key!r} does not belong to {self.title!r}; it has {list(self.presets)}")

    def matches(self, key) -> bool:
        """True when every control named by preset ``key`` holds the preset's value."""
        for name, value in self._values[self._key(key)].items():
            current = self.widget.controls[name].value
            if isinstance(value, float) and isinstance(current, (int, float)):
                if not math.isclose(current, value, rel_tol=1e-6):  # a browser slider's float rounding
                    return False
            elif current != value:
                return False
        return self._start_matches(key)

    def active(self):
        """The key of the preset the controls match now, or None."""
        return next((key for key in self.presets if self.matches(key)), None)

    def apply(self, key) -> "PresetPanel":
        """Set the widget's controls to preset ``key`` (as its button does); returns ``self``."""
        key = self._key(key)
        self.widget.set(**self._values[key])
        if not self._start_matches(key):
            # The start is no control: put it back the way a click does, on the surface's
            # plot (the first axes of every course widget with a start).
            self.widget.click(self.widget.fig.axes[0], *self._starts[key])
        # A preset jumps: send the browser a whole new frame rather than a blitted diff.
        self.widget.redraw(full=True)
        self._show_active()
        return self

    def status_html(self) -> str:
        """The line under the buttons: the active preset, what it shows and its link."""
        preset = self.presets.get(self.active())
        if preset is None:
            return "<i>your own setting</i>"
        return (f"<b>{preset.label}:</b> {preset.says} <span class='coursekit-preset-link'>"
                f"(link: {preset_link_html(preset.key)})</span>")

    def _show_active(self, *_):
        if self._status is None:
            return
        active = self.active()
        for key, button in self._buttons.items():
            button.button_style = "info" if key == active else ""
            # The "info" cyan behind white text is too pale to read (contrast 2.1:1); a dark blue is 5:1.
            button.style.button_color = ACTIVE_COLOR if key == active else None
            button.style.text_color = "white" if key == active else None
        self._status.value = self.status_html()
        if self._code_view is not None:
            self._code_view.value = _code_html(self.code_line)

    @property
    def box(self):
        """The ipywidgets container: preset buttons, a status line, then the widget."""
        if self._box is None:
            import ipywidgets as widgets

            for key, preset in self.presets.items():
                button = widgets.Button(description=preset.label, tooltip=preset.says,
                                        layout={"width": "auto", "height": "38px"})
                button.add_class("coursekit-preset")
                button.on_click(lambda _button, key=key: self.apply(key))
                self._buttons[key] = button
            self._status = widgets.HTML(layout={"min_height": "1.6em"})
            self._status.add_class("coursekit-preset-status")
            label = widgets.HTML("<b>Presets</b>")
            bar = widgets.HBox([label, *self._buttons.values()], layout={"align_items": "center",
                                                                           "flex_flow": "row wrap"})
            children = [bar, self._status]
            if self._code is not None and getattr(self.widget, "code_line", None) is None:
                # The widget shows no line of its own: the panel shows it, under the status line.
                self._code_view = widgets.HTML(_code_html(self.code_line))
                self._code_view.add_class("coursekit-code-line")
                children.append(self._code_view)
            self._box = widgets.VBox([*children, self.widget.box])
            self._box.add_class("coursekit-playground-demo")
            for control in self.widget.controls.values():
                control.observe(self._show_active, names="value")
            self.widget.observe_clicks(self._show_active)  # a click or drag may move the start
            self._show_active()
        return self._box

    def png(self) -> bytes:
        return self.widget.png()

    @property
    def summary(self) -> str:
        return self.widget.summary

    def text(self) -> str:
        labels = ", ".join(p.label for p in self.presets.values())
        return f"Playground: {self.title} (presets: {labels})"

    def __repr__(self) -> str:
        return f"<{self.text()}>"

    def _repr_mimebundle_(self, include=None, exclude=None):
        return widget_bundle(self)  # the same three representations as InteractiveFigure


def _code_html(line) -> str:
    # user-select: all: one click selects the whole line, ready to copy into a cell.
    return ('<code style="user-select: all; white-space: pre; font-size: 12px">'
            f"{html.escape(line or '')}</code>")
