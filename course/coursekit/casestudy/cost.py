"""Training cost arithmetic: GPU-hours times the hourly price, and the epochs early stopping saves.

The brief's figures, as quoted reference values: 3.5 GPU-hours at $0.85 per GPU-hour is
$2.975, which rounds to $2.98. :func:`training_cost` is that multiplication;
:func:`plan_cost` builds GPU-hours from epochs, steps and seconds per step, with or without
early stopping; :func:`cost_widget` puts it on sliders.

**How the course reads the brief's bill** (lessons 6 and 9, exercise 09 and the calculator all
use :data:`BRIEF_READING`): the run kept epoch 7, and early stopping with patience 2 only knows
epoch 7 was the best after epochs 8 and 9 fail to beat it, so epochs 1 to 9 were trained and
paid for. 3.5 GPU-hours over 9 epochs is 0.389 GPU-hours an epoch; the full 10-epoch plan
would have cost 3.89 GPU-hours ($3.31), so early stopping saved one epoch (10%).

**Checking the vendor's quote** (:func:`quote_check`, :func:`brief_quote_table`,
:func:`quote_check_widget`): training a model costs about 6 x parameters x tokens floating-point
operations (a forward and a backward pass; Kaplan et al., 2020, "Scaling Laws for Neural Language
Models"). Divided by what a named GPU sustains (its datasheet's dense 16-bit tensor peak,
:data:`GPU_PEAK_TFLOPS`, times a utilisation, :data:`DEFAULT_UTILISATION`), that is the GPU-hours a
run should take. The brief gives 125 million parameters, 4,200 lines, 9 epochs paid and batch 16,
but no sequence length, so tokens per line is an input: the table and the widget set the quote's
GPU-hours and seconds per step beside the estimate at each length, and their ratio. It is an
estimate with stated assumptions, not a measurement; it leaves out evaluation passes, attention's
share of the work (small at short lengths) and start-up time, all of which the widget's low
utilisations stand in for.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import NamedTuple

__all__ = [
    "BRIEF",
    "training_cost",
    "steps_per_epoch",
    "epochs_run",
    "plan_cost",
    "PlanCost",
    "cost_of_seconds",
    "percent_saved",
    "cost_widget",
    "cost_summary",
    "BRIEF_READING",
    "brief_reading",
    "tokens_trained",
    "training_flops",
    "GPU_PEAK_TFLOPS",
    "DEFAULT_GPU",
    "DEFAULT_UTILISATION",
    "expected_gpu_hours",
    "QuoteCheck",
    "quote_check",
    "brief_quote_check",
    "QuoteRow",
    "brief_quote_table",
    "quote_summary",
    "quote_check_widget",
]

# The brief's case, quoted for reference (not our measurements).
BRIEF = dict(
    gpu_hours=3.5, price_per_gpu_hour=0.85, cost=2.98, train_examples=4200, batch_size=16, parameters=125_000_000,
    planned_epochs=10, best_epoch=7, patience=2, time_saved_percent=40, quality_gain_points=14,
    on_brand_fine_tuned=87, on_brand_base=58, on_brand_rules=73,
)


def brief_reading() -> dict:
    """The one reading of the brief's bill used everywhere: the epochs paid, the GPU-hours per
    epoch, the full plan's bill and what early stopping saved (see the module docstring)."""
    paid = epochs_run(BRIEF["planned_epochs"], BRIEF["best_epoch"], BRIEF["patience"])  # 7 + 2 = 9
    per_epoch = BRIEF["gpu_hours"] / paid
    full_hours = per_epoch * BRIEF["planned_epochs"]
    return dict(
        kept_epoch=BRIEF["best_epoch"], paid_epochs=paid, planned_epochs=BRIEF["planned_epochs"],
        paid_epoch_numbers=list(range(1, paid + 1)), gpu_hours=BRIEF["gpu_hours"],
        gpu_hours_per_epoch=per_epoch, cost=training_cost(BRIEF["gpu_hours"], BRIEF["price_per_gpu_hour"]),
        full_plan_gpu_hours=full_hours, full_plan_cost=training_cost(full_hours, BRIEF["price_per_gpu_hour"]),
        saved_percent=percent_saved(full_hours, BRIEF["gpu_hours"]),
        steps_per_epoch=steps_per_epoch(BRIEF["train_examples"], BRIEF["batch_size"]),
        seconds_per_step=BRIEF["gpu_hours"] * 3600 / (paid * steps_per_epoch(BRIEF["train_examples"],
                                                                           BRIEF["batch_size"])),
    )


