"""Instructor mode: the course's main demos on one page, each with preset buttons.

``course/playground.ipynb`` (also served without code cells as a Voilà app) shows three
demos built from the lessons' own widgets, in large type for a projector:

==================  ==========================================  ===============================
demo                widget (lesson)                             presets
==================  ==========================================  ===============================
``learning_rate``   ``learning_rate.lr_explorer`` (lesson 2)    learning rate too low / just
                                                                right / too high
``clipping``        ``clipping.clipping_widget`` (lesson 8)     exploding gradients, clip at 1.0
``race``            ``optimizers.optimizer_race`` (lesson 4)    Adam vs SGD on a ravine
==================  ==========================================  ===============================

A preset is plain data (:class:`Preset`: the control values to set) in :data:`PRESETS`.
A button applies it through ``InteractiveFigure.set``, i.e. through the same observers a
slider drag triggers. :func:`preset_result` computes what a preset shows without any
widget (tests and the notebook's cheat sheet call it), and :func:`cheat_sheet` prints
one line per preset, every number computed when it runs.

Usage in the notebook::

    from coursekit import playground
    results = playground.run_presets()       # seeded, about 10 s on a laptop
    print(playground.cheat_sheet(results))
    playground.learning_rate_demo()          # end a cell with a demo (# NBVAL_IGNORE_OUTPUT)
    playground.clipping_demo(results)        # reuses the clipping runs computed above
    playground.race_demo()
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from . import mpl_compat
from .clipping import LR as LESSON_8_LR
from .controls import clip_threshold, nearest_log_stop
from .display import InteractiveFigure, widget_bundle
from .learning_rate import lr_compute, lr_explorer, regime, steps_to_converge
from .optimizers import optimizer_race, race_compute
from .style import OPTIMIZER_NAMES

__all__ = [
    "Preset",
    "PRESETS",
    "DEMOS",
    "presets_for",
    "get_preset",
    "PresetResult",
    "preset_result",
    "run_presets",
    "cheat_sheet",
    "PresetPanel",
    "enlarge",
    "learning_rate_demo",
    "clipping_demo",
    "race_demo",
    "LR_STEPS",
    "RACE_STEPS",
    "CLIP_LR",
]

DEMOS = ("learning_rate", "clipping", "race")

LR_SURFACE = "valley"  # the ill-conditioned valley of lesson 2: L = 4, so 2/L = 0.5
LR_STEPS = 100
RACE_STEPS = 300
CONVERGED = 1e-3  # "converged": the loss gap fell below this fraction of where it started

_RACERS = OPTIMIZER_NAMES


@dataclass(frozen=True)
class Preset:
    """One preset button: ``label`` on the button, ``values`` for the ``demo``'s controls.

    ``values`` maps control names (as ``InteractiveFigure.set`` takes them) to values;
    ``says`` is the sentence shown under the buttons while the preset is active.
    """

    key: str
    label: str
    demo: str
    values: dict = field(hash=False)
    says: str = ""

    def __post_init__(self):
        if self.demo not in DEMOS:
            raise ValueError(f"preset {self.key!r}: demo must be one of {DEMOS}, got {self.demo!r}")


def _on_slider_grid(value: float, steps_per_decade: int = 20) -> float:
    """``value`` moved to the nearest stop of the course's log sliders (20 stops a decade).

    A browser slider snaps a value between two stops to a stop and sends that back, so a
    preset off the grid would be changed the moment it is shown.
    """
    return nearest_log_stop(value, 0.0, 1.0 / steps_per_decade)


def _race_selection(*names):
    """Checkbox values for the race: the named optimizers on, every other one off."""
    return {name: name in names for name in _RACERS}


CLIP_LR = LESSON_8_LR  # lesson 8's rate: high enough for the unclipped network to blow up

PRESETS: tuple[Preset, ...] = (
    Preset("lr_too_low", "learning rate too low", "learning_rate",
           {"surface": LR_SURFACE, "lr": _on_slider_grid(0.01)},
           "Tiny steps: safe, but after 100 steps the loss has barely moved. You pay for many more steps."),
    Preset("lr_just_right", "learning rate just right", "learning_rate",
           {"surface": LR_SURFACE, "lr": _on_slider_grid(0.22)},
           "About 1/L, half the critical rate 2/L: fast and steady, no zigzag. (On the valley the "
           "cheapest rate sits higher, just below 2/L: lesson 2 counts the steps.)"),
    Preset("lr_too_high", "learning rate too high", "learning_rate",
           {"surface": LR_SURFACE, "lr": _on_slider_grid(0.63)},
           "Above the critical rate 2/L every step overshoots further than the last: the loss explodes."),
    Preset("exploding", "exploding gradients", "clipping",
           {"threshold": math.inf, "mode": "norm", "lr": CLIP_LR},
           "No clipping: a recurrent network on 50-step sequences. Watch the gradient norm jump and the "
           "loss spike."),
    Preset("clip_1", "clip at 1.0", "clipping",
           {"threshold": 1.0, "mode": "norm", "lr": CLIP_LR},
           "The same run with the gradient norm capped at 1.0 (the usual transformer setting): the spikes "
           "are gone."),
    Preset("adam_vs_sgd", "Adam vs SGD on a ravine", "race",
           {**_race_selection("SGD", "Adam"), "surface": "valley", "lr": _on_slider_grid(0.1),
            "adaptive_lr": _on_slider_grid(0.1),
            "momentum": 0.9, "beta1": 0.9, "beta2": 0.999},
           "Same learning rate 0.1 for both, which favours neither: SGD crawls along the flat floor of "
           "the ravine; Adam scales each weight's step by its own gradient history and walks straight "
           "down it. (At its own best rate SGD is much faster: lesson 2.)"),
)

_BY_KEY = {preset.key: preset for preset in PRESETS}
assert len(_BY_KEY) == len(PRESETS), "preset keys must be unique"


def get_preset(key) -> Preset:
    """A preset by its key or button label (a :class:`Preset` is returned unchanged)."""
    if isinstance(key, Preset):
        return key
    for preset in PRESETS:
        if key in (preset.key, preset.label):
            return preset
    raise KeyError(f"no preset {key!r}; presets are {[p.key for p in PRESETS]}")


def presets_for(demo: str) -> tuple[Preset, ...]:
    """The presets that drive ``demo``, in button order."""
    if demo not in DEMOS:
        raise ValueError(f"demo must be one of {DEMOS}, got {demo!r}")
    return tuple(p for p in PRESETS if p.demo == demo)


# -- what a preset shows, computed without widgets --------------------------------------------------------


@dataclass
class PresetResult:
    """What a preset shows: ``summary`` (one line of computed facts) and the raw ``data``.

    ``data``: an ``LrRun`` (learning rate, with ``steps_to_converge`` in ``extra``), a
    ``ClipRun`` (clipping) or ``{name: Trajectory}`` (race).
    """

    preset: Preset
    summary: str
    data: object
    extra: dict = field(default_factory=dict)


def _learning_rate_result(preset):
    surface, lr = preset.values["surface"], preset.values["lr"]
    run = lr_compute(surface, lr, LR_STEPS)
    _, steps = steps_to_converge(surface, [lr], tolerance=CONVERGED)
    needed = None if math.isnan(steps[0]) else int(steps[0])
    ratio = f"{run.ratio:.2g} × 2/L" if run.ratio is not None else ""
    if run.path.diverged:
        outcome = f"diverged at step {run.path.diverged_at}"
    else:
        outcome = (f"loss {run.path.final_loss:.3g} after {LR_STEPS} steps; "
                   + (f"{needed} steps to converge" if needed else "not converged within 5000 steps"))
    summary = f"lr {lr:.3g} = {ratio}, {regime(surface, lr)}: {outcome}"
    return PresetResult(preset, summary, run, {"steps_to_converge": needed})


def _clipping_result(preset):
    from .clipping import best_point, featured_seed, train_rnn

    threshold = clip_threshold(preset.values["threshold"])
    mode = None if threshold is None else preset.values["mode"]
    run = train_rnn(mode, threshold, preset.values["lr"], seed=featured_seed())
    if run.diverged:
        outcome = f"diverged at step {run.diverged_step}"
    else:
        best_step, best_loss = best_point(run.losses)
        outcome = (f"final loss {run.final_loss:.3g} (best {best_loss:.3g} at step {best_step}), "
                   f"largest gradient norm {run.grad_norms.max():.3g}")
    return PresetResult(preset, f"{run.name}, lr {run.lr:g}: {outcome}", run)


def _race_result(preset):
    from .surfaces import get_surface

    v = preset.values
    racing = [name for name in _RACERS if v.get(name)]
    paths = race_compute(v["surface"], racing, lr=v["lr"], adaptive_lr=v["adaptive_lr"], momentum=v["momentum"],
                         betas=(v["beta1"], v["beta2"]), steps=RACE_STEPS)
    surface = get_surface(v["surface"])
    target = CONVERGED * surface.loss(surface.start)
    parts = []
    for name, path in paths.items():
        reached = path.steps_to(target)
        if path.diverged:
            parts.append(f"{name} diverged at step {path.diverged_at}")
        elif reached is None:
            parts.append(f"{name} not there after {path.steps} steps")
        else:
            parts.append(f"{name} {reached} steps")
    summary = f"steps to 1/1000 of the starting loss on the {surface.title.lower()}: " + ", ".join(parts)
    return PresetResult(preset, summary, paths)


_COMPUTE = {"learning_rate": _learning_rate_result, "clipping": _clipping_result, "race": _race_result}


def preset_result(key) -> PresetResult:
    """Compute what preset ``key`` shows, without any widget (seeded: same numbers every run)."""
    preset = get_preset(key)
    return _COMPUTE[preset.demo](preset)


def run_presets(keys=None) -> dict[str, PresetResult]:
    """:func:`preset_result` for every preset (or those in ``keys``), by key."""
    keys = [p.key for p in PRESETS] if keys is None else [get_preset(k).key for k in keys]
    return {key: preset_result(key) for key in keys}


def cheat_sheet(results) -> str:
    """One line per preset: its button label and what it shows, from :func:`run_presets`."""
    width = max(len(r.preset.label) for r in results.values())
    return "\n".join(f"{r.preset.label:<{width}}  {r.summary}" for r in results.values())


# -- presets on top of a widget ------------------------------------------------------------------------------


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
    controls currently match (a manual slider move clears it).
    """

    def __init__(self, widget: InteractiveFigure, presets, *, title: str):
        self.widget = widget
        self.presets = {preset.key: preset for preset in presets}
        for preset in self.presets.values():
            unknown = set(preset.values) - set(widget.controls)
            if unknown:
                raise ValueError(f"preset {preset.key!r} sets unknown controls {sorted(unknown)}; "
                                 f"{widget.title!r} has {sorted(widget.controls)}")
        self.title = title
        self._box = None
        self._buttons = {}
        self._status = None

    @property
    def fig(self):
        return self.widget.fig

    @property
    def state(self):
        return self.widget.state

    def matches(self, key) -> bool:
        """True when every control named by preset ``key`` holds the preset's value."""
        preset = self.presets[get_preset(key).key]
        for name, value in preset.values.items():
            current = self.widget.controls[name].value
            if isinstance(value, float) and isinstance(current, (int, float)):
                if not math.isclose(current, value, rel_tol=1e-6):  # a browser slider's float rounding
                    return False
            elif current != value:
                return False
        return True

    def active(self):
        """The key of the preset the controls match now, or None."""
        return next((key for key in self.presets if self.matches(key)), None)

    def apply(self, key) -> "PresetPanel":
        """Set the widget's controls to preset ``key`` (as its button does); returns ``self``."""
        preset = self.presets.get(get_preset(key).key)
        if preset is None:
            raise KeyError(f"preset {key!r} does not belong to {self.title!r}; it has {list(self.presets)}")
        self.widget.set(**preset.values)
        # A preset jumps: send the browser a whole new frame rather than a blitted diff.
        self.widget.redraw(full=True)
        self._show_active()
        return self

    def _show_active(self, *_):
        if self._status is None:
            return
        active = self.active()
        for key, button in self._buttons.items():
            button.button_style = "info" if key == active else ""
        preset = self.presets.get(active)
        self._status.value = f"<b>{preset.label}:</b> {preset.says}" if preset else "<i>your own setting</i>"

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
            label = widgets.HTML("<b>Presets</b>")
            bar = widgets.HBox([label, *self._buttons.values()], layout={"align_items": "center",
                                                                           "flex_flow": "row wrap"})
            self._box = widgets.VBox([bar, self._status, self.widget.box])
            self._box.add_class("coursekit-playground-demo")
            for control in self.widget.controls.values():
                control.observe(self._show_active, names="value")
            self._show_active()
        return self._box

    def png(self) -> bytes:
        return self.widget.png()

    def text(self) -> str:
        labels = ", ".join(p.label for p in self.presets.values())
        return f"Playground: {self.title} (presets: {labels})"

    def __repr__(self) -> str:
        return f"<{self.text()}>"

    def _repr_mimebundle_(self, include=None, exclude=None):
        return widget_bundle(self)  # the same three representations as InteractiveFigure


