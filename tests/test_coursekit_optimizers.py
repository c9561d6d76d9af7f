"""Lesson 4 (coursekit.optimizers): the optimizer race, and the measurements behind the lesson
(effective step sizes, saddle escape, weight decay per gradient size)."""
import math

import numpy as np
import pytest

from coursekit import optimizers as O
from coursekit.optimizers import DigitRun, decay_versus_gradient, effective_step_sizes, escape_step
from coursekit.surfaces import get_surface
from coursekit.trajectories import trajectory


# -- the race ---------------------------------------------------------------------------------


def test_switching_the_race_surface_moves_the_rates_to_slider_stops():
    race = O.optimizer_race("bowl", steps=20, interactive=False)
    race.set(surface="valley")  # its suggested rates (0.03, 0.1) are not all stops of a 20-per-decade slider
    for name in ("lr", "adaptive_lr"):
        slider = race.controls[name]
        position = (math.log10(slider.value) - slider.min) / slider.step
        assert position == pytest.approx(round(position), abs=1e-9), (name, slider.value)


def test_race_settings_give_each_optimizer_only_what_it_uses():
    settings = O.race_settings(("SGD", "Nesterov", "RMSProp", "AdamW"), lr=0.01, adaptive_lr=0.2,
                               momentum=0.5, betas=(0.8, 0.99), weight_decay=0.1)
    assert settings == {
        "SGD": {"lr": 0.01},
        "Nesterov": {"lr": 0.01, "momentum": 0.5},
        "RMSProp": {"lr": 0.2},
        "AdamW": {"lr": 0.2, "betas": (0.8, 0.99), "weight_decay": 0.1},
    }
    with pytest.raises(ValueError, match="momentum"):
        O.race_settings(momentum=1.0)


def test_race_compute_uses_surface_defaults():
    paths = O.race_compute("valley")
    assert list(paths) == list(O.DEFAULT_RACE)
    for path in paths.values():
        assert path.points.shape == (301, 2)
        assert path.hyperparams["lr"] == get_surface("valley").default_lr[
            "sgd" if path.name in O.SGD_FAMILY else "adaptive"]


@pytest.mark.parametrize("key", ["valley", "tilted-valley", "rosenbrock", "beale", "saddle", "noisy"])
def test_default_race_settings_never_diverge(key):
    paths = O.race_compute(key, ("SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam", "AdamW"))
    assert not any(path.diverged for path in paths.values())
    start_loss = get_surface(key).loss(get_surface(key).start)
    assert min(path.final_loss for path in paths.values()) < 0.5 * start_loss


@pytest.fixture(scope="module")
def race_widget():
    return O.optimizer_race(interactive=False)


def test_race_widget_default_state(race_widget):
    state = race_widget.state
    assert list(state["paths"]) == list(O.DEFAULT_RACE)
    assert state["surface"] == "valley"
    png = race_widget.png()
    assert png.startswith(b"\x89PNG")
    bundle, metadata = race_widget._repr_mimebundle_()
    assert set(bundle) == {"image/png", "text/plain"}  # no kernel here: no widget view
    assert bundle["text/plain"] == (f"Interactive figure: Optimizer race ({', '.join(race_widget.controls)}). "
                                    f"{race_widget.summary}")
    assert metadata["image/png"]["alt"] == race_widget.summary


def test_race_summary_ranks_the_racers_by_the_race_tables_measure(race_widget):
    summary = race_widget.summary
    assert summary.startswith("Optimizer race, Ill-conditioned valley, 300 steps from (-5, -2), learning rate 0.0316 "
                              "for the SGD family and 0.1 for the adaptive ones. Steps to get 99% of the way from the "
                              "starting loss to the minimum, fastest first: ")
    paths = race_widget.state["paths"]
    steps = {name: O.steps_to_target("valley", path) for name, path in paths.items()}
    arrived = sorted((name for name in steps if steps[name] is not None), key=steps.get)
    assert ", ".join(f"{name} {steps[name]}" for name in arrived) + "." in summary
    assert arrived[0] == "RMSProp" and arrived[-1] == "SGD"  # what the loss plot shows: RMSProp first, SGD last
    assert summary.endswith("Not there after 300 steps: AdaGrad (0.483 above the minimum).")


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
    paths = race_widget.state["paths"]
    assert race_widget.summary.endswith("Diverged: " + ", ".join(
        f"{name} at step {paths[name].diverged_at}" for name in O.SGD_FAMILY) + ".")
    assert "learning rate 1 for the SGD family" in race_widget.summary
    notes = [t.get_text() for t in race_widget.fig.axes[0].texts if t.get_visible() and t.get_text()]
    assert any(note.startswith("SGD: diverged at step") for note in notes)
    race_widget.set(lr=get_surface("valley").default_lr["sgd"])
    assert not any(t.get_text() for t in race_widget.fig.axes[0].texts)


