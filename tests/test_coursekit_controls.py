"""Controls: sliders, dropdowns and checkboxes with safe ranges (coursekit.controls)."""
import math
import subprocess
import sys

import pytest

from coursekit import controls as C


def test_log_slider_spans_decades():
    slider = C.log_slider("lr", 0.01, 1e-4, 10.0)
    assert (slider.base, slider.min, slider.max) == (10, -4.0, 1.0)
    assert slider.value == pytest.approx(0.01) and slider.continuous_update
    with pytest.raises(ValueError, match="min < max"):
        C.log_slider("lr", 0.1, 0.0, 1.0)
    with pytest.raises(ValueError, match="outside"):
        C.log_slider("lr", 5.0, 1e-3, 1.0)


@pytest.mark.parametrize("value, low, steps_per_decade", [(0.03, 1e-5, 20), (0.0016, 1e-5, 20), (0.5, 1e-3, 10)])
def test_log_slider_starts_on_one_of_its_stops(value, low, steps_per_decade):
    # The browser snaps a value between stops and sends it back, redrawing the figure unasked.
    slider = C.log_slider("lr", value, low, 2.0, steps_per_decade=steps_per_decade)
    position = (math.log10(slider.value) - slider.min) / slider.step
    assert position == pytest.approx(round(position), abs=1e-9)
    assert abs(math.log10(slider.value) - math.log10(value)) <= slider.step / 2 + 1e-12


def test_batch_size_slider_offers_powers_of_two():
    slider = C.batch_size_slider(32, 1, 512)
    assert [value for _, value in slider.options] == [2**k for k in range(10)]
    assert slider.value == 32
    with pytest.raises(ValueError, match="power of two"):
        C.batch_size_slider(48)


def test_clip_slider_is_log_scaled_with_off_at_the_end():
    slider = C.clip_slider(1.0, 0.1, 10.0)
    values = [value for _, value in slider.options]
    assert values == [0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, math.inf]
    assert slider.options[-1][0] == "off"
    assert C.clip_threshold(slider.value) == 1.0
    slider.value = math.inf  # "off" is a legal position
    assert C.clip_threshold(slider.value) is None
    assert C.clip_slider(math.inf).label == "off"
    with pytest.raises(ValueError, match="not one of"):
        C.clip_slider(3.0)
    assert math.inf not in [v for _, v in C.clip_slider(1.0, off=False).options]


def test_other_controls_keep_values_legal():
    assert C.momentum_slider().max < 1
    assert all(0 <= value < 1 for _, value in C.beta2_slider().options)
    warmup = C.warmup_slider(0.1)
    assert (warmup.min, warmup.max, warmup.readout_format) == (0.0, 0.5, ".0%")
    catalogue = {"Constant": "constant", "Cosine decay": "cosine"}
    assert C.schedule_dropdown("cosine", catalogue).value == "cosine"
    assert C.schedule_dropdown("cosine", catalogue).options == (("Constant", "constant"), ("Cosine decay", "cosine"))
    boxes = C.optimizer_checkboxes(["adam", "SGD"])
    assert [name for name, box in boxes.items() if box.value] == ["SGD", "Adam"]
    assert C.surface_dropdown("beale").value == "beale"
    for bad in (lambda: C.momentum_slider(1.0), lambda: C.beta2_slider(0.5), lambda: C.warmup_slider(0.8),
                lambda: C.schedule_dropdown("linear", catalogue), lambda: C.surface_dropdown("bowl", ["valley"])):
        with pytest.raises(ValueError):
            bad()


def test_a_module_that_wants_one_slider_imports_no_computation():
    code = ("import sys, coursekit.controls; "
            "print(sorted(m for m in sys.modules if m.startswith(('coursekit', 'minigrad'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['coursekit', 'coursekit.controls', 'coursekit.style']"
