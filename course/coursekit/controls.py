"""The controls every lesson reuses: sliders, dropdowns and checkboxes with safe ranges.

Each function returns a configured ipywidget; ranges make impossible values impossible.

========================  ==========================================================
``log_slider``            any positive quantity spanning decades (FloatLogSlider)
``lr_slider``             learning rate, log scale
``round_log_slider``      a log scale whose stops are round numbers (1, 2, 5 per decade)
``momentum_slider``       SGD momentum in [0, 0.99]
``beta1_slider``          Adam's beta1 in [0, 0.99]
``beta2_slider``          Adam's beta2 from 0.9 to 0.9999 (a selection slider: values near 1)
``batch_size_slider``     powers of two
``clip_slider``           gradient-clipping threshold, log scale, "off" (= inf) at the end
``warmup_slider``         warmup as a fraction of all training steps, 0-50%
``schedule_dropdown``     a choice of learning-rate schedules (lesson 5 passes its catalogue)
``optimizer_checkboxes``  which optimizers race (dict name -> Checkbox)
``surface_dropdown``      which 2-D loss surface
``count_slider``          a whole number in a range (steps, epochs, patience)
``number_slider``         a plain number in a range, evenly spaced (a price, hours)
``stops_slider``          only the values given (settings a lesson trained ahead)
``choice_buttons``        one of a few named options, side by side
``choice_dropdown``       one of several options, in a dropdown
``switch``                on or off (a Checkbox)
========================  ==========================================================

``nearest_log_stop`` puts a value on a log slider's stops and ``clip_threshold`` turns a
clip slider's value into a threshold (``None`` for "off"). This module imports no
computation: the schedules and surfaces a dropdown offers are looked up when it is built.
"""

from __future__ import annotations

import math

import numpy as np

from .style import OPTIMIZER_NAMES, canonical_optimizer_name

__all__ = [
    "nearest_log_stop",
    "log_slider",
    "lr_slider",
    "round_log_slider",
    "momentum_slider",
    "beta1_slider",
    "beta2_slider",
    "batch_size_slider",
    "clip_slider",
    "clip_threshold",
    "warmup_slider",
    "schedule_dropdown",
    "optimizer_checkboxes",
    "surface_dropdown",
    "count_slider",
    "number_slider",
    "stops_slider",
    "choice_buttons",
    "choice_dropdown",
    "switch",
    "BETA2_CHOICES",
]

_WIDE = {"description_width": "initial"}
_SLIDER_LAYOUT = {"width": "320px"}

BETA2_CHOICES = (0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 0.9999)


def _widgets():
    import ipywidgets

    return ipywidgets


def nearest_log_stop(value, lowest_exponent, exponent_step):
    """The stop of a FloatLogSlider (base 10) nearest to ``value``.

    Set a log slider only to its stops: the browser snaps any other value to the nearest
    stop and sends it back, so the figure would change before anyone touched the slider.
    """
    stop = round((math.log10(value) - lowest_exponent) / exponent_step) * exponent_step
    return float(f"{10 ** (lowest_exponent + stop):.12g}")


def log_slider(description, value, min, max, *, steps_per_decade: int = 20, readout_format=".3g",
               continuous_update=True):
    """A slider over [``min``, ``max``] spaced evenly in log10 (for learning rates, thresholds).

    ``continuous_update=True``: the figure follows the mouse while dragging (every course
    widget updates in well under 100 ms); pass False for expensive updates.
    """
    if not (0 < min < max):
        raise ValueError(f"log_slider {description!r}: need 0 < min < max, got min={min}, max={max}")
    if not (min <= value <= max):
        raise ValueError(f"log_slider {description!r}: value {value} is outside [{min}, {max}]")
    if steps_per_decade < 1:
        raise ValueError(f"steps_per_decade must be at least 1, got {steps_per_decade}")
    return _widgets().FloatLogSlider(
        value=nearest_log_stop(value, math.log10(min), 1.0 / steps_per_decade),
        base=10,
        min=math.log10(min),
        max=math.log10(max),
        step=1.0 / steps_per_decade,
        description=description,
        readout_format=readout_format,
        continuous_update=continuous_update,
        style=_WIDE,
        layout=_SLIDER_LAYOUT,
    )


def lr_slider(value=0.1, min=1e-4, max=10.0, *, description="learning rate", **kwargs):
    """A learning-rate slider on a log scale."""
    return log_slider(description, value, min, max, **kwargs)


def momentum_slider(value=0.9, *, description="momentum", max=0.99, continuous_update=True):
    """SGD momentum in [0, ``max``] (1 or more would never forget a gradient: excluded)."""
    if not (0 <= value <= max < 1):
        raise ValueError(f"momentum must satisfy 0 <= value <= max < 1, got value={value}, max={max}")
    return _widgets().FloatSlider(value=value, min=0.0, max=max, step=0.01, description=description,
                                  readout_format=".2f", continuous_update=continuous_update,
                                  style=_WIDE, layout=_SLIDER_LAYOUT)