def test_race_widget_surface_switch_resets_rates(race_widget):
    race_widget.set(surface="rosenbrock")
    assert race_widget.controls["lr"].value == pytest.approx(get_surface("rosenbrock").default_lr["sgd"])
    assert race_widget.state["surface"] == "rosenbrock"
    assert race_widget.summary.startswith("Optimizer race, Rosenbrock's banana valley, 300 steps from (-1.5, 2), "
                                          "learning rate 0.001 for the SGD family")
    race_widget.set(surface="noisy")  # a noisy race is told by where each optimizer settles
    assert "Mean loss above the minimum over the last 100 steps, lowest first: " in race_widget.summary
    race_widget.set(surface="valley")


# -- measurements -----------------------------------------------------------------------------


def test_sgd_gives_every_coordinate_its_learning_rate():
    rates = effective_step_sizes("SGD", "valley", 20, lr=0.1)
    assert rates.shape == (20, 2)
    np.testing.assert_allclose(rates, 0.1)


def test_adam_gives_the_flat_coordinate_a_larger_rate():
    rates = effective_step_sizes("Adam", "valley", 30, lr=0.1)
    assert np.median(rates[:, 0] / rates[:, 1]) > 2


def test_escape_step():
    assert escape_step(trajectory("SGD", "saddle", steps=300, lr=0.01).points) is None
    step = escape_step(trajectory("RMSProp", "saddle", steps=300, lr=0.03).points)
    assert step is not None and step < 20
    assert escape_step(np.array([[0.0, 0.0], [0.0, 0.2], [0.0, -0.7]])) == 2


def test_decay_versus_gradient_groups_by_gradient_size():
    rng = np.random.default_rng(0)
    weight = rng.normal(size=(4, 6))
    grad = np.abs(rng.normal(size=(4, 6)))
    base = DigitRun("Adam", 0.0, weight, weight, grad, 0.1, 0.9)
    uniform = DigitRun("AdamW", 0.1, weight, 0.5 * weight, grad, 0.1, 0.9)
    rms, ratio = decay_versus_gradient(uniform, base, bins=3)
    assert np.all(np.diff(rms) > 0)
    np.testing.assert_allclose(ratio, 0.5)
    # shrink only the weights with the smallest gradients: the first group shows it
    small = grad <= np.sort(grad.ravel())[7]
    uneven = DigitRun("Adam", 0.1, weight, np.where(small, 0.0, weight), grad, 0.1, 0.9)
    _, ratio = decay_versus_gradient(uneven, base, bins=3)
    assert ratio[0] == pytest.approx(0.0) and ratio[-1] == pytest.approx(1.0)


def test_adamw_decay_is_the_predicted_factor_where_adam_l2_is_not():
    from coursekit.optimizers import train_digit_classifier

    base = train_digit_classifier("Adam", weight_decay=0.0, steps=30)
    adamw = train_digit_classifier("AdamW", weight_decay=0.1, steps=30)
    adam_l2 = train_digit_classifier("Adam", weight_decay=0.1, steps=30)
    assert base.weight.shape == (10, 64) and 0 < base.val_accuracy <= 1
    _, ratio_w = decay_versus_gradient(adamw, base, bins=3)
    _, ratio_l2 = decay_versus_gradient(adam_l2, base, bins=3)
    assert np.ptp(ratio_w) < 0.05  # AdamW: about the same shrink for every group
    assert ratio_l2[0] < 0.5 * ratio_w[0]  # Adam + L2: small-gradient weights shrink far more


def test_race_with_every_optimizer_unticked_says_so():
    widget = O.optimizer_race(interactive=False)
    assert widget.state["message"] == ""
    widget.set(**{name: False for name in O.DEFAULT_RACE})
    assert widget.state["paths"] == {} and widget.state["message"] == O.NOBODY_RACING
    assert widget.summary == f"Optimizer race, Ill-conditioned valley: {O.NOBODY_RACING}"
    assert widget.png().startswith(b"\x89PNG")  # still draws: axes, the surface and the message
    widget.set(SGD=True)
    assert list(widget.state["paths"]) == ["SGD"] and widget.state["message"] == ""
    assert "learning rate 0.0316 for the SGD family." in widget.summary and "adaptive" not in widget.summary


