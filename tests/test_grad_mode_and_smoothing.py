"""Grad mode is the core's ground floor, and the loss curves are smoothed by one function."""
import ast
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
from minigrad.training import DebiasedAverage, History, smooth

PACKAGE = Path(mg.__file__).resolve().parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):  # module-level and function-level imports alike
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            names.update([node.module] if node.module else [alias.name for alias in node.names])
    return names


def test_the_core_has_no_import_circle():
    assert imported_modules(PACKAGE / "grad_mode.py") == set()
    assert "autograd" not in imported_modules(PACKAGE / "tensor.py")
    assert "tensor" in imported_modules(PACKAGE / "autograd.py")


def test_no_grad_nests_and_restores_even_when_re_entered():
    guard = mg.no_grad()

    @guard
    def depth(n):
        assert not mg.is_grad_enabled()
        with mg.enable_grad():
            assert mg.is_grad_enabled()
        return 0 if n == 0 else 1 + depth(n - 1)  # the same instance entered again, inside itself

    assert depth(3) == 3
    assert mg.is_grad_enabled()
    x = mg.tensor([1.0], requires_grad=True)
    with mg.no_grad():
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad


def test_smooth_is_the_debiased_moving_average():
    values = [4.0, 2.0, 3.0]
    beta = 0.5
    expected, average = [], 0.0
    for n, value in enumerate(values, start=1):
        average = beta * average + (1 - beta) * value
        expected.append(average / (1 - beta ** n))
    assert smooth(values, beta).tolist() == expected
    assert smooth([7.0] * 5, 0.9) == pytest.approx([7.0] * 5)  # debiased: a constant stays itself
    running = DebiasedAverage(beta)
    assert [running.update(v) for v in values] == expected


@pytest.mark.parametrize("beta", [1.0, -0.1, True, "0.9"])
def test_a_bad_beta_is_refused_with_its_range(beta):
    with pytest.raises(ValueError, match=r"beta must be in \[0, 1\)"):
        DebiasedAverage(beta)


def test_history_and_the_lessons_use_the_same_smoothing():
    from coursekit import schedules

    history = History(step_loss=[3.0, 1.0, 2.0, 0.5])
    assert history.smoothed_losses(0.8) == smooth(history.step_loss, 0.8).tolist()
    assert schedules.smooth is smooth
    assert np.isnan(smooth([1.0, float("nan")])[-1])
