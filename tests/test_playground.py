"""The instructor playground's presets (coursekit.playground): each shows what its button says.

The computations run without a browser (Agg figures); the browser tests check the same
demos live in JupyterLab and Voilà.
"""

import math
import pathlib

import pytest

from coursekit import playground
from coursekit.playground import PRESETS, PresetPanel, get_preset, preset_result, presets_for

REQUIRED_BUTTONS = {"learning rate too high", "learning rate too low", "learning rate just right",
                    "exploding gradients", "clip at 1.0", "Adam vs SGD on a ravine",
                    # the training recipes (issue 16): each demo's classic failure and its fixes
                    "warmup + cosine (the recipe)", "no warmup",
                    "batch 32 (the recipe)", "batch 512, same rate", "batch 128, linear rule",
                    "batch 512, linear rule", "batch 512, square-root rule",
                    "the valley", "the minimum ÷ 10", "the rate at the loss minimum"}


# Building the page costs about 25 s on two cores; tests share its demos and set the state they need.
@pytest.fixture(scope="module")
def page():
    return playground.build_demos(interactive=False)


@pytest.fixture(scope="module")
def results(page):
    return page.results


@pytest.fixture(scope="module")
def lr_panel(page):
    return page.learning_rate


@pytest.fixture(scope="module")
def race_panel(page):
    return page.race


def test_every_required_preset_exists_one_button_each():
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


def test_cheat_sheet_has_one_computed_line_per_preset_with_its_link(results):
    lines = playground.cheat_sheet(results).splitlines()
    assert [line.split("  ")[0].strip() for line in lines] == [p.label for p in PRESETS]
    for line, preset in zip(lines, PRESETS):
        assert f"?preset={preset.key} " in line
        assert any(ch.isdigit() for ch in line.split(f"?preset={preset.key}")[1])


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
    assert buttons[0].button_style == "info" and buttons[0].style.button_color == "#0072B2"  # readable: 5:1
    assert "Adam vs SGD on a ravine" in box.children[1].value
    assert set(panel.state["paths"]) == {"SGD", "Adam"}


def test_moving_the_start_clears_the_active_preset_and_the_preset_puts_it_back(race_panel, lr_panel):
    """The start is no control, yet a click or drag that moves it leaves the preset: the
    status line stops naming it; the preset's button puts its surface's start back."""
    pytest.importorskip("ipywidgets")
    from coursekit.surfaces import get_surface

    for panel, key in ((race_panel, "adam_vs_sgd"), (lr_panel, "lr_just_right")):
        panel.apply(key)
        status = panel.box.children[1]
        ax = panel.fig.axes[0]  # the surface's plot
        home = get_surface(get_preset(key).values["surface"]).start
        assert panel.state["start"] == pytest.approx(home)
        assert panel.active() == key and get_preset(key).label in status.value
        panel.widget.click(ax, home[0] + 1.0, home[1] + 0.5)
        assert panel.state["start"] == pytest.approx((home[0] + 1.0, home[1] + 0.5))
        assert panel.active() is None, key
        assert "your own setting" in status.value, key
        panel.apply(key)  # the button: controls and start back, the status line names it again
        assert panel.state["start"] == pytest.approx(home) and f"start={tuple(home)}" in panel.code_line
        assert panel.active() == key and get_preset(key).label in status.value
        # A drag that ends where the preset starts is the preset again.
        panel.widget.drag(ax, [(home[0] + 1.0, home[1]), (home[0] + 0.5, home[1]), home])
        assert panel.active() == key and get_preset(key).label in status.value


def test_after_a_click_the_code_line_recreates_the_race_s_picture(race_panel):
    """A click (no drag) lands tidily: the loss axis fits the new start, as the code line's
    fresh race draws it, instead of keeping the range of the start before."""
    from functools import partial

    from coursekit.optimizers import optimizer_race

    race_panel.apply("adam_vs_sgd")  # from the valley's start: a high starting loss
    race_panel.widget.click(race_panel.fig.axes[0], -0.3, 0.1)  # near the minimum: a low one
    fresh = eval(race_panel.code_line, {"optimizer_race": partial(optimizer_race, interactive=False)})
    assert race_panel.fig.axes[1].get_ylim() == fresh.fig.axes[1].get_ylim()
    assert race_panel.state["start"] == fresh.state["start"] == (-0.3, 0.1)


