"""Widgets: controls with safe ranges, compute functions, in-place updates, divergence shown."""
import math

import numpy as np
import pytest

from coursekit import widgets as W
from coursekit.surfaces import get_surface


# -- controls -------------------------------------------------------------------------------


def test_log_slider_spans_decades():
    slider = W.log_slider("lr", 0.01, 1e-4, 10.0)
    assert (slider.base, slider.min, slider.max) == (10, -4.0, 1.0)
    assert slider.value == pytest.approx(0.01) and slider.continuous_update
    with pytest.raises(ValueError, match="min < max"):
        W.log_slider("lr", 0.1, 0.0, 1.0)
    with pytest.raises(ValueError, match="outside"):
        W.log_slider("lr", 5.0, 1e-3, 1.0)


@pytest.mark.parametrize("value, low, steps_per_decade", [(0.03, 1e-5, 20), (0.0016, 1e-5, 20), (0.5, 1e-3, 10)])
def test_log_slider_starts_on_one_of_its_stops(value, low, steps_per_decade):
    # The browser snaps a value between stops and sends it back, redrawing the figure unasked.
    slider = W.log_slider("lr", value, low, 2.0, steps_per_decade=steps_per_decade)
    position = (math.log10(slider.value) - slider.min) / slider.step
    assert position == pytest.approx(round(position), abs=1e-9)
    assert abs(math.log10(slider.value) - math.log10(value)) <= slider.step / 2 + 1e-12


def test_switching_the_race_surface_moves_the_rates_to_slider_stops():
    race = W.optimizer_race("bowl", steps=20, interactive=False)
    race.set(surface="valley")  # its suggested rates (0.03, 0.1) are not all stops of a 20-per-decade slider
    for name in ("lr", "adaptive_lr"):
        slider = race.controls[name]
        position = (math.log10(slider.value) - slider.min) / slider.step
        assert position == pytest.approx(round(position), abs=1e-9), (name, slider.value)


def test_batch_size_slider_offers_powers_of_two():
    slider = W.batch_size_slider(32, 1, 512)
    assert [value for _, value in slider.options] == [2**k for k in range(10)]
    assert slider.value == 32
    with pytest.raises(ValueError, match="power of two"):
        W.batch_size_slider(48)


def test_clip_slider_is_log_scaled_with_off_at_the_end():
    slider = W.clip_slider(1.0, 0.1, 10.0)
    values = [value for _, value in slider.options]
    assert values == [0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, math.inf]
    assert slider.options[-1][0] == "off"
    assert W.clip_threshold(slider.value) == 1.0
    slider.value = math.inf  # "off" is a legal position
    assert W.clip_threshold(slider.value) is None
    assert W.clip_slider(math.inf).label == "off"
    with pytest.raises(ValueError, match="not one of"):
        W.clip_slider(3.0)
    assert math.inf not in [v for _, v in W.clip_slider(1.0, off=False).options]


def test_other_controls_keep_values_legal():
    assert W.momentum_slider().max < 1
    assert all(0 <= value < 1 for _, value in W.beta2_slider().options)
    warmup = W.warmup_slider(0.1)
    assert (warmup.min, warmup.max, warmup.readout_format) == (0.0, 0.5, ".0%")
    assert W.schedule_dropdown("cosine").value == "cosine"
    assert set(W.schedule_dropdown().options) == set(W.SCHEDULES.items())
    boxes = W.optimizer_checkboxes(["adam", "SGD"])
    assert [name for name, box in boxes.items() if box.value] == ["SGD", "Adam"]
    assert W.surface_dropdown("beale").value == "beale"
    for bad in (lambda: W.momentum_slider(1.0), lambda: W.beta2_slider(0.5), lambda: W.warmup_slider(0.8),
                lambda: W.schedule_dropdown("linear"), lambda: W.surface_dropdown("bowl", ["valley"])):
        with pytest.raises(ValueError):
            bad()


# -- compute functions ------------------------------------------------------------------------