def test_digit_classifier_trains_with_sgd_and_reports_validation_loss():
    from coursekit.optimizers import train_digit_classifier

    sgd = train_digit_classifier("SGD", lr=0.1, steps=20)
    assert 0 < sgd.val_loss < 2.31 and 0 < sgd.val_accuracy <= 1  # better than a uniform guess, ln 10
    blown = train_digit_classifier("SGD", lr=1e6, steps=20)
    assert blown.val_loss == math.inf or blown.val_loss > 10  # a blow-up is reported, not raised
    with pytest.raises(ValueError, match="'SGD'"):
        train_digit_classifier("Lion")


def test_good_lr_range_interpolates_between_swept_rates():
    lrs = np.array([0.01, 0.1, 1.0, 10.0])
    low, high, decades = O.good_lr_range(lrs, [2.0, 1.0, 1.0, 2.0], margin=0.5)
    assert (low, high) == pytest.approx((10 ** -1.5, 10 ** 0.5)) and decades == pytest.approx(2.0)
    low, high, _ = O.good_lr_range(lrs, [1.0, 1.05, 3.0, math.inf], margin=0.1)
    assert low == 0.01 and 0.1 < high < 1.0  # the range stops at the end of the sweep
    with pytest.raises(ValueError):
        O.good_lr_range(lrs, [1.0, 2.0])


def test_lr_sweep_returns_one_validation_loss_per_rate():
    sweep = O.lr_sweep(("SGD", "Adam"), lrs=[0.01, 0.1], steps=5)
    assert set(sweep) == {"SGD", "Adam"} and all(v.shape == (2,) for v in sweep.values())


def test_race_drag_moves_the_start_of_every_path_and_the_code_line_recreates_the_race():
    import pytest

    from coursekit.optimizers import optimizer_race

    widget = optimizer_race(interactive=False)
    ax = widget.fig.axes[0]
    widget.drag_interval = 0.0  # every simulated move reaches the handler
    before = {name: path.points.copy() for name, path in widget.state["paths"].items()}
    widget.drag(ax, [(-4.0, 2.0), (-3.0, 1.5), (-1.234, 1.0)], release=False)
    assert widget.state["start"] == (-1.23, 1.0)  # rounded: the code line shows exactly this start
    assert set(widget.state["computed"]) == set(before)  # a new start reruns every racer
    widget.mouse_event("button_release_event", ax, -1.234, 1.0)
    assert widget.state["computed"] == ()  # the release only tidies up: every path comes from the cache
    for name, path in widget.state["paths"].items():
        np.testing.assert_array_equal(path.points[0], [-1.23, 1.0])
        assert not np.array_equal(path.points[1:5], before[name][1:5])
    assert widget.code_line == "optimizer_race(surface='valley', lr=0.0316228, adaptive_lr=0.1, start=(-1.23, 1.0))"
    widget.set(momentum=0.5, Adam=False)
    line = widget.code_line
    assert "momentum=0.5" in line and "'Adam'" not in line and "optimizers=(" in line
    again = eval(line, {"optimizer_race": lambda **k: optimizer_race(interactive=False, **k)})
    assert again.state["start"] == widget.state["start"] and again.code_line == line
    for name, path in widget.state["paths"].items():
        np.testing.assert_array_equal(again.state["paths"][name].points, path.points)
    widget.click(widget.fig.axes[1], 100, 1.0)  # the loss plot is not a surface: nothing moves
    assert widget.state["start"] == (-1.23, 1.0)
    widget.set(surface="rosenbrock")  # a new surface starts from its own start
    assert widget.state["start"] == (-1.5, 2.0)
    with pytest.raises(ValueError, match="outside the plot"):
        optimizer_race(start=(50.0, 0.0), interactive=False)


def test_race_loss_axis_only_grows_while_dragging_and_is_tidied_on_release():
    from coursekit.optimizers import optimizer_race

    widget = optimizer_race(interactive=False)
    widget.drag_interval = 0.0
    ax_path, ax_loss = widget.fig.axes[:2]
    widget.drag(ax_path, [(-5.9, 2.9)], release=False)  # far from the minimum: a high start loss
    high = ax_loss.get_ylim()
    widget.mouse_event("motion_notify_event", ax_path, -0.3, 0.1)  # near the minimum: a low one
    assert ax_loss.get_ylim() == high  # kept while the button is held
    widget.mouse_event("button_release_event", ax_path, -0.3, 0.1)
    assert ax_loss.get_ylim()[1] < high[1]  # tidied to the new start's losses