def test_a_browser_slider_s_float_rounding_keeps_the_code_line_short(race_panel):
    """A browser slider sends 0.9 back as 0.9000000000000001: the line still leaves the default out."""
    race_panel.apply("adam_vs_sgd")
    race_panel.widget.set(momentum=0.9 + 1e-16 * 1.5, beta1=0.9000000000000001)
    assert "momentum" not in race_panel.code_line and "beta1" not in race_panel.code_line, race_panel.code_line
    race_panel.widget.set(momentum=0.95)
    assert "momentum=0.95" in race_panel.code_line


def test_a_preset_may_name_its_own_start(race_panel):
    from coursekit.playground import Preset

    values = {**get_preset("adam_vs_sgd").values, "start": (-2.0, 1.5)}
    panel = PresetPanel(race_panel.widget, [Preset("from_above", "from above", "race", values)], title="race")
    panel.apply("from_above")
    assert panel.state["start"] == pytest.approx((-2.0, 1.5)) and panel.active() == "from_above"
    assert "start=(-2.0, 1.5)" in panel.code_line
    panel.widget.click(panel.fig.axes[0], -3.0, 1.0)
    assert panel.active() is None
    # A widget without a start point (no "start" in its state) refuses a preset that sets one.
    from coursekit.controls import lr_slider
    from coursekit.display import make_widget, new_figure

    fig, _ = new_figure(interactive=False)
    plain = make_widget(fig, {"lr": lr_slider(0.1, 1e-3, 1.0)}, lambda widget: widget.redraw(), title="plain")
    with pytest.raises(ValueError, match="'plain' has no start point"):
        PresetPanel(plain, [Preset("c", "c", "clipping", {"lr": 0.1, "start": (0.0, 0.0)})], title="plain")


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
    bundle, metadata = panel._repr_mimebundle_()
    assert set(bundle) == {"image/png", "text/plain"}
    assert metadata == {"image/png": {"alt": panel.widget.summary}}
    assert bundle["text/plain"] == "Playground: Optimizers race (presets: Adam vs SGD on a ravine)"


def test_instructor_figures_are_larger_type_at_a_column_s_width(race_panel):
    fig = race_panel.fig
    assert fig.dpi == pytest.approx(100 * playground.INSTRUCTOR_SCALE)
    width, height = fig.get_size_inches() * fig.dpi
    assert width == pytest.approx(playground.INSTRUCTOR_WIDTH_PX) and height > 400


# -- the training recipes: schedules (lesson 5), batch size (lesson 7), the range test (lesson 6) -----------


def test_schedule_presets_are_fine_tunes_at_the_decision_rule_s_peak(results):
    """Both presets: the same fine-tune and peak, only warmup differs; the peak is finetune_demo's rule."""
    from coursekit import finetune_demo

    recipe, bare = results["warmup_recipe"], results["no_warmup"]
    v_recipe, v_bare = recipe.preset.control_values(), bare.preset.control_values()
    assert v_recipe["peak_lr"] == v_bare["peak_lr"] == finetune_demo.preset_peak()
    assert v_recipe["warmup"] == 0.1 and v_bare["warmup"] == 0.0  # the brief's 10% of the steps
    assert (v_recipe["schedule"], v_bare["schedule"]) == ("warmup_cosine", "cosine")
    # "at a high peak rate": the rule picked one of lesson 5's two highest peaks
    assert v_recipe["peak_lr"] >= sorted(finetune_demo.WIDGET_PEAKS)[-2]
    # the run the demo draws is the explorer's fine-tune grid run (seed 0)
    assert bare.data is finetune_demo.finetune_grid().run("cosine", v_bare["peak_lr"], 0.0)


