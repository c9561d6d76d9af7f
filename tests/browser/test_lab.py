"""The course in JupyterLab, in a real Chromium: notebooks run, widgets render, controls redraw figures.

One JupyterLab serves every test here (session fixture). Each test opens a notebook the
way a participant does, runs all cells with Run > Run All Cells, checks that every widget
output rendered a live widget (no "Error displaying widget: model not found" or "is not
registered"), then moves a control and checks that the figure's pixels changed; on the
lessons, axe-core audits every output for serious or critical accessibility violations.
Screenshots before and after land in test-artifacts/browser/<test>/.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from browser_pages import (
    FIGURE,
    LabNotebook,
    accessibility_audit,
    assert_matches_reference,
    click_figure,
    code_line,
    drag_on_figure,
    drag_slider,
    press_slider,
    save,
    settled_screenshot,
    slider_in,
    slider_readout,
    wait_for,
    wait_for_figure_change,
    wait_for_new_text,
)
from browser_servers import ARTIFACTS, ROOT

pytestmark = pytest.mark.browser

SMOKE_NOTEBOOK = ARTIFACTS / "widget_smoke.ipynb"

# (notebook, the slider to move). Lesson 2's learning-rate explorer is the first widget
# with a figure a participant meets. Lesson 4's busiest widgets, the optimizer race and the
# phase map, run in test_the_race_and_the_phase_map_take_clicks_and_drags (every notebook runs
# under nbval; a whole lesson in JupyterLab costs a test worker 30-45 s). The clipping widget is
# covered through the Voilà playground (test_voila.py).
LESSONS = [
    pytest.param("course/02_learning_rate.ipynb", "^learning rate$", id="02_learning_rate"),
]


LAPTOP = {"width": 1366, "height": 768}
ANNOUNCER = '[role="status"][aria-live="polite"]'  # a widget's live region (coursekit.accessibility)  # a common laptop window (issue 26: figures fit at this width)


def _require(path: str) -> str:
    if not (ROOT / path).is_file():
        pytest.fail(f"{path} is missing: the browser tests cover it")
    return path


def _check_first_paint(notebook, output, artifacts):
    """The live canvas must show what the kernel drew: the PNG in the same output bundle
    (coursekit.display's contract). Catches canvases that paint only part of the figure."""
    figure = output.locator(FIGURE).first
    before = settled_screenshot(figure)
    save(artifacts, "figure-before.png", before)
    reference = notebook.reference_png(output)
    assert reference is not None, "a coursekit widget output carries a static PNG beside the live widget"
    save(artifacts, "figure-kernel.png", reference)
    assert_matches_reference(before, reference, notebook.path)
    return figure, before


def _move_and_check(output, slider_label, artifacts, *, before=None, presses=4, drag=False):
    """Move the slider in ``output`` and assert that the figure in ``output`` redrew."""
    figure = output.locator(FIGURE).first
    slider = slider_in(output, slider_label)
    if before is None:
        before = settled_screenshot(figure)
        save(artifacts, "figure-before.png", before)
    value_before = slider_readout(slider)
    if drag:
        drag_slider(slider)
    else:
        press_slider(slider, presses=presses)
    value_after = slider_readout(slider)
    assert value_after != value_before, f"the slider did not move (still {value_before})"
    after, changed = wait_for_figure_change(figure, before)
    save(artifacts, "figure-after.png", after)
    return value_before, value_after, changed


def _write_smoke_notebook():
    """A two-cell notebook with the bare widget stack: an ipywidgets slider driving an ipympl figure."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                       "language": "python"}
    notebook.cells = [
        nbformat.v4.new_code_cell("%matplotlib widget\nimport ipywidgets as widgets\n"
                                  "import matplotlib.pyplot as plt\nimport numpy as np"),
        nbformat.v4.new_code_cell(
            "with plt.ioff():\n"
            "    fig, ax = plt.subplots(figsize=(5, 3))\n"
            "x = np.linspace(0, 6, 200)\n"
            "(line,) = ax.plot(x, np.sin(x))\n"
            "ax.set_ylim(-3, 3)\n"
            "amplitude = widgets.FloatSlider(value=1.0, min=0.5, max=3.0, step=0.25, description='amplitude')\n"
            "def redraw(change):\n"
            "    line.set_ydata(change['new'] * np.sin(x))\n"
            "    fig.canvas.draw_idle()\n"
            "amplitude.observe(redraw, names='value')\n"
            "widgets.VBox([amplitude, fig.canvas])"
        ),
    ]
    SMOKE_NOTEBOOK.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, SMOKE_NOTEBOOK)
    return SMOKE_NOTEBOOK.relative_to(ROOT).as_posix()


def test_widget_stack_renders_and_a_drag_redraws(lab_server, page, artifacts):
    # The environment itself, apart from any lesson: ipywidgets, jupyterlab_widgets and
    # ipympl agree with each other and with JupyterLab.
    notebook = LabNotebook(page, lab_server, _write_smoke_notebook()).open()
    notebook.run_all()
    output = notebook.output_with(slider="amplitude")
    before, after, changed = _move_and_check(output, "amplitude", artifacts, drag=True)
    assert float(after) > float(before)
    notebook.shutdown_kernel()


@pytest.mark.parametrize("path, slider", LESSONS)
def test_lesson_widgets_render_and_a_slider_redraws(lab_server, page, artifacts, path, slider):
    page.set_viewport_size(LAPTOP)  # a participant's laptop, the file browser open beside the lesson
    notebook = LabNotebook(page, lab_server, _require(path)).open(file_browser=True)
    notebook.run_all()
    column = notebook.panel().locator(".jp-OutputArea-output").first.evaluate("node => node.clientWidth")
    assert column < 1000, f"the file browser should narrow the column below 1,000 px, not {column}"
    assert notebook.outputs_wider_than_their_column() == [], "every figure fits the column"
    output = notebook.output_with(slider=slider)
    _, first = _check_first_paint(notebook, output, artifacts)
    # Every figure has words: the static PNGs their alt text (read from each PNG by the widgets'
    # page script), each widget a summary in a live region. Then axe-core on the lesson's outputs
    # (its widgets, questions and figures): nothing serious or critical.
    images = notebook.panel().locator(".jp-OutputArea-output img")
    wait_for(lambda: images.count() > 0 and notebook.panel().locator(".jp-OutputArea-output img:not([alt])").count() == 0,
             10, "every figure's alt text")
    summary, announcer = output.locator(".coursekit-summary"), output.locator(ANNOUNCER)
    assert announcer.count() == 1, "one live region per widget"
    said = summary.inner_text()
    accessibility_audit(page, artifacts, Path(path).stem)
    before, after, changed = _move_and_check(output, slider, artifacts, before=first, presses=5)
    assert float(after) > float(before), f"ArrowRight should raise the value: {before} -> {after}"
    now = wait_for_new_text(lambda: summary.inner_text(), said, what="the widget's summary after the move")
    # ... and a screen reader hears it once the slider settles (the live region repeats it)
    wait_for(lambda: announcer.text_content().strip() == summary.inner_text().strip(), 10,
             f"the live region to announce the new summary ({now[:60]!r}...)")
    # A screen reader hears the slider's label and the value its readout shows, after the move too.
    moved = slider_in(output, slider)
    handle, label = moved.locator(".noUi-handle"), moved.locator(".widget-label").inner_text().strip()
    wait_for(lambda: (handle.get_attribute("aria-label"), handle.get_attribute("aria-valuetext"))
             == (label, slider_readout(moved)), 10, "the handle's aria-label and aria-valuetext")
    notebook.shutdown_kernel()


DIRECT_NOTEBOOK = ARTIFACTS / "direct_manipulation.ipynb"


def _write_direct_manipulation_notebook():
    """The two widgets whose figures take the mouse: the optimizer race and the momentum phase map."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                       "language": "python"}
    notebook.cells = [
        nbformat.v4.new_code_cell("%matplotlib inline\nimport ipywidgets\n"
                                  "from coursekit.optimizers import optimizer_race\n"
                                  "from coursekit.phase_map import momentum_phase_map"),
        nbformat.v4.new_code_cell("race = optimizer_race()\nrace"),
        nbformat.v4.new_code_cell("momentum_phase_map()"),
        # the kernel's own picture of the race as it is now (rerun after a drag)
        nbformat.v4.new_code_cell("ipywidgets.Image(value=race.png(), format='png')"),
    ]
    DIRECT_NOTEBOOK.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, DIRECT_NOTEBOOK)
    return DIRECT_NOTEBOOK.relative_to(ROOT).as_posix()


