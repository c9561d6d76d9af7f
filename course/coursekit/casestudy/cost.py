"""Training cost arithmetic: GPU-hours times the hourly price, and the epochs early stopping saves.

The brief's figures, as quoted reference values: 3.5 GPU-hours at $0.85 per GPU-hour is
$2.975, which rounds to $2.98. :func:`training_cost` is that multiplication;
:func:`plan_cost` builds GPU-hours from epochs, steps and seconds per step, with or without
early stopping; :func:`cost_widget` puts it on sliders.
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
]

# The brief's case, quoted for reference (not our measurements).
BRIEF = dict(
    gpu_hours=3.5, price_per_gpu_hour=0.85, cost=2.98, train_examples=4200, batch_size=16,
    planned_epochs=10, best_epoch=7, patience=2, time_saved_percent=40, quality_gain_points=14,
    on_brand_fine_tuned=87, on_brand_base=58, on_brand_rules=73,
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


def cost_widget(*, gpu_hours_per_epoch: float = BRIEF["gpu_hours"] / BRIEF["best_epoch"],
                price_per_gpu_hour: float = BRIEF["price_per_gpu_hour"],
                planned_epochs: int = BRIEF["planned_epochs"],
                examples: int = BRIEF["train_examples"], batch_size: int = BRIEF["batch_size"],
                early_stopping: bool = True, best_epoch: int = BRIEF["best_epoch"],
                patience: int = 0):
    """Sliders for the cost arithmetic; bars compare the full plan with early stopping.

    The defaults reproduce the brief: 7 epochs x 0.5 GPU-hours x $0.85 = $2.975 ~ $2.98
    (patience 0 here counts only the epochs kept, as the brief does; raise it to see the
    epochs that patience adds).
    """
    import ipywidgets as widgets

    from ..display import make_widget, new_figure
    from ..style import COLORS, ROLE_COLORS
    from ..widgets import batch_size_slider

    fig, ax = new_figure(figsize=(8, 3.2))
    labels = ["full plan", "early stopping"]
    bars = ax.barh(labels, [0.0, 0.0], color=[COLORS["grey"], ROLE_COLORS["good"]])
    ax.set_xlabel("training cost ($)")
    texts = [ax.text(0, i, "", va="center", ha="left") for i in range(2)]
    title = ax.set_title(" ", loc="left", fontsize=10)
    ax.invert_yaxis()

    style = {"description_width": "initial"}
    controls = {
        "gpu_hours_per_epoch": widgets.FloatSlider(value=gpu_hours_per_epoch, min=0.05, max=3.0,
                                                   step=0.05, description="GPU-hours per epoch",
                                                   style=style),
        "price": widgets.FloatSlider(value=price_per_gpu_hour, min=0.1, max=5.0, step=0.05,
                                     description="$ per GPU-hour", style=style),
        "planned_epochs": widgets.IntSlider(value=planned_epochs, min=1, max=30,
                                            description="planned epochs", style=style),
        "batch_size": batch_size_slider(batch_size, 1, 512),
        "early_stopping": widgets.Checkbox(value=early_stopping, description="early stopping"),
        "best_epoch": widgets.IntSlider(value=best_epoch, min=1, max=30,
                                        description="best epoch", style=style),
        "patience": widgets.IntSlider(value=patience, min=0, max=10, description="patience",
                                      style=style),
    }
    state: dict = {}

    def update(*_):
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
        state.update(full=full, stopped=stopped, steps_per_epoch=steps, saved_percent=saved)
        fig.canvas.draw_idle()

    update()
    result = make_widget(fig, controls, title="Training cost calculator", columns=3)
    result.state = state
    for w in controls.values():
        w.observe(update, names="value")
    return result
