"""What the course site adds to Jupyter Book (a Sphinx extension, loaded by _config.yml).

1. Launch links from `make book`'s variables, read from the environment: BOOK_REPOSITORY_URL (the
   repository on GitHub or GitLab), BOOK_BRANCH, BOOK_BINDER_URL and BOOK_HUB_URL (a JupyterHub with
   nbgitpuller). sphinx-book-theme draws them as the rocket button of each lesson.
2. Without a launch link, a short note under each lesson's title on how to run it live.
3. Alt text for notebook figures: MyST-NB drops an output's ``metadata["image/png"]["alt"]`` (the
   Jupyter convention that nbconvert honours), so the site's <img> would read as its file name.
"""

from __future__ import annotations

import json
import os
from binascii import a2b_base64
from hashlib import sha256
from pathlib import Path

from docutils import nodes

# The image outputs MyST-NB decodes from base64 and names by the SHA-256 of their bytes.
BASE64_IMAGES = ("image/png", "image/jpeg", "image/gif")

RUN_LIVE_NOTE = """\
<div class="admonition tip run-live-note">
<p class="admonition-title">Run this lesson live</p>
<p>The figures on this page are pictures of the lesson's last run: its sliders and questions move only
in a running notebook. Get the course's repository and run <code>make lab</code>: it installs everything
and opens the lessons in JupyterLab.</p>
</div>
"""


def configure_theme(app, config):
    """Point sphinx-book-theme's launch buttons at the repository, Binder and hub given to `make book`
    (before the theme reads its options, when the builder starts)."""
    theme = config.html_theme_options
    # pydata-sphinx-theme 0.17 adds a header bar with a second search field unless told otherwise;
    # sphinx-book-theme has its own in the sidebar.
    theme.setdefault("navbar_persistent", [])
    repository = os.environ.get("BOOK_REPOSITORY_URL", "").strip()
    if not repository:
        return  # no launch links: add_run_live_note says how to run a lesson instead
    theme["repository_url"] = repository
    theme["repository_branch"] = os.environ.get("BOOK_BRANCH", "").strip() or "main"
    theme["use_repository_button"] = True
    theme["launch_buttons"] = {
        **theme.get("launch_buttons", {}),
        "binderhub_url": os.environ.get("BOOK_BINDER_URL", "").strip(),
        "jupyterhub_url": os.environ.get("BOOK_HUB_URL", "").strip(),
    }


def add_run_live_note(app, pagename, templatename, context, doctree):
    """On a notebook page that got no launch button, say how to run it live, under the lesson's title."""
    if context.get("page_source_suffix") != ".ipynb" or "body" not in context:
        return
    if any(button.get("label") == "launch-buttons" for button in context.get("header_buttons", [])):
        return
    body = context["body"]
    title_end = body.find("</h1>")
    at = title_end + len("</h1>") if title_end >= 0 else 0
    context["body"] = body[:at] + RUN_LIVE_NOTE + body[at:]


def notebook_alt_texts(path: Path) -> dict[str, str]:
    """The alt text of each image output of a notebook, keyed by the SHA-256 of the image's bytes."""
    alts = {}
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        for output in cell.get("outputs", []):
            for mime in BASE64_IMAGES:
                alt = output.get("metadata", {}).get(mime, {}).get("alt")
                data = output.get("data", {}).get(mime)
                if alt and data:
                    encoded = "".join(data) if isinstance(data, list) else data
                    alts[sha256(a2b_base64(encoded)).hexdigest()] = alt
    return alts


def add_alt_text(app, doctree):
    """Give each notebook image its output's alt text. MyST-NB writes an image output to a file named
    by the SHA-256 of its bytes (myst_nb.core.render.NbElementRenderer.render_image), so the file name
    finds the output: the image nodes themselves keep none of the output's metadata."""
    path = Path(app.env.doc2path(app.env.docname))
    if path.suffix != ".ipynb":
        return
    alts = notebook_alt_texts(path)
    for image in doctree.findall(nodes.image):
        alt = alts.get(Path(image["uri"]).stem)
        if alt and "alt" not in image:  # alt set in the cell's own metadata (MyST-NB's) wins
            image["alt"] = alt


def setup(app):
    app.connect("config-inited", configure_theme)
    app.connect("doctree-read", add_alt_text)
    # After sphinx-book-theme (priority 501) has made the page's header buttons.
    app.connect("html-page-context", add_run_live_note, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