def test_the_race_and_the_phase_map_take_clicks_and_drags(lab_server, page, artifacts):
    """One notebook with both figures that take the mouse, opened once (each opening of a notebook
    in JupyterLab costs a test worker about 20 s): the race's click and drag, then the phase map's click."""
    page.set_viewport_size(LAPTOP)
    notebook = LabNotebook(page, lab_server, _write_direct_manipulation_notebook()).open(file_browser=True)
    notebook.run_all()
    assert notebook.outputs_wider_than_their_column() == [], "both figures fit a laptop's column"
    # the two course widgets (the last cell's plain ipywidgets.Image is this test's own reference picture)
    accessibility_audit(page, artifacts, "race-and-phase-map", scope=".jp-OutputArea-output:has(.coursekit-widget)")
    _the_race_takes_a_click_and_a_drag(notebook, artifacts)
    _a_click_on_the_phase_map_moves_both_sliders(notebook, artifacts)
    _the_keyboard_alone_moves_the_start_and_picks_a_phase_map_point(notebook, artifacts)
    notebook.shutdown_kernel()


def _tab_to(page, selector: str, *, within, presses: int = 40):
    """Press Tab (keyboard only) until the focused element matches ``selector`` inside ``within``."""
    for _ in range(presses):
        if within.evaluate("(root, selector) => !!document.activeElement && root.contains(document.activeElement)"
                           " && document.activeElement.matches(selector)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{presses} presses of Tab did not reach {selector!r}")


