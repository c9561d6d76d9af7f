"""What the browser tests do on a page: open and run a notebook in JupyterLab, check that
every widget rendered, move a slider or press a button, and compare figure screenshots.

Everything waits with a bound and fails with a message that says what was expected.
"""

from __future__ import annotations

import base64
import io
import re
import time
from pathlib import Path

from PIL import Image, ImageChops, ImageFilter

# What JupyterLab and the widget manager write where a widget failed to render (the
# ipywidgets/jupyterlab_widgets version mismatch of field reports, a missing extension, a
# model whose kernel is gone).
WIDGET_ERROR_TEXTS = (
    "Error displaying widget",
    "Error creating widget",
    "model not found",
    "is not registered",
    "Failed to load model class",
    "Failed to load view class",
    "Could not create a model",
    "Could not create a view",
    "No renderer could be found",
)
WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"
FIGURE = ".jupyter-matplotlib-canvas-div"  # ipympl's canvas (the figure's pixels, no toolbar)
SLIDER = ".widget-slider"

APP_TIMEOUT_S = 90  # JupyterLab's page and kernel on a busy machine
RUN_TIMEOUT_S = 150  # one lesson runs in under 60 s headless; the browser adds rendering
RENDER_TIMEOUT_S = 60
CHANGE_TIMEOUT_S = 30  # a slider move is answered in well under a second; CI machines are slow


class BrowserTestError(AssertionError):
    pass


