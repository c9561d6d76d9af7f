"""Lessons 5-9: every figure says in words what it shows (coursekit.alt_text), computed from what it draws.

A static figure's words come from the function that draws it (``describe``); a widget's summary comes
from its state and changes with it. These tests feed the plot functions runs made by hand (no training),
so that each number in the words can be checked against the data drawn. The widgets of lessons 6-8 are
checked where tests/test_lessons_678.py builds them, the case study's plots in tests/test_casestudy_report.py.
"""
import math

import numpy as np
import pytest
from matplotlib.figure import Figure

from coursekit import schedules as sch
from coursekit.alt_text import description, figure_summary, number
from coursekit.casestudy import clipping_study as gpt
from coursekit.casestudy import cost
from coursekit.datasets import digits
from test_lessons_678 import assert_fits_a_laptop_column


def axes(ncols=1):
    return Figure().subplots(1, ncols)


# ---------------------------------------------------------------- lesson 5: schedules


def test_rate_words_name_the_start_the_peak_and_the_end():
    assert sch.rate_words(sch.lr_curve("constant", 100, 0.05)) == "stays at 0.05"
    step = sch.rate_words(sch.lr_curve("step", 300, 0.05))
    assert step.startswith("starts at its peak 0.05") and "in 2 drops" in step and step.endswith("5.0e-04")
    warm = sch.lr_curve("warmup_cosine", 300, 0.05)
    words = sch.rate_words(warm)
    assert f"to 0.05 by step {int(np.argmax(warm)) + 1}" in words and "near zero" in words


def test_the_seven_schedules_figure_names_every_schedule_s_shape():
    fig = Figure()
    grid = fig.subplots(2, 4)
    sch.plot_schedule_shapes(grid, 300, 0.05)
    words = figure_summary(fig)
    assert words.startswith("The learning rate of each of 300 steps under seven schedules, peak 0.05")
    for kind in sch.SCHEDULE_KEYS:
        assert f"{sch.SCHEDULE_LABELS[kind]}: the rate {sch.rate_words(sch.lr_curve(kind, 300, 0.05))}" in words
    assert not grid[1, 3].axison  # the spare axes is switched off


def fake_run(kind, peak, losses, *, val_loss=0.5, diverged_at=None, steps=None):
    losses = np.asarray(losses, dtype=float)
    lrs = sch.lr_curve(kind, steps or len(losses), peak)
    return sch.ScheduleRun(kind, peak, sch.USUAL_WARMUP[kind], lrs, losses, 0.1, val_loss, 0.9, diverged_at)


def test_lesson_5_training_figure_says_which_run_ends_lowest_and_which_diverged():
    good = fake_run("cosine", 0.05, np.linspace(2.0, 0.01, 50))
    flat = fake_run("constant", 0.05, np.full(50, 0.9))
    broken = fake_run("step", 0.05, [2.0] * 10 + [math.nan] * 40, diverged_at=11)
    ax_lr, ax_loss = axes(2)
    sch.plot_rates_and_losses(ax_lr, ax_loss, [good, flat, broken])
    words = description(ax_loss)
    assert f"lowest for cosine annealing ({number(good.smoothed_losses[-1], 2)})" in words
    assert "highest for constant (0.9)" in words and "step decay diverged at step 11" in words
    assert description(ax_lr).startswith("The learning rate of each step: cosine annealing: the rate starts at its peak 0.05")


def test_lesson_5_sweep_figure_names_each_schedule_s_best_peak():
    peaks = (0.003, 0.03, 0.3)
    sweep = {"constant": [fake_run("constant", p, [1.0] * 5, val_loss=v) for p, v in zip(peaks, (0.4, 0.2, 0.9))],
             "cosine": [fake_run("cosine", p, [1.0] * 5, val_loss=v) for p, v in zip(peaks, (0.5, 0.3, 0.1))]}
    ax = axes()
    sch.plot_peak_sweep(ax, sweep)
    words = description(ax)
    assert "from 0.003 to 0.3" in words
    assert "constant: lowest, 0.2, at peak 0.03, 0.9 at 0.3" in words
    assert "cosine annealing: lowest, 0.1, at peak 0.3" in words


def test_lesson_5_first_steps_figure_names_each_run_s_highest_loss():
    jump = fake_run("constant", 0.3, [2.3, 9.0, 14.0, 3.0] + [2.3] * 96)
    calm = fake_run("warmup_cosine", 0.3, [2.3, 2.2, 2.0] + [1.5] * 97)
    ax = axes()
    sch.plot_first_steps(ax, [jump, calm], steps=60)
    words = description(ax)
    assert "first 60 steps" in words and "(2.3)" in words  # ln 10, the loss of guessing
    assert "constant, peak 0.3: highest 14 at step 3, 2.3 at step 60" in words
    assert "linear warmup, then cosine, peak 0.3: highest 2.3 at step 1, 1.5 at step 60" in words


