"""Instructor mode: the course's main demos on one page, each with preset buttons.

``course/playground.ipynb`` (also served without code cells as a Voilà app) shows six
demos built from the lessons' own widgets, in large type for a projector:

==================  ==========================================  ===============================
demo                widget (lesson)                             presets
==================  ==========================================  ===============================
``learning_rate``   ``learning_rate.lr_explorer`` (lesson 2)    learning rate too low / just
                                                                right / too high
``clipping``        ``clipping.clipping_widget`` (lesson 8)     exploding gradients, clip at 1.0
``race``            ``optimizers.optimizer_race`` (lesson 4)    Adam vs SGD on a ravine
``schedule``        ``schedules.schedule_explorer`` (lesson 5)  warmup + cosine, no warmup
``batch_size``      ``batch_size.batch_size_widget`` (lesson 7) same rate, linear and
                                                                square-root scaling
``range_test``      ``range_test.range_test_widget`` (lesson 6) the valley, the minimum ÷ 10,
                                                                the rate at the loss minimum
==================  ==========================================  ===============================

The last three live in :mod:`coursekit.playground_recipes`; the buttons and the panel in
:mod:`coursekit.playground_panel`. A preset is plain data (:class:`Preset`: the control
values to set) in :data:`PRESETS`. A button applies it through ``InteractiveFigure.set``,
i.e. through the same observers a slider drag triggers. :func:`preset_result` computes
what a preset shows without any widget (tests and the notebook's cheat sheet call it),
and :func:`cheat_sheet` prints one line per preset, every number computed when it runs.

The Voilà app opens on the preset named in its address (``...?preset=no_warmup``; Voilà
passes the page's query string to the kernel as ``QUERY_STRING``): :func:`opening`. Started
with ``--preheat_kernel=True``, Voilà runs the notebook in a kernel kept ready before anyone
asks for it, up to :func:`opening`, which waits for the page: so the notebook builds every demo
first (:func:`build_demos`) and opens the named preset after (:meth:`Playground.open_on`).

Usage in the notebook::

    from coursekit import playground
    demos = playground.build_demos()         # seeded; every demo at its default
    opening = playground.opening()           # the preset named in the app's address, if any
    demos.open_on(opening)
    print(playground.cheat_sheet(demos.results))
    demos.learning_rate                      # end a cell with a demo (# NBVAL_IGNORE_OUTPUT)
    demos.clipping                           # and race, schedule, batch_size, range_test
"""

from __future__ import annotations

import html
import math
import os
from dataclasses import dataclass, fields
from urllib.parse import parse_qs

from .clipping import LR as LESSON_8_LR
from .controls import clip_threshold, nearest_log_stop
from .display import call_line
from .learning_rate import lr_compute, lr_explorer, regime, steps_to_converge
from .optimizers import optimizer_race, race_compute
from .playground_panel import (
    DEMOS,
    INSTRUCTOR_SCALE,
    INSTRUCTOR_WIDTH_PX,
    QUERY_KEY,
    Preset,
    PresetPanel,
    PresetResult,
    enlarge,
    in_voila,
    preset_link,
    wait_for_page,
)
from .playground_recipes import (
    RECIPE_PRESETS,
    batch_size_demo,
    range_test_demo,
    recipe_result,
    schedule_demo,
)
from .style import OPTIMIZER_NAMES

__all__ = [
    "Preset",
    "PRESETS",
    "DEMOS",
    "DEMO_TITLES",
    "presets_for",
    "get_preset",
    "PresetResult",
    "preset_result",
    "run_presets",
    "cheat_sheet",
    "PresetPanel",
    "enlarge",
    "preset_link",
    "Opening",
    "opening",
    "Playground",
    "build_demos",
    "learning_rate_demo",
    "clipping_demo",
    "race_demo",
    "schedule_demo",
    "batch_size_demo",
    "range_test_demo",
    "LR_STEPS",
    "RACE_STEPS",
    "CLIP_LR",
    "INSTRUCTOR_SCALE",
    "INSTRUCTOR_WIDTH_PX",
]

# The notebook's section of each demo, as its heading reads.
DEMO_TITLES = {
    "learning_rate": "1. The learning rate",
    "clipping": "2. Exploding gradients and clipping",
    "race": "3. Adam vs SGD on a ravine",
    "schedule": "4. Learning-rate schedules and warmup",
    "batch_size": "5. Batch size and the scaling rules",
    "range_test": "6. Picking a rate from the range test",
}

LR_SURFACE = "valley"  # the ill-conditioned valley of lesson 2: L = 4, so 2/L = 0.5
LR_STEPS = 100
RACE_STEPS = 300
CONVERGED = 1e-3  # "converged": the loss gap fell below this fraction of where it started