def test_warmup_recipe_sentence_the_fine_tune_survives(results):
    """'The fine-tune survives it: it gets most of the ten digits right and keeps most of the five it knew.'"""
    recipe = results["warmup_recipe"]
    arm = recipe.extra["arm"]
    assert not recipe.data.diverged
    assert arm.accuracy_interval[0] > 0.5  # most of the ten digits, over five seeds, Wilson 95% low end
    assert arm.source_interval[0] > 0.5  # most of digits 0-4
    assert "all ten digits" in recipe.summary and "digits 0-4" in recipe.summary


def test_no_warmup_sentence_the_fine_tune_collapses_and_middle_peaks_make_no_difference(results):
    """'... the fine-tune collapses, the digits it knew included. At lesson 5's middle peaks (0.03 to 0.1)
    warmup made no difference here.'"""
    from coursekit import finetune_demo

    bare, warm = results["no_warmup"].extra["arm"], results["warmup_recipe"].extra["arm"]
    comparison = results["no_warmup"].extra["comparison"]
    assert comparison.protects  # the rule: warmup's worst old-digit loss lower in every seed
    assert bare.accuracy_interval[1] < 0.5 and bare.accuracy_interval[1] < warm.accuracy_interval[0]
    assert bare.source_interval[1] < 0.5 < finetune_demo.pretrained_source_accuracy()  # the digits it knew
    for peak in (0.03, 0.05, 0.1):
        middle = finetune_demo.comparison_at(peak)
        assert not middle.protects and not middle.changes_result, middle.line()


def test_warmup_made_a_consistent_difference_only_at_the_highest_peak_and_lost_to_a_moderate_peak():
    """Playground section 4: 'here warmup made a consistent difference only at the highest peak, and even
    there the recipe ended well below the best fine-tune at a moderate peak'."""
    from coursekit import finetune_demo

    study = finetune_demo.warmup_study()
    assert [c.peak for c in study if c.protects] == [max(c.peak for c in study)]
    shown, (best_peak, best_arm, _) = finetune_demo.best_runs()
    assert best_peak < shown.peak
    assert best_arm.accuracy_interval[0] > shown.warm.accuracy_interval[1] + 0.1  # 'well below': 10+ points apart


def test_batch_presets_follow_the_scaling_rules(results):
    base = results["batch_32"].data
    same, linear_128 = results["batch_same_lr"].data, results["batch_linear_128"].data
    linear_512, sqrt_512 = results["batch_linear_512"].data, results["batch_sqrt_512"].data
    assert same.lr == base.lr and same.batch_size == 16 * base.batch_size
    assert linear_128.lr == pytest.approx(4 * base.lr, rel=0.01)  # on the slider's stops
    assert linear_512.lr == pytest.approx(16 * base.lr, rel=0.01)
    assert sqrt_512.lr == pytest.approx(4 * base.lr, rel=0.01)
    # "16 times fewer steps, and training barely gets going"
    assert same.steps * 16 == base.steps
    assert results["batch_same_lr"].extra["verdict"] == "too slow"
    assert same.train_losses[-1] > 2 * base.train_losses[-1]
    # "the training curve of the recipe in a quarter of the steps"
    assert linear_128.steps * 4 == base.steps
    assert linear_128.train_losses[-1] == pytest.approx(base.train_losses[-1], rel=0.1)
    # "past the linear rule's ceiling, the loss jumps about"; "gentler, and it trains steadily"
    assert results["batch_linear_512"].extra["verdict"] == "oscillating"
    assert results["batch_sqrt_512"].extra["verdict"] == "healthy"
    assert sqrt_512.train_losses[-1] < same.train_losses[-1]


