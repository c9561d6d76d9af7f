"""Every private or undocumented matplotlib and ipympl attribute the course relies on, in one place.

Written against matplotlib 3.11 and ipympl 0.10 (``tests/test_mpl_compat.py`` pins these
versions and checks that each attribute below still exists and behaves as relied on).
When either library is upgraded and that test fails, re-check this file: each function
says why the course needs it, so a replacement can be found when the internals move.
Nothing else in ``coursekit`` touches a library internal.
"""

from __future__ import annotations

import math
import sys
import time

import matplotlib

__all__ = [
    "import_ipympl_backend",
    "waiting_for_first_frame",
    "send_next_frame_whole",
    "send_rapid_frames_whole",
    "encode_frames_fast",
    "mark_first_frame_shown",
    "set_base_dpi",
]

# The versions this file was last checked against (major, minor).
CHECKED_MATPLOTLIB = (3, 11)
CHECKED_IPYMPL = (0, 10)


def import_ipympl_backend():
    """ipympl's backend module (``Canvas``, ``FigureManager``), imported WITHOUT switching
    pyplot's backend.

    ``import ipympl.backend_nbagg`` calls ``matplotlib.use("module://ipympl.backend_nbagg")``
    when matplotlib is loaded, which would turn every later static ``plt.plot`` of a lesson
    into a widget; we put back whatever backend the notebook had chosen. The backend is
    read with ``dict.__getitem__``: ``rcParams["backend"]`` would *resolve* a backend not
    chosen yet (matplotlib's private "auto" sentinel), and we must hand that sentinel back
    unresolved.
    """
    if "ipympl.backend_nbagg" not in sys.modules:
        previous = dict.__getitem__(matplotlib.rcParams, "backend")  # may be the auto sentinel
        import ipympl.backend_nbagg  # noqa: F401

        if dict.__getitem__(matplotlib.rcParams, "backend") != previous:
            matplotlib.use(previous)  # switches pyplot back too, if it is loaded
            if dict.__getitem__(matplotlib.rcParams, "backend") is not previous:
                # Without pyplot, ``use`` refuses to go back to the sentinel ("not chosen
                # yet"): store it directly, so pyplot still picks its backend when loaded.
                dict.__setitem__(matplotlib.rcParams, "backend", previous)
    return sys.modules["ipympl.backend_nbagg"]


def waiting_for_first_frame(canvas) -> bool:
    """True while no browser has shown this ipympl canvas yet (always False for Agg).

    ipympl keeps ``syncing_data_url`` True until the front end reports "initialized" (and
    for ever when there is no front end, as under nbconvert); an undocumented attribute.
    """
    return bool(getattr(canvas, "syncing_data_url", False))


def send_next_frame_whole(canvas) -> None:
    """Make the next frame an ipympl canvas sends a full image, not a diff.

    A blit is sent as a diff against the last frame sent; a browser that has not shown a
    first frame would paint that diff on an empty canvas (only the moving artists, no
    axes). matplotlib's webagg core keeps the flag in the private ``_force_full``.
    """
    canvas._force_full = True


def send_rapid_frames_whole(canvas, window: float) -> None:
    """Make an ipympl canvas send a frame whole when it follows the previous one within
    ``window`` seconds (a drag of a slider or of the mouse); frames further apart stay diffs.

    ipympl's browser side loads each frame into one ``Image`` by setting its ``src``: a frame
    that arrives before the previous one finished loading replaces it, and that one is never
    painted. A diff only lists the pixels that changed since the frame before, so after a
    lost diff the figure keeps stale pixels (old paths stay on screen) until a full frame. A
    whole frame repaints everything, so losing one is harmless. matplotlib's webagg core
    builds each frame in ``get_diff_image`` and reads the private ``_png_is_old`` (a new
    picture is waiting) and ``_force_full`` (send it whole); we wrap that method on this
    canvas only. ``canvas.rapid_frame_window`` holds ``window`` and may be changed later.
    Does nothing to a canvas without a browser side (Agg).
    """
    build_frame = getattr(canvas, "get_diff_image", None)
    if build_frame is None:
        return
    canvas.rapid_frame_window = float(window)
    if getattr(canvas, "_sends_rapid_frames_whole", False):
        return  # already wrapped: the new window is all that changes
    canvas._sends_rapid_frames_whole = True
    last_sent = [-math.inf]

    def get_diff_image():
        now = time.monotonic()
        if canvas._png_is_old and now - last_sent[0] < canvas.rapid_frame_window:
            canvas._force_full = True
        frame = build_frame()
        if frame is not None:
            last_sent[0] = now
        return frame

    canvas.get_diff_image = get_diff_image


