"""display.py: figures that show once, live or as PNG, and the one way a widget redraws."""
import warnings

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.layout_engine import ConstrainedLayoutEngine

from coursekit import mpl_compat
from coursekit.display import in_kernel, layout_key, make_widget, new_figure
from coursekit.learning_rate import lr_explorer
from coursekit.optimizers import optimizer_race
from coursekit.style import OPTIMIZER_COLORS, OPTIMIZER_NAMES, apply_style, label_axes, optimizer_color


def line_widget(interactive=False, **options):
    """A one-line widget: a slider sets the line's slope."""
    fig, ax = new_figure(interactive=interactive)
    (line,) = ax.plot([0, 1], [0, 1], linewidth=8)
    slider = ipywidgets.FloatSlider(value=1.0, min=0.5, max=2.0, description="slope")

    def update(widget):
        line.set_ydata([0, slider.value])
        widget.state["slope"] = slider.value
        widget.redraw()

    return make_widget(fig, {"slope": slider}, update, title="Demo", **options), line


def test_new_figure_is_not_registered_with_pyplot():
    before = plt.get_fignums()
    fig, axes = new_figure(1, 2, figsize=(6, 3))
    assert isinstance(fig.canvas, FigureCanvasAgg) and len(axes) == 2
    assert plt.get_fignums() == before
    assert not in_kernel()


def test_make_widget_draws_the_default_state_lays_out_once_and_observes_the_controls():
    widget, line = line_widget()
    assert widget.state == {"slope": 1.0}
    assert (widget.full_draws, widget.fast_draws) == (0, 0)  # nothing is drawn while building
    assert not isinstance(widget.fig.get_layout_engine(), ConstrainedLayoutEngine)  # laid out, then frozen
    widget.set(slope=2.0)
    assert list(line.get_ydata()) == [0, 2.0] and widget.state["slope"] == 2.0
    assert widget.full_draws == 1  # no animated artists: a full draw
    with pytest.raises(KeyError, match="slope"):
        widget.set(slop=1.0)
    bundle, metadata = widget._repr_mimebundle_()
    assert set(bundle) == {"image/png", "text/plain"}  # no kernel here: no widget view
    assert bundle["text/plain"] == f"Interactive figure: Demo (slope). {widget.summary}"
    assert metadata == {"image/png": {"alt": widget.summary}}
    assert isinstance(widget.box, ipywidgets.VBox)


def test_every_widget_box_carries_the_names_of_its_sliders_for_screen_readers():
    """ipywidgets' slider handles have no accessible name; the box carries a small script that gives
    each the slider's label (checked in Chromium by tests/browser/test_lab.py and axe-core)."""
    from coursekit.accessibility import BOX_CLASS

    widget, _ = line_widget()
    namer = widget.box.children[-1]
    assert type(namer).__name__ == "WidgetAids" and BOX_CLASS in widget.box._dom_classes
    script = namer._esm
    assert "aria-label" in script and "aria-valuetext" in script and f".{BOX_CLASS}" in script


def test_controls_in_rows_and_controls_observed_by_the_builder():
    fig, ax = new_figure(interactive=False)
    a, b, c = (ipywidgets.IntSlider(description=name) for name in "abc")
    calls = []
    widget = make_widget(fig, [{"a": a, "b": b}, {"c": c}], lambda w: calls.append(w), title="Rows",
                         observe=["a", "c"])
    assert list(widget.controls) == ["a", "b", "c"] and calls == [widget]
    rows = widget.box.children[0].children
    assert [list(row.children) for row in rows] == [[a, b], [c]]
    widget.set(b=5)  # not observed: the builder wires it itself
    widget.set(a=1, c=2)
    assert len(calls) == 3