def test_picking_the_rate_at_the_loss_minimum_fails_where_backing_off_works(results):
    from coursekit import playground_recipes as recipes

    valley, tenth, bottom = (results[k] for k in ("range_valley", "range_minimum", "range_at_minimum"))
    rates = [r.preset.control_values()["lr"] for r in (valley, tenth, bottom)]
    assert rates == sorted(rates)  # the valley and the minimum ÷ 10 sit before the bottom
    assert rates[2] == pytest.approx(recipes.lowest_loss_lr(), rel=0.13)  # the nearest slider stop
    assert rates[1] == pytest.approx(recipes.lowest_loss_lr() / 10, rel=0.13)
    assert valley.extra["verdict"] == tenth.extra["verdict"] == "healthy"
    assert bottom.extra["verdict"] != "healthy"
    assert bottom.data.diverged or bottom.data.final_val_loss > 5 * max(valley.data.final_val_loss,
                                                                        tenth.data.final_val_loss)


@pytest.fixture(scope="module")
def recipe_panels(page):
    return {"schedule": page.schedule, "batch_size": page.batch_size, "range_test": page.range_test}


def test_recipe_demos_start_on_their_recipe_and_apply_every_preset(recipe_panels, results):
    starts = {"schedule": "warmup_recipe", "batch_size": "batch_32", "range_test": "range_valley"}
    for demo, panel in recipe_panels.items():
        assert panel.active() == starts[demo]
        for preset in presets_for(demo):
            first = panel.png()
            panel.apply(preset.key)
            assert panel.active() == preset.key and panel.matches(preset.key)
            assert panel.png() != first or preset.key == starts[demo]
        panel.apply(starts[demo])


def test_recipe_demos_show_the_run_the_crib_sheet_describes(recipe_panels, results):
    schedule = recipe_panels["schedule"].apply("no_warmup")
    assert schedule.state["run"] is results["no_warmup"].data  # the explorer's own grid run
    batch = recipe_panels["batch_size"].apply("batch_sqrt_512")
    run = batch.state["run"]
    assert (run.batch_size, run.lr) == (results["batch_sqrt_512"].data.batch_size, results["batch_sqrt_512"].data.lr)
    # Two code paths (the widget's run alone, the crib sheet's from a stack) add in another order: float64 sums
    # differ by ~1e-16 relative per step, and this healthy 30-step run does not amplify that to 1e-9.
    assert run.train_losses[-1] == pytest.approx(results["batch_sqrt_512"].data.train_losses[-1], rel=1e-9)
    range_panel = recipe_panels["range_test"].apply("range_at_minimum")
    # The same rate, up to the slider's float rounding, and the very run the crib sheet describes.
    assert range_panel.state["lr"] == pytest.approx(results["range_at_minimum"].data.lr, rel=1e-9)
    assert range_panel.state["run"] is results["range_at_minimum"].data


def test_every_demo_shows_the_code_line_of_its_state(recipe_panels):
    ipywidgets = pytest.importorskip("ipywidgets")
    panel = recipe_panels["schedule"]
    box = panel.box
    panel.apply("no_warmup")
    peak = get_preset("no_warmup").control_values()["peak_lr"]  # finetune_demo's rule: one of lesson 5's peaks
    assert panel.code_line == ("schedule_explorer(target_data(), kind='cosine', "
                               f"warmup_fraction=0.0, peak_lr={peak:g}, grid=finetune_grid())")
    code_views = [w for w in box.children if isinstance(w, ipywidgets.HTML) and "schedule_explorer(" in w.value]
    assert len(code_views) == 1 and "kind=&#x27;cosine&#x27;" in code_views[0].value
    panel.widget.set(peak_lr=0.1)  # a slider move updates the line
    assert "peak_lr=0.1, grid=" in panel.code_line and "peak_lr=0.1, grid=" in code_views[0].value
    recipe_panels["batch_size"].apply("batch_linear_128")
    assert recipe_panels["batch_size"].code_line == "batch_size_widget(batch_size=128, lr=0.199526)"
    recipe_panels["range_test"].apply("range_valley")
    assert recipe_panels["range_test"].code_line.startswith("range_test_widget(lr=0.00")


