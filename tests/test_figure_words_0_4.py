"""Lessons 0-4: every static figure says in words what it shows, computed from the numbers it draws.

Each figure is drawn on a small problem (Agg, no notebook); the test checks that its description
(coursekit.alt_text) names the result a sighted reader takes from it, with the numbers drawn.
The widgets' summaries are tested beside their widgets (test_coursekit_welcome.py, ...).
"""
import re
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

from coursekit import escape, gd_plots, lr_plots, minibatch_plots, optimizer_plots
from coursekit import gradient_descent as gd
from coursekit import minibatches as mb
from coursekit import optimizers as O
from coursekit.alt_text import description, figure_summary, gap_words, number
from coursekit.learning_rate import lr_compute
from coursekit.surfaces import RACE_SURFACES, get_surface
from coursekit.trajectories import trajectory

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def problems():
    return gd.lesson1_problems()


@pytest.fixture
def shown(monkeypatch):
    """Lesson 4's figure functions end with plt.show(): keep the figure each one showed."""
    figures = []
    monkeypatch.setattr(plt, "show", lambda: figures.append(plt.gcf()))
    return figures


# -- lesson 0 ----------------------------------------------------------------------------------------


def test_the_welcome_colour_figure_names_each_optimizer_with_its_colour():
    source = (ROOT / "course" / "00_welcome.md").read_text()
    cell = next(block for block in re.findall(r"```\{code-cell\} ipython3\n(.*?)```", source, re.S)
                if "The optimizer colours" in block)
    code = cell.split("---\n", 2)[-1]  # after the cell's metadata
    from coursekit.style import OPTIMIZER_COLORS, OPTIMIZER_LINESTYLES, label_axes

    names = {"np": np, "plt": plt, "OPTIMIZER_COLORS": OPTIMIZER_COLORS,
             "OPTIMIZER_LINESTYLES": OPTIMIZER_LINESTYLES, "label_axes": label_axes}
    exec(compile(code, "00_welcome.md", "exec"), names)
    words = description(names["ax"])
    assert words.startswith("Made-up falling loss curves, one per optimizer")
    assert "SGD black; Momentum blue; Nesterov sky blue, dashed;" in words and words.endswith("AdamW orange, dashed.")


# -- lesson 1 ----------------------------------------------------------------------------------------


def test_lesson1_figures_say_what_they_draw(problems):
    one, two = problems
    candidates = [0.0, 0.3, float(one.minimum[0])]
    from coursekit.datasets import diabetes

    ax_data, ax_loss = gd_plots.plot_candidates(diabetes(["bmi"]), one, candidates)
    assert "442 patients" in description(ax_data) and "w = 0, 0.3, 0.586" in description(ax_data)
    assert description(ax_loss) == (f"The loss against the weight is a bowl with its bottom at w = 0.586. Of the "
                                    f"candidates, w = 0.586 has the lowest loss, {number(one.min_loss)}, and w = 0 "
                                    f"the highest, {number(one.value([0.0]))}.")

    path = gd.gradient_descent(one, start=[-1.0], lr=0.1, steps=25)
    ax_path, ax_curve = gd_plots.plot_descent_1d(one, path)
    assert description(ax_path).startswith("25 gradient-descent steps at learning rate 0.1 on the one-weight bowl, "
                                           f"from w = -1 to w = {number(path.points[-1, 0])}")
    gaps = path.losses - one.min_loss
    factor = (gaps[-1] / gaps[0]) ** (1 / 25)  # one factor per step: the straight line of the log plot
    converged = gd.steps_to_reach(path.losses, one.min_loss + 1e-3 * gaps[0])
    assert description(ax_curve) == (f"The loss above its minimum, per step on a log scale, falls from "
                                     f"{number(gaps[0])} to {number(gaps[-1])} in 25 steps, by a factor of about "
                                     f"{number(factor, 2)} per step: down to 1/1000 of its start at step {converged}.")
    blown = gd.gradient_descent(one, start=[-1.0], lr=1.5, steps=25)
    _, ax_curve = gd_plots.plot_descent_1d(one, blown)
    assert description(ax_curve).endswith(f"the run diverged at step {blown.diverged_at}.")

    path2 = gd.gradient_descent(two, start=gd.START_2D, lr=0.1, steps=40)
    ax = gd_plots.plot_descent_2d(two, path2, start=gd.START_2D)
    assert "40 gradient-descent steps at learning rate 0.1, from (-1, 2)" in description(ax)
    assert f"the minimum is at ({number(two.minimum[0])}, {number(two.minimum[1])})" in description(ax)