_RACERS = OPTIMIZER_NAMES


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
           "The same run with the gradient's length capped at 1.0 (the usual transformer setting): no "
           "single step can be long, and the run ends far lower than without clipping."),
    Preset("adam_vs_sgd", "Adam vs SGD on a ravine", "race",
           {**_race_selection("SGD", "Adam"), "surface": "valley", "lr": _on_slider_grid(0.1),
            "adaptive_lr": _on_slider_grid(0.1),
            "momentum": 0.9, "beta1": 0.9, "beta2": 0.999},
           "Same learning rate 0.1 for both, which favours neither: SGD crawls along the flat floor of "
           "the ravine; Adam scales each weight's step by its own gradient history and walks straight "
           "down it. (At its own best rate SGD is much faster: lesson 2.)"),
) + RECIPE_PRESETS

_BY_KEY = {preset.key: preset for preset in PRESETS}
assert len(_BY_KEY) == len(PRESETS), "preset keys must be unique"


def get_preset(key) -> Preset:
    """A preset by its key or button label (a :class:`Preset` is returned unchanged)."""
    if isinstance(key, Preset):
        return key
    for preset in PRESETS:
        if key in (preset.key, preset.label):
            return preset
    raise KeyError(f"no preset {key!r}; presets are {', '.join(p.key for p in PRESETS)}")


def presets_for(demo: str) -> tuple[Preset, ...]:
    """The presets that drive ``demo``, in button order."""
    if demo not in DEMOS:
        raise ValueError(f"demo must be one of {DEMOS}, got {demo!r}")
    return tuple(p for p in PRESETS if p.demo == demo)


# -- what a preset shows, computed without widgets --------------------------------------------------------


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
    from .clipping import FEATURED_SEED, best_point, train_rnn

    threshold = clip_threshold(preset.values["threshold"])
    mode = None if threshold is None else preset.values["mode"]
    run = train_rnn(mode, threshold, preset.values["lr"], seed=FEATURED_SEED)
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
    compute = _COMPUTE.get(preset.demo, recipe_result)
    return compute(preset)


def run_presets(keys=None) -> dict[str, PresetResult]:
    """:func:`preset_result` for every preset (or those in ``keys``), by key."""
    keys = [p.key for p in PRESETS] if keys is None else [get_preset(k).key for k in keys]
    return {key: preset_result(key) for key in keys}


def cheat_sheet(results) -> str:
    """One line per preset, from :func:`run_presets`: its button label, its link (the end of
    the app's address that opens on it) and what it shows."""
    width = max(len(r.preset.label) for r in results.values())
    link_width = max(len(preset_link(key)) for key in results)
    return "\n".join(f"{r.preset.label:<{width}}  {preset_link(key):<{link_width}}  {r.summary}"
                     for key, r in results.items())


# -- opening on the preset named in the app's address ------------------------------------------------------


@dataclass(frozen=True)
class Opening:
    """What the app's address asked for: ``key`` (a preset key or None), ``asked`` (the raw
    name, or None), shown as a one-line message (an unknown name lists the valid ones)."""

    key: str | None
    asked: str | None = None
    address_unknown: bool = False

    def text(self) -> str:
        names = ", ".join(p.key for p in PRESETS)
        if self.address_unknown:
            return ("This app could not read its address (its kernel, prepared in advance, did not hear "
                    "from Voilà), so no preset was applied: use the buttons, or start Voilà with "
                    "--preheat_kernel=False.")
        if self.asked is None:
            where = "this app" if in_voila() else "the app (make playground)"
            return (f"Open {where} on a preset by adding {preset_link('<name>')} to its address "
                    f"(e.g. {preset_link('no_warmup')}); every preset's link is in the crib sheet.")
        if self.key is None:
            return f"No preset named {self.asked!r}: the demos show their defaults. Preset names: {names}."
        preset = get_preset(self.key)
        number, title = DEMO_TITLES[preset.demo].split(". ", 1)
        return f"Opened on the preset '{preset.label}' ({preset_link(preset.key)}): see section {number}, {title}."

    def _repr_mimebundle_(self, include=None, exclude=None):
        kind = "unknown" if self.address_unknown or (self.asked is not None and self.key is None) else "ok"
        style = "color:#b00020;font-weight:bold" if kind == "unknown" else ""
        return {"text/plain": self.text(),
                "text/html": f"<p class='coursekit-opening coursekit-opening-{kind}' style='{style}'>"
                             f"{html.escape(self.text())}</p>"}


def opening(query: str | None = None) -> Opening:
    """The preset named by ``?preset=<key>`` in the app's address (``query``: default the
    ``QUERY_STRING`` that Voilà gives the kernel; JupyterLab sets none).

    In a kernel that Voilà preheats, this waits for the page that asks for the app: call it
    after the heavy work (:func:`build_demos`), so the page finds that work done.
    """
    if query is None:
        if not wait_for_page():
            return Opening(None, address_unknown=True)
        query = os.environ.get("QUERY_STRING", "")
    asked = parse_qs(query.lstrip("?")).get(QUERY_KEY)
    if not asked:
        return Opening(None)
    name = asked[-1].strip()
    return Opening(name if name in _BY_KEY else None, name)