def test_a_page_s_echo_of_a_slider_s_value_is_no_move():
    """A browser that shows a log slider sends its value back computed by its own arithmetic, one
    ulp away (10 ** -1.3 came back as 0.05011872336272722 for 0.0501187233627): no redraw for that,
    or lessons 7 and 8 would start training ahead for every participant who merely opened them."""
    from coursekit.controls import log_slider
    from coursekit.display import moved

    fig, ax = new_figure(interactive=False)
    slider, switch = log_slider("learning rate", 0.05, 1e-3, 1.0, steps_per_decade=10), ipywidgets.Checkbox()
    calls = []
    make_widget(fig, {"lr": slider, "on": switch}, lambda w: calls.append(w.controls["lr"].value), title="Echo")
    shown = slider.value
    slider.value = float(np.nextafter(shown, 1.0))  # the page's echo
    slider.value = shown * (1 + 1e-12)
    assert calls == [shown]
    slider.value = 10 ** -1.2  # a move to the next stop
    switch.value = True
    assert calls == [shown, 10 ** -1.2, 10 ** -1.2]
    assert moved({"old": 0.9, "new": 0.91}) and moved({"old": 3, "new": 3.0000000001})  # ints are exact
    assert not moved({"old": 0.9, "new": 0.9000000000000001})


def test_a_voila_page_gets_the_live_view_without_a_png(monkeypatch):
    """A Voilà page is never saved: each figure's PNG would only delay it (0.2-0.5 s a figure)."""
    from coursekit import display

    widget, _ = line_widget()
    monkeypatch.setattr(display, "in_kernel", lambda: True)
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    monkeypatch.delenv("SERVER_SOFTWARE", raising=False)
    lab, _ = display.widget_bundle(widget)
    assert {"image/png", "application/vnd.jupyter.widget-view+json"} <= set(lab)  # JupyterLab, nbval: saved
    monkeypatch.setenv("SERVER_SOFTWARE", "voila/0.5.13")
    voila, metadata = display.widget_bundle(widget)
    assert "image/png" not in voila and metadata == {} and voila["application/vnd.jupyter.widget-view+json"] == \
        lab["application/vnd.jupyter.widget-view+json"]
    monkeypatch.delenv("SERVER_SOFTWARE")
    monkeypatch.setenv("VOILA_PREHEAT", "True")  # a kernel Voilà preheats, before its page arrives
    assert "image/png" not in display.widget_bundle(widget)[0]


def test_ipympl_canvas_sits_in_the_widget_box():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ipympl's toolbar warns about a traitlets deprecation
        widget, _ = line_widget(interactive=True)
    from ipympl.backend_nbagg import Canvas

    assert isinstance(widget.fig.canvas, Canvas) and widget.fig.canvas.header_visible is False
    assert widget.box.children[-3] is widget.fig.canvas  # then its summary and the invisible slider namer
    assert widget.png().startswith(b"\x89PNG")


def test_png_includes_animated_artists():
    fig, ax = new_figure(interactive=False)
    (line,) = ax.plot([0, 1], [0, 1], linewidth=8)
    widget = make_widget(fig, {}, lambda w: w.redraw(), title="Animated", animated=[line])
    with_line = widget.png()
    line.set_visible(False)
    without_line = widget.png()
    assert with_line != without_line and line.get_animated()


def test_relayout_runs_only_when_the_key_changes():
    fig, ax = new_figure(interactive=False)
    ax.set_yscale("log")
    slider = ipywidgets.FloatSlider(value=10.0, min=1.0, max=1e6)

    def update(widget):
        ax.set_ylim(0.1, slider.value)
        widget.redraw()

    widget = make_widget(fig, {"top": slider}, update, title="Relayout", relayout=layout_key)
    passes = []
    lay_out = widget.lay_out
    widget.lay_out = lambda: (passes.append(1), lay_out())
    widget.set(top=9.0)  # 0.1 to 9 spans the same decades as 0.1 to 10: the same tick labels
    assert passes == [] and widget.full_draws == 1
    widget.set(top=1e5)  # four decades more: new tick labels, maybe new margins
    assert passes == [1] and widget.full_draws == 2


@pytest.fixture(scope="module")
def race_widget():
    return optimizer_race(interactive=False)


def test_a_blit_paints_the_same_pixels_as_a_full_draw(race_widget):
    canvas = race_widget.fig.canvas
    canvas.draw()  # the first frame, as a browser asks for it: the picture a blit starts from
    fast_draws = race_widget.fast_draws
    race_widget.set(adaptive_lr=0.05)
    assert race_widget.fast_draws == fast_draws + 1
    blitted = np.asarray(canvas.buffer_rgba()).copy()
    canvas.draw()
    np.testing.assert_array_equal(blitted, np.asarray(canvas.buffer_rgba()))
    race_widget.set(adaptive_lr=0.1)


