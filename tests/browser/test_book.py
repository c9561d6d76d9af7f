"""The course site (``make book``) in a real Chromium: every lesson is a page with its figures, every
figure has alt text, no internal link is broken, search finds a word, and at phone width nothing
scrolls sideways.

The site is built once, by ``make book`` into a temporary folder (without launch addresses: each
lesson then says how to run it live), and served from 127.0.0.1 by Python's http.server. Requests
that leave the loopback address (MathJax's CDN) are refused and listed: nothing may depend on them.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from collections import deque
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

import pytest
from browser_servers import ARTIFACTS, ROOT

pytestmark = pytest.mark.browser

BUILD_TIMEOUT_S = 240  # 10-20 s on two busy cores
LESSONS = sorted(ROOT.glob("course/[0-9][0-9]_*.ipynb")) + [ROOT / "course" / "playground.ipynb"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
IMAGE_MIMES = ("image/png", "image/jpeg", "image/gif")

# What each page says about itself: its images (and the code line of the cell that drew each figure),
# its links (resolved by the browser) and the ids its anchors may point at.
_PAGE_REPORT = """
() => ({
  images: [...document.images].map(img => ({
    src: img.currentSrc || img.src, alt: img.getAttribute('alt'), width: img.naturalWidth,
    figure: !!img.closest('div.cell_output'),  // MyST-NB's image outputs
    cell: ((img.closest('.cell') || {}).querySelector?.('.cell_input pre')?.innerText || '').split('\\n')
          .find(line => line.trim() && !line.startsWith('#')) || '',
  })),
  links: [...document.querySelectorAll('a[href]')].map(a => a.href),
  ids: [...document.querySelectorAll('[id]')].map(e => e.id)
       .concat([...document.querySelectorAll('a[name]')].map(a => a.name)),
  title: (document.querySelector('article h1') || {}).innerText || '',
  runLive: !!document.querySelector('.run-live-note'),
  widgetViews: document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]').length,
})
"""

# Elements past the viewport's right edge that no box of their own scrolls (a code line inside a <pre>
# that scrolls is fine): they widen the page, or are cut off where an ancestor hides its overflow.
_STICKING_OUT = """
() => [...document.querySelectorAll('body *')].filter(e => {
  if (e.getBoundingClientRect().right <= window.innerWidth + 1) return false;
  if (!e.checkVisibility({visibilityProperty: true})) return false;  // a closed drawer (the page's contents)
  for (let box = e.parentElement; box && box !== document.body; box = box.parentElement) {
    const overflow = getComputedStyle(box).overflowX;
    if (overflow === 'auto' || overflow === 'scroll') return false;
  }
  return true;
}).slice(0, 5).map(e => e.tagName.toLowerCase() + [...e.classList].map(name => '.' + name).join(''))
"""


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # no line per request in the test's output
        pass


def _notebook(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _first_heading(notebook: dict) -> str:
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return ""


def _image_outputs(notebook: dict) -> int:
    return sum(any(mime in output.get("data", {}) for mime in IMAGE_MIMES)
               for cell in notebook["cells"] for output in cell.get("outputs", []))


def _page_url(base: str, lesson: Path) -> str:
    return f"{base}/{lesson.relative_to(ROOT).with_suffix('.html').as_posix()}"


def _refuse_other_hosts(context, base: str) -> list[str]:
    """Refuse every request that leaves the site's server (a CDN would hang an offline machine); returns
    the list the refused addresses go to."""
    refused = []

    def refuse(route):
        refused.append(route.request.url)
        route.abort()

    context.route(re.compile(rf"^(?!{re.escape(base)}/)(https?|wss?)://"), refuse)
    return refused


@pytest.fixture(scope="module")
def site(browser):
    """The site as `make book` builds it, in a temporary folder, served on a free port of 127.0.0.1.
    Yields the base address. (``browser`` first: no Chromium, no build.)"""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="book-") as out:
        # -o: never (re)install from inside a test; BIN: this interpreter's environment.
        command = ["make", "--no-print-directory", "-o", ".venv/.installed", "book", f"BOOK_OUT={out}",
                   f"BIN={Path(sys.executable).parent}", "BOOK_REPOSITORY_URL=", "BOOK_HUB_URL="]
        # Its own process group, so that a build past its time is stopped whole (make and Sphinx).
        build = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                 start_new_session=True)
        try:
            log, _ = build.communicate(timeout=BUILD_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(build.pid, signal.SIGKILL)
            build.communicate()
            pytest.fail(f"make book took over {BUILD_TIMEOUT_S} s")
        (ARTIFACTS / "make-book.log").write_text(log)
        assert build.returncode == 0, f"make book failed:\n{log[-3000:]}"
        server = ThreadingHTTPServer(("127.0.0.1", 0),
                                     partial(_QuietHandler, directory=str(Path(out) / "_build" / "html")))
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)


@pytest.fixture(scope="module")
def crawl(site, browser):
    """Every page reachable from the landing page by internal links, each loaded once (at desktop width)
    with its images: {page address: what _PAGE_REPORT says}, plus the site files that were linked."""
    context = browser.new_context(viewport=DESKTOP)
    refused = _refuse_other_hosts(context, site)
    page = context.new_page()
    page.set_default_timeout(30_000)
    pages, files, missing = {}, set(), set()
    try:
        page.goto(f"{site}/")
        page.wait_for_url(re.compile(r"/book/intro\.html$"))  # index.html redirects to the landing page
        queue = deque([page.url])
        while queue:
            url = queue.popleft()
            if url in pages or url in missing:
                continue
            response = page.goto(url, wait_until="load")  # "load": every image has loaded or failed
            if response is None or response.status != 200:
                missing.add(url)
                continue
            pages[url] = report = page.evaluate(_PAGE_REPORT)
            for link in report["links"]:
                target = urldefrag(link).url.split("?")[0]
                if not target.startswith(site + "/"):
                    continue
                if urlsplit(target).path.endswith((".html", "/")):
                    queue.append(target)
                else:
                    files.add(target)
    finally:
        context.close()
    if refused:
        print(f"refused {len(set(refused))} request(s) off the site: {sorted(set(refused))[:5]}")
    return {"pages": pages, "files": files, "missing": missing}


def test_every_lesson_is_a_page_with_its_figures(site, crawl):
    pages = crawl["pages"]
    assert f"{site}/book/intro.html" in pages, "no landing page"
    problems = []
    for lesson in LESSONS:
        url, notebook = _page_url(site, lesson), _notebook(lesson)
        report = pages.get(url)
        if report is None:
            problems.append(f"{lesson.name}: no page at {url}, or no link reaches it")
            continue
        figures = [image for image in report["images"] if image["figure"]]
        if report["title"].strip("#¶ \n") != _first_heading(notebook):
            problems.append(f"{lesson.name}: titled {report['title']!r}, not {_first_heading(notebook)!r}")
        if len(figures) != _image_outputs(notebook):
            problems.append(f"{lesson.name}: {len(figures)} figures on the page, {_image_outputs(notebook)} "
                            "image outputs in the notebook (a widget shown as a placeholder instead of its PNG?)")
        if report["widgetViews"]:
            problems.append(f"{lesson.name}: {report['widgetViews']} widget placeholders")
        if not report["runLive"]:
            problems.append(f"{lesson.name}: built without launch addresses, yet no note on running it live")
    for url, report in pages.items():
        broken = [image["src"] for image in report["images"] if image["width"] == 0]
        if broken:
            problems.append(f"{url}: images that did not load: {broken[:3]}")
    assert not problems, "\n".join(problems)


def test_every_figure_has_alt_text(crawl):
    # A figure whose output has no alt text gets its file's name as alt (docutils' default): that reads
    # as noise to a screen reader, so it counts as missing. The notebooks carry alt text in each
    # image output's metadata["image/png"]["alt"]; book/course_site.py puts it on the <img>.
    missing = []
    for url, report in crawl["pages"].items():
        for image in report["images"]:
            alt = (image["alt"] or "").strip()
            if image["figure"] and (not alt or alt.endswith(Path(urlsplit(image["src"]).path).name)):
                missing.append(f"{urlsplit(url).path}: the figure of `{image['cell'][:70]}`")
    figures = sum(image["figure"] for report in crawl["pages"].values() for image in report["images"])
    assert not missing, f"{len(missing)} of {figures} figures have no alt text:\n" + "\n".join(missing)


def test_no_internal_link_is_broken(site, crawl):
    pages = crawl["pages"]
    problems = [f"{urlsplit(url).path}: linked, not there" for url in crawl["missing"]]
    for url, report in pages.items():
        for link in report["links"]:
            target, fragment = urldefrag(link)
            target = target.split("?")[0]
            if not target.startswith(site + "/"):
                continue
            if target in pages:
                if fragment and unquote(fragment) not in pages[target]["ids"]:
                    problems.append(f"{urlsplit(url).path} -> {urlsplit(link).path}#{fragment}: no such anchor")
    for target in sorted(crawl["files"]):
        try:
            with urllib.request.urlopen(urllib.request.Request(target, method="HEAD"), timeout=10) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        if status != 200:
            problems.append(f"{urlsplit(target).path}: HTTP {status}")
    assert len(pages) >= len(LESSONS) + 1, f"only {len(pages)} pages reached"
    assert not problems, "\n".join(sorted(set(problems)))


def test_search_finds_a_word_of_the_lessons(site, page):
    _refuse_other_hosts(page.context, site)
    page.goto(f"{site}/search.html?q=momentum")
    results = page.locator("#search-results ul.search li")
    results.first.wait_for()  # Sphinx searches in JavaScript, after the page has loaded its index
    texts = results.all_inner_texts()
    assert any("Optimizers" in text for text in texts), f"searching 'momentum' missed lesson 4: {texts}"


def test_no_lesson_page_scrolls_sideways_on_a_phone(site, page, artifacts):
    _refuse_other_hosts(page.context, site)
    page.set_viewport_size(PHONE)
    wide = []
    for lesson in [ROOT / "book" / "intro.md", *LESSONS]:
        page.goto(_page_url(site, lesson), wait_until="load")
        scroll_width, inner_width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        sticking_out = page.evaluate(_STICKING_OUT)
        if scroll_width > inner_width + 1 or sticking_out:
            wide.append(f"{lesson.name}: {scroll_width} px wide in {inner_width}; sticking out: {sticking_out}")
            page.screenshot(path=str(artifacts / f"{lesson.stem}-phone.png"))
    assert not wide, "at 375 px, pages scroll sideways or cut things off:\n" + "\n".join(wide)
