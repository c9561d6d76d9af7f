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