def test_a_blit_from_the_first_changed_artist_paints_what_a_full_draw_paints():
    """A drag of the phase map's start changes only the last animated artists (the paths, the note):
    the blit restores the picture with the unchanged ones (the map's marker and title) drawn, kept
    from the move before. Each frame must equal a full draw, also when a slider then changes one of
    the kept artists."""
    from coursekit.phase_map import momentum_phase_map

    widget = momentum_phase_map(interactive=False)
    canvas = widget.fig.canvas
    canvas.draw()
    ax_path = widget.fig.axes[1]

    def frame():
        return np.asarray(canvas.buffer_rgba()).copy()

    widget.drag_interval = 0.0  # every move redraws
    widget.mouse_event("button_press_event", ax_path, -2.0, 2.0)
    widget.mouse_event("motion_notify_event", ax_path, -1.5, 2.0)
    kept = widget._settled
    assert kept is not None and kept[0] == 2  # the marker and the title drawn, kept
    widget.mouse_event("motion_notify_event", ax_path, -1.0, 2.0)
    assert widget._settled is kept  # the next move starts from that picture
    blitted = frame()
    canvas.draw()
    np.testing.assert_array_equal(blitted, frame())
    widget.mouse_event("button_release_event", ax_path, -1.0, 2.0)
    widget.set(lr=0.05)  # the marker and the title change: redrawn from the first artist
    assert widget._settled[0] == 0
    blitted = frame()
    canvas.draw()
    np.testing.assert_array_equal(blitted, frame())


def test_a_layout_pass_never_becomes_the_picture_a_blit_restores():
    # A layout pass clears the canvas and paints nothing; blitting over that showed only the
    # moving artists on a transparent figure (a blank widget in the browser).
    widget = optimizer_race(interactive=False)
    widget.fig.canvas.draw()  # a frame, then a layout pass (a surface switch, enlarge)
    widget.lay_out()
    widget.set(adaptive_lr=0.05)
    assert np.asarray(widget.fig.canvas.buffer_rgba())[..., 3].min() == 255  # an opaque, whole figure
    assert (widget.full_draws, widget.fast_draws) == (1, 0)  # the move after the layout pass drew in full


def test_a_resize_makes_the_next_redraw_full(race_widget):
    race_widget.fig.canvas.draw()
    race_widget.fig.set_size_inches(*(race_widget.fig.get_size_inches() * 1.1))
    full = race_widget.full_draws
    race_widget.set(adaptive_lr=0.05)
    assert race_widget.full_draws == full + 1
    race_widget.set(adaptive_lr=0.1)


def test_a_blit_before_the_browser_has_a_first_frame_is_sent_whole():
    # ipympl sends blits as diffs against its last frame; a diff that reaches a browser
    # with no frame yet paints only the moving artists on an empty canvas.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ipympl's toolbar warns about a traitlets deprecation
        widget = lr_explorer(interactive=True)
    canvas = widget.fig.canvas
    canvas.draw()
    assert mpl_compat.waiting_for_first_frame(canvas)  # no browser has said "initialized" yet
    widget.set(lr=0.05)
    assert canvas._current_image_mode == "full"
    mpl_compat.mark_first_frame_shown(canvas)  # what ipympl does once a browser shows the figure
    widget.set(lr=0.03)
    assert canvas._current_image_mode == "full"  # right after the last frame: a drag, sent whole
    canvas.rapid_frame_window = 0.0  # as if the last frame were long ago
    widget.set(lr=0.02)
    assert canvas._current_image_mode == "diff"  # the cheap path once the browser has a frame


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


def test_code_line_is_shown_under_the_controls_and_follows_every_change():
    from coursekit.display import call_line

    widget, _ = line_widget(code=lambda w: call_line("demo", slope=w.controls["slope"].value))
    assert widget.code_line == "demo(slope=1.0)"
    view = widget.box.children[1]  # right under the rows of controls
    assert isinstance(view, ipywidgets.HTML) and "coursekit-code-line" in view._dom_classes
    assert "demo(slope=1.0)" in view.value and "user-select: all" in view.value
    widget.set(slope=1.5)
    assert widget.code_line == "demo(slope=1.5)" and "demo(slope=1.5)" in view.value
    plain, _ = line_widget()
    assert plain.code_line is None and len(plain.box.children) == 3  # no code, no line: controls, summary, namer