@pytest.fixture(scope="module")
def small_explorer():
    """The explorer over a grid of four 40-step runs (two schedules, two peaks), trained at once."""
    data = digits(val_fraction=0.2, seed=0)
    grid = sch.train_schedules(data, [(k, 0.0, p) for k in ("constant", "cosine") for p in (0.03, 0.3)],
                               total_steps=40)
    return sch.schedule_explorer(data, kind="cosine", warmup_fraction=0.0, peak_lr=0.03, total_steps=40, grid=grid,
                                 interactive=False)


def test_the_schedule_explorer_s_summary_follows_its_controls(small_explorer):
    widget = small_explorer
    widget.set(schedule="cosine", peak_lr=0.03)
    first = widget.summary
    run, reference = widget.state["run"], widget.state["reference"]
    assert first.startswith("Cosine annealing, peak learning rate 0.03, warmup 0% of 40 steps: the rate starts at "
                            "its peak 0.03")
    assert f"({widget.state['verdict'].label}) ends at training loss {number(run.final_train_loss, 2)}" in first
    assert f"The constant rate at the same peak (grey) ends at {number(reference.final_train_loss, 2)}" in first
    widget.set(peak_lr=0.3)
    assert widget.summary != first and "peak learning rate 0.3" in widget.summary
    widget.set(schedule="constant")  # the run is its own reference: no grey line to name
    assert widget.summary.startswith("Constant, peak learning rate 0.3") and "the rate stays at 0.3" in widget.summary
    assert "grey" not in widget.summary
    assert widget.text().endswith(widget.summary)


def test_the_schedule_explorer_fits_a_laptop_column(small_explorer):
    widget = small_explorer
    for setting in ({"schedule": "cosine", "peak_lr": 0.03}, {"schedule": "constant", "peak_lr": 0.3}):
        widget.set(**setting)  # the second: diagnose's longest verdict, five lines under the panels
        assert_fits_a_laptop_column(widget)


# ---------------------------------------------------------------- lesson 8: the case study's GPT


def test_gpt_traces_say_where_each_run_ends_and_how_often_clipping_bit():
    steps = np.arange(40)
    runs = [gpt.GPTRun(0.001, None, 0, 5.0 - 0.05 * steps, np.full(40, 0.8)),
            gpt.GPTRun(0.03, None, 0, np.full(40, 6.0), np.where(steps % 4 == 0, 30.0, 2.0)),
            gpt.GPTRun(0.03, 1.0, 0, np.full(40, 4.0), np.where(steps < 10, 0.5, 3.0))]
    ax_loss, ax_norm = axes(2)
    gpt.plot_gpt_traces(ax_loss, ax_norm, runs)
    loss, norm = description(ax_loss), description(ax_norm)
    assert loss.startswith("Training loss of the small GPT over 40 steps")
    assert f"lr 0.001, no clipping: from 5 at the first step to {number(runs[0].final_loss, 2)}" in loss
    assert "lr 0.03, clip by norm at 1: from 4 at the first step to 4" in loss
    assert "lr 0.03, no clipping: median 2, largest 30" in norm
    assert "lr 0.03, clip by norm at 1: median 3, largest 3, above the threshold 1 on 75% of the steps" in norm


# ---------------------------------------------------------------- lesson 9: the cost calculator


def test_the_cost_calculator_s_summary_reads_its_bars():
    widget = cost.cost_widget(**cost.BRIEF_READING)
    first = widget.summary
    assert first == ("Full plan: 10 epochs, 2,630 steps, 3.89 GPU-hours, $3.31 (263 steps per epoch). With early "
                     "stopping: 9 epochs, 2,367 steps, 3.50 GPU-hours, $2.98, 10% less.")
    widget.set(patience=0)
    assert "With early stopping: 7 epochs" in widget.summary and "30% less" in widget.summary
    widget.set(early_stopping=False)
    assert widget.summary.endswith("Early stopping is off: it costs the same.")
    widget.set(price=1.7)
    assert "$6.61" in widget.summary  # the full plan at twice the price


def test_the_cost_calculator_fits_a_laptop_column():
    widget = cost.cost_widget(**cost.BRIEF_READING)
    assert_fits_a_laptop_column(widget)
    # the longest bill beside its bar; an axis that ends on a tick (2.1 x $47.62 = $100)
    for setting in ({"gpu_hours_per_epoch": 3.0, "price": 5.0, "planned_epochs": 30, "batch_size": 1},
                    {"gpu_hours_per_epoch": 1.0, "price": 1.6, "planned_epochs": 30, "batch_size": 16}):
        widget.set(**setting)
        assert_fits_a_laptop_column(widget)