def _the_keyboard_alone_moves_the_start_and_picks_a_phase_map_point(notebook, artifacts):
    """What the mouse does, with keys only: Tab reaches the race's figure (after its controls), the
    arrow keys move its start, Tab leaves it again (ipympl would keep it); on the phase map, Tab
    reaches the learning-rate slider and the arrow keys pick another point of the map."""
    page = notebook.page
    race = notebook.output_with(slider=r"^lr \(SGD family\)$")
    figure = race.locator(FIGURE).first
    assert "arrow keys move the start point" in (figure.get_attribute("aria-label") or "")
    assert race.locator(ANNOUNCER).count() == 1
    race.locator("input").first.focus()  # the race's first control; from here on, keys only
    _tab_to(page, FIGURE, within=race)
    line, before = code_line(race), settled_screenshot(figure)
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    moved = wait_for_new_text(lambda: code_line(race), line, what="the race's code line after ArrowRight")
    assert "start=(" in moved, moved
    wait_for_figure_change(figure, before)
    page.keyboard.press("Tab")
    assert not figure.evaluate("node => node === document.activeElement"), "Tab must leave the figure"
    save(artifacts, "race-after-keys.png", settled_screenshot(figure))

    phase = notebook.output_with(slider="^momentum β$")
    lr = slider_in(phase, "^learning rate$")
    phase.locator('[role="slider"]').first.focus()  # the map's first control; keys only from here
    _tab_to(page, FIGURE, within=phase)
    figure, lr_before = phase.locator(FIGURE).first, slider_readout(lr)
    before = settled_screenshot(figure)
    page.keyboard.press("ArrowRight")  # a higher rate on the map, as a click to the right would pick
    lr_after = wait_for_new_text(lambda: slider_readout(lr), lr_before, what="the phase map's learning rate")
    assert float(lr_after) > float(lr_before), (lr_before, lr_after)
    wait_for_figure_change(figure, before)


def _the_race_takes_a_click_and_a_drag(notebook, artifacts):
    output = notebook.output_with(slider=r"^lr \(SGD family\)$")
    figure, before = _check_first_paint(notebook, output, artifacts)
    line = code_line(output)
    assert line.startswith("optimizer_race(") and "start=(-5.0, -2.0)" in line, line
    # The contours fill the left half of the figure: a click there is a new start.
    click_figure(figure, 0.30, 0.45)
    clicked = wait_for_new_text(lambda: code_line(output), line, what="the race's code line")
    assert "start=(-5.0, -2.0)" not in clicked and "start=(" in clicked, clicked
    after, changed = wait_for_figure_change(figure, before)
    save(artifacts, "figure-after-click.png", after)
    drag_on_figure(figure, (0.30, 0.45), (0.42, 0.25), steps=30)
    dragged = wait_for_new_text(lambda: code_line(output), clicked, what="the code line after a drag")
    end, _ = wait_for_figure_change(figure, after)
    dragged = code_line(output)  # read again once the figure settled: the wait above returns at the drag's first step
    save(artifacts, "figure-after-drag.png", end)
    # The canvas must show what the kernel drew, not stale pixels of frames the browser skipped.
    notebook.run_cells([notebook.code_cell("race.png()")])
    kernel_picture = settled_screenshot(notebook.panel().locator(".jp-Cell").nth(3).locator("img").first)
    save(artifacts, "figure-kernel-after-drag.png", kernel_picture)
    assert_matches_reference(end, kernel_picture, "the race after a drag")
    x_click, y_click = (float(v) for v in clicked.split("start=(")[1].rstrip(")").split(", "))
    x_drag, y_drag = (float(v) for v in dragged.split("start=(")[1].rstrip(")").split(", "))
    assert x_drag > x_click and y_drag > y_click, (clicked, dragged)  # right and up, as the mouse went