def test_race_settings_give_each_optimizer_only_what_it_uses():
    settings = W.race_settings(("SGD", "Nesterov", "RMSProp", "AdamW"), lr=0.01, adaptive_lr=0.2,
                               momentum=0.5, betas=(0.8, 0.99), weight_decay=0.1)
    assert settings == {
        "SGD": {"lr": 0.01},
        "Nesterov": {"lr": 0.01, "momentum": 0.5},
        "RMSProp": {"lr": 0.2},
        "AdamW": {"lr": 0.2, "betas": (0.8, 0.99), "weight_decay": 0.1},
    }
    with pytest.raises(ValueError, match="momentum"):
        W.race_settings(momentum=1.0)


def test_race_compute_uses_surface_defaults():
    paths = W.race_compute("valley")
    assert list(paths) == list(W.DEFAULT_RACE)
    for path in paths.values():
        assert path.points.shape == (301, 2)
        assert path.hyperparams["lr"] == get_surface("valley").default_lr[
            "sgd" if path.name in W.SGD_FAMILY else "adaptive"]


@pytest.mark.parametrize("key", ["valley", "tilted-valley", "rosenbrock", "beale", "saddle", "noisy"])
def test_default_race_settings_never_diverge(key):
    paths = W.race_compute(key, ("SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam", "AdamW"))
    assert not any(path.diverged for path in paths.values())
    start_loss = get_surface(key).loss(get_surface(key).start)
    assert min(path.final_loss for path in paths.values()) < 0.5 * start_loss


def test_lr_compute_names_each_regime_with_diagnose():
    valley = get_surface("valley")
    small = W.lr_compute(valley, 0.001)
    good = W.lr_compute(valley, 0.25)
    diverging = W.lr_compute(valley, 0.6)
    assert small.label == "too slow" and W.regime(valley, 0.001) == "too small"
    assert good.label == "healthy" and W.regime(valley, 0.25) == "good"
    assert W.regime(valley, 0.45) == "too large (zigzags)"
    assert diverging.label == "diverging" and W.regime(valley, 0.6) == "far too large (diverges)"
    assert diverging.title() == f"lr 0.6 = 1.2 × 2/L: diverged at step {diverging.path.diverged_at}"
    assert good.ratio == pytest.approx(0.5)
    with pytest.raises(ValueError, match="Lipschitz"):
        W.regime("rosenbrock", 0.01)


def test_steps_to_converge_has_a_wall_at_two_over_l():
    valley = get_surface("valley")
    lrs = np.array([0.01, 0.1, 0.25, 0.45, 0.49, 0.51, 1.0])
    _, steps = W.steps_to_converge(valley, lrs)
    assert np.isfinite(steps[:5]).all() and np.isnan(steps[5:]).all()
    assert steps[0] > steps[1] > steps[2]  # below 1/L: larger is cheaper
    assert steps[4] > steps[3]  # just below 2/L: the zigzag costs steps again
    # the vectorised sweep agrees with single runs of the trajectory engine
    from coursekit.trajectories import trajectory
    target = 1e-3 * valley.loss(valley.start)
    assert steps[1] == trajectory("SGD", valley, steps=2000, lr=0.1).steps_to(target)


def test_descent_1d():
    ws, losses = W.descent_1d(lr=1.0, steps=3)
    np.testing.assert_allclose(ws, [-4.0, 0.0, 0.0, 0.0])  # lr = 1/curvature: one step to the bottom
    ws, _ = W.descent_1d(lr=2.5, steps=5)
    assert abs(ws[-1]) > abs(ws[0])  # |1 - 2.5| > 1: away from the minimum
    assert losses.shape == (4,)


# -- widgets ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def race_widget():
    return W.optimizer_race(interactive=False)


def test_race_widget_default_state(race_widget):
    state = race_widget.state
    assert list(state["paths"]) == list(W.DEFAULT_RACE)
    assert state["surface"] == "valley"
    png = race_widget.png()
    assert png.startswith(b"\x89PNG")
    bundle = race_widget._repr_mimebundle_()
    assert set(bundle) == {"image/png", "text/plain"}  # no kernel here: no widget view
    assert bundle["text/plain"].startswith("Interactive figure: Optimizer race")