# -- the three demos --------------------------------------------------------------------------------------


def learning_rate_demo(start="lr_just_right", *, interactive=None) -> PresetPanel:
    """Lesson 2's learning-rate explorer with the too-low / just-right / too-high presets."""
    values = get_preset(start).values
    widget = lr_explorer(values["surface"], values["lr"], steps=LR_STEPS, interactive=interactive)
    enlarge(widget, height_px=520, scale=1.25)  # three panels with long titles: a little less type
    return PresetPanel(widget, presets_for("learning_rate"), title="The learning rate")


def clipping_demo(results=None, start="clip_1", *, interactive=None) -> PresetPanel:
    """Lesson 8's clipping widget with the exploding-gradients / clip-at-1.0 presets.

    ``results`` (from :func:`run_presets`) seeds the widget's cache with the runs already
    computed, so the presets answer at once.
    """
    from .clipping import STEPS, clipping_widget

    values = get_preset(start).values
    reference = [r.data for r in (results or {}).values()
                 if r.preset.demo == "clipping" and len(r.data.losses) and r.data.lr > 0]
    widget = clipping_widget(threshold=clip_threshold(values["threshold"]), lr=values["lr"], mode=values["mode"],
                             steps=STEPS, reference=reference, interactive=interactive)
    enlarge(widget, height_px=500)
    return PresetPanel(widget, presets_for("clipping"), title="Exploding gradients and clipping")


def race_demo(start=None, *, interactive=None) -> PresetPanel:
    """Lesson 4's optimizer race with the Adam-vs-SGD-on-a-ravine preset (starts with all six)."""
    from .surfaces import get_surface

    # The valley's fair-race rates, on the sliders' stops (an off-stop value would be
    # snapped and sent back by the browser, redrawing the race the moment it appears).
    rates = get_surface("valley").default_lr
    widget = optimizer_race("valley", lr=_on_slider_grid(rates["sgd"]), adaptive_lr=_on_slider_grid(rates["adaptive"]),
                            steps=RACE_STEPS, interactive=interactive)
    enlarge(widget, height_px=560)
    panel = PresetPanel(widget, presets_for("race"), title="Optimizers race")
    if start is not None:
        panel.apply(start)
    return panel
