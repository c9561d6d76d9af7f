"""coursekit.mpl_compat: the matplotlib and ipympl internals the course relies on are still there.

If a test here fails after an upgrade, re-check course/coursekit/mpl_compat.py: each of its
functions says why the course needs the internal it touches.
"""
import os
import subprocess
from io import BytesIO
import sys
import warnings

import ipympl
import matplotlib
import numpy as np
import pytest
from PIL import Image

from coursekit import mpl_compat
from coursekit.display import new_figure

RECHECK = "re-check course/coursekit/mpl_compat.py"


def _major_minor(version: str):
    return tuple(int(part) for part in version.split(".")[:2])


@pytest.mark.parametrize("name, installed, checked", [
    ("matplotlib", matplotlib.__version__, mpl_compat.CHECKED_MATPLOTLIB),
    ("ipympl", ipympl.__version__, mpl_compat.CHECKED_IPYMPL),
])
def test_installed_versions_are_the_ones_mpl_compat_was_checked_against(name, installed, checked):
    assert _major_minor(installed) == checked, (
        f"{name} {installed} is installed, but course/coursekit/mpl_compat.py was written against "
        f"{name} {'.'.join(map(str, checked))}: {RECHECK} against {name} {installed} (the other tests "
        f"in this file show which internal moved), then update CHECKED_{name.upper()} there")


def _python(code):
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # the backend not chosen yet
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_importing_ipympl_switches_the_backend_and_import_ipympl_backend_puts_it_back():
    raw = _python("import matplotlib; matplotlib.use('agg'); import ipympl.backend_nbagg; "
                  "print(matplotlib.get_backend())")
    assert "ipympl" in raw, f"ipympl no longer switches pyplot's backend on import: {RECHECK} (import_ipympl_backend)"
    kept = _python("import matplotlib; matplotlib.use('agg'); from coursekit import mpl_compat; "
                   "mpl_compat.import_ipympl_backend(); print(matplotlib.get_backend())")
    assert kept.lower() == "agg", RECHECK
    # A backend not chosen yet is matplotlib's private "auto" sentinel, read without resolving it.
    unresolved = _python("import matplotlib; from matplotlib import rcsetup; from coursekit import mpl_compat; "
                         "mpl_compat.import_ipympl_backend(); "
                         "print(dict.__getitem__(matplotlib.rcParams, 'backend') is rcsetup._auto_backend_sentinel)")
    assert unresolved == "True", f"rcParams no longer stores the unresolved backend as a sentinel: {RECHECK}"


@pytest.fixture
def ipympl_figure():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ipympl's toolbar warns about a traitlets deprecation
        fig, ax = new_figure(interactive=True)
    ax.plot([0, 1], [0, 1])
    return fig


def test_ipympl_says_when_a_browser_has_shown_a_first_frame(ipympl_figure):
    canvas = ipympl_figure.canvas
    assert mpl_compat.waiting_for_first_frame(canvas), f"ipympl's syncing_data_url changed: {RECHECK}"
    canvas._handle_message(canvas, {"type": "initialized"}, [])  # what a browser sends once it shows the figure
    assert not mpl_compat.waiting_for_first_frame(canvas), f"ipympl's syncing_data_url changed: {RECHECK}"
    canvas.syncing_data_url = True
    mpl_compat.mark_first_frame_shown(canvas)  # does what ipympl does on "initialized"
    assert not mpl_compat.waiting_for_first_frame(canvas)
    fig, _ = new_figure(interactive=False)
    assert not mpl_compat.waiting_for_first_frame(fig.canvas)  # Agg: no browser to wait for


def test_the_full_frame_flag_makes_the_next_frame_whole(ipympl_figure):
    canvas = ipympl_figure.canvas
    canvas.rapid_frame_window = 0.0  # coursekit's own rule off: ipympl's plain behaviour
    canvas.draw()
    canvas.draw()
    assert canvas._current_image_mode == "diff", f"a second frame is no longer sent as a diff: {RECHECK}"
    mpl_compat.send_next_frame_whole(canvas)
    canvas.draw()
    assert canvas._current_image_mode == "full", f"_force_full no longer forces a full frame: {RECHECK}"


def test_set_base_dpi_sends_no_resize_and_survives_a_hidpi_screen(ipympl_figure):
    fig = ipympl_figure
    canvas = fig.canvas
    resizes = []
    canvas.manager.resize = lambda *args, **kwargs: resizes.append(args)
    mpl_compat.set_base_dpi(fig, 135.0)
    assert fig.dpi == 135.0 and resizes == [], f"Figure._set_dpi(forward=False) changed: {RECHECK}"
    canvas._set_device_pixel_ratio(2)  # what a retina screen makes the canvas do
    assert fig.dpi == 270.0, f"the HiDPI dpi is no longer computed from Figure._original_dpi: {RECHECK}"


def test_rapid_frames_go_whole_and_spaced_frames_stay_diffs(ipympl_figure):
    canvas = ipympl_figure.canvas
    mpl_compat.send_rapid_frames_whole(canvas, window=0.0)  # no frame counts as rapid
    canvas.draw()
    canvas.draw()
    assert canvas._current_image_mode == "diff"
    mpl_compat.send_rapid_frames_whole(canvas, window=3600.0)  # every frame counts as rapid
    canvas.draw()
    assert canvas._current_image_mode == "full", f"get_diff_image/_png_is_old/_force_full changed: {RECHECK}"
    fig, _ = new_figure(interactive=False)
    mpl_compat.send_rapid_frames_whole(fig.canvas, window=1.0)  # Agg: nothing to wrap, no error


def _decoded(frame):
    return np.asarray(Image.open(BytesIO(frame)).convert("RGBA"))


def test_fast_frames_paint_the_pixels_matplotlib_s_own_frames_paint(ipympl_figure):
    """The same frame kinds and, decoded, the same pixels as matplotlib's get_diff_image, whole and diff."""
    from matplotlib.backends.backend_webagg_core import FigureCanvasWebAggCore

    canvas = ipympl_figure.canvas
    canvas.rapid_frame_window = 0.0  # coursekit's rapid-frame rule off: whole, then diffs
    ours_of = canvas.get_diff_image
    frames = []

    def both():  # each frame built by ours, then by matplotlib's from the same state
        state = (canvas._png_is_old, canvas._force_full, canvas._last_buff.copy())
        ours, ours_mode = ours_of(), canvas._current_image_mode
        canvas._png_is_old, canvas._force_full, canvas._last_buff = state
        theirs = FigureCanvasWebAggCore.get_diff_image(canvas)
        frames.append((ours, ours_mode, theirs, canvas._current_image_mode))
        return ours

    canvas.get_diff_image = both
    line = ipympl_figure.axes[0].lines[0]
    for y_end in (1.0, 0.5, 0.2):
        line.set_ydata([0, y_end])
        canvas.draw()
    assert [(mode, their_mode) for _, mode, _, their_mode in frames] == \
        [("full", "full"), ("diff", "diff"), ("diff", "diff")], f"get_diff_image's frame kinds changed: {RECHECK}"
    for ours, _, theirs, _ in frames:
        np.testing.assert_array_equal(_decoded(ours), _decoded(theirs))
    assert Image.open(BytesIO(frames[0][0])).mode == "RGB"  # ours (matplotlib's whole frames are RGBA)