def _check_non_negative(name: str, value: float) -> None:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")


def training_cost(gpu_hours: float, price_per_gpu_hour: float) -> float:
    """Cost in dollars of ``gpu_hours`` at ``price_per_gpu_hour`` (not rounded)."""
    _check_non_negative("gpu_hours", gpu_hours)
    _check_non_negative("price_per_gpu_hour", price_per_gpu_hour)
    return gpu_hours * price_per_gpu_hour


def steps_per_epoch(examples: int, batch_size: int, drop_last: bool = False) -> int:
    """Optimizer steps in one pass over ``examples`` (the last partial batch counts unless dropped)."""
    if examples < 1 or batch_size < 1:
        raise ValueError(f"examples and batch_size must be >= 1, got {examples} and {batch_size}")
    return examples // batch_size if drop_last else math.ceil(examples / batch_size)


def epochs_run(planned_epochs: int, best_epoch: int | None = None,
               patience: int | None = None) -> int:
    """Epochs actually trained: all planned ones, or, with early stopping, until ``patience``
    epochs without improvement after ``best_epoch`` (never more than planned).

    Note the brief's recipe: a best epoch of 7 with patience 2 trains 9 epochs, then restores
    epoch 7; the two extra epochs are the price of waiting to be sure.
    """
    if planned_epochs < 1:
        raise ValueError(f"planned_epochs must be >= 1, got {planned_epochs}")
    if best_epoch is None or patience is None:
        return planned_epochs
    if not 1 <= best_epoch <= planned_epochs:
        raise ValueError(f"best_epoch must be in [1, {planned_epochs}], got {best_epoch}")
    if patience < 0:
        raise ValueError(f"patience must be >= 0, got {patience}")
    return min(planned_epochs, best_epoch + patience)


@dataclass(frozen=True)
class PlanCost:
    epochs: int
    steps: int
    gpu_hours: float
    cost: float


def plan_cost(*, gpu_hours_per_epoch: float, price_per_gpu_hour: float, planned_epochs: int,
              steps_in_epoch: int, best_epoch: int | None = None,
              patience: int | None = None) -> PlanCost:
    """GPU-hours and dollars for a plan of ``planned_epochs`` (cut short by early stopping
    when ``best_epoch`` and ``patience`` are given)."""
    _check_non_negative("gpu_hours_per_epoch", gpu_hours_per_epoch)
    epochs = epochs_run(planned_epochs, best_epoch, patience)
    hours = epochs * gpu_hours_per_epoch
    return PlanCost(epochs, epochs * steps_in_epoch, hours, training_cost(hours, price_per_gpu_hour))


def cost_of_seconds(seconds: float, price_per_gpu_hour: float = BRIEF["price_per_gpu_hour"]) -> float:
    """Dollars for ``seconds`` of one accelerator (or CPU) at an hourly price."""
    _check_non_negative("seconds", seconds)
    return training_cost(seconds / 3600.0, price_per_gpu_hour)


def percent_saved(before: float, after: float) -> float:
    """How much smaller ``after`` is than ``before``, in per cent (negative: it grew)."""
    if before <= 0:
        raise ValueError(f"before must be > 0, got {before}")
    return 100.0 * (before - after) / before