def _png(pixels) -> bytes:
    """``pixels`` (height, width, 3 or 4 uint8) as a PNG: rows unfiltered, zlib at its fastest level.

    Pillow's encoder tries a filter per row and keeps the best, which takes most of its time (about
    18 ms for a two-panel figure, here 7 ms): a plot's flat colours compress as well without one
    (the same size within a few %). The format: PNG's signature, then the IHDR, IDAT and IEND chunks.
    """
    import struct
    import zlib

    import numpy as np

    height, width, channels = pixels.shape
    rows = np.zeros((height, width * channels + 1), dtype=np.uint8)  # each row: filter type 0, then its bytes
    rows[:, 1:].reshape(height, width, channels)[...] = pixels  # one copy (a view: each row stays contiguous)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    colour_type = 6 if channels == 4 else 2  # RGBA or RGB, 8 bits each
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows.tobytes(), 1))
            + chunk(b"IEND", b""))


def encode_frames_fast(canvas) -> None:
    """Make an ipympl canvas encode its frames two to three times as fast (a drag sends one per move).

    matplotlib's webagg core builds each frame in ``get_diff_image``: the whole picture, or
    only the pixels that changed since the last frame (the rest transparent), PNG-encoded by
    Pillow, which takes most of a frame's time (about 30 ms for a two-panel figure). This is
    the same method (matplotlib 3.11's, reading the private ``_png_is_old``, ``_force_full``
    and ``_last_buff``) with a faster encoding (:func:`_png`), and an opaque whole frame sent
    without its alpha channel, a quarter fewer bytes: the browser paints the same pixels (a
    test decodes both). Does nothing to a canvas without a browser side (Agg).
    """
    if not hasattr(canvas, "get_diff_image"):
        return
    import numpy as np

    def get_diff_image():
        if not canvas._png_is_old:
            return None
        pixels = np.asarray(canvas.get_renderer().buffer_rgba())
        buff = pixels.view(np.uint32).squeeze(2)  # a pixel as one number: compared in one call
        opaque = bool((pixels[:, :, 3] == 255).all())
        if canvas._force_full or buff.shape != canvas._last_buff.shape or not opaque:
            canvas.set_image_mode("full")  # a diff cannot be laid over transparent pixels
            data = pixels[:, :, :3] if opaque else pixels
        else:
            canvas.set_image_mode("diff")
            data = np.where(buff != canvas._last_buff, buff, 0).view(np.uint8).reshape(*buff.shape, 4)
        canvas._last_buff = buff.copy()
        canvas._force_full = False
        canvas._png_is_old = False
        return _png(data)

    canvas.get_diff_image = get_diff_image


def mark_first_frame_shown(canvas) -> None:
    """Put an ipympl canvas in the state a connected browser leaves it in (benchmarks, tests):
    what ipympl does itself when the front end reports "initialized"."""
    canvas.syncing_data_url = False


def set_base_dpi(fig, dpi: float) -> None:
    """Give ``fig`` a new dpi without telling a browser canvas, and keep it as the HiDPI base.

    ``Figure.dpi = ...`` forwards a resize to the canvas; on ipympl, a resize message sent
    before the view exists leaves the view drawing only the changed pixels on a blank
    canvas, so we call the private ``_set_dpi(dpi, forward=False)`` (ipympl sends the size
    when its view starts). On HiDPI screens matplotlib multiplies the private
    ``_original_dpi`` by the device pixel ratio; setting it keeps ``dpi`` on a retina screen.
    """
    fig._set_dpi(dpi, forward=False)
    fig._original_dpi = dpi