def _start_key(demo, start, default):
    """``start`` if it names a preset of ``demo``, else ``default`` (the address named another demo's preset)."""
    if start is not None:
        preset = get_preset(start)
        if preset.demo == demo:
            return preset.key
    return default


# -- the first three demos (the last three: coursekit.playground_recipes) ----------------------------------


def learning_rate_demo(start=None, *, interactive=None) -> PresetPanel:
    """Lesson 2's learning-rate explorer with the too-low / just-right / too-high presets.

    ``start``: a preset key to open on; None or another demo's preset: *just right*.
    """
    values = get_preset(_start_key("learning_rate", start, "lr_just_right")).values
    widget = lr_explorer(values["surface"], values["lr"], steps=LR_STEPS, interactive=interactive)
    enlarge(widget, height_px=520, scale=1.25)  # three panels with long titles: a little less type
    return PresetPanel(widget, presets_for("learning_rate"), title="The learning rate")


def clipping_demo(results=None, start=None, *, interactive=None) -> PresetPanel:
    """Lesson 8's clipping widget with the exploding-gradients / clip-at-1.0 presets.

    ``results`` (from :func:`run_presets`) seeds the widget's cache with the runs already
    computed, so the presets answer at once. ``start``: as for :func:`learning_rate_demo`
    (default *clip at 1.0*).
    """
    from .clipping import STEPS, clipping_widget

    values = get_preset(_start_key("clipping", start, "clip_1")).values
    reference = [r.data for r in (results or {}).values()
                 if r.preset.demo == "clipping" and len(r.data.losses) and r.data.lr > 0]
    widget = clipping_widget(threshold=clip_threshold(values["threshold"]), lr=values["lr"], mode=values["mode"],
                             steps=STEPS, reference=reference, interactive=interactive)
    enlarge(widget, height_px=500)
    return PresetPanel(widget, presets_for("clipping"), title="Exploding gradients and clipping", code=_clipping_code)


def _clipping_code(widget):
    c = widget.controls
    return call_line("clipping_widget", threshold=clip_threshold(c["threshold"].value), lr=c["lr"].value,
                     mode=c["mode"].value)


def race_demo(start=None, *, interactive=None) -> PresetPanel:
    """Lesson 4's optimizer race with the Adam-vs-SGD-on-a-ravine preset (starts with all six,
    or on the preset ``start``)."""
    from .surfaces import get_surface

    # The valley's fair-race rates, on the sliders' stops (an off-stop value would be
    # snapped and sent back by the browser, redrawing the race the moment it appears).
    rates = get_surface("valley").default_lr
    widget = optimizer_race("valley", lr=_on_slider_grid(rates["sgd"]), adaptive_lr=_on_slider_grid(rates["adaptive"]),
                            steps=RACE_STEPS, interactive=interactive)
    enlarge(widget, height_px=560)
    panel = PresetPanel(widget, presets_for("race"), title="Optimizers race")
    start = _start_key("race", start, None)
    if start is not None:
        panel.apply(start)
    return panel


# -- the whole page --------------------------------------------------------------------------------------


@dataclass
class Playground:
    """The six demos, built at their defaults, and the crib sheet's runs (``results``).

    Built before the app's address is known (:func:`build_demos`), then opened on the preset
    the address names (:meth:`open_on`): Voilà can do the building in a preheated kernel.
    """

    results: dict
    learning_rate: PresetPanel
    clipping: PresetPanel
    race: PresetPanel
    schedule: PresetPanel
    batch_size: PresetPanel
    range_test: PresetPanel

    def open_on(self, opened: Opening) -> Opening:
        """Apply the preset ``opened`` names to its demo (as its button does); returns ``opened``."""
        if opened.key is not None:
            preset = get_preset(opened.key)
            getattr(self, preset.demo).apply(preset.key)
        return opened

    def demos(self) -> dict[str, PresetPanel]:
        """The demos by name, in the page's order."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "results"}


def build_demos(*, interactive=None) -> Playground:
    """Run every preset (:func:`run_presets`) and build the six demos at their defaults,
    each ready to display (the heavy part of the page: about 25 s on two cores)."""
    results = run_presets()
    return Playground(results, learning_rate_demo(interactive=interactive),
                      clipping_demo(results, interactive=interactive), race_demo(interactive=interactive),
                      schedule_demo(interactive=interactive), batch_size_demo(interactive=interactive),
                      range_test_demo(interactive=interactive))