def test_every_recipe_code_line_run_recreates_the_state_it_shows(recipe_panels):
    from functools import partial

    from coursekit.batch_size import batch_size_widget
    from coursekit.finetune_demo import finetune_grid, target_data
    from coursekit.range_test import range_test_widget
    from coursekit.schedules import schedule_explorer

    names = {"schedule_explorer": partial(schedule_explorer, interactive=False), "target_data": target_data,
             "finetune_grid": finetune_grid, "batch_size_widget": partial(batch_size_widget, interactive=False),
             "range_test_widget": partial(range_test_widget, interactive=False)}
    shown = {"schedule": "no_warmup", "batch_size": "batch_linear_128", "range_test": "range_minimum"}
    starts = {"schedule": "warmup_recipe", "batch_size": "batch_32", "range_test": "range_valley"}
    for demo, key in shown.items():
        panel = recipe_panels[demo].apply(key)
        again = eval(panel.code_line, names)  # the line, run as a participant would paste it
        assert {n: c.value for n, c in again.controls.items()} == {n: c.value for n, c in panel.widget.controls.items()}
        run, rerun = panel.state["run"], again.state["run"]
        if demo == "schedule":
            assert rerun is run  # the fine-tunes' grid: the very run on screen
        elif demo == "batch_size":
            # trained alone by the panel, in a stack by the line: float64 sums in another order (see above)
            assert (rerun.batch_size, rerun.diverged) == (run.batch_size, run.diverged)
            assert rerun.lr == pytest.approx(run.lr, rel=1e-9)  # the slider's stop, up to its float rounding
            assert rerun.train_losses[-1] == pytest.approx(run.train_losses[-1], rel=1e-9)
        else:
            assert rerun.diverged == run.diverged and rerun.label == run.label
            assert rerun.final_val_loss == pytest.approx(run.final_val_loss, rel=1e-9)
        recipe_panels[demo].apply(starts[demo])


def test_a_demo_opens_on_its_own_preset_and_ignores_another_demo_s(race_panel):
    panel = playground.batch_size_demo("batch_same_lr", interactive=False)
    assert panel.active() == "batch_same_lr"
    assert playground.range_test_demo("no_warmup", interactive=False).active() == "range_valley"
    assert playground.schedule_demo("no_warmup", interactive=False).active() == "no_warmup"
    assert playground.race_demo("adam_vs_sgd", interactive=False).active() == "adam_vs_sgd"
    assert playground.learning_rate_demo("lr_too_high", interactive=False).active() == "lr_too_high"


# -- links: the app opens on the preset named in its address ---------------------------------------------


def test_opening_reads_the_preset_from_voila_s_query_string(monkeypatch):
    assert playground.opening("token=0a1b&preset=no_warmup").key == "no_warmup"
    assert playground.opening("?preset=batch_sqrt_512").key == "batch_sqrt_512"
    assert playground.opening("preset=%20range_valley%20").key == "range_valley"
    monkeypatch.setenv("QUERY_STRING", "preset=clip_1")  # what Voilà gives the kernel
    opened = playground.opening()
    assert opened.key == "clip_1"
    assert "Opened on the preset 'clip at 1.0' (?preset=clip_1): see section 2" in opened.text()
    monkeypatch.delenv("QUERY_STRING")
    monkeypatch.delenv("SERVER_SOFTWARE", raising=False)
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    plain = playground.opening()  # JupyterLab: the advice names the app
    assert plain.key is None and "Open the app (make playground) on a preset by adding ?preset=<name>" in plain.text()
    monkeypatch.setenv("SERVER_SOFTWARE", "voila/0.5.13")
    assert "Open this app on a preset" in playground.opening().text()  # the app without a preset


def test_the_page_holds_every_demo_in_its_sections_order_and_opens_the_named_preset_in_its_demo(page):
    assert list(page.demos()) == list(playground.DEMO_TITLES)  # the notebook's sections, in order
    assert set(page.results) == {preset.key for preset in PRESETS}
    before = {name: demo.active() for name, demo in page.demos().items()}
    opened = playground.opening("preset=batch_sqrt_512")
    assert page.open_on(opened) is opened
    assert page.batch_size.active() == "batch_sqrt_512"  # as its button leaves it
    assert {name: demo.active() for name, demo in page.demos().items() if name != "batch_size"} == \
        {name: key for name, key in before.items() if name != "batch_size"}  # the others keep their defaults
    for unopened in (playground.opening(""), playground.opening("preset=warp_speed")):
        page.open_on(unopened)
        assert page.batch_size.active() == "batch_sqrt_512"
    page.batch_size.apply("batch_32")


