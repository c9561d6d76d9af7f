"""Lesson 1's descent explorer: clicks move the starts, the code line recreates the widget.

And lessons 1-4's widgets fit a laptop's notebook column, their text readable and apart."""
import itertools

import numpy as np
import pytest

from coursekit.display import COLUMN_FIGURE_PX
from coursekit.gradient_descent import START_2D, descent_explorer


def test_clicks_move_each_plots_start_and_the_code_line_recreates_them():
    widget = descent_explorer(interactive=False)
    assert widget.code_line == "descent_explorer(lr=0.1, steps=20, start=(-1.0, 2.0))"
    one_weight, two_weights, distance = widget.fig.axes
    widget.click(two_weights, 0.5, -0.5)
    widget.click(one_weight, 2.0, 3.0)
    assert widget.state["path_2d"].points[0].tolist() == [0.5, -0.5]
    assert widget.state["path_1d"].points[0].tolist() == [2.0]
    widget.click(distance, 10, 1e-3)  # the distance plot has no start: nothing moves
    assert widget.state["start"] == (0.5, -0.5)
    line = widget.code_line
    assert line == "descent_explorer(lr=0.1, steps=20, start=(0.5, -0.5), start_1d=2.0)"
    again = eval(line, {"descent_explorer": lambda **k: descent_explorer(interactive=False, **k)})
    np.testing.assert_array_equal(again.state["path_2d"].points, widget.state["path_2d"].points)
    np.testing.assert_array_equal(again.state["path_1d"].points, widget.state["path_1d"].points)


def test_a_start_outside_the_plots_is_refused_with_the_range():
    with pytest.raises(ValueError, match=r"w_bmi in \[-1.6, 2\]"):
        descent_explorer(start=(5.0, 0.0), interactive=False)
    with pytest.raises(ValueError, match=r"start_1d must lie in \[-1.6, 2.8\]"):
        descent_explorer(start=START_2D, start_1d=9.0, interactive=False)


# -- lessons 1-4's widgets fit a laptop's notebook column -----------------------------------------------------


def _widget_states():
    """Each widget at its lesson's default and in the states with its longest texts."""
    from coursekit.learning_rate import lr_explorer
    from coursekit.minibatches import minibatch_explorer
    from coursekit.optimizers import optimizer_race
    from coursekit.phase_map import momentum_phase_map

    yield "descent", descent_explorer(interactive=False)
    yield "descent moving away", descent_explorer(interactive=False).set(lr=1.02, steps=100)
    yield "lr", lr_explorer("valley", lr=0.1, interactive=False)
    yield "lr diverged", lr_explorer("valley", lr=0.1, interactive=False).set(lr=1.5)
    yield "lr bowl, tiny rate", lr_explorer("bowl", lr=0.000123, interactive=False)
    yield "minibatch", minibatch_explorer(batch_size=32, lr=0.1, interactive=False)
    yield "minibatch full batch", minibatch_explorer(batch_size=512, lr=0.001, interactive=False)
    yield "race", optimizer_race("valley", interactive=False)
    yield "race noisy, all seven", optimizer_race("noisy", ("SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp",
                                                            "Adam", "AdamW"), interactive=False)
    yield "race diverged", optimizer_race("valley", interactive=False).set(lr=2.0, adaptive_lr=2.0)
    yield "race, nobody", optimizer_race("valley", (), interactive=False)
    yield "phase map", momentum_phase_map("valley", lr=0.03, momentum=0.9, interactive=False)
    yield "phase map Nesterov", momentum_phase_map(interactive=False).set(rule="Nesterov", lr=0.00178, momentum=0.0)


def _texts(fig):
    """(name, window extent, font size) of every visible text: titles, labels, tick labels, notes, legends."""
    renderer = fig.canvas.get_renderer()
    found = [(f"figure text {t.get_text()!r}", t) for t in fig.texts]
    found += [("figure legend", legend) for legend in fig.legends]
    for i, ax in enumerate(fig.axes):
        found += [(f"axes {i} title", ax.title), (f"axes {i} x label", ax.xaxis.label),
                  (f"axes {i} y label", ax.yaxis.label), (f"axes {i} legend", ax.get_legend())]
        found += [(f"axes {i} text {t.get_text()!r}", t) for t in ax.texts]
        for labels, along in ((ax.get_xticklabels(), 0), (ax.get_yticklabels(), 1)):
            span = sorted(ax.bbox.get_points()[:, along])  # the labels of the ticks drawn: those in view
            found += [(f"axes {i} tick {label.get_text()}", label) for label in labels
                      if span[0] - 1 <= label.get_window_extent(renderer).get_points().mean(axis=0)[along] <= span[1] + 1]
    boxes = []
    for name, artist in found:
        if artist is None or not artist.get_visible() or not getattr(artist, "get_text", lambda: "x")().strip():
            continue
        sizes = ([t.get_fontsize() for t in artist.get_texts()] if hasattr(artist, "get_texts")
                 else [artist.get_fontsize()])
        boxes.append((name, artist.get_window_extent(renderer), min(sizes)))
    return boxes


@pytest.mark.parametrize("name, widget", list(_widget_states()), ids=lambda v: v if isinstance(v, str) else "")
def test_lesson_widgets_fit_a_laptop_column_with_their_text_readable_and_apart(name, widget):
    """display.COLUMN_FIGURE_PX wide at most (no sideways scrolling), at most 5 in high (a 768-px screen shows
    the controls and the figure), no text under 9 pt, cut off or on other text, no legend on a plot."""
    fig = widget.fig
    widget.png()  # draws everything, the animated artists too
    width, height = fig.canvas.get_width_height()  # the canvas's pixels
    assert fig.dpi == 100 and width <= COLUMN_FIGURE_PX and height <= 500
    boxes = _texts(fig)
    for text, box, size in boxes:
        assert size >= 9, (text, size)
        assert box.x0 >= 0 and box.y0 >= 0 and box.x1 <= width and box.y1 <= height, (text, box.bounds)
    for (a, box_a, _), (b, box_b, _) in itertools.combinations(boxes, 2):
        overlap = (min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0), min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0))
        assert min(overlap) <= 0.5, (a, b, overlap)
    for legend in [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend())]:
        assert not any(legend.get_window_extent().overlaps(ax.bbox) for ax in fig.axes)