def test_difference_errors_are_said_at_rounding_level_as_powers_of_ten():
    hs = np.array([1e-12, 1e-6, 1e-1])
    ax = gd_plots.plot_difference_errors(hs, np.array([8e-5, 1e-6, 0.1]), np.array([6e-5, 7e-11, 2e-16]))
    assert description(ax) == ("Error of the slope against the nudge size h, from 1.00e-12 to 0.1, both on log scales. "
                               "At h = 0.1 the forward difference is off by 0.1, the central difference by less than "
                               "1e-12. At h = 1.00e-12 rounding leaves both off by about 1e-4. At gradcheck's h = 1e-06 "
                               "(dashed line) the central difference is off by about 1e-10.")


def test_full_batch_fit_and_scaling_figures_name_their_ends():
    losses = np.array([1.6, 0.9, 0.5, 0.483])
    actual, predicted = np.array([100.0, 200.0, 300.0]), np.array([110.0, 190.0, 300.0])
    ax_loss, ax_fit = gd_plots.plot_full_batch_fit(losses, 0.482, actual, predicted, lr=0.1)
    assert description(ax_loss) == ("Full-batch gradient descent at learning rate 0.1: the training loss falls from 1.6 "
                                    "to 0.483 in 4 steps, against a best possible loss of 0.482 (dashed line).")
    assert "a typical error (root mean square) of 8.16 score points, on scores from 100 to 300" in description(ax_fit)
    ax = gd_plots.plot_scaling([2.0, 1.0, 0.5 + 1e-12], 0.5, [9.0, 8.0, 7.0], 1.0)
    assert description(ax).endswith("with standardised inputs it falls from 1.5 to less than 1e-09 in 3 steps, with raw "
                                    "inputs from 8 to 6 in 3 steps: the standardised inputs end closer to the best.")


# -- lesson 2 ----------------------------------------------------------------------------------------


def test_lesson2_figures_say_each_regime_and_the_cliff():
    bowl, valley = get_surface("bowl"), get_surface("valley")
    rates = {"right": 0.25, "far too large": 0.6}
    runs = {(s.key, name): lr_compute(s, lr, steps=30) for s in (bowl, valley) for name, lr in rates.items()}
    axes = lr_plots.plot_surfaces((bowl, valley))
    assert description(axes[1]) == ("Contour map of the ill-conditioned valley, loss 0.1·x1² + 2·x2²: the minimum is at "
                                    "(0, 0), the start at (-5, -2); it is 20 times as steep across as along.")
    axes = lr_plots.plot_path_grid(runs, (bowl, valley), rates, 30)
    words = figure_summary(axes[0, 0].figure)
    valley_blown = runs["valley", "far too large"].path
    assert words.startswith("30 steps of gradient descent from the same start")
    assert (f"Ill-conditioned valley: lr 0.25 (right) loss {number(runs['valley', 'right'].path.final_loss)}; lr 0.6 "
            f"(far too large) diverged at step {valley_blown.diverged_at}.") in words
    assert "Quadratic bowl: lr 0.25 (right) loss below 1e-12" in words  # under the log plot's floor
    axes = lr_plots.plot_loss_curves(runs, (bowl, valley), rates)
    assert f"lr 0.6 (far too large): diagnose says diverging, the run diverged at step {valley_blown.diverged_at}" in description(axes[1])

    sweep = np.array([0.01, 0.1, 0.4, 0.6, 0.9])
    finals = {"bowl": np.array([1.0, 0.1, 1e-5, np.nan, np.nan]), "valley": np.array([5.0, 1.0, 0.01, np.nan, np.nan])}
    ax = lr_plots.plot_final_loss_sweep(sweep, finals, (bowl, valley), 100, critical_lr=0.5)
    assert ("the quadratic bowl converges up to lr 0.4 and diverges from lr 0.6; the ill-conditioned valley converges "
            "up to lr 0.4 and diverges from lr 0.6. The dashed line marks 2/L = 0.5") in description(ax)
    costs = {"bowl": np.array([900.0, 80.0, 4.0, np.nan, np.nan]), "valley": np.array([np.nan, 700.0, 29.0, np.nan, np.nan])}
    ax = lr_plots.plot_steps_to_converge(sweep, costs, (bowl, valley), critical_lr=0.5)
    assert ("the quadratic bowl needs 900 steps at lr 0.01 and fewest, 4, at lr 0.4; the ill-conditioned valley needs "
            "fewest, 29, at lr 0.4.") in description(ax)


