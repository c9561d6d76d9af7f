"""display.py: figures that show once, live or as PNG, without touching pyplot's state."""
import subprocess
import sys

import ipywidgets
import matplotlib.pyplot as plt
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.layout_engine import ConstrainedLayoutEngine

from coursekit.display import FastRedraw, figure_png, in_kernel, make_widget, new_figure
from coursekit.style import OPTIMIZER_COLORS, OPTIMIZER_NAMES, apply_style, label_axes, optimizer_color


def test_new_figure_is_not_registered_with_pyplot():
    before = plt.get_fignums()
    fig, axes = new_figure(1, 2, figsize=(6, 3))
    assert isinstance(fig.canvas, FigureCanvasAgg) and len(axes) == 2
    assert plt.get_fignums() == before
    assert not in_kernel()


def test_interactive_figure_bundle_and_controls():
    fig, ax = new_figure(interactive=False)
    (line,) = ax.plot([0, 1], [0, 1])
    slider = ipywidgets.FloatSlider(value=1.0, min=0.5, max=2.0, description="slope")
    slider.observe(lambda change: line.set_ydata([0, change["new"]]), names="value")
    widget = make_widget(fig, {"slope": slider}, title="Demo")
    widget.set(slope=2.0)
    assert list(line.get_ydata()) == [0, 2.0]
    with pytest.raises(KeyError, match="slope"):
        widget.set(slop=1.0)
    bundle = widget._repr_mimebundle_()
    assert bundle["text/plain"] == "Interactive figure: Demo (slope)"
    assert isinstance(widget.box, ipywidgets.VBox)
    assert not isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine)  # laid out once, then frozen


def test_ipympl_canvas_sits_in_the_widget_box():
    fig, ax = new_figure(interactive=True)
    from ipympl.backend_nbagg import Canvas

    assert isinstance(fig.canvas, Canvas) and fig.canvas.header_visible is False
    widget = make_widget(fig, [ipywidgets.IntSlider(description="n")], title="Live")
    assert widget.box.children[-1] is fig.canvas
    assert figure_png(fig).startswith(b"\x89PNG")


def test_fast_redraw_png_includes_animated_artists():
    fig, ax = new_figure(interactive=False)
    (line,) = ax.plot([0, 1], [0, 1], linewidth=8)
    fast = FastRedraw(fig, [line])
    fast.update()
    with_line = figure_png(fig)
    line.set_visible(False)
    fast.update()
    without_line = figure_png(fig)
    assert with_line != without_line and line.get_animated()


def test_importing_ipympl_keeps_the_notebook_backend():
    code = (
        "import matplotlib; matplotlib.use('agg'); import matplotlib.pyplot as plt\n"
        "from coursekit.display import _import_ipympl; _import_ipympl()\n"
        "print(matplotlib.get_backend())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().lower() == "agg"


def test_style():
    assert set(OPTIMIZER_COLORS) == set(OPTIMIZER_NAMES)
    assert len(set(OPTIMIZER_COLORS.values())) == len(OPTIMIZER_COLORS)
    assert optimizer_color("rmsprop") == optimizer_color("RMSProp") == OPTIMIZER_COLORS["RMSProp"]
    assert optimizer_color("Adagrad") == OPTIMIZER_COLORS["AdaGrad"]
    with pytest.raises(ValueError, match="unknown optimizer"):
        optimizer_color("Lion")
    apply_style()
    assert plt.rcParams["axes.spines.top"] is False
    fig, ax = new_figure()
    ax.plot([1, 2], label="a")
    label_axes(ax, "T", "step", "loss", legend=True)
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("T", "step", "loss")
    assert ax.get_legend() is not None


def test_a_blit_before_the_browser_has_a_first_frame_is_sent_whole():
    # ipympl sends blits as diffs against its last frame; a diff that reaches a browser
    # with no frame yet paints only the moving artists on an empty canvas.
    import warnings

    from coursekit import widgets as W

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ipympl's toolbar warns about a traitlets deprecation
        widget = W.lr_explorer(interactive=True)
    canvas = widget.fig.canvas
    canvas.draw()
    assert canvas.syncing_data_url  # no browser has said "initialized" yet
    widget.set(lr=0.05)
    assert canvas._current_image_mode == "full"
    canvas.syncing_data_url = False  # what ipympl does once a browser shows the figure
    widget.set(lr=0.02)
    assert canvas._current_image_mode == "diff"  # the cheap path once the browser has a frame