def wait_for(condition, timeout: float, what: str, interval: float = 0.25):
    """Call ``condition()`` until it returns something truthy; raise naming ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise BrowserTestError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


# -- images -----------------------------------------------------------------------------------------------


def changed_pixels(png_a: bytes, png_b: bytes, tolerance: int = 24) -> int:
    """How many pixels differ by more than ``tolerance`` (0-255 grey); all of them if the sizes differ."""
    a = Image.open(io.BytesIO(png_a)).convert("RGB")
    b = Image.open(io.BytesIO(png_b)).convert("RGB")
    if a.size != b.size:
        return a.size[0] * a.size[1]  # a resized figure has changed
    difference = ImageChops.difference(a, b).convert("L").point(lambda v: 255 if v > tolerance else 0)
    return int(difference.histogram()[255])


def ink_fraction(png: bytes, threshold: int = 200) -> float:
    """The fraction of pixels darker than ``threshold`` (0-255 grey): text, lines, markers."""
    grey = Image.open(io.BytesIO(png)).convert("L")
    histogram = grey.histogram()
    return sum(histogram[:threshold]) / (grey.size[0] * grey.size[1])


def is_painted(png: bytes, min_ink: float = 0.01) -> bool:
    """True once a figure shows a plot: an unpainted canvas is white, or a lone border line."""
    return ink_fraction(png) >= min_ink


def reference_mismatch(shot: bytes, reference: bytes, tolerance: int = 40, max_shift: int = 2,
                       blur: float = 1.5) -> float:
    """How far a screenshot of a figure is from the kernel's own PNG of it: the number of
    differing pixels over the reference's inked pixels, about 0 for a faithful canvas and
    0.5 or more for a canvas missing much of its drawing or showing another state.

    Both images are blurred a little and aligned to the best offset within ``max_shift``
    pixels first: a canvas at a fractional page position is resampled by the browser,
    which shifts and softens every line without changing what is drawn.
    """
    a = Image.open(io.BytesIO(shot)).convert("RGB")
    b = Image.open(io.BytesIO(reference)).convert("RGB")
    if abs(a.size[0] - b.size[0]) > 2 * max_shift or abs(a.size[1] - b.size[1]) > 2 * max_shift:
        return float("inf")  # not even the same size
    ink = sum(b.convert("L").histogram()[:200])
    a, b = a.filter(ImageFilter.GaussianBlur(blur)), b.filter(ImageFilter.GaussianBlur(blur))
    width = min(a.size[0], b.size[0]) - 2 * max_shift
    height = min(a.size[1], b.size[1]) - 2 * max_shift
    best = float("inf")
    for dx in range(-max_shift, max_shift + 1):
        for dy in range(-max_shift, max_shift + 1):
            ax, ay, bx, by = max(dx, 0), max(dy, 0), max(-dx, 0), max(-dy, 0)
            difference = ImageChops.difference(a.crop((ax, ay, ax + width, ay + height)),
                                               b.crop((bx, by, bx + width, by + height))).convert("L")
            changed = difference.point(lambda v: 255 if v > tolerance else 0).histogram()[255]
            best = min(best, changed / max(ink, 1))
    return best


def assert_matches_reference(shot: bytes, reference: bytes, what: str, limit: float = 0.1) -> None:
    mismatch = reference_mismatch(shot, reference)
    if mismatch > limit:
        raise BrowserTestError(f"{what}: the browser shows a different picture than the kernel drew "
                               f"(mismatch {mismatch:.2f} > {limit}); see the screenshots")


def settled_screenshot(locator, timeout: float = RENDER_TIMEOUT_S) -> bytes:
    """A screenshot of ``locator`` once it is painted and two shots in a row are identical."""
    previous = None

    def steady():
        nonlocal previous
        shot = locator.screenshot(animations="disabled")
        if previous is not None and shot == previous and is_painted(shot):
            return shot
        previous = shot
        return None

    return wait_for(steady, timeout, "the figure to be painted and stop changing", interval=0.4)


def wait_for_figure_change(locator, before: bytes, timeout: float = CHANGE_TIMEOUT_S,
                           min_pixels: int = 200) -> tuple[bytes, int]:
    """Screenshots of ``locator`` until at least ``min_pixels`` differ from ``before``; then
    wait for it to settle. Returns ``(after, changed pixel count)``."""

    def changed():
        shot = locator.screenshot(animations="disabled")
        count = changed_pixels(before, shot)
        return (shot, count) if count >= min_pixels else None

    try:
        wait_for(changed, timeout, f"the figure to change (at least {min_pixels} pixels)", interval=0.4)
    except BrowserTestError:
        raise BrowserTestError(f"the figure did not change within {timeout:.0f} s of the control moving") from None
    after = settled_screenshot(locator)
    return after, changed_pixels(before, after)


# -- widgets ---------------------------------------------------------------------------------------------


def widget_error_texts(page_or_locator) -> list[str]:
    """Widget error messages visible in a page or element."""
    text = page_or_locator.inner_text("body") if hasattr(page_or_locator, "goto") else page_or_locator.inner_text()
    return [message for message in WIDGET_ERROR_TEXTS if message in text]


def slider_in(scope, label: str | None):
    """The slider whose description matches ``label`` (a regular expression), or the first one."""
    sliders = scope.locator(SLIDER)
    if label is not None:
        sliders = sliders.filter(has=scope.page.locator(".widget-label", has_text=re.compile(label)))
    count = sliders.count()
    if count == 0:
        raise BrowserTestError(f"no slider labelled {label!r} here")
    return sliders.first


def slider_readout(slider) -> str:
    return slider.locator(".widget-readout").inner_text().strip()


def press_slider(slider, key: str = "ArrowRight", presses: int = 4) -> None:
    """Move a slider with the keyboard, as a user tabbing to it would."""
    handle = slider.locator(".noUi-handle")
    handle.focus()
    for _ in range(presses):
        handle.press(key)


def drag_slider(slider, fraction: float = 0.35) -> None:
    """Drag a slider's handle by ``fraction`` of the track's width with the mouse."""
    page = slider.page
    handle = slider.locator(".noUi-handle").bounding_box()
    track = slider.locator(".noUi-base").bounding_box()
    if handle is None or track is None:
        raise BrowserTestError("the slider is not visible, so it cannot be dragged")
    x, y = handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2
    target = min(max(x + fraction * track["width"], track["x"]), track["x"] + track["width"])
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(target, y, steps=8)
    page.mouse.up()


def figure_point(figure, fx: float, fy: float) -> tuple[float, float]:
    """The page coordinates of the point at fractions (``fx`` from the left, ``fy`` from the top) of a figure."""
    box = figure.bounding_box()
    if box is None:
        raise BrowserTestError("the figure is not visible, so it cannot be clicked")
    return box["x"] + fx * box["width"], box["y"] + fy * box["height"]


def click_figure(figure, fx: float, fy: float) -> None:
    """A left click at fractions (``fx``, ``fy``) of a figure (ipympl sends it to the kernel)."""
    figure.page.mouse.click(*figure_point(figure, fx, fy))


def drag_on_figure(figure, start, end, steps: int = 10) -> None:
    """Press at fractions ``start`` of a figure, move to ``end`` in ``steps`` mouse moves, release."""
    page = figure.page
    page.mouse.move(*figure_point(figure, *start))
    page.mouse.down()
    page.mouse.move(*figure_point(figure, *end), steps=steps)
    page.mouse.up()


def code_line(scope) -> str:
    """The line of code a coursekit widget shows under its controls (``make_widget(code=...)``)."""
    line = scope.locator(".coursekit-code-line")
    if line.count() == 0:
        raise BrowserTestError("this widget shows no code line")
    return line.first.inner_text().strip()


def wait_for_new_text(read, before: str, timeout: float = CHANGE_TIMEOUT_S, what: str = "the text") -> str:
    """Call ``read()`` until it returns something other than ``before``; return it."""
    return wait_for(lambda: (lambda now: now if now != before else None)(read()), timeout,
                    f"{what} to change from {before!r}")


def save(directory: Path, name: str, png: bytes) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_bytes(png)
    return path


# -- JupyterLab ------------------------------------------------------------------------------------------

_FIND_PANEL = """
(path) => {
  const app = window.jupyterapp;
  if (!app) return null;
  for (const widget of app.shell.widgets('main')) {
    if (widget.context && widget.context.path === path && widget.content && widget.sessionContext) return widget;
  }
  return null;
}
"""

_PANEL_READY = f"""
async (path) => {{
  const find = {_FIND_PANEL};
  const panel = find(path);
  if (!panel) return false;
  await panel.context.ready;
  await panel.sessionContext.ready;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle';
}}
"""

# Notebook commands act on the notebook the shell holds current, which follows activateById only
# once focus has moved: on a loaded machine a command sent at once can find another tab (or none)
# current and resolve false. Wait (bounded) until the panel is current.
_ACTIVATE = """
async (app, panel) => {
  app.shell.activateById(panel.id);
  for (let i = 0; i < 200 && app.shell.currentWidget !== panel; i++) {
    await new Promise(resolve => setTimeout(resolve, 25));
  }
  return app.shell.currentWidget === panel;
}
"""

_RUN_ALL = f"""
async (path) => {{
  const find = {_FIND_PANEL};
  const activate = {_ACTIVATE};
  const app = window.jupyterapp;
  const panel = find(path);
  if (!(await activate(app, panel))) return false;
  // The same command as Run > Run All Cells; it resolves when the last cell has run.
  return await app.commands.execute('notebook:run-all-cells');
}}
"""

_RUN_CELLS = f"""
async ([path, indices]) => {{
  const find = {_FIND_PANEL};
  const activate = {_ACTIVATE};
  const app = window.jupyterapp;
  const panel = find(path);
  if (!(await activate(app, panel))) return false;
  for (const index of indices) {{
    panel.content.deselectAll();
    panel.content.activeCellIndex = index;
    // The same command as Shift+Enter without moving on; it resolves when the cell has run.
    if (!(await app.commands.execute('notebook:run-cell'))) return false;
  }}
  return true;
}}
"""

_PANEL_ID = f"""
(path) => {{
  const find = {_FIND_PANEL};
  const panel = find(path);
  return panel ? panel.id : null;
}}
"""

_CELL_INDEX = f"""
([path, text]) => {{
  const find = {_FIND_PANEL};
  const panel = find(path);
  return panel.content.widgets.findIndex(
    cell => cell.model.type === 'code' && cell.model.sharedModel.getSource().includes(text));
}}
"""

_REPORT = f"""
(path) => {{
  const find = {_FIND_PANEL};
  const panel = find(path);
  const report = [];
  panel.content.widgets.forEach((cell, index) => {{
    if (cell.model.type !== 'code') return;
    const children = cell.outputArea ? cell.outputArea.widgets : [];
    const outputs = cell.model.outputs.toJSON().map((output, i) => {{
      const node = children[i] ? children[i].node : null;
      const data = output.data || {{}};
      return {{
        type: output.output_type, ename: output.ename || null, evalue: output.evalue || null,
        widget: '{WIDGET_VIEW_MIME}' in data,
        rendered: !!(node && node.querySelector('.jupyter-widgets')),
        text: node ? node.innerText.slice(0, 300) : '',
      }};
    }});
    report.push({{index, count: cell.model.executionCount, outputs}});
  }});
  return report;
}}
"""

_OUTPUT_PNG = f"""
(node, path) => {{
  const find = {_FIND_PANEL};
  const panel = find(path);
  for (const cell of panel.content.widgets) {{
    if (cell.model.type !== 'code' || !cell.node.contains(node)) continue;
    const children = cell.outputArea.widgets;
    const outputs = cell.model.outputs.toJSON();
    for (let i = 0; i < outputs.length; i++) {{
      if (children[i] && children[i].node.contains(node)) {{
        return (outputs[i].data || {{}})['image/png'] || null;
      }}
    }}
  }}
  return null;
}}
"""

_SHUTDOWN = f"""
async (path) => {{
  const find = {_FIND_PANEL};
  const panel = find(path);
  if (panel) await panel.sessionContext.shutdown();
  return true;
}}
"""


class LabNotebook:
    """One notebook open in JupyterLab in a Playwright page."""

    def __init__(self, page, server, path: str):
        self.page, self.server, self.path = page, server, path

    def open(self, *, file_browser: bool = False) -> "LabNotebook":
        """Open the notebook with JupyterLab's left area closed, or showing its file browser (a
        participant's usual view: the notebook column narrows to about 1,000 px on a laptop)."""
        self.page.goto(self.server.url(f"lab/tree/{self.path}"), wait_until="domcontentloaded",
                       timeout=APP_TIMEOUT_S * 1000)
        self.page.wait_for_function("() => window.jupyterapp !== undefined", timeout=APP_TIMEOUT_S * 1000)
        left = "expandLeft('filebrowser')" if file_browser else "collapseLeft()"
        self.page.evaluate(f"async () => {{ await window.jupyterapp.restored; window.jupyterapp.shell.{left}; }}")
        wait_for(lambda: self.page.evaluate(_PANEL_READY, self.path), APP_TIMEOUT_S,
                 f"{self.path} to open with an idle kernel", interval=0.5)
        return self

    def run_all(self, timeout: float = RUN_TIMEOUT_S) -> None:
        """Run > Run All Cells, then wait for every widget output to render."""
        self._run(_RUN_ALL, self.path, timeout=timeout, indices=None)

    def code_cell(self, containing: str) -> int:
        """The index of the first code cell whose source contains ``containing``."""
        index = self.page.evaluate(_CELL_INDEX, [self.path, containing])
        if index < 0:
            raise BrowserTestError(f"{self.path}: no code cell contains {containing!r}")
        return index

    def run_cells(self, indices, timeout: float = RUN_TIMEOUT_S) -> None:
        """Run these cells one after the other (as Shift+Enter would), then wait for their widgets."""
        self._run(_RUN_CELLS, [self.path, list(indices)], timeout=timeout, indices=list(indices))

    def _run(self, script, argument, *, timeout, indices):
        self.page.set_default_timeout(timeout * 1000)
        try:
            finished = self.page.evaluate(script, argument)
        finally:
            self.page.set_default_timeout(30_000)
        report = [cell for cell in self.report() if indices is None or cell["index"] in indices]
        errors = [f"cell {cell['index']}: {o['ename']}: {o['evalue']}"
                  for cell in report for o in cell["outputs"] if o["type"] == "error"]
        if errors or not finished:
            raise BrowserTestError(f"{self.path} did not run cleanly: " + ("; ".join(errors) or "stopped early"))
        not_run = [cell["index"] for cell in report if cell["count"] is None]
        if not_run:
            raise BrowserTestError(f"{self.path}: cells {not_run} have no execution count after running")
        self.wait_for_widgets(indices)

    def report(self) -> list[dict]:
        return self.page.evaluate(_REPORT, self.path)

    def wait_for_widgets(self, indices=None, timeout: float = RENDER_TIMEOUT_S) -> int:
        """Wait until every widget output (of the cells at ``indices``, default all) rendered a
        live widget; fail on widget error text. Returns the number of widget outputs."""

        def widget_outputs():
            return [o for cell in self.report() if indices is None or cell["index"] in indices
                    for o in cell["outputs"] if o["widget"]]

        def all_rendered():
            outputs = widget_outputs()
            broken = [o["text"] for o in outputs if any(m in o["text"] for m in WIDGET_ERROR_TEXTS)]
            if broken:
                raise BrowserTestError(f"{self.path}: a widget failed to render: {broken[0]!r}")
            pending = [o for o in outputs if not o["rendered"]]
            return len(outputs) if outputs and not pending else None

        try:
            count = wait_for(all_rendered, timeout, "every widget to render")
        except BrowserTestError as error:
            outputs = widget_outputs()
            raise BrowserTestError(f"{self.path}: {error} ({len(outputs)} widget outputs; "
                                   f"texts: {[o['text'][:80] for o in outputs if not o['rendered']]})") from None
        if indices is None:
            errors = widget_error_texts(self.page)
            if errors:
                raise BrowserTestError(f"{self.path}: widget error text on the page: {errors}")
        return count

    def panel(self):
        """This notebook's panel. Lab restores every tab a workspace had open, so page-wide
        locators can match cells of other (hidden) notebooks: scope them to this one."""
        panel_id = self.page.evaluate(_PANEL_ID, self.path)
        if panel_id is None:
            raise BrowserTestError(f"{self.path}: not open in JupyterLab")
        return self.page.locator(f"[id='{panel_id}']")

    def output_with(self, text: str | None = None, *, slider: str | None = None):
        """The widget output (an output area child) showing ``text`` and/or a slider labelled ``slider``."""
        outputs = self.panel().locator(".jp-OutputArea-output").filter(has=self.page.locator(FIGURE))
        if text is not None:
            outputs = outputs.filter(has_text=text)
        if slider is not None:
            outputs = outputs.filter(has=self.page.locator(".widget-label", has_text=re.compile(slider)))
        if outputs.count() == 0:
            raise BrowserTestError(f"{self.path}: no widget output with a figure"
                                   + (f", text {text!r}" if text else "") + (f", slider {slider!r}" if slider else ""))
        return outputs.first

    def reference_png(self, output) -> bytes | None:
        """The PNG the kernel put beside the widget in ``output``'s bundle (coursekit.display's
        contract: the figure at its default values), or None."""
        encoded = output.evaluate(_OUTPUT_PNG, self.path)
        return base64.b64decode(encoded) if encoded else None

    def outputs_wider_than_their_column(self) -> list[str]:
        """The outputs that scroll sideways (content wider than the output area), by their first words."""
        return self.panel().locator(".jp-OutputArea-output").evaluate_all(
            "nodes => nodes.filter(node => node.scrollWidth > node.clientWidth + 1)"
            ".map(node => `${node.scrollWidth} > ${node.clientWidth} px: ${node.innerText.slice(0, 60)}`)")

    def shutdown_kernel(self) -> None:
        try:
            self.page.evaluate(_SHUTDOWN, self.path)
        except Exception:  # noqa: BLE001 - the server stops every kernel at the end anyway
            pass


