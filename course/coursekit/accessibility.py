"""What a screen reader and a keyboard need from a widget box, and ipywidgets and ipympl do not give.

:func:`widget_aids` is an invisible widget (anywidget: a small ES module, shipped inline, no
build step and nothing fetched) that goes into each course widget's box (class
:data:`BOX_CLASS`). In that box it:

* names the sliders: an ipywidgets slider draws its handle as a ``role="slider"`` element with
  neither an ``aria-label`` nor an ``aria-labelledby``, so a screen reader announces "slider" and
  nothing else (axe-core's rule *aria-input-field-name*, "serious"); a log slider's handle also
  reports its exponent (``aria-valuetext="-0.65"``) where the page shows the rate (0.224). Each
  handle gets its slider's label, and the readout's text as its value, after every move too;
* announces the summary under the figure (class :data:`SUMMARY_CLASS`) when it changes: the
  widget's own element is a live region (``role="status"``, ``aria-live="polite"``) that repeats
  the summary once it has stayed the same for 0.7 s, so a drag or a held arrow key is announced
  where it settles, not at each of its steps;
* names the figure: ipympl's canvas takes the keyboard focus but has no name; it gets
  ``figure_label`` and is described by the summary. A figure that takes keys (the arrow keys
  that move a start point, see ``display.InteractiveFigure``) is an ``application``; the others
  are pictures (``role="img"``), out of the Tab order. ipympl also swallows the Tab key on
  a focused figure (it prevents every key's default), which traps a keyboard user there: Tab
  is stopped before ipympl hears it, so it moves the focus on as everywhere else.

Once per page, from the first widget shown, it gives every PNG without an ``alt`` the one in
the PNG's own Description text chunk, where :mod:`coursekit.alt_text` puts each figure's words
(JupyterLab 4 does not read the ``alt`` in an output's metadata), following outputs added later.
A notebook opened without a running kernel runs no widget script: its static figures get their
alt text once the first widget cell has run.
"""

from __future__ import annotations

__all__ = ["widget_aids", "BOX_CLASS", "SUMMARY_CLASS"]

BOX_CLASS = "coursekit-widget"  # the class of the box it serves
SUMMARY_CLASS = "coursekit-summary"  # the class of a widget's summary line (a live region)

