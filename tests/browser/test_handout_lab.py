"""The handout in a fresh JupyterLab, set up as the hub image sets it up (tools/lab_settings/room.json
as the settings overrides, no user settings about news): the first lesson opens with its figures, and
nothing asks the participant anything first."""
from __future__ import annotations

import sys

import pytest
from browser_pages import LabNotebook
from browser_servers import LAB_SETTINGS, ROOT, start_lab

sys.path.insert(0, str(ROOT / "tools"))
import make_handout  # noqa: E402

pytestmark = pytest.mark.browser

NOTIFICATIONS = "@jupyterlab/apputils-extension/notification"


@pytest.fixture(scope="module")
def handout_lab(browser, tmp_path_factory):
    tree = make_handout.write_handout(tmp_path_factory.mktemp("handout") / "course")
    settings = {plugin: values for plugin, values in LAB_SETTINGS.items() if plugin != NOTIFICATIONS}
    server = start_lab(tmp_path_factory.mktemp("handout-home"), tree, settings=settings,
                       overrides=ROOT / "tools" / "lab_settings" / "room.json", log_name="jupyterlab-handout.log")
    try:
        yield server
    finally:
        server.stop(shutdown_path="api/shutdown")


def test_the_handout_opens_its_first_lesson_cleanly_in_a_room_jupyterlab(handout_lab, page, artifacts):
    # The overrides become the defaults JupyterLab serves (the user has set nothing).
    schema = handout_lab.request("GET", "lab/api/settings/@jupyterlab/apputils-extension:notification")["schema"]
    defaults = {name: spec.get("default") for name, spec in schema["properties"].items()}
    assert defaults["fetchNews"] == "false" and defaults["checkForUpdates"] is False  # from room.json
    LabNotebook(page, handout_lab, "00_welcome.ipynb").open()
    figures = page.locator(".jp-OutputArea-output img")
    assert figures.count() > 0, "the executed lesson shows its figures before anything runs"
    toasts = page.locator(".Toastify__toast")
    assert toasts.count() == 0, f"a notification greeted the participant: {toasts.all_inner_texts()}"
    page.screenshot(path=str(artifacts / "handout-first-lesson.png"))
    names = {item["name"] for item in handout_lab.request("GET", "api/contents")["content"]}
    assert "00_welcome.md" not in names and "00_welcome.ipynb" in names
