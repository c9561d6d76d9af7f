"""Names for the sliders a screen reader meets: ipywidgets' slider handles have none.

An ipywidgets slider draws its handle as a ``role="slider"`` element with neither an
``aria-label`` nor an ``aria-labelledby``, so a screen reader announces "slider" and nothing
else (axe-core's rule *aria-input-field-name*, "serious"). A log slider's handle also reports
its exponent (``aria-valuetext="-0.65"``) where the page shows the rate (0.224).

:func:`slider_names` is an invisible widget (anywidget: a small ES module, shipped inline, no
build step and nothing fetched) that goes into a widget's box: it names every slider handle in
that box after the slider's own label, and makes its value text what the readout shows, again
after every move and for sliders added later.
"""

from __future__ import annotations

__all__ = ["slider_names", "BOX_CLASS"]

BOX_CLASS = "coursekit-widget"  # the class of the box whose sliders it names

_ESM = """
const BOX = '.%s';

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

export default {
  render({ el }) {
    el.style.display = 'none';
    let observer = null;
    let timer = null;
    const start = () => {
      if (!el.isConnected) { timer = setTimeout(start, 50); return; }  // not in the page yet
      const root = el.closest(BOX) || el.parentElement;
      nameSliders(root);
      // Sliders render late and noUiSlider rewrites aria-valuetext on each move: follow both.
      observer = new MutationObserver(() => nameSliders(root));
      observer.observe(root, { childList: true, subtree: true, characterData: true,
                               attributes: true, attributeFilter: ['aria-valuetext'] });
    };
    timer = setTimeout(start, 0);
    return () => { clearTimeout(timer); if (observer) observer.disconnect(); };
  },
};
""" % BOX_CLASS

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