_ESM = """
const BOX = '.%s';
const SUMMARY = '.%s';
const CANVAS = '.jupyter-matplotlib-canvas-div';

function nameSliders(root) {
  for (const handle of root.querySelectorAll('[role="slider"]')) {
    const slider = handle.closest('.widget-slider');
    if (!slider) continue;
    const label = slider.querySelector('.widget-label');
    const name = label ? label.textContent.trim() : '';
    if (name && handle.getAttribute('aria-label') !== name) handle.setAttribute('aria-label', name);
    const readout = slider.querySelector('.widget-readout');
    const shown = readout ? (readout.value ?? readout.textContent ?? '').trim() : '';
    if (shown && handle.getAttribute('aria-valuetext') !== shown) handle.setAttribute('aria-valuetext', shown);
  }
}

const SETTLE_MS = 700;  // a held arrow key or a drag: announce where it settles, not every step

function announceSummaries(root, announcer) {
  // The summary itself stays quiet (it changes on every step of a drag); the invisible announcer,
  // a live region, repeats it once it has not changed for SETTLE_MS.
  const summary = root.querySelector(SUMMARY);
  if (!summary || announcer.dataset.follows) return;
  announcer.dataset.follows = 'summary';
  let timer = null;
  let said = summary.textContent.trim();
  new MutationObserver(() => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const text = summary.textContent.trim();
      if (text !== said) { said = text; announcer.textContent = text; }
    }, SETTLE_MS);
  }).observe(summary, { childList: true, subtree: true, characterData: true });
}

// A PNG's text chunks come before its pixels: the first 64 KB of the base64 hold them.
function pngDescription(src) {
  const comma = src.indexOf(',');
  let bytes;
  try { bytes = Uint8Array.from(atob(src.slice(comma + 1, comma + 1 + 65536)), (c) => c.charCodeAt(0)); }
  catch (error) { return null; }
  const view = new DataView(bytes.buffer);
  for (let at = 8; at + 8 <= bytes.length;) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (type === 'IDAT' || type === 'IEND') break;
    const data = bytes.subarray(at + 8, Math.min(at + 8 + length, bytes.length));
    const nul = data.indexOf(0);
    const keyword = String.fromCharCode(...data.subarray(0, nul));
    if (keyword === 'Description' && type === 'tEXt') {
      return new TextDecoder('latin1').decode(data.subarray(nul + 1));
    }
    if (keyword === 'Description' && type === 'iTXt' && data[nul + 1] === 0) {  // uncompressed UTF-8
      let start = data.indexOf(0, nul + 3);  // after the language tag
      start = data.indexOf(0, start + 1);  // after the translated keyword
      return new TextDecoder('utf-8').decode(data.subarray(start + 1));
    }
    at += 12 + length;
  }
  return null;
}

function describeImages() {
  for (const img of document.querySelectorAll('img[src^="data:image/png"]:not([alt])')) {
    const text = pngDescription(img.getAttribute('src'));
    if (text) img.setAttribute('alt', text);
  }
}

function watchImages() {
  if (window.coursekitImagesWatched) return;  // once per page, whichever widget comes first
  window.coursekitImagesWatched = true;
  let queued = false;
  describeImages();
  new MutationObserver(() => {
    if (queued) return;
    queued = true;
    setTimeout(() => { queued = false; describeImages(); }, 100);
  }).observe(document.body, { childList: true, subtree: true });
}

let summaries = 0;

function nameFigure(root, label, takesKeys) {
  const figure = root.querySelector(CANVAS);
  if (!figure) return;
  if (label && figure.getAttribute('aria-label') !== label) {
    figure.setAttribute('aria-label', label);
    if (takesKeys) {
      figure.setAttribute('role', 'application');  // the keys go to the figure, not to a reader's browse mode
    } else {
      figure.setAttribute('role', 'img');  // a picture: no stop for Tab, its keys do nothing
      figure.setAttribute('tabindex', '-1');
    }
  }
  const summary = root.querySelector(SUMMARY);
  if (summary && !figure.hasAttribute('aria-describedby')) {
    if (!summary.id) summary.id = `coursekit-summary-${++summaries}`;
    figure.setAttribute('aria-describedby', summary.id);
  }
}

function letTabLeaveFigures(root) {
  // Capture phase, on the box: ipympl's own listener on the figure never hears Tab.
  root.addEventListener('keydown', (event) => {
    if (event.key === 'Tab' && event.target.matches && event.target.matches(CANVAS)) event.stopPropagation();
  }, true);
}

export default {
  render({ model, el }) {
    // Invisible but not hidden: this element is the box's live region (see announceSummaries).
    el.style.cssText = 'position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%%);white-space:nowrap';
    el.setAttribute('role', 'status');
    el.setAttribute('aria-live', 'polite');
    el.setAttribute('aria-atomic', 'true');
    let observer = null;
    let timer = null;
    const start = () => {
      if (!el.isConnected) { timer = setTimeout(start, 50); return; }  // not in the page yet
      const root = el.closest(BOX) || el.parentElement;
      const aid = () => {
        nameSliders(root);
        announceSummaries(root, el);
        nameFigure(root, model.get('figure_label'), model.get('figure_keys'));
      };
      aid();
      letTabLeaveFigures(root);
      watchImages();
      // Sliders and canvases render late and noUiSlider rewrites aria-valuetext on each move: follow.
      observer = new MutationObserver(aid);
      observer.observe(root, { childList: true, subtree: true, characterData: true,
                               attributes: true, attributeFilter: ['aria-valuetext'] });
    };
    timer = setTimeout(start, 0);
    return () => { clearTimeout(timer); if (observer) observer.disconnect(); };
  },
};
""" % (BOX_CLASS, SUMMARY_CLASS)

_widget_class = None


def widget_aids(figure_label: str = "", figure_keys: bool = False):
    """A new invisible widget serving the box (class :data:`BOX_CLASS`) it is put in; ``figure_label``
    names the box's figure for a screen reader (what it is, and what its keys do); ``figure_keys``:
    whether the figure takes keys (else it is a picture, out of the Tab order)."""
    global _widget_class
    if _widget_class is None:
        import anywidget
        import traitlets

        class WidgetAids(anywidget.AnyWidget):
            _esm = _ESM
            figure_label = traitlets.Unicode("").tag(sync=True)
            figure_keys = traitlets.Bool(False).tag(sync=True)

        _widget_class = WidgetAids
    return _widget_class(figure_label=figure_label, figure_keys=figure_keys)