def cost_widget(*, gpu_hours_per_epoch: float | None = None,
                price_per_gpu_hour: float = BRIEF["price_per_gpu_hour"],
                planned_epochs: int = BRIEF["planned_epochs"],
                examples: int = BRIEF["train_examples"], batch_size: int = BRIEF["batch_size"],
                early_stopping: bool = True, best_epoch: int = BRIEF["best_epoch"],
                patience: int = BRIEF["patience"]):
    """Sliders for the cost arithmetic; bars compare the full plan with early stopping.

    The defaults are the course's reading of the brief (:data:`BRIEF_READING`): best epoch 7,
    patience 2, so 9 epochs paid, at 0.389 GPU-hours an epoch x $0.85 = $2.98.
    """
    if gpu_hours_per_epoch is None:
        gpu_hours_per_epoch = BRIEF_READING["gpu_hours_per_epoch"]

    from matplotlib.ticker import ScalarFormatter

    from ..controls import batch_size_slider, count_slider, number_slider, switch
    from ..display import make_widget, new_figure
    from ..style import COLORS, ROLE_COLORS

    class InsideFormatter(ScalarFormatter):
        """The usual dollar labels, less one on the axis's right end: the limits change with every move
        while the layout is kept, and half of that label would stick out of the figure."""

        def __call__(self, x, pos=None):
            low, high = self.axis.get_view_interval()
            return "" if x > high - 0.025 * (high - low) else super().__call__(x, pos)

    # the widest bill ($450.00: 30 epochs, 126,000 steps, 90.00 GPU-h) fits beside its bar at this width
    fig, ax = new_figure(figsize=(8.8, 3.2))
    labels = ["full plan", "early stopping"]
    bars = ax.barh(labels, [0.0, 0.0], color=[COLORS["grey"], ROLE_COLORS["good"]])
    ax.set_xlabel("training cost ($)")
    ax.xaxis.set_major_formatter(InsideFormatter())
    texts = [ax.text(0, i, "", va="center", ha="left") for i in range(2)]
    title = ax.set_title(" ", loc="left", fontsize=10)
    ax.invert_yaxis()

    controls = {
        "gpu_hours_per_epoch": number_slider("GPU-hours per epoch", gpu_hours_per_epoch, 0.05, 3.0, 0.05),
        "price": number_slider("$ per GPU-hour", price_per_gpu_hour, 0.1, 5.0, 0.05),
        "planned_epochs": count_slider("planned epochs", planned_epochs, 1, 30),
        "batch_size": batch_size_slider(batch_size, 1, 512),
        "early_stopping": switch("early stopping", early_stopping),
        "best_epoch": count_slider("best epoch", best_epoch, 1, 30),
        "patience": count_slider("patience", patience, 0, 10),
    }

    def update(widget):
        c = {k: w.value for k, w in controls.items()}
        steps = steps_per_epoch(examples, c["batch_size"])
        best = min(c["best_epoch"], c["planned_epochs"])
        common = dict(gpu_hours_per_epoch=c["gpu_hours_per_epoch"], price_per_gpu_hour=c["price"],
                      planned_epochs=c["planned_epochs"], steps_in_epoch=steps)
        full = plan_cost(**common)
        stopped = plan_cost(**common, best_epoch=best if c["early_stopping"] else None,
                            patience=c["patience"] if c["early_stopping"] else None)
        for bar, text, plan in zip(bars, texts, (full, stopped)):
            bar.set_width(plan.cost)
            text.set_x(plan.cost)
            text.set_text(f" ${plan.cost:.2f}: {plan.epochs} epochs, {plan.steps:,} steps, "
                          f"{plan.gpu_hours:.2f} GPU-h")
        ax.set_xlim(0, max(full.cost, 0.01) * 2.1)
        saved = percent_saved(full.cost, stopped.cost) if full.cost else 0.0
        title.set_text(f"{examples:,} examples / batch {c['batch_size']} = {steps:,} steps per "
                       f"epoch; early stopping saves {saved:.0f}%")
        widget.state.update(full=full, stopped=stopped, steps_per_epoch=steps, saved_percent=saved)
        widget.redraw()

    return make_widget(fig, controls, update, title="Training cost calculator", columns=3,
                       summary=lambda widget: cost_summary(widget.state, early_stopping=controls["early_stopping"].value))


