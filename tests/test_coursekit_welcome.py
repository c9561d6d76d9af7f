"""Lesson 0: gradient descent on a parabola and the first slider (coursekit.welcome)."""
import numpy as np

from coursekit import welcome


def test_descent_1d():
    ws, losses = welcome.descent_1d(lr=1.0, steps=3)
    np.testing.assert_allclose(ws, [-4.0, 0.0, 0.0, 0.0])  # lr = 1/curvature: one step to the bottom
    ws, _ = welcome.descent_1d(lr=2.5, steps=5)
    assert abs(ws[-1]) > abs(ws[0])  # |1 - 2.5| > 1: away from the minimum
    assert losses.shape == (4,)


def test_descent_demo():
    widget = welcome.descent_demo(interactive=False)
    widget.set(lr=2.2)
    assert widget.state["verdict"] == "moving away: far too large"
    widget.set(lr=1.0)
    assert widget.state["verdict"] == "reached the bottom"


def test_descent_demo_summary_says_the_rate_how_the_dots_move_and_where_they_end():
    from coursekit.alt_text import number

    widget = welcome.descent_demo(interactive=False)
    summary = widget.summary
    assert summary.startswith("Gradient descent on the parabola ½·w², learning rate 0.316, 12 steps from w = -4: "
                              "the dots roll down one side of the parabola.")
    assert summary.endswith(f"After 12 steps w = {number(widget.state['ws'][-1])} (reached the bottom).")
    assert widget.text() == f"Interactive figure: Your first slider (lr). {summary}"
    widget.set(lr=1.5)  # 1 < lr < 2: every step crosses the bottom
    assert "learning rate 1.5" in widget.summary and "(a zigzag)" in widget.summary
    widget.set(lr=2.2)  # past 2: each crossing lands farther out
    assert "each landing farther out: the run diverges" in widget.summary
    assert widget.summary.endswith(f"w = {number(widget.state['ws'][-1])} (moving away: far too large).")
    widget.set(lr=1.0)
    assert "reach the bottom, w = 0, and stay there" in widget.summary


def test_descent_demo_click_moves_the_start_and_the_code_line_recreates_it():
    import pytest

    widget = welcome.descent_demo(interactive=False)
    assert widget.code_line == "descent_demo(lr=0.316228, start=-4.0)"
    ax = widget.fig.axes[0]
    widget.click(ax, 2.5, 3.0)  # only the weight (x) matters: the ball sits on the parabola
    assert widget.state["start"] == 2.5 and widget.state["ws"][0] == 2.5
    assert widget.code_line == "descent_demo(lr=0.316228, start=2.5)"
    again = eval(widget.code_line, {"descent_demo": lambda **k: welcome.descent_demo(interactive=False, **k)})
    np.testing.assert_array_equal(again.state["ws"], widget.state["ws"])
    widget.click(ax, 5.4, 1.0)  # beyond the parabola drawn: the start stops at its end
    assert widget.state["start"] == 5.0
    with pytest.raises(ValueError, match=r"\[-5, 5\]"):
        welcome.descent_demo(start=7.0, interactive=False)