def test_in_a_kernel_voila_preheats_opening_waits_for_the_page_once(monkeypatch):
    """Voilà's preheated kernel runs the notebook before any page asks for it; ``opening()`` is where
    it must wait for the page's address, and only there (Voilà's helper, faked here)."""
    import voila.utils

    from coursekit import playground_panel

    calls = []

    def page_arrives():
        calls.append(1)
        monkeypatch.setenv("QUERY_STRING", "preset=lr_too_high")  # what Voilà's helper puts in the environment
        monkeypatch.setenv("SERVER_SOFTWARE", "voila/0.5.13")

    monkeypatch.setattr(voila.utils, "wait_for_request", page_arrives)
    monkeypatch.delenv("QUERY_STRING", raising=False)
    monkeypatch.delenv("SERVER_SOFTWARE", raising=False)
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    assert playground.opening().key is None and calls == []  # JupyterLab, or Voilà without preheating
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    assert playground_panel.in_voila()  # already before the page arrives: its status lines link presets
    assert playground.opening().key == "lr_too_high" and calls == [1]
    assert playground.opening().key == "lr_too_high" and calls == [1]  # the page arrived once; no second wait
    assert playground.opening("preset=clip_1").key == "clip_1" and calls == [1]  # a given address never waits


def test_a_preheated_kernel_that_never_hears_of_its_page_says_so(monkeypatch):
    """Voilà's helper only warns when the kernel cannot reach it: the address is unknown, and the
    page says no preset was applied rather than opening quietly on the defaults."""
    import voila.utils

    monkeypatch.setattr(voila.utils, "wait_for_request", lambda: None)  # no page's request arrived
    monkeypatch.delenv("SERVER_SOFTWARE", raising=False)
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    opened = playground.opening()
    assert opened.key is None and opened.address_unknown
    assert "could not read its address" in opened.text() and "no preset was applied" in opened.text()
    assert "coursekit-opening-unknown" in opened._repr_mimebundle_()["text/html"]


def test_an_unknown_preset_name_says_so_and_lists_the_valid_names():
    opened = playground.opening("preset=warp_speed")
    assert opened.key is None and opened.asked == "warp_speed"
    message = opened.text()
    assert "No preset named 'warp_speed'" in message
    assert all(preset.key in message for preset in PRESETS)
    bundle = opened._repr_mimebundle_()
    assert "coursekit-opening-unknown" in bundle["text/html"] and bundle["text/plain"] == message


def test_every_preset_key_is_a_plain_url_word_and_its_demo_has_a_section():
    for preset in PRESETS:
        assert preset.key.replace("_", "").isalnum() and preset.key.isascii(), preset.key
        assert playground.preset_link(preset.key) == f"?preset={preset.key}"
    assert set(playground.DEMO_TITLES) == set(playground.DEMOS)
    notebook = (pathlib.Path(__file__).resolve().parent.parent / "course" / "playground.md").read_text()
    for title in playground.DEMO_TITLES.values():
        assert f"\n## {title}\n" in notebook, title  # the opening message names real headings


def test_the_status_line_links_the_preset_in_voila_and_names_it_in_lab(recipe_panels, monkeypatch):
    panel = recipe_panels["range_test"].apply("range_at_minimum")
    monkeypatch.delenv("SERVER_SOFTWARE", raising=False)  # JupyterLab: following a link would reload Lab
    assert "<code>?preset=range_at_minimum</code>" in panel.status_html() and "href" not in panel.status_html()
    monkeypatch.setenv("SERVER_SOFTWARE", "voila/0.5.13")  # what Voilà sets in its kernels
    assert "href='?preset=range_at_minimum'" in panel.status_html()