def beta1_slider(value=0.9, *, description="Adam β1", continuous_update=True):
    """Adam's beta1 (momentum of the mean gradient) in [0, 0.99]."""
    return momentum_slider(value, description=description, continuous_update=continuous_update)


def beta2_slider(value=0.999, *, description="Adam β2", choices=BETA2_CHOICES, continuous_update=True):
    """Adam's beta2 (memory of the squared gradients); the interesting values crowd near 1."""
    choices = tuple(float(c) for c in choices)
    if any(not (0 <= c < 1) for c in choices):
        raise ValueError(f"beta2 choices must lie in [0, 1), got {choices}")
    if value not in choices:
        raise ValueError(f"beta2 value {value} is not one of the choices {choices}")
    return _widgets().SelectionSlider(options=[(f"{c:g}", c) for c in choices], value=value,
                                      description=description, continuous_update=continuous_update,
                                      style=_WIDE, layout=_SLIDER_LAYOUT)


def batch_size_slider(value=32, min=1, max=1024, *, description="batch size", continuous_update=False):
    """Batch sizes in powers of two from ``min`` to ``max`` (both powers of two).

    ``continuous_update=False`` by default: a batch-size change usually retrains something.
    """
    for name, number in (("min", min), ("max", max), ("value", value)):
        if not (isinstance(number, (int, np.integer)) and number >= 1 and number & (number - 1) == 0):
            raise ValueError(f"batch_size_slider: {name}={number!r} must be a power of two >= 1")
    if not (min <= value <= max):
        raise ValueError(f"batch_size_slider: value {value} is outside [{min}, {max}]")
    options = [2**k for k in range(int(math.log2(min)), int(math.log2(max)) + 1)]
    return _widgets().SelectionSlider(options=[(str(b), b) for b in options], value=value,
                                      description=description, continuous_update=continuous_update,
                                      style=_WIDE, layout=_SLIDER_LAYOUT)


def _nice_log_values(lo, hi):
    """1-2-5 values per decade between ``lo`` and ``hi`` (inclusive)."""
    values = []
    for exponent in range(math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 1):
        for mantissa in (1, 2, 5):
            v = float(f"{mantissa}e{exponent}")
            if lo * (1 - 1e-9) <= v <= hi * (1 + 1e-9):
                values.append(v)
    return values


def _round_log_selection(who, description, value, min, max, extra, continuous_update):
    """A SelectionSlider over the 1-2-5 values from ``min`` to ``max``, then the ``extra`` options."""
    if not (0 < min < max):
        raise ValueError(f"{who}: need 0 < min < max, got min={min}, max={max}")
    options = [(f"{v:g}", v) for v in _nice_log_values(min, max)] + list(extra)
    allowed = [v for _, v in options]
    if value not in allowed:
        raise ValueError(f"{who}: value {value!r} is not one of {allowed}")
    return _widgets().SelectionSlider(options=options, value=value, description=description,
                                      continuous_update=continuous_update, style=_WIDE,
                                      layout=_SLIDER_LAYOUT)


def clip_slider(value=1.0, min=0.01, max=100.0, *, off=True, description="clip norm",
                continuous_update=False):
    """Gradient-clipping threshold on a 1-2-5 log scale; the last stop is "off".

    "off" has the value ``math.inf`` and sits beyond the largest threshold: no clipping is
    the same as an infinite threshold (``clip_grad_norm_(params, math.inf)`` changes
    nothing). Use :func:`clip_threshold` to turn the value into ``None`` for "off".
    """
    return _round_log_selection("clip_slider", description, value, min, max,
                                [("off", math.inf)] if off else [], continuous_update)


def round_log_slider(description, value, min, max, *, continuous_update=False):
    """A log-scale slider whose stops are round numbers (1, 2, 5 per decade: 0.01, 0.02, 0.05, ...).

    For a rate that a lesson quotes exactly (lesson 8 trains at 0.05): the slider holds it
    exactly, where a ``log_slider`` would move it to its nearest stop (0.0501), and a run
    that sits on the edge of blowing up can behave differently at that rate.
    """
    return _round_log_selection(f"round_log_slider {description!r}", description, value, min, max, [],
                                continuous_update)


def clip_threshold(value):
    """A clip slider's value as a threshold: ``None`` for "off", the number otherwise."""
    return None if value is None or math.isinf(value) else float(value)


