"""alt_text.py: every figure carries words, as output metadata and inside its PNG; widgets show theirs."""
import base64
import io

import matplotlib
import pytest
from matplotlib.figure import Figure
from PIL import Image

from coursekit import alt_text
from coursekit.alt_text import describe, figure_summary, plain_account
from coursekit.display import make_widget, new_figure


def test_a_described_figure_says_its_descriptions_in_axes_order():
    fig = Figure()
    left, right, spare = fig.subplots(1, 3)
    left.plot([0, 1], [1, 0])
    spare.plot([0, 1], [0, 1])
    describe(right, "Right: Adam diverged at step 17.")
    describe(left, "Left: SGD reached the minimum in 42 steps.")
    assert figure_summary(fig) == "Left: SGD reached the minimum in 42 steps. Right: Adam diverged at step 17."
    describe(fig, "Two runs.")
    assert figure_summary(fig).startswith("Two runs. Left:")
    with pytest.raises(ValueError, match="non-empty string"):
        describe(left, "  ")


def test_a_figure_nobody_described_gets_a_plain_account_of_its_axes_and_lines():
    fig = Figure()
    ax = fig.subplots()
    ax.plot([0, 10, 20], [2.0, 0.5, 0.0123], label="SGD")
    ax.plot([0, 10, 20], [2.0, float("nan"), 5e7], label="Adam")
    ax.plot([0, 20], [1, 1], label="_reference")  # unlabelled: not named
    ax.set(title="Loss during training", xlabel="step", ylabel="loss", yscale="log")
    account = plain_account(ax)
    assert account.startswith("Loss during training: x: step from 0 to 20;")  # the data, not the margins
    assert "y: loss from" in account and "log scale" in account
    assert "SGD ends at 0.0123" in account and "Adam ends at 5.00e+07" in account
    assert "reference" not in account
    assert figure_summary(fig) == account
    assert figure_summary(Figure()) == "An empty figure."


def test_a_widget_summary_follows_its_state_and_is_its_png_s_alt_text():
    fig, ax = new_figure(interactive=False)
    (line,) = ax.plot([0, 1], [0, 1])
    import ipywidgets

    slider = ipywidgets.FloatSlider(value=1.0, min=0.5, max=2.0, description="slope")

    def update(widget):
        line.set_ydata([0, slider.value])
        widget.state["slope"] = slider.value
        widget.redraw()

    widget = make_widget(fig, {"slope": slider}, update, title="Demo",
                         summary=lambda w: f"A line of slope {w.state['slope']:g}.")
    view = [child for child in widget.box.children if "coursekit-summary" in child._dom_classes]
    assert len(view) == 1 and "A line of slope 1." in view[0].value
    widget.set(slope=2.0)
    assert widget.summary == "A line of slope 2." and "A line of slope 2." in view[0].value
    png = Image.open(io.BytesIO(widget.png()))
    assert png.info["Description"] == "A line of slope 2."  # what the page script reads as alt
    bundle, metadata = widget._repr_mimebundle_()
    assert metadata["image/png"]["alt"] == "A line of slope 2."
    assert bundle["text/plain"].endswith(". A line of slope 2.")


def test_a_notebook_s_figures_carry_their_words_as_alt_metadata_and_in_the_png():
    """Through IPython's own display machinery, as ``plt.show()`` in a lesson reaches it; non-Latin
    characters (an em dash, a times sign) go into the PNG's UTF-8 text chunk."""
    from IPython.core.formatters import DisplayFormatter
    from IPython.core.pylabtools import select_figure_formats
    from IPython.testing.globalipapp import get_ipython

    shell = get_ipython()
    shell.display_formatter = DisplayFormatter(parent=shell)
    select_figure_formats(shell, {"png"})
    alt_text.show_in_notebooks()
    alt_text.show_in_notebooks()  # idempotent: not wrapped twice
    fig = matplotlib.figure.Figure()
    describe(fig.subplots(), "Rates above 2/L diverge — 3 × faster.")
    data, metadata = shell.display_formatter.format(fig)
    assert metadata["image/png"] == {"alt": "Rates above 2/L diverge — 3 × faster."}
    png = Image.open(io.BytesIO(base64.b64decode(data["image/png"])))
    assert png.info["Description"] == "Rates above 2/L diverge — 3 × faster."


def test_numbers_read_as_a_sentence_reads_them():
    from coursekit.alt_text import number

    assert [number(v) for v in (660, 1e5, 2630.4, 0.0123, 0.5, 0)] == ["660", "100,000", "2,630", "0.0123", "0.5", "0"]
    assert number(1234.5, 2) == "1,200" and number(0.001234) == "0.00123"
    assert number(5e7) == "5.00e+07" and number(1.7e-6, 2) == "1.7e-06"
    assert number(float("inf")) == "infinite" and number(float("nan")) == "not a number"


def test_every_figure_saved_in_a_notebook_carries_its_words():
    """What GitHub, the course site and a reopened notebook show: each PNG output has alt text (the
    Jupyter convention, output metadata) and the same words in its Description chunk."""
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    notebooks = sorted((root / "course").glob("*.ipynb")) + sorted((root / "solutions").glob("*.ipynb"))
    figures, missing = 0, []
    for path in notebooks:
        for index, cell in enumerate(json.loads(path.read_text())["cells"]):
            for output in cell.get("outputs", []):
                if "image/png" not in output.get("data", {}):
                    continue
                figures += 1
                alt = output.get("metadata", {}).get("image/png", {}).get("alt")
                png = Image.open(io.BytesIO(base64.b64decode(output["data"]["image/png"])))
                if not alt or png.info.get("Description") != alt:
                    missing.append(f"{path.relative_to(root)} cell {index}")
    assert figures > 60 and missing == [], missing
