"""The instructor playground as a Voilà app, in a real Chromium: no code, live widgets, presets
redraw, and a link with ``?preset=<name>`` opens the app on that preset.

Started as documented (``voila course/playground.ipynb`` in the repository's root, whose
``voila.json`` keeps a preheated kernel ready), on a free loopback port with a random token.
Each page takes a kernel that has already built every demo and waits for the page's address;
Voilà then preheats the next one. Screenshots land in test-artifacts/browser/<test>/.
"""

from __future__ import annotations

import time

import pytest
from browser_pages import (
    APP_TIMEOUT_S,
    accessibility_audit,
    FIGURE,
    RUN_TIMEOUT_S,
    assert_matches_reference,
    click_figure,
    code_line,
    drag_on_figure,
    save,
    settled_screenshot,
    slider_in,
    slider_readout,
    wait_for,
    wait_for_figure_change,
    wait_for_new_text,
    widget_error_texts,
)
from browser_servers import ROOT, start_voila, wait_until_preheated

pytestmark = pytest.mark.browser

PLAYGROUND = "course/playground.ipynb"
DEMO = ".coursekit-playground-demo"  # the box around one demo (coursekit.playground.PresetPanel)
STATUS = ".coursekit-preset-status"  # the line under a demo's buttons: the active preset and its link
CODE_LINE = ".coursekit-code-line"  # the Python line that recreates a demo's state
DEMO_COUNT = 6


PREHEATED = "Using pre-heated kernel"  # what Voilà logs when a page takes a kernel from its pool


def open_app(page, server, **query):
    """Load the app (with ``query`` in its address) from a preheated kernel and wait for every
    demo's figure."""
    wait_until_preheated(server)
    served = server.log_path.read_text(errors="replace").count(PREHEATED)
    page.goto(server.url("", **query), wait_until="domcontentloaded", timeout=APP_TIMEOUT_S * 1000)
    # Voilà runs the whole notebook, then the widgets appear: each demo with a figure.
    wait_for(lambda: page.locator(DEMO).count() == DEMO_COUNT
             and page.locator(f"{DEMO} {FIGURE}").count() == DEMO_COUNT,
             RUN_TIMEOUT_S, f"the playground's {DEMO_COUNT} demos to appear")
    assert not widget_error_texts(page), widget_error_texts(page)
    assert server.log_path.read_text(errors="replace").count(PREHEATED) == served + 1, "the page did not come from a preheated kernel"


def demo_with_button(page, label):
    return page.locator(DEMO).filter(has=page.get_by_role("button", name=label, exact=True)).first


@pytest.fixture(scope="module")
def voila_server(browser, tmp_path_factory):
    pytest.importorskip("voila", reason="Voila is missing: pip install -e '.[dev]'")
    if not (ROOT / PLAYGROUND).is_file():
        pytest.fail(f"{PLAYGROUND} is missing: the browser tests cover it")
    # voila.json's settings, but no refill: the next kernel, prepared as soon as the page takes one,
    # would build every demo again (about 25 s of CPU) while this test and the other worker run.
    server = start_voila(PLAYGROUND, tmp_path_factory.mktemp("voila-home"), "--VoilaKernelManager.fill_delay=3600")
    try:
        yield server
    finally:
        server.stop()


def test_a_preset_link_opens_the_app_on_its_preset_and_every_demo_answers(voila_server, page, artifacts):
    """An instructor's slide link, ``...?preset=no_warmup``, served by a preheated kernel (which built
    every demo before the page asked): an app without code, that preset selected and drawn, the other
    demos on their defaults; then presets redraw their demos, and a click and a drag move the race's
    start. One page: each page costs Voilà a notebook run (about 25 s on two cores)."""
    from coursekit import playground
    from coursekit.playground import get_preset

    open_app(page, voila_server, preset="no_warmup")
    _the_link_s_preset_is_selected_and_drawn(page, artifacts)

    # An app, not a notebook: no code cells, no source text.
    text = page.inner_text("body")
    assert page.locator(".jp-CodeCell").count() >= 4, "the code cells' outputs are on the page"
    assert page.locator(".jp-CodeCell .jp-InputArea:visible, .jp-CodeMirrorEditor, .cm-editor").count() == 0
    assert "demos.learning_rate" not in text and "from coursekit import" not in text
    assert "Instructor playground" in text and "learning rate too high" in text  # prose and cheat sheet
    assert "?preset=no_warmup" in text  # the crib sheet gives every preset's link
    # Every demo shows the line of code that recreates what it shows.
    assert page.locator(f"{DEMO} {CODE_LINE}").count() == DEMO_COUNT
    # axe-core on every output the notebook put on the page: nothing serious or critical.
    accessibility_audit(page, artifacts, "voila-playground")

    # The learning-rate demo opens on its default, exactly the figure the kernel draws for it.
    lr_demo = demo_with_button(page, "learning rate just right")
    assert "learning rate just right:" in lr_demo.locator(STATUS).inner_text()
    first = settled_screenshot(lr_demo.locator(FIGURE))
    save(artifacts, "learning-rate-before.png", first)
    reference = playground.learning_rate_demo(interactive=False).png()
    save(artifacts, "learning-rate-kernel.png", reference)
    assert_matches_reference(first, reference, "Voilà learning-rate demo")

    # Presets: each press redraws its own demo, names itself in the status line with its
    # link and updates the demo's code line.
    presses = (("exploding gradients", "clipping", "threshold=None"),
               ("Adam vs SGD on a ravine", "race", "optimizers=('SGD', 'Adam')"),
               ("batch 512, same rate", "batch-size", "batch_size_widget(batch_size=512, lr=0.0501187)"))
    for label, file_name, code in presses:
        demo = demo_with_button(page, label)
        figure = demo.locator(FIGURE)
        before = settled_screenshot(figure)
        save(artifacts, f"{file_name}-before.png", before)
        started = time.monotonic()
        demo.get_by_role("button", name=label, exact=True).click()
        after, changed = wait_for_figure_change(figure, before)
        print(f"{label}: the figure changed and settled {time.monotonic() - started:.1f} s after the click")
        save(artifacts, f"{file_name}-after.png", after)
        wait_for(lambda: f"{label}:" in demo.locator(STATUS).inner_text(), 10, f"the status line to name {label!r}")
        key = get_preset(label).key
        assert f"?preset={key}" in demo.locator(STATUS).inner_text()
        wait_for(lambda: code in demo.locator(CODE_LINE).inner_text(), 10, f"the code line to read {code!r}")

    clipping = demo_with_button(page, "exploding gradients")
    assert slider_readout(slider_in(clipping, "clip threshold")) == "off"
    save(artifacts, "app.png", page.screenshot())
    _a_click_and_a_drag_move_the_race_s_start(page, artifacts)