# -- accessibility: axe-core (the engine behind Lighthouse's accessibility score) ------------------------

OUTPUT_AREAS = ".jp-OutputArea-output"  # what the course's code puts on the page (JupyterLab and Voilà)
BLOCKING_IMPACTS = ("serious", "critical")


def accessibility_audit(page, artifacts: Path, name: str, scope: str = OUTPUT_AREAS, open_items=None) -> dict:
    """Run axe-core (the script bundled by axe-playwright-python) on the elements matching ``scope``;
    save the whole report as ``<name>-axe.json`` and raise, naming each rule and element, if any
    violation is serious or critical, except the rules in ``open_items`` (rule -> why), which must
    still occur. Returns the report. Canvas pixels (a figure's annotations) are pictures to axe:
    their contrast is not checked here."""
    open_items = dict(open_items or {})
    import json

    from axe_playwright_python.sync_playwright import Axe

    assert page.locator(scope).count() > 0, f"nothing on the page matches {scope!r}"
    report = Axe().run(page, context={"include": [[scope]]},
                       options={"resultTypes": ["violations"]}).response
    artifacts.mkdir(parents=True, exist_ok=True)
    (artifacts / f"{name}-axe.json").write_text(json.dumps(report, indent=1))
    checked = len(report["passes"]) + len(report["violations"]) + len(report["incomplete"])
    counts = {impact: sum(len(v["nodes"]) for v in report["violations"] if v["impact"] == impact)
              for impact in ("minor", "moderate", "serious", "critical")}
    print(f"axe-core {report['testEngine']['version']} on {name} ({scope}): {checked} rules applied, "
          f"violations by impact (elements): {counts}")
    found = {v["id"] for v in report["violations"] if v["impact"] in BLOCKING_IMPACTS}
    blocking = [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
                for v in report["violations"] if v["impact"] in BLOCKING_IMPACTS and v["id"] not in open_items]
    if blocking:
        raise BrowserTestError(f"{name}: accessibility violations in the course's output:\n" + "\n".join(blocking))
    closed = sorted(set(open_items) - found)
    if closed:
        raise BrowserTestError(f"{name}: {closed} no longer fail: take them off the open items")
    for rule in sorted(found):
        print(f"  still open: {rule}: {open_items[rule]}")
    return report