def warmup_slider(value=0.1, max=0.5, *, description="warmup", continuous_update=False):
    """Warmup length as a fraction of all training steps, in [0, ``max``] (``max`` <= 1)."""
    if not (0 <= value <= max <= 1):
        raise ValueError(f"warmup_slider: need 0 <= value <= max <= 1, got value={value}, max={max}")
    return _widgets().FloatSlider(value=value, min=0.0, max=max, step=0.01, description=description,
                                  readout_format=".0%", continuous_update=continuous_update,
                                  style=_WIDE, layout=_SLIDER_LAYOUT)


def schedule_dropdown(value, schedules, *, description="schedule"):
    """A dropdown of learning-rate schedules; ``.value`` is a key such as "cosine".

    ``schedules``: dict label -> key, in the order shown (lesson 5 passes its catalogue: the
    toolkit knows no lesson's schedules).
    """
    schedules = dict(schedules)
    if value not in schedules.values():
        raise ValueError(f"schedule_dropdown: value {value!r} is not one of {list(schedules.values())}")
    return _widgets().Dropdown(options=list(schedules.items()), value=value, description=description,
                               style=_WIDE)


def optimizer_checkboxes(selected, names=OPTIMIZER_NAMES):
    """One checkbox per optimizer (dict name -> Checkbox), ticked for those in ``selected``."""
    selected = {canonical_optimizer_name(n) for n in selected}
    names = [canonical_optimizer_name(n) for n in names]
    w = _widgets()
    return {
        name: w.Checkbox(value=name in selected, description=name, indent=False,
                         layout={"width": "105px"})
        for name in names
    }


def surface_dropdown(value="valley", keys=None, *, description="surface"):
    """A dropdown of loss surfaces by title (``keys``: default the race's); ``.value`` is the surface key."""
    from .surfaces import RACE_SURFACES, SURFACES

    keys = list(RACE_SURFACES if keys is None else keys)
    if value not in keys:
        raise ValueError(f"surface_dropdown: value {value!r} is not one of {keys}")
    options = [(SURFACES[k].title, k) for k in keys]
    return _widgets().Dropdown(options=options, value=value, description=description, style=_WIDE)


def count_slider(description, value, min, max, *, continuous_update=True):
    """A whole number in [``min``, ``max``] (steps, epochs, patience)."""
    if not (min <= value <= max):
        raise ValueError(f"count_slider {description!r}: value {value} is outside [{min}, {max}]")
    return _widgets().IntSlider(value=value, min=min, max=max, step=1, description=description,
                                continuous_update=continuous_update, style=_WIDE, layout=_SLIDER_LAYOUT)


def number_slider(description, value, min, max, step, *, continuous_update=True):
    """A number in [``min``, ``max``] in steps of ``step`` (a price, GPU-hours): a linear scale."""
    if not (min <= value <= max):
        raise ValueError(f"number_slider {description!r}: value {value} is outside [{min}, {max}]")
    return _widgets().FloatSlider(value=value, min=min, max=max, step=step, description=description,
                                  continuous_update=continuous_update, style=_WIDE, layout=_SLIDER_LAYOUT)


def stops_slider(description, stops, value, label=str, *, continuous_update=True):
    """A slider over ``stops`` only (the settings a lesson trained), at the stop nearest ``value``.

    Nearness is measured on a log scale when every stop and ``value`` are positive (rates
    spread over decades), on a linear one otherwise (fractions from 0). ``label(stop)`` is its readout.
    """
    stops = list(stops)
    if not stops:
        raise ValueError(f"stops_slider {description!r}: needs at least one stop")
    log = min(stops) > 0 and value > 0
    nearest = min(stops, key=lambda stop: abs(math.log(stop / value)) if log else abs(stop - value))
    return _widgets().SelectionSlider(options=[(label(stop), stop) for stop in stops], value=nearest,
                                      description=description, continuous_update=continuous_update,
                                      style=_WIDE, layout=_SLIDER_LAYOUT)


def _checked_choice(who, options, value):
    options = list(options.items()) if isinstance(options, dict) else list(options)
    values = [option[1] if isinstance(option, tuple) else option for option in options]
    if value not in values:
        raise ValueError(f"{who}: value {value!r} is not one of {values}")
    return options


def choice_buttons(description, options, value):
    """One of a few options as buttons side by side; ``options``: values, (label, value) pairs or a dict."""
    options = _checked_choice(f"choice_buttons {description!r}", options, value)
    return _widgets().ToggleButtons(options=options, value=value, description=description,
                                    style={"button_width": "80px", **_WIDE})


def choice_dropdown(description, options, value):
    """One of several options in a dropdown; ``options``: values, (label, value) pairs or a dict."""
    options = _checked_choice(f"choice_dropdown {description!r}", options, value)
    return _widgets().Dropdown(options=options, value=value, description=description, style=_WIDE)


def switch(description, value=False):
    """On or off: a checkbox whose ``.value`` is a bool."""
    return _widgets().Checkbox(value=bool(value), description=description, indent=False)