def _the_link_s_preset_is_selected_and_drawn(page, artifacts):
    from coursekit import playground

    opening = page.locator(".coursekit-opening").inner_text()
    assert "Opened on the preset 'no warmup'" in opening, opening
    demo = demo_with_button(page, "no warmup")
    wait_for(lambda: "no warmup:" in demo.locator(STATUS).inner_text(), 10, "the status line to name 'no warmup'")
    # The selected preset's button is highlighted, and only it.
    active = demo.locator(".coursekit-preset.mod-info")
    assert active.count() == 1 and active.inner_text().strip() == "no warmup"
    assert "kind='cosine', warmup_fraction=0.0, peak_lr=0.3" in demo.locator(CODE_LINE).inner_text()
    # Its figure shows exactly what the kernel draws when that preset's button is pressed.
    shot = settled_screenshot(demo.locator(FIGURE))
    save(artifacts, "no-warmup.png", shot)
    reference = playground.schedule_demo(interactive=False).apply("no_warmup").png()
    save(artifacts, "no-warmup-kernel.png", reference)
    assert_matches_reference(shot, reference, "Voilà schedule demo opened on ?preset=no_warmup")
    # The status line's link is a real link to this very preset (right-click, copy, paste on a slide).
    assert demo.locator(f"{STATUS} a.coursekit-preset-href").get_attribute("href") == "?preset=no_warmup"


def _start_in(line):
    """The ``start=(x1, x2)`` of a race's code line, as two floats."""
    assert "start=(" in line, line
    x, y = line.split("start=(")[1].split(")")[0].split(", ")
    return float(x), float(y)


def _a_click_and_a_drag_move_the_race_s_start(page, artifacts):
    """In the app, as in JupyterLab: a click on the race's contours moves the start, a drag
    moves it further the way the mouse went, and the status line stops naming the preset."""
    from coursekit import playground

    race = demo_with_button(page, "Adam vs SGD on a ravine")
    race.get_by_role("button", name="Adam vs SGD on a ravine", exact=True).click()
    wait_for(lambda: "Adam vs SGD on a ravine:" in race.locator(STATUS).inner_text(), 10,
             "the status line to name the race's preset")
    figure = race.locator(FIGURE)
    figure.scroll_into_view_if_needed()
    before = settled_screenshot(figure)
    save(artifacts, "race-before.png", before)
    line = code_line(race)
    assert line.startswith("optimizer_race(") and _start_in(line) == (-5.0, -2.0), line
    # The contours fill the left half of the figure: a click there is a new start.
    click_figure(figure, 0.30, 0.45)
    clicked = wait_for_new_text(lambda: code_line(race), line, what="the race's code line")
    assert _start_in(clicked) != (-5.0, -2.0), clicked
    after, _ = wait_for_figure_change(figure, before)
    save(artifacts, "race-after-click.png", after)
    # The start is not a control, yet the preset no longer holds: the status line says so.
    wait_for(lambda: "your own setting" in race.locator(STATUS).inner_text(), 10,
             "the status line to stop naming the preset after the start moved")
    drag_on_figure(figure, (0.30, 0.45), (0.42, 0.25), steps=30)
    wait_for_new_text(lambda: code_line(race), clicked, what="the code line after a drag")
    end, _ = wait_for_figure_change(figure, after)
    save(artifacts, "race-after-drag.png", end)
    # Read the line once the figure has settled: the first change above is an early step of
    # the drag. The kernel sends each step's line before its frame, so this is the last one.
    dragged = code_line(race)
    (x_click, y_click), (x_drag, y_drag) = _start_in(clicked), _start_in(dragged)
    assert x_drag > x_click and y_drag > y_click, (clicked, dragged)  # right and up, as the mouse went
    # The canvas shows what the kernel draws for that start, not stale pixels of skipped frames.
    reference = playground.race_demo("adam_vs_sgd", interactive=False)
    reference.widget.click(reference.fig.axes[0], x_drag, y_drag)
    assert reference.code_line == dragged, (reference.code_line, dragged)
    save(artifacts, "race-kernel-after-drag.png", reference.png())
    assert_matches_reference(end, reference.png(), "the Voilà race after a drag")
    # The preset's button puts its start back, and the status line names it again.
    race.get_by_role("button", name="Adam vs SGD on a ravine", exact=True).click()
    wait_for(lambda: _start_in(code_line(race)) == (-5.0, -2.0), 30, "the preset to put the start back")
    wait_for(lambda: "Adam vs SGD on a ravine:" in race.locator(STATUS).inner_text(), 10,
             "the status line to name the preset again")
