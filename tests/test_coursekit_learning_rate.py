"""Lesson 2's learning-rate explorer and the computations behind it (coursekit.learning_rate)."""
import numpy as np
import pytest

from coursekit import learning_rate as LR
from coursekit.surfaces import get_surface


def test_lr_compute_names_each_regime_with_diagnose():
    valley = get_surface("valley")
    small = LR.lr_compute(valley, 0.001)
    good = LR.lr_compute(valley, 0.25)
    diverging = LR.lr_compute(valley, 0.6)
    assert small.label == "too slow" and LR.regime(valley, 0.001) == "too small"
    assert good.label == "healthy" and LR.regime(valley, 0.25) == "good"
    assert LR.regime(valley, 0.45) == "too large (zigzags)"
    assert diverging.label == "diverging" and LR.regime(valley, 0.6) == "far too large (diverges)"
    assert diverging.title() == f"lr 0.6 = 1.2 × 2/L: diverged at step {diverging.path.diverged_at}"
    assert good.ratio == pytest.approx(0.5)
    with pytest.raises(ValueError, match="Lipschitz"):
        LR.regime("rosenbrock", 0.01)


def test_steps_to_converge_has_a_wall_at_two_over_l():
    valley = get_surface("valley")
    lrs = np.array([0.01, 0.1, 0.25, 0.45, 0.49, 0.51, 1.0])
    _, steps = LR.steps_to_converge(valley, lrs)
    assert np.isfinite(steps[:5]).all() and np.isnan(steps[5:]).all()
    assert steps[0] > steps[1] > steps[2]  # below 1/L: larger is cheaper
    assert steps[4] > steps[3]  # just below 2/L: the zigzag costs steps again
    # the vectorised sweep agrees with single runs of the trajectory engine
    from coursekit.trajectories import trajectory
    target = 1e-3 * valley.loss(valley.start)
    assert steps[1] == trajectory("SGD", valley, steps=2000, lr=0.1).steps_to(target)


def test_lr_explorer_updates_in_place():
    widget = LR.lr_explorer(interactive=False)
    fig = widget.fig
    axes, lines = list(fig.axes), [list(ax.lines) for ax in fig.axes]
    assert widget.summary.startswith("Ill-conditioned valley, learning rate 0.1 = 0.2 × 2/L (2/L = 0.5): good. In 100 "
                                     "steps from (-5, -2) the loss above the minimum went from 10.5 to 0.044; "
                                     "diagnose reads the loss curve as healthy.")
    cost = widget.state["cost_steps"]  # the cost curve's dot: steps to converge at the nearest swept rate
    assert widget.summary.endswith(f"a rate about this size needs {cost:.0f} steps to converge.")
    widget.set(lr=0.6)
    assert widget.state["regime"] == "far too large (diverges)"
    assert widget.state["run"].path.diverged
    assert "diverged at step" in fig.axes[1].get_title()
    assert (f"learning rate 0.6 = 1.2 × 2/L (2/L = 0.5): far too large (diverges). The run from (-5, -2) diverged at "
            f"step {widget.state['run'].path.diverged_at}; diagnose reads the loss curve as diverging. Past the wall "
            "at 2/L no rate converges.") in widget.summary
    widget.set(lr=0.001)
    assert widget.state["run"].label == "too slow"
    assert "too small" in widget.summary and f"needs more than {LR.COST_MAX_STEPS} steps" in widget.summary
    assert list(fig.axes) == axes and [list(ax.lines) for ax in fig.axes] == lines  # nothing re-created
    widget.set(surface="bowl")
    assert "bowl" in fig.axes[0].get_title().lower()
    assert widget.summary.startswith("Quadratic bowl, learning rate 0.001")


def test_lr_explorer_click_moves_the_start_and_the_code_line_recreates_it():
    from coursekit.learning_rate import lr_explorer

    widget = lr_explorer(interactive=False)
    widget.click(widget.fig.axes[0], 1.0, 2.5)
    run = widget.state["run"]
    np.testing.assert_array_equal(run.path.points[0], [1.0, 2.5])
    assert widget.code_line == "lr_explorer(surface='valley', lr=0.1, start=(1.0, 2.5))"
    again = eval(widget.code_line, {"lr_explorer": lambda **k: lr_explorer(interactive=False, **k)})
    np.testing.assert_array_equal(again.state["run"].path.points, run.path.points)
    widget.set(surface="bowl")
    assert widget.state["start"] == (-5.0, -2.0)  # the bowl's own start
