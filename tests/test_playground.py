"""The instructor playground's presets (coursekit.playground): each shows what its button says.

The computations run without a browser (Agg figures); the browser tests check the same
demos live in JupyterLab and Voilà.
"""

import math

import pytest

from coursekit import playground
from coursekit.playground import PRESETS, PresetPanel, get_preset, preset_result, presets_for

REQUIRED_BUTTONS = {"learning rate too high", "learning rate too low", "learning rate just right",
                    "exploding gradients", "clip at 1.0", "Adam vs SGD on a ravine"}


@pytest.fixture(scope="module")
def results():
    return playground.run_presets()


# Building a demo costs a second or more; tests share one of each and set the state they need.
@pytest.fixture(scope="module")
def lr_panel():
    return playground.learning_rate_demo(interactive=False)


@pytest.fixture(scope="module")
def race_panel():
    return playground.race_demo(interactive=False)


def test_the_issue_s_six_presets_exist_one_button_each():
    labels = [preset.label for preset in PRESETS]
    assert set(labels) == REQUIRED_BUTTONS
    assert len(labels) == len(set(labels)) and len({p.key for p in PRESETS}) == len(PRESETS)
    assert {p.demo for p in PRESETS} == set(playground.DEMOS)


def test_learning_rate_presets_land_in_their_regimes(results):
    low, right, high = (results[k] for k in ("lr_too_low", "lr_just_right", "lr_too_high"))
    assert low.data.ratio < 0.05 and not low.data.path.diverged
    assert 0.25 < right.data.ratio < 0.6 and not right.data.path.diverged
    assert high.data.ratio > 1 and high.data.path.diverged
    # Too low costs many times the steps of the right rate; too high never gets there.
    assert low.extra["steps_to_converge"] > 10 * right.extra["steps_to_converge"]
    assert high.extra["steps_to_converge"] is None
    assert "diverged at step" in high.summary and "too small" in low.summary


def test_clipping_at_one_tames_the_exploding_run(results):
    exploding, clipped = results["exploding"].data, results["clip_1"].data
    assert exploding.mode is None and clipped.mode == "norm" and clipped.threshold == 1.0
    assert exploding.lr == clipped.lr  # the same run, only the clipping differs
    # Without clipping one step's gradient is orders of magnitude above the typical one ...
    assert exploding.grad_norms.max() > 100 * sorted(exploding.grad_norms)[len(exploding.grad_norms) // 2]
    # ... and the run ends far worse than with clipping, which stays stable.
    assert not clipped.diverged
    assert exploding.final_loss > 3 * clipped.final_loss
    assert clipped.clipped_fraction > 0.2


def test_adam_beats_sgd_on_the_ravine_at_the_same_rate(results):
    preset = get_preset("Adam vs SGD on a ravine")
    assert preset.values["lr"] == pytest.approx(preset.values["adaptive_lr"])
    paths = results["adam_vs_sgd"].data
    assert set(paths) == {"SGD", "Adam"}
    target = 1e-3 * paths["SGD"].losses[0]
    assert paths["Adam"].steps_to(target) < paths["SGD"].steps_to(target)


def test_cheat_sheet_has_one_computed_line_per_preset(results):
    lines = playground.cheat_sheet(results).splitlines()
    assert [line.split("  ")[0].strip() for line in lines] == [p.label for p in PRESETS]
    assert all(any(ch.isdigit() for ch in line) for line in lines)


def test_learning_rate_panel_applies_presets_through_the_controls(lr_panel):
    panel = lr_panel
    panel.apply("lr_just_right")
    assert panel.active() == "lr_just_right"
    first = panel.png()
    panel.apply("learning rate too high")
    assert panel.active() == "lr_too_high"
    assert panel.widget.controls["lr"].value == pytest.approx(get_preset("lr_too_high").values["lr"])
    assert panel.state["run"].path.diverged
    assert panel.png() != first
    panel.widget.set(lr=0.05)  # a manual move leaves every preset
    assert panel.active() is None


def test_preset_buttons_apply_their_preset(race_panel):
    ipywidgets = pytest.importorskip("ipywidgets")
    panel = race_panel
    panel.widget.set(Momentum=True)  # any setting that is not the preset
    box = panel.box
    assert isinstance(box, ipywidgets.VBox)
    buttons = [w for w in box.children[0].children if isinstance(w, ipywidgets.Button)]
    assert [b.description for b in buttons] == ["Adam vs SGD on a ravine"]
    assert panel.active() is None
    assert "your own setting" in box.children[1].value
    buttons[0].click()
    assert panel.active() == "adam_vs_sgd"
    assert buttons[0].button_style == "info"
    assert "Adam vs SGD on a ravine" in box.children[1].value
    assert set(panel.state["paths"]) == {"SGD", "Adam"}


def test_clipping_demo_reuses_the_runs_already_computed(results):
    panel = playground.clipping_demo(results, interactive=False)
    assert panel.active() == "clip_1"
    assert panel.state["run"] is results["clip_1"].data  # from the cache, not retrained
    panel.apply("exploding")
    assert panel.state["run"] is results["exploding"].data
    assert math.isinf(panel.widget.controls["threshold"].value)


def test_every_preset_matches_its_demo_s_controls(lr_panel, race_panel):
    demos = {"learning_rate": lr_panel, "race": race_panel}
    for demo, panel in demos.items():
        for preset in presets_for(demo):
            panel.apply(preset.key)
            assert panel.matches(preset.key), preset.key


def test_panel_rejects_a_preset_for_controls_it_does_not_have(race_panel):
    panel = race_panel
    with pytest.raises(ValueError, match="unknown controls"):
        PresetPanel(panel.widget, presets_for("learning_rate") + presets_for("clipping"), title="mixed")


def test_unknown_preset_and_demo_names_are_clear_errors(race_panel):
    with pytest.raises(KeyError, match="no preset 'warp speed'"):
        preset_result("warp speed")
    with pytest.raises(ValueError, match="demo must be one of"):
        presets_for("lottery")
    with pytest.raises(ValueError, match="must be > 0"):
        playground.enlarge(race_panel.widget, height_px=0)


def test_demos_display_as_png_and_text_outside_a_kernel(race_panel):
    panel = race_panel
    bundle = panel._repr_mimebundle_()
    assert set(bundle) == {"image/png", "text/plain"}
    assert bundle["text/plain"] == "Playground: Optimizers race (presets: Adam vs SGD on a ravine)"


def test_instructor_figures_are_larger_type_at_a_column_s_width(race_panel):
    fig = race_panel.fig
    assert fig.dpi == pytest.approx(100 * playground.INSTRUCTOR_SCALE)
    width, height = fig.get_size_inches() * fig.dpi
    assert width == pytest.approx(playground.INSTRUCTOR_WIDTH_PX) and height > 400
