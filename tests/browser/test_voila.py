"""The instructor playground as a Voilà app, in a real Chromium: no code, live widgets, presets redraw.

Started as documented (``voila course/playground.ipynb``), on a free loopback port with a
random token. Screenshots land in test-artifacts/browser/<test>/.
"""

from __future__ import annotations

import pytest
from browser_pages import (
    APP_TIMEOUT_S,
    FIGURE,
    RUN_TIMEOUT_S,
    assert_matches_reference,
    save,
    settled_screenshot,
    slider_in,
    slider_readout,
    wait_for,
    wait_for_figure_change,
    widget_error_texts,
)
from browser_servers import ROOT, start_voila

pytestmark = pytest.mark.browser

PLAYGROUND = "course/playground.ipynb"
DEMO = ".coursekit-playground-demo"  # the box around one demo (coursekit.playground.PresetPanel)


@pytest.fixture(scope="module")
def voila_server(browser, tmp_path_factory):
    pytest.importorskip("voila", reason="Voila is missing: pip install -e '.[dev]'")
    if not (ROOT / PLAYGROUND).is_file():
        pytest.fail(f"{PLAYGROUND} is missing: the browser tests cover it")
    server = start_voila(PLAYGROUND, tmp_path_factory.mktemp("voila-home"))
    try:
        yield server
    finally:
        server.stop()


def test_playground_app_shows_no_code_and_presets_redraw(voila_server, page, artifacts):
    from coursekit import playground

    page.goto(voila_server.url(""), wait_until="domcontentloaded", timeout=APP_TIMEOUT_S * 1000)
    # Voilà runs the whole notebook, then the widgets appear: three demos, each with a figure.
    wait_for(lambda: page.locator(DEMO).count() == 3 and page.locator(f"{DEMO} {FIGURE}").count() == 3,
             RUN_TIMEOUT_S, "the playground's three demos to appear")
    assert not widget_error_texts(page), widget_error_texts(page)

    # An app, not a notebook: no code cells, no source text.
    text = page.inner_text("body")
    assert page.locator(".jp-CodeCell").count() >= 4, "the code cells' outputs are on the page"
    assert page.locator(".jp-CodeCell .jp-InputArea:visible, .jp-CodeMirrorEditor, .cm-editor").count() == 0
    assert "playground.learning_rate_demo()" not in text and "from coursekit import" not in text
    assert "Instructor playground" in text and "learning rate too high" in text  # prose and cheat sheet

    # The learning-rate demo first shows exactly the figure the kernel draws for its defaults.
    lr_demo = page.locator(DEMO).filter(has=page.locator(".widget-label", has_text="learning rate")).first
    lr_figure = lr_demo.locator(FIGURE)
    first = settled_screenshot(lr_figure)
    save(artifacts, "learning-rate-before.png", first)
    reference = playground.learning_rate_demo(interactive=False).png()
    save(artifacts, "learning-rate-kernel.png", reference)
    assert_matches_reference(first, reference, "Voilà learning-rate demo")

    # Presets: each press redraws its own demo and names itself in the status line.
    for label, file_name in (("exploding gradients", "clipping"), ("Adam vs SGD on a ravine", "race")):
        demo = page.locator(DEMO).filter(has=page.get_by_role("button", name=label)).first
        figure = demo.locator(FIGURE)
        before = settled_screenshot(figure)
        save(artifacts, f"{file_name}-before.png", before)
        demo.get_by_role("button", name=label).click()
        after, changed = wait_for_figure_change(figure, before)
        save(artifacts, f"{file_name}-after.png", after)
        wait_for(lambda: f"{label}:" in demo.inner_text(), 10, f"the status line to name {label!r}")

    clipping = page.locator(DEMO).filter(has=page.get_by_role("button", name="exploding gradients")).first
    assert slider_readout(slider_in(clipping, "clip threshold")) == "off"
    save(artifacts, "app.png", page.screenshot())
