"""The keyboard's route to what the mouse does, on every course figure that takes clicks: the arrow
keys of a focused figure move its start point (the phase map: its marked setting) as a click would.
The browser half (Tab reaches the figure, ipympl hears the keys, Tab leaves again) is in
tests/browser/test_lab.py."""
import pytest

from coursekit.gradient_descent import descent_explorer
from coursekit.learning_rate import lr_explorer
from coursekit.optimizers import optimizer_race
from coursekit.phase_map import momentum_phase_map
from coursekit.welcome import descent_demo


@pytest.mark.parametrize("build, read", [
    (lambda: descent_demo(interactive=False), lambda w: (w.state["start"], 0.0)),
    (lambda: lr_explorer(steps=20, interactive=False), lambda w: tuple(w.state["start"])),
    (lambda: optimizer_race(steps=30, interactive=False), lambda w: tuple(w.state["start"])),
], ids=["welcome", "lr_explorer", "race"])
def test_right_then_up_moves_the_start_right_then_up(build, read):
    widget = build()
    x0, y0 = read(widget)
    widget.key("right")
    x1, y1 = read(widget)
    assert x1 > x0 and y1 == pytest.approx(y0)
    if widget.state.get("surface") is None:  # the welcome's start lies on the parabola: x only
        return
    widget.key("up")
    x2, y2 = read(widget)
    assert x2 == pytest.approx(x1) and y2 > y1
    assert "arrow keys move the start point" in widget.figure_label


def test_the_explorer_s_keys_move_the_one_weight_start_then_n_the_two_weight_start():
    widget = descent_explorer(interactive=False)
    one, two = widget.state["start_1d"], widget.state["start"]
    widget.key("right")
    assert widget.state["start_1d"] > one and widget.state["start"] == two
    widget.key("n").key("shift+down")
    assert widget.state["start"][1] < two[1] and widget.state["start"][0] == two[0]
    assert "the N key switches to the next point" in widget.figure_label


def test_the_phase_map_s_keys_pick_a_setting_as_a_click_on_the_map_does():
    widget = momentum_phase_map(steps=30, interactive=False)
    lr, beta = widget.controls["lr"].value, widget.controls["momentum"].value
    widget.key("right")
    assert widget.controls["lr"].value > lr and widget.controls["momentum"].value == beta
    widget.key("down")
    assert widget.controls["momentum"].value < beta
    assert "the marked setting on the map" in widget.figure_label
