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
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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
]

# The brief's case, quoted for reference (not our measurements).
BRIEF = dict(
    gpu_hours=3.5, price_per_gpu_hour=0.85, cost=2.98, train_examples=4200, batch_size=16,
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
