"""Names for the sliders a screen reader meets: ipywidgets' slider handles have none.

An ipywidgets slider draws its handle as a ``role="slider"`` element with neither an
``aria-label`` nor an ``aria-labelledby``, so a screen reader announces "slider" and nothing
else (axe-core's rule *aria-input-field-name*, "serious"). A log slider's handle also reports
its exponent (``aria-valuetext="-0.65"``) where the page shows the rate (0.224).

:func:`slider_names` is an invisible widget (anywidget: a small ES module, shipped inline, no
build step and nothing fetched) that goes into a widget's box: it names every slider handle in
that box after the slider's own label, and makes its value text what the readout shows, again
after every move and for sliders added later.

It does two more things a page needs and ipywidgets cannot say:

* the widget's summary under its figure (class :data:`SUMMARY_CLASS`) becomes a live region
  (``role="status"``, ``aria-live="polite"``): a screen reader announces each new result;
* every PNG on the page without an ``alt`` gets one from the PNG's own Description text chunk,
  where :mod:`coursekit.alt_text` puts each figure's summary (JupyterLab 4 does not read the
  ``alt`` in an output's metadata). This runs once per page, from the first widget shown, and
  follows outputs added later; a notebook opened without a running kernel runs no widget script,
  so its static figures wait for the first widget cell to run.
"""

from __future__ import annotations

__all__ = ["slider_names", "BOX_CLASS", "SUMMARY_CLASS"]

BOX_CLASS = "coursekit-widget"  # the class of the box whose sliders it names
SUMMARY_CLASS = "coursekit-summary"  # the class of a widget's summary line (a live region)

_ESM = """
const BOX = '.%s';
const SUMMARY = '.%s';

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

function announceSummaries(root) {
  for (const summary of root.querySelectorAll(SUMMARY)) {
    if (summary.getAttribute('aria-live') !== 'polite') {
      summary.setAttribute('role', 'status');
      summary.setAttribute('aria-live', 'polite');
    }
  }
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

export default {
  render({ el }) {
    el.style.display = 'none';
    let observer = null;
    let timer = null;
    const start = () => {
      if (!el.isConnected) { timer = setTimeout(start, 50); return; }  // not in the page yet
      const root = el.closest(BOX) || el.parentElement;
      nameSliders(root);
      announceSummaries(root);
      watchImages();
      // Sliders render late and noUiSlider rewrites aria-valuetext on each move: follow both.
      observer = new MutationObserver(() => { nameSliders(root); announceSummaries(root); });
      observer.observe(root, { childList: true, subtree: true, characterData: true,
                               attributes: true, attributeFilter: ['aria-valuetext'] });
    };
    timer = setTimeout(start, 0);
    return () => { clearTimeout(timer); if (observer) observer.disconnect(); };
  },
};
""" % (BOX_CLASS, SUMMARY_CLASS)

_widget_class = None


def slider_names():
    """A new invisible widget that names the sliders of the box (class :data:`BOX_CLASS`) it is put in."""
    global _widget_class
    if _widget_class is None:
        import anywidget

        class SliderNames(anywidget.AnyWidget):
            _esm = _ESM

        _widget_class = SliderNames
    return _widget_class()
