"""tools/perturbed: the jitter of ``make test-perturbed`` is a few rounding units, and the same for the same value."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np

FOLDER = Path(__file__).resolve().parents[1] / "tools" / "perturbed"


def load_jitter():
    spec = importlib.util.spec_from_file_location("perturbed_jitter", FOLDER / "jitter.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # defines the functions only; install() is what patches minigrad
    return module.jitter


def test_jitter_moves_floats_by_at_most_three_units_and_moves_most_of_them():
    jitter = load_jitter()
    for dtype in (np.float64, np.float32):
        values = np.random.default_rng(0).standard_normal(1000).astype(dtype)
        moved = jitter(values)
        units = np.abs(moved - values) / (np.abs(values) * np.finfo(dtype).eps)
        assert moved.dtype == dtype and units.max() <= 3 * (1 + 1e-6) + 1, dtype  # + 1: the product's own rounding
        assert 0.7 < np.mean(moved != values) < 0.95, dtype  # k = 0 for about 1 in 7
        np.testing.assert_array_equal(jitter(values.copy()), moved)  # a function of the value: seeds still repeat


def test_the_environment_jitters_what_minigrad_draws():
    script = ("import minigrad as mg; mg.manual_seed(0); a = mg.randn(1000, dtype=mg.float64).numpy(); "
              "import numpy as np; b = np.random.default_rng(0).standard_normal(1000); "
              "print(int((a != b).sum()), int(np.abs(a - b).max() / np.abs(b).max() < 1e-15))")
    plain = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60,
                           env={"PATH": ""})  # without the folder, even when this suite runs perturbed
    perturbed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                               timeout=60, env={"PYTHONPATH": str(FOLDER), "PATH": ""})
    assert plain.stdout.split() == ["0", "1"]
    changed, small = map(int, perturbed.stdout.split())
    assert changed > 700 and small == 1, perturbed.stdout