def test_race_widget_reruns_only_what_a_control_affects(race_widget):
    race_widget.set(beta1=0.8)
    assert race_widget.state["computed"] == ("Adam",)
    race_widget.set(momentum=0.5)
    assert race_widget.state["computed"] == ("Momentum", "Nesterov")
    race_widget.set(AdamW=True)
    assert race_widget.state["computed"] == ("AdamW",)
    race_widget.set(SGD=False)
    assert "SGD" not in race_widget.state["paths"] and race_widget.state["computed"] == ()
    race_widget.set(SGD=True, momentum=0.9, beta1=0.9, AdamW=False)


def test_race_widget_shows_divergence_as_a_label(race_widget):
    race_widget.set(lr=1.0)  # far above 2/L = 0.5 for the SGD family
    status = race_widget.state["status"]
    assert status["SGD"].startswith("SGD: diverged at step")
    notes = [t.get_text() for t in race_widget.fig.axes[0].texts if t.get_visible() and t.get_text()]
    assert any(note.startswith("SGD: diverged at step") for note in notes)
    race_widget.set(lr=get_surface("valley").default_lr["sgd"])
    assert not any(t.get_text() for t in race_widget.fig.axes[0].texts)


def test_race_widget_surface_switch_resets_rates(race_widget):
    race_widget.set(surface="rosenbrock")
    assert race_widget.controls["lr"].value == pytest.approx(get_surface("rosenbrock").default_lr["sgd"])
    assert race_widget.state["surface"] == "rosenbrock"
    race_widget.set(surface="valley")


def test_fast_redraw_paints_the_same_pixels_as_a_full_draw(race_widget):
    canvas = race_widget.fig.canvas
    fast = race_widget.fig._coursekit_fast_redraw
    canvas.draw()  # the first frame, as a browser asks for it: the picture a blit starts from
    fast_draws = fast.fast_draws
    race_widget.set(adaptive_lr=0.05)
    assert fast.fast_draws == fast_draws + 1
    blitted = np.asarray(canvas.buffer_rgba()).copy()
    canvas.draw()
    np.testing.assert_array_equal(blitted, np.asarray(canvas.buffer_rgba()))
    race_widget.set(adaptive_lr=0.1)


def test_a_layout_pass_never_becomes_the_picture_a_blit_restores():
    # freeze_layout clears the canvas and paints nothing; blitting over that showed only the
    # moving artists on a transparent figure (a blank widget in the browser).
    widget = W.optimizer_race(interactive=False)  # built with freeze_layout after its first draw
    fast = widget.fig._coursekit_fast_redraw
    widget.set(adaptive_lr=0.05)
    assert np.asarray(widget.fig.canvas.buffer_rgba())[..., 3].min() == 255  # an opaque, whole figure
    assert fast.full_draws == 2  # the move after the layout pass drew in full


def test_lr_explorer_updates_in_place():
    widget = W.lr_explorer(interactive=False)
    fig = widget.fig
    axes, lines = list(fig.axes), [list(ax.lines) for ax in fig.axes]
    widget.set(lr=0.6)
    assert widget.state["regime"] == "far too large (diverges)"
    assert widget.state["run"].path.diverged
    assert "diverged at step" in fig.axes[1].get_title()
    widget.set(lr=0.001)
    assert widget.state["run"].label == "too slow"
    assert list(fig.axes) == axes and [list(ax.lines) for ax in fig.axes] == lines  # nothing re-created
    widget.set(surface="bowl")
    assert "bowl" in fig.axes[0].get_title().lower()


def test_descent_demo():
    widget = W.descent_demo(interactive=False)
    widget.set(lr=2.2)
    assert widget.state["verdict"] == "moving away: far too large"
    widget.set(lr=1.0)
    assert widget.state["verdict"] == "reached the bottom"