# -- lesson 3 ----------------------------------------------------------------------------------------


def test_lesson3_figures_say_what_they_measured(problems):
    axes = minibatch_plots.show_digits(np.zeros((4, 8, 8)), [3, 1, 4, 1], count=4)
    assert figure_summary(axes[0, 0].figure) == ("The first 4 training images, handwritten digits of 8 × 8 pixels in "
                                                 "two rows, labelled 3, 1, 4, 1.")

    sizes = np.array([1, 10, 100])
    noise = mb.GradientNoise(sizes, np.array([10.0, 0.95, 0.05]), 10.0, 1.0, 200, 50)
    ax = minibatch_plots.plot_gradient_noise(noise)
    off = np.max(np.abs(noise.variance / noise.predicted - 1))
    assert (f"falls from 10 at B = 1 to 0.05 at B = 100, within {number(100 * off, 2)}% of the prediction "
            "σ²/B × (N − B)/(N − 1) at every batch size. The plain σ²/B line (dashed) is 2 times higher at B = 100."
            ) in description(ax)

    def run(batch_size, losses):
        steps = np.arange(len(losses))
        return mb.MinibatchRun(batch_size, 0.5, 100 // batch_size, steps, np.array(losses), 0.9, None)

    runs = [run(1, [2.3, 1.0, 0.8, 1.2]), run(100, [2.3, 1.5, 0.9, 0.7])]
    ax_steps, ax_epochs = minibatch_plots.plot_steps_and_epochs(runs, 100)
    assert description(ax_steps).endswith("After 3 steps: batch 1 at 1.2, the full batch at 0.7.")
    assert description(ax_epochs) == ("The same runs per epoch (log scale). To first reach loss 0.8 (the lowest every "
                                      "run reached): batch 1 0.02 epochs, the full batch 3 epochs; batch 1 needs the "
                                      "fewest examples.")
    ax_step, ax_target = minibatch_plots.plot_step_cost([1, 16, 256], np.array([1e-4, 2e-4, 8e-4]),
                                                        np.array([0.05, 0.01, 0.02]), 0.5)
    assert "0.1 at batch 1, 0.8 at batch 256, 8 times as long for 256 times the examples" in description(ax_step)
    assert description(ax_target) == "Milliseconds to reach loss 0.5: fewest, 10, at batch 16; most, 50, at batch 1."

    two = problems[1]
    paths = [mb.minibatch_descent(two, b, lr=0.1, steps=40, seed=0) for b in (1, 16, len(two.y))]
    axes = minibatch_plots.plot_noisy_paths(two, paths)
    gaps = [gap_words(mb.stationary_gap(path, two)) for path in paths]
    assert figure_summary(axes[0].figure).endswith(
        f"batch 1 {gaps[0]}, batch 16 {gaps[1]}, the full batch (442) {gaps[2]}: the smaller the batch, the farther "
        "from the minimum its path jitters.")


def test_the_escape_figure_counts_the_seeds_in_the_better_valley():
    grid = escape.escape_grid(batch_sizes=(1, 256), lrs=(0.1,), steps=300, seeds=20)
    ax_loss, ax_path = escape.plot_escape(grid, lr=0.1, small=1)
    better, poor = escape.minima()
    assert f"the poor one (bottom at w = {number(poor)}" in description(ax_loss)
    assert f"beyond a ridge at w = {number(escape.ridge())}" in description(ax_loss)
    noisy = grid.runs[0.1, 1]
    assert description(ax_path).endswith(f"Of all 20 seeds with batch 1, {noisy.share_escaped:.0%} end in the better "
                                         "valley.")
    assert "the full batch ends at w = 0.96, in the poor valley, for every seed" in description(ax_path)


# -- lesson 4 ----------------------------------------------------------------------------------------


def test_lesson4_figures_say_the_race_results(shown):
    valley = get_surface("valley")
    paths = {name: trajectory(name, valley, steps=100, lr=0.03) for name in ("SGD", "Momentum")}
    optimizer_plots.plot_same_rate_paths(paths, valley, 0.03)
    target = 1e-3 * valley.loss(valley.start)
    assert figure_summary(shown[-1]).endswith(
        f"Steps to 1/1000 of the starting loss: SGD not in 100, Momentum {paths['Momentum'].steps_to(target)}.")

    sgd = np.full((10, 2), 0.1)
    adam = np.column_stack([np.full(10, 0.3), np.full(10, 0.03)])
    optimizer_plots.plot_effective_rates(sgd, adam, lr=0.1)
    assert figure_summary(shown[-1]).endswith("SGD gives both weights 0.1 at every step. Adam gives the flat weight x1 "
                                              "a median of 0.3 and the steep weight x2 0.03: 10 times more to the flat "
                                              "one.")

    races = {key: O.race_compute(key, ("SGD", "Adam"), steps=60) for key in RACE_SURFACES}
    optimizer_plots.plot_race_grid(races)
    words = figure_summary(shown[-1])
    for key in RACE_SURFACES:
        assert f"{get_surface(key).title}: {O.race_outcomes(key, races[key], brief=True)}" in words
    steps = {name: O.steps_to_target("valley", path) for name, path in races["valley"].items()}
    assert "Ill-conditioned valley: " + ", ".join(
        f"{name} {steps[name]}" if steps[name] else f"{name} never" for name in sorted(
            steps, key=lambda n: steps[n] or 10**9)) + "." in words

    groups = {"Adam + L2": (np.array([0.01, 1.0]), np.array([0.1, 0.9])),
              "AdamW": (np.array([0.01, 1.0]), np.array([0.95, 0.96]))}
    optimizer_plots.plot_decay_shrink(groups, weight_decay=0.1)
    assert figure_summary(shown[-1]).endswith("Adam + L2 from 0.1 to 0.9; AdamW from 0.95 to 0.96.")


def test_the_lr_sweep_figure_says_each_optimizers_best_rate_and_range():
    lrs = np.array([0.01, 0.1, 1.0, 10.0])
    sweep = {"SGD": np.array([2.0, 1.0, 1.05, np.inf]), "Adam": np.array([1.0, 1.0, 2.0, 4.0])}
    fig, ax = plt.subplots()
    O.plot_lr_sweep(ax, lrs, sweep, margin=0.1)
    decades = {name: O.good_lr_range(lrs, losses, 0.1)[2] for name, losses in sweep.items()}
    assert description(ax) == (
        "Validation loss against the learning rate, 0.01 to 10, both on log scales, each optimizer's good range shaded: "
        f"SGD, momentum 0.9: best 1 at lr 0.1, within 10% of that over {number(decades['SGD'], 2)} decades of rates; "
        f"Adam: best 1 at lr 0.01, within 10% of that over {number(decades['Adam'], 2)} decades of rates.")