def test_call_line_writes_python_that_evaluates_back_to_the_values():
    from coursekit.display import call_line

    line = call_line("f", "valley", lr=0.0316228, steps=300, start=(-1.5, 2), on=True, name=None, k=(3,))
    assert line == "f('valley', lr=0.0316228, steps=300, start=(-1.5, 2), on=True, name=None, k=(3,))"
    assert eval(line, {"f": lambda *a, **k: (a, k)}) == (
        ("valley",), {"lr": 0.0316228, "steps": 300, "start": (-1.5, 2), "on": True, "name": None, "k": (3,)})
    assert call_line("f", x=np.float64(2.0)) == "f(x=2.0)"  # stays a float


def click_widget(**options):
    fig, (left, right) = new_figure(1, 2, interactive=False)
    for ax in (left, right):
        ax.set_xlim(0, 10)
        ax.set_ylim(0, 10)
    clicks = []
    widget = make_widget(fig, {}, lambda w: w.redraw(), title="Clicks",
                         on_click=lambda w, ax, x, y: clicks.append((ax, round(x, 6), round(y, 6))), **options)
    return widget, left, right, clicks


def test_a_click_reports_the_axes_and_data_point_under_the_mouse():
    widget, left, right, clicks = click_widget()
    widget.click(right, 2.5, 7.0)
    assert clicks == [(right, 2.5, 7.0)] and widget.clicks == 1
    widget.click(left, 9.0, 1.0)
    assert clicks[-1] == (left, 9.0, 1.0)


def test_a_drag_reports_every_move_unless_the_kernel_is_busy_then_lands_on_the_release():
    widget, left, _, clicks = click_widget()
    widget.drag_interval = 0.0  # no throttle: every move reaches the handler
    widget.drag(left, [(1, 1), (2, 2), (3, 3)])
    assert [c[1:] for c in clicks] == [(1, 1), (2, 2), (3, 3), (3, 3)]  # the release repeats the last
    clicks.clear()
    widget.click(left, 5, 5)  # a click without a move: no repeat
    assert [c[1:] for c in clicks] == [(5, 5)]
    clicks.clear()
    widget.drag_interval = 3600.0  # every move comes "too soon": skipped, the release applies the last
    widget.drag(left, [(1, 1), (2, 2), (3, 3), (4, 4)])
    assert [c[1:] for c in clicks] == [(1, 1), (4, 4)]
    clicks.clear()
    widget.drag(left, [(5, 5), (6, 6)], release=False)
    assert [c[1:] for c in clicks] == [(5, 5)]  # the move is pending while the button is held
    assert widget.dragging
    widget.mouse_event("button_release_event", left, 6, 6)
    assert not widget.dragging and clicks[-1][1:] == (6, 6)


def test_a_drag_stays_in_its_axes_and_ends_when_a_move_reports_the_button_up():
    from matplotlib.backend_bases import MouseButton, MouseEvent

    widget, left, right, clicks = click_widget()
    widget.drag_interval = 0.0
    widget.drag(left, [(1, 1), (2, 2)], release=False)
    widget.mouse_event("motion_notify_event", right, 5, 5)  # wandered into the other axes
    assert [c[0] for c in clicks] == [left, left]
    # released outside the figure: the next move over it says no button is held
    px, py = left.transData.transform((3, 3))
    up = MouseEvent("motion_notify_event", widget.canvas, px, py, buttons=set())
    widget.canvas.callbacks.process(up.name, up)
    assert not widget.dragging and [c[1:] for c in clicks][-1] == (2, 2)  # landed where it was
    widget.mouse_event("motion_notify_event", left, 4, 4)  # hovering now: nothing moves
    assert [c[1:] for c in clicks][-1] == (2, 2)
    held = MouseEvent("motion_notify_event", widget.canvas, px, py, buttons={MouseButton.LEFT})
    widget.canvas.callbacks.process(held.name, held)  # a held button without a press here: not a drag
    assert [c[1:] for c in clicks][-1] == (2, 2)


