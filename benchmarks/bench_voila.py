"""How soon an instructor's preset link shows its figure in the Voilà playground.

Run from the repository root::

    .venv/bin/python benchmarks/bench_voila.py                  # 3 loads each way, ?preset=no_warmup
    .venv/bin/python benchmarks/bench_voila.py --repeats 5 --preset lr_too_high

It starts Voilà on 127.0.0.1 as the browser tests do (``voila course/playground.ipynb`` in the
repository's root), twice, one after the other:

* **cold**, the baseline, with ``--preheat_kernel=False``: each page starts a kernel and runs the
  whole notebook after the click;
* **preheated**, as configured (the root's ``voila.json``): Voilà keeps a kernel that has run the
  notebook up to the page's address (``playground.opening()``), so a page only opens its preset
  and displays the demos already built. Each load first waits until the next kernel is ready
  (Voilà prepares one after each page: what an instructor meets who opens a link half a minute
  or more after the last). Then one more link is opened at once after the last page, the worst
  case: it waits for the kernel being prepared.

For each load it opens ``?preset=<name>`` in Chromium and reports the seconds from navigation to
the preset's figure painted, with its status line naming the preset ("first figure"), and to
all six demos' figures. Timings depend on the machine (the script uses whatever cores it has);
the ratio between the rows much less.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "course"))
sys.path.insert(0, str(ROOT / "tests" / "browser"))
from browser_pages import wait_for  # noqa: E402
from browser_servers import start_voila, wait_until_preheated  # noqa: E402
from conftest import CHROMIUM_ARGS, VIEWPORT, find_chromium  # noqa: E402

PLAYGROUND = "course/playground.ipynb"
DEMO = ".coursekit-playground-demo"
STATUS = ".coursekit-preset-status"
CANVAS = ".jupyter-matplotlib-canvas-div canvas"
DEMO_COUNT = 6
TIMEOUT_S = 180

# True once the canvas holds a painted pixel (ipympl draws each frame it receives into it).
PAINTED = """canvas => {
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < data.length; i += 4 * 61) if (data[i]) return true;
    return false;
}"""


def load(browser, server, preset) -> tuple[float, float]:
    """Open the app on ``preset``: seconds to its figure, and to every demo's figure."""
    from coursekit.playground import get_preset

    label = get_preset(preset).label
    page = browser.new_context(viewport=VIEWPORT).new_page()
    try:
        started = time.monotonic()
        deadline = started + TIMEOUT_S
        page.goto(server.url("", preset=preset), wait_until="commit", timeout=TIMEOUT_S * 1000)
        demo = page.locator(DEMO).filter(has=page.get_by_role("button", name=label, exact=True))

        def preset_shown():
            if demo.count() != 1 or f"{label}:" not in demo.locator(STATUS).inner_text():
                return False
            canvas = demo.locator(CANVAS).first
            return canvas.count() == 1 and canvas.evaluate(PAINTED)

        wait_for(preset_shown, deadline - time.monotonic(), f"the {label!r} demo's figure", interval=0.05)
        first = time.monotonic() - started

        def all_painted():
            canvases = page.locator(f"{DEMO} {CANVAS}:first-child")
            return canvases.count() == DEMO_COUNT and all(canvases.nth(i).evaluate(PAINTED)
                                                          for i in range(DEMO_COUNT))

        wait_for(all_painted, deadline - time.monotonic(), "every demo's figure", interval=0.05)
        return first, time.monotonic() - started
    finally:
        page.context.close()


def measure(browser, preheat: bool, preset: str, repeats: int) -> list[tuple[float, float]]:
    extra = () if preheat else ("--preheat_kernel=False",)
    with tempfile.TemporaryDirectory(prefix="bench-voila-") as home:
        server = start_voila(PLAYGROUND, Path(home), *extra)
        try:
            times = []
            for _ in range(repeats):
                if preheat:
                    wait_until_preheated(server, timeout=TIMEOUT_S)
                times.append(load(browser, server, preset))
                print(f"  {'preheated' if preheat else 'cold'}: first figure {times[-1][0]:.1f} s, "
                      f"all demos {times[-1][1]:.1f} s", flush=True)
            at_once = load(browser, server, preset) if preheat else None
            if at_once:
                print(f"  preheated, a second link at once: first figure {at_once[0]:.1f} s", flush=True)
            return times, at_once
        finally:
            server.stop()


def main(argv=None) -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="page loads each way (default 3)")
    parser.add_argument("--preset", default="no_warmup", help="the preset the link names (default no_warmup)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    from coursekit.playground import get_preset

    get_preset(args.preset)  # an unknown name fails here, naming the valid ones
    chromium = find_chromium()
    if chromium is None:
        sys.exit("no Chromium found: run tools/install_browser.sh (Debian: apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            cold, _ = measure(browser, False, args.preset, args.repeats)
            warm, at_once = measure(browser, True, args.preset, args.repeats)
        finally:
            browser.close()
    rows = {"cold (baseline)": cold, "preheated": warm, "second link at once": [at_once]}
    print(f"\n?preset={args.preset}, median of {args.repeats} loads (seconds from navigation)")
    print(f"{'Voilà':<22}{'first figure':>14}{'all six demos':>15}")
    for name, times in rows.items():
        print(f"{name:<22}{statistics.median(t[0] for t in times):>14.1f}"
              f"{statistics.median(t[1] for t in times):>15.1f}")
    cold_s, warm_s = (statistics.median(t[0] for t in times) for times in (cold, warm))
    print(f"the preheated link shows its figure {cold_s / warm_s:.0f} times sooner")


if __name__ == "__main__":
    main()