def cost_summary(state: dict, *, early_stopping: bool = True) -> str:
    """What :func:`cost_widget`'s bars show, in words: the full plan's bill, early stopping's, and the saving."""
    full, stopped = state["full"], state["stopped"]

    def bill(plan):
        return f"{plan.epochs} epochs, {plan.steps:,} steps, {plan.gpu_hours:.2f} GPU-hours, ${plan.cost:.2f}"

    text = f"Full plan: {bill(full)} ({state['steps_per_epoch']:,} steps per epoch)."
    if not early_stopping:
        return text + " Early stopping is off: it costs the same."
    return text + f" With early stopping: {bill(stopped)}, {state['saved_percent']:.0f}% less."


# The calculator set to the course's reading of the brief (pass as ``cost_widget(**BRIEF_READING)``):
# 0.389 GPU-hours an epoch, best epoch 7, patience 2, so 9 epochs paid for 3.5 GPU-hours.
BRIEF_READING = dict(gpu_hours_per_epoch=BRIEF["gpu_hours"] / epochs_run(BRIEF["planned_epochs"], BRIEF["best_epoch"],
                                                                         BRIEF["patience"]),
                     best_epoch=BRIEF["best_epoch"], patience=BRIEF["patience"])


# ---------------------------------------------------------------- checking a vendor's quote

# Peak dense (no sparsity) 16-bit tensor throughput, TFLOP/s, as each vendor datasheet gives it.
# Datasheets print the "with sparsity" figure beside (or instead of) the dense one; sparsity needs
# weights pruned to a 2:4 pattern, which a fine-tune of a dense model does not have, so it is halved.
GPU_PEAK_TFLOPS = {
    "NVIDIA T4": 65.0,  # NVIDIA T4 Tensor Core GPU datasheet: mixed precision (FP16/FP32) 65 TFLOPS, no sparsity
    "NVIDIA L4": 121.0,  # NVIDIA L4 Tensor Core GPU datasheet: FP16/BF16 tensor 242 TFLOPS with sparsity, halved
    "NVIDIA A10": 125.0,  # NVIDIA A10 Tensor Core GPU datasheet: FP16/BF16 tensor 125 TFLOPS (250 with sparsity)
    "NVIDIA A100": 312.0,  # NVIDIA A100 Tensor Core GPU datasheet: FP16/BF16 tensor 312 TFLOPS (624 with sparsity)
    "NVIDIA H100 SXM": 989.4,  # NVIDIA H100 Tensor Core GPU datasheet: FP16/BF16 tensor 1,979 TFLOPS with sparsity,
    # halved (989.4 in NVIDIA's H100 Tensor Core GPU architecture whitepaper)
}
DEFAULT_GPU = "NVIDIA A100"  # the usual rented training GPU; the widget offers the slower ones too
# The share of the peak a small fine-tune sustains. Large pre-training runs report 40-60% of the peak;
# small batches of short sequences keep a GPU far from it (kernel launches, the optimizer step, data
# loading and small matrix products weigh more), so 30% is a middle figure. A lower share is kinder to
# the vendor (a longer estimate): the widget goes down to 5%, for a loop that loses most of each step
# to those overheads.
DEFAULT_UTILISATION = 0.3
FLOPS_PER_PARAMETER_TOKEN = 6  # forward 2, backward 4 (Kaplan et al., 2020)


