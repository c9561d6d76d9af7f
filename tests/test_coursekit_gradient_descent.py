"""Lesson 1's descent explorer: clicks move the starts, the code line recreates the widget."""
import numpy as np
import pytest

from coursekit.gradient_descent import START_2D, descent_explorer


def test_clicks_move_each_plots_start_and_the_code_line_recreates_them():
    widget = descent_explorer(interactive=False)
    assert widget.code_line == "descent_explorer(lr=0.1, steps=20, start=(-1.0, 2.0))"
    one_weight, two_weights, distance = widget.fig.axes
    widget.click(two_weights, 0.5, -0.5)
    widget.click(one_weight, 2.0, 3.0)
    assert widget.state["path_2d"].points[0].tolist() == [0.5, -0.5]
    assert widget.state["path_1d"].points[0].tolist() == [2.0]
    widget.click(distance, 10, 1e-3)  # the distance plot has no start: nothing moves
    assert widget.state["start"] == (0.5, -0.5)
    line = widget.code_line
    assert line == "descent_explorer(lr=0.1, steps=20, start=(0.5, -0.5), start_1d=2.0)"
    again = eval(line, {"descent_explorer": lambda **k: descent_explorer(interactive=False, **k)})
    np.testing.assert_array_equal(again.state["path_2d"].points, widget.state["path_2d"].points)
    np.testing.assert_array_equal(again.state["path_1d"].points, widget.state["path_1d"].points)


def test_a_start_outside_the_plots_is_refused_with_the_range():
    with pytest.raises(ValueError, match=r"w_bmi in \[-1.6, 2\]"):
        descent_explorer(start=(5.0, 0.0), interactive=False)
    with pytest.raises(ValueError, match=r"start_1d must lie in \[-1.6, 2.8\]"):
        descent_explorer(start=START_2D, start_1d=9.0, interactive=False)