def test_moves_without_a_pressed_button_and_clicks_outside_the_axes_do_nothing():
    from matplotlib.backend_bases import MouseEvent

    widget, left, _, clicks = click_widget()
    widget.drag_interval = 0.0
    widget.mouse_event("motion_notify_event", left, 5, 5)  # hovering
    event = MouseEvent("button_press_event", widget.canvas, -50, -50, button=1)  # outside every axes
    widget.canvas.callbacks.process(event.name, event)
    right_click = MouseEvent("button_press_event", widget.canvas, *left.transData.transform((5, 5)), button=3)
    widget.canvas.callbacks.process(right_click.name, right_click)
    assert clicks == []


def test_clicks_while_the_toolbar_zooms_belong_to_the_toolbar():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fig, ax = new_figure(interactive=True)
        clicks = []
        widget = make_widget(fig, {}, lambda w: w.redraw(), title="Zoom",
                             on_click=lambda w, a, x, y: clicks.append((x, y)))
    widget.click(ax, 0.5, 0.5)
    assert len(clicks) == 1
    widget.canvas.toolbar.zoom()  # the toolbar's zoom button
    widget.click(ax, 0.5, 0.5)
    assert len(clicks) == 1


def test_signature_defaults_reads_a_function_s_defaults_for_its_code_line():
    from coursekit.display import call_line, signature_defaults

    def demo(lr, steps=12, *, rule="Momentum"):
        return lr, steps, rule

    defaults = signature_defaults(demo, "steps", "rule")
    assert defaults == {"steps": 12, "rule": "Momentum"}
    assert call_line("demo", lr=0.1, steps=12, rule="Adam", defaults=defaults) == "demo(lr=0.1, rule='Adam')"
    with pytest.raises(ValueError, match="demo has no default for lr, speed"):
        signature_defaults(demo, "lr", "speed")


def test_arrow_keys_move_the_start_point_as_clicks_would():
    """The keyboard's route to the mouse's: on a focused figure the arrow keys move the point a
    click moves, a twentieth of the axes a press (Shift: a hundredth; decades on a log axis)."""
    fig, (ax_lin, ax_log) = new_figure(1, 2, interactive=False)
    ax_lin.set(xlim=(0, 10), ylim=(-1, 1))
    ax_log.set(xscale="log", xlim=(1e-3, 1e1), ylim=(0, 1))
    where = {ax_lin: (5.0, 0.0), ax_log: (1e-2, 0.5)}
    clicks = []

    def on_click(widget, ax, x, y):
        where[ax] = (x, y)
        clicks.append(ax)

    widget = make_widget(fig, {}, lambda w: None, title="Keys", on_click=on_click,
                         key_points=lambda w: [(ax, *where[ax]) for ax in (ax_lin, ax_log)])
    widget.key("right").key("up")
    assert where[ax_lin] == pytest.approx((5.5, 0.1))  # the first point until another axes is clicked
    widget.key("shift+left")
    assert where[ax_lin] == pytest.approx((5.4, 0.1))
    for _ in range(30):
        widget.key("down")
    assert where[ax_lin][1] == -1  # kept inside the axes
    widget.key("N").key("right")  # the next point (n or Shift+n): one fifth of a decade on 4 decades
    assert where[ax_log][0] == pytest.approx(10 ** (-2 + 0.2))
    widget.click(ax_lin, 2.0, 0.0).key("left")  # a click makes its axes the keys' own
    assert where[ax_lin] == pytest.approx((1.5, 0.0))
    widget.key("q").key("ctrl+left")  # other keys do nothing
    assert len(clicks) == 1 + 1 + 1 + 30 + 1 + 1 + 1
    assert "arrow keys move the start point" in widget.figure_label and "the N key" in widget.figure_label
    assert widget.box.children[-1].figure_label == widget.figure_label


def test_a_widget_canvas_ignores_matplotlib_s_default_keys():
    """'q' would close a widget's figure for good, 'l' switch its axis to log scale."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        widget, _ = line_widget(interactive=True)
    from matplotlib.backend_bases import KeyEvent

    ax = widget.fig.axes[0]
    x, y = ax.transAxes.transform((0.5, 0.5))  # over the axes, as a focused figure's key is
    widget.canvas.callbacks.process("key_press_event", KeyEvent("key_press_event", widget.canvas, "l", x=x, y=y))
    assert ax.get_yscale() == "linear"