def _check_positive(name: str, value: float) -> None:
    if isinstance(value, bool) or not (isinstance(value, numbers.Real) and math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")


def _check_count(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")


def _check_gpu(gpu: str) -> float:
    if gpu not in GPU_PEAK_TFLOPS:
        raise ValueError(f"gpu must be one of {list(GPU_PEAK_TFLOPS)}, got {gpu!r}")
    return GPU_PEAK_TFLOPS[gpu]


def _check_utilisation(utilisation: float) -> None:
    _check_positive("utilisation", utilisation)
    if utilisation > 1:
        raise ValueError(f"utilisation is a share of the peak, in (0, 1], got {utilisation!r}")


def tokens_trained(lines: int, epochs: int, tokens_per_line: float) -> float:
    """Tokens the model reads in training: every line once an epoch. Padding is left out: it is work a
    vendor may bill for, but packing or sorting lines by length avoids it, so it is not the job's cost."""
    _check_count("lines", lines)
    _check_count("epochs", epochs)
    _check_positive("tokens_per_line", tokens_per_line)
    return float(lines * epochs * tokens_per_line)


def training_flops(parameters: float, tokens: float) -> float:
    """Floating-point operations to train ``parameters`` on ``tokens``: 6 x parameters x tokens.

    Each token costs about 2 operations a parameter forward and 4 backward (Kaplan et al., 2020); the
    attention scores add a share that grows with the sequence length and is small for short lines.
    """
    _check_positive("parameters", parameters)
    _check_non_negative("tokens", tokens)
    return FLOPS_PER_PARAMETER_TOKEN * float(parameters) * float(tokens)


def expected_gpu_hours(parameters: float, lines: int, epochs: int, tokens_per_line: float,
                       gpu: str = DEFAULT_GPU, utilisation: float = DEFAULT_UTILISATION) -> float:
    """GPU-hours the training arithmetic needs on ``gpu`` sustaining ``utilisation`` of its dense peak:
    what a quote should be near, give or take the start-up and evaluation it leaves out."""
    peak = _check_gpu(gpu)
    _check_utilisation(utilisation)
    flops = training_flops(parameters, tokens_trained(lines, epochs, tokens_per_line))
    return flops / (peak * 1e12 * utilisation) / 3600.0


@dataclass(frozen=True)
class QuoteCheck:
    """A quote beside the estimate for the same job (every number a plain float or int)."""
    parameters: float
    lines: int
    epochs: int
    batch_size: int
    tokens_per_line: float
    gpu: str
    utilisation: float
    tokens: float
    flops: float
    steps: int
    expected_gpu_hours: float
    expected_seconds_per_step: float
    quoted_gpu_hours: float
    quoted_seconds_per_step: float
    ratio: float  # quote / estimate: above 1, the quote bills more than the arithmetic needs


def quote_check(*, quoted_gpu_hours: float, parameters: float, lines: int, epochs: int, batch_size: int,
                tokens_per_line: float, gpu: str = DEFAULT_GPU,
                utilisation: float = DEFAULT_UTILISATION) -> QuoteCheck:
    """Set a quote's GPU-hours beside the estimate (:func:`expected_gpu_hours`), in total and per
    optimizer step: seconds a step is what a vendor's logs can show, so it is the figure to ask for."""
    _check_non_negative("quoted_gpu_hours", quoted_gpu_hours)
    _check_count("batch_size", batch_size)
    hours = expected_gpu_hours(parameters, lines, epochs, tokens_per_line, gpu, utilisation)
    tokens = tokens_trained(lines, epochs, tokens_per_line)
    steps = epochs * steps_per_epoch(lines, batch_size)
    return QuoteCheck(
        parameters=parameters, lines=lines, epochs=epochs, batch_size=batch_size, tokens_per_line=tokens_per_line,
        gpu=gpu, utilisation=utilisation, tokens=tokens, flops=training_flops(parameters, tokens), steps=steps,
        expected_gpu_hours=hours, expected_seconds_per_step=hours * 3600.0 / steps,
        quoted_gpu_hours=quoted_gpu_hours, quoted_seconds_per_step=quoted_gpu_hours * 3600.0 / steps,
        ratio=quoted_gpu_hours / hours,
    )


def brief_quote_check(tokens_per_line: float, *, gpu: str = DEFAULT_GPU, utilisation: float = DEFAULT_UTILISATION,
                      parameters: float = BRIEF["parameters"]) -> QuoteCheck:
    """:func:`quote_check` for the brief's job: its lines, batch size and 3.5 GPU-hours, over the 9 epochs
    the course's reading says were paid for (:func:`brief_reading`)."""
    return quote_check(quoted_gpu_hours=BRIEF["gpu_hours"], parameters=parameters, lines=BRIEF["train_examples"],
                       epochs=brief_reading()["paid_epochs"], batch_size=BRIEF["batch_size"],
                       tokens_per_line=tokens_per_line, gpu=gpu, utilisation=utilisation)


class QuoteRow(NamedTuple):
    tokens_per_line: float
    expected_gpu_hours: float
    expected_seconds_per_step: float
    quoted_seconds_per_step: float
    ratio: float


def brief_quote_table(tokens_per_line=(16, 32, 64, 128, 256, 512), *, gpu: str = DEFAULT_GPU,
                      utilisation: float = DEFAULT_UTILISATION) -> list[QuoteRow]:
    """The brief's quote against the estimate at each length a line might have (the brief gives none):
    one row per length, so a reader sees how short the lines must be for the quote to be fair."""
    lengths = list(tokens_per_line)
    if not lengths:
        raise ValueError("tokens_per_line must name at least one length, got none")
    rows = []
    for length in lengths:
        check = brief_quote_check(length, gpu=gpu, utilisation=utilisation)
        rows.append(QuoteRow(length, check.expected_gpu_hours, check.expected_seconds_per_step,
                             check.quoted_seconds_per_step, check.ratio))
    return rows


def _count_words(value: float) -> str:
    """125000000 -> "125 million": a count as a sentence says it."""
    from ..alt_text import number

    for size, word in ((1e9, "billion"), (1e6, "million")):
        if abs(value) >= size:
            return f"{number(value / size)} {word}"
    return number(value)


def quote_summary(check: QuoteCheck) -> str:
    """The check in one sentence, every number read off ``check``, labelled as the estimate it is."""
    from ..alt_text import number

    comparison = f"{number(check.ratio)} times that" if check.ratio >= 1 else f"only {number(check.ratio)} of that"
    return (f"Estimate (6 x parameters x tokens, at {check.tokens_per_line:,g} tokens a line, one "
            f"{check.gpu} at {number(100 * check.utilisation)}% of its dense 16-bit peak): "
            f"{_count_words(check.parameters)} parameters on {_count_words(check.tokens)} tokens "
            f"({check.lines:,} lines x {check.epochs} epochs) need {number(check.flops)} FLOPs, "
            f"{number(check.expected_gpu_hours)} GPU-hours or {number(check.expected_seconds_per_step)} s a step, "
            f"and the quote's {number(check.quoted_gpu_hours)} GPU-hours ({number(check.quoted_seconds_per_step)} "
            f"s a step) is {comparison}.")


TOKENS_PER_LINE_STOPS = (8, 16, 32, 64, 128, 256, 512, 1024)
PARAMETER_STOPS = (30e6, 60e6, 125e6, 350e6, 760e6, 1.3e9)


def quote_check_widget(*, tokens_per_line: int = 32, gpu: str = DEFAULT_GPU,
                       utilisation: float = DEFAULT_UTILISATION, parameters: float = BRIEF["parameters"]):
    """The brief's quote beside the estimate: the estimate's GPU-hours over tokens per line (log-log) on
    the chosen GPU and utilisation, the quote's 3.5 GPU-hours as a flat line, the gap at the chosen length.

    Both axes are logarithmic because the two differ by a factor, not by an amount. The limits are fixed
    from the controls' extremes, so the picture moves and the axes do not.
    """
    _check_positive("tokens_per_line", tokens_per_line)
    _check_gpu(gpu)
    _check_utilisation(utilisation)
    _check_positive("parameters", parameters)

    from ..alt_text import describe, number
    from ..controls import choice_dropdown, number_slider, stops_slider
    from ..display import make_widget, new_figure
    from ..style import COLORS, ROLE_COLORS

    lengths = sorted(set(TOKENS_PER_LINE_STOPS) | {tokens_per_line})
    sizes = sorted(set(PARAMETER_STOPS) | {parameters})
    quote = BRIEF["gpu_hours"]

    def hours(length, size, name, share):
        return brief_quote_check(length, gpu=name, utilisation=share, parameters=size).expected_gpu_hours

    slowest, fastest = min(GPU_PEAK_TFLOPS, key=GPU_PEAK_TFLOPS.get), max(GPU_PEAK_TFLOPS, key=GPU_PEAK_TFLOPS.get)
    low = min(hours(lengths[0], sizes[0], fastest, 0.6), quote)
    high = max(hours(lengths[-1], sizes[-1], slowest, 0.05), quote)

    fig, ax = new_figure(figsize=(8.8, 3.4))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lengths[0] / 1.3, lengths[-1] * 1.3)
    ax.set_ylim(10 ** math.floor(math.log10(low)), 10 ** (math.ceil(math.log10(high)) + 1))
    ax.set_xticks(lengths, [f"{length:g}" for length in lengths])
    ax.minorticks_off()
    ax.set_xlabel("tokens per line (the brief gives none)")
    ax.set_ylabel("GPU-hours")
    ax.axhline(quote, color=COLORS["vermillion"], linestyle="--")
    ax.text(lengths[0], quote * 1.4, f"the quote: {number(quote)} GPU-hours", color=COLORS["vermillion"], va="bottom")
    (estimate,) = ax.plot([], [], color=ROLE_COLORS["good"], marker="o", markersize=3)
    (gap,) = ax.plot([], [], color=COLORS["grey"], linestyle=":")
    (here,) = ax.plot([], [], color=ROLE_COLORS["good"], marker="o", markersize=8, linestyle="none")
    estimate_label = ax.text(lengths[-1], 1.0, "estimate", color=ROLE_COLORS["good"], ha="right", va="bottom")
    # the lower right corner: the estimate's lowest right end is more than two decades above the axis' floor
    gap_text = ax.text(0.98, 0.05, "", transform=ax.transAxes, ha="right", va="bottom")
    title = ax.set_title(" ", loc="left", fontsize=10)

    controls = {
        "tokens_per_line": stops_slider("tokens per line", lengths, tokens_per_line, label=lambda n: f"{n:g}"),
        "gpu": choice_dropdown("GPU", list(GPU_PEAK_TFLOPS), gpu),
        "utilisation": number_slider("share of peak", utilisation, 0.05, 0.6, 0.05),
        "parameters": stops_slider("parameters", sizes, parameters, label=_count_words),
    }

    def update(widget):
        c = {k: w.value for k, w in controls.items()}
        check = brief_quote_check(c["tokens_per_line"], gpu=c["gpu"], utilisation=c["utilisation"],
                                  parameters=c["parameters"])
        estimate.set_data(lengths, [hours(length, c["parameters"], c["gpu"], c["utilisation"]) for length in lengths])
        x, y = check.tokens_per_line, check.expected_gpu_hours
        here.set_data([x], [y])
        gap.set_data([x, x], [y, quote])
        end = estimate.get_ydata()[-1]
        below = end < quote < 6 * end  # just under the quote's line: the label goes under its own
        estimate_label.set_y(end / 1.5 if below else end * 1.5)
        estimate_label.set_verticalalignment("top" if below else "bottom")
        gap_text.set_text(f"at {x:,g} tokens a line the quote is {number(check.ratio)} x the estimate")
        title.set_text(f"{check.gpu} at {number(100 * check.utilisation)}% of its peak: "
                       f"{number(check.expected_seconds_per_step)} s a step estimated, the quote bills "
                       f"{number(check.quoted_seconds_per_step)} s")
        summary = quote_summary(check)
        describe(ax, summary)
        widget.state.update(check=check, summary=summary)
        widget.redraw()

    return make_widget(fig, controls, update, title="Checking the vendor's quote", columns=2,
                       summary=lambda widget: widget.state["summary"])