def _a_click_on_the_phase_map_moves_both_sliders(notebook, artifacts):
    output = notebook.output_with(slider="^momentum β$")
    figure, before = _check_first_paint(notebook, output, artifacts)
    lr, momentum = slider_in(output, "^learning rate$"), slider_in(output, "^momentum β$")
    lr_before, momentum_before = slider_readout(lr), slider_readout(momentum)
    # The map fills the left of the figure (learning rate across, momentum up); the default
    # setting (0.0316, 0.90) sits near its top, so a click lower and to the right moves both.
    click_figure(figure, 0.33, 0.45)
    momentum_after = wait_for_new_text(lambda: slider_readout(momentum), momentum_before, what="the momentum slider")
    lr_after = wait_for_new_text(lambda: slider_readout(lr), lr_before, what="the learning-rate slider")
    assert float(momentum_after) < float(momentum_before) and float(lr_after) > float(lr_before), (
        lr_after, momentum_after)
    after, changed = wait_for_figure_change(figure, before)
    save(artifacts, "figure-after.png", after)
    line = code_line(output)
    assert f"momentum={float(momentum_after):g}" in line, line  # the code line follows the sliders


COST_NOTEBOOK = ARTIFACTS / "casestudy_cost.ipynb"


def _write_cost_notebook():
    """Lesson 9's set-up cell and its calculator cell, as written in the lesson, as a participant
    jumping to the costs would run them. The lesson itself runs whole under nbval; opening all of
    it (sixty cells, a dozen figures) in the browser only to run two would cost the suite seconds."""
    lesson = nbformat.read(ROOT / _require("course/09_finetuning_case_study.ipynb"), as_version=4)
    code = [cell for cell in lesson.cells if cell.cell_type == "code"]
    wanted = [next(c for c in code if "from coursekit.casestudy import" in c.source),
              next(c for c in code if "cost_widget(" in c.source)]
    notebook = nbformat.v4.new_notebook(metadata=lesson.metadata)
    notebook.cells = [nbformat.v4.new_code_cell(cell.source) for cell in wanted]
    COST_NOTEBOOK.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, COST_NOTEBOOK)
    return COST_NOTEBOOK.relative_to(ROOT).as_posix()


def test_case_study_cost_calculator_redraws(lab_server, page, artifacts):
    # The case study fine-tunes a language model for a minute or more; the calculator needs
    # only the set-up cell, so run that and the calculator's cell.
    notebook = LabNotebook(page, lab_server, _write_cost_notebook()).open()
    notebook.run_cells([notebook.code_cell("from coursekit.casestudy import"), notebook.code_cell("cost_widget(")])
    output = notebook.output_with(slider=r"\$ per GPU-hour")
    _, first = _check_first_paint(notebook, output, artifacts)
    before, after, changed = _move_and_check(output, r"\$ per GPU-hour", artifacts, before=first, presses=10)
    assert float(after.lstrip("$")) > float(before.lstrip("$"))
    notebook.shutdown_kernel()


# This test used to fail in about one run in three (the canvas kept a stale or partial frame):
# ipympl's browser side drops a frame that arrives while the previous one is still loading,
# and a dropped diff left old pixels. Course canvases now send such frames whole
# (mpl_compat.send_rapid_frames_whole).
PANEL_NOTEBOOK = ARTIFACTS / "playground_panel.ipynb"


def _write_panel_notebook():
    """One playground demo with its preset buttons, as a participant replays it in JupyterLab. The
    whole playground runs under nbval and in the Voilà test, which presses presets in three demos;
    building all six again here would add half a minute."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                       "language": "python"}
    notebook.cells = [nbformat.v4.new_code_cell("from coursekit import playground\n"
                                                "playground.learning_rate_demo()")]
    PANEL_NOTEBOOK.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, PANEL_NOTEBOOK)
    return PANEL_NOTEBOOK.relative_to(ROOT).as_posix()


def test_playground_presets_redraw_in_lab(lab_server, page, artifacts):
    notebook = LabNotebook(page, lab_server, _write_panel_notebook()).open()
    notebook.run_all()
    assert notebook.wait_for_widgets() >= 1
    output = notebook.output_with(slider="^learning rate$")
    figure, before = _check_first_paint(notebook, output, artifacts)
    assert "learning rate just right" in output.inner_text()  # the preset it starts with
    output.get_by_role("button", name="learning rate too high").click()
    after, changed = wait_for_figure_change(figure, before)
    save(artifacts, "figure-after.png", after)
    assert "learning rate too high" in output.inner_text()  # the status line names the active preset
    assert slider_readout(slider_in(output, "^learning rate$")) == "0.631"
    notebook.shutdown_kernel()
