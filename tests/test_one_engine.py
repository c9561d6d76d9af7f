"""One engine: the lessons' sweeps train through minigrad's autograd, not a gradient of their own.

Lessons 5-8 say they trained many networks at once. Each such sweep must take its gradients
from ``Tensor.backward`` (one call per training step, for the whole stack) and its gradient
norms from ``minigrad.nn.utils.get_total_norm``: counted here while the sweeps train.
"""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.utils as nn_utils
from minigrad import _batching
from coursekit import batch_size as bs
from coursekit import clipping as cl
from coursekit import range_test as rt
from coursekit import schedules as sch
from coursekit.datasets import digits


@pytest.fixture
def counted(monkeypatch):
    """How often ``Tensor.backward`` is called while a test runs."""
    counts = {"backward": 0}
    backward = mg.Tensor.backward

    def counting_backward(self, *args, **kwargs):
        counts["backward"] += 1
        return backward(self, *args, **kwargs)

    monkeypatch.setattr(mg.Tensor, "backward", counting_backward)
    return counts


def test_lesson_5_schedule_sweep_takes_each_step_from_backward(counted):
    grid = sch.train_schedules(digits(val_fraction=0.2, seed=0), [("constant", 0.0, 0.01), ("cosine", 0.1, 0.03)],
                               total_steps=12)
    assert counted["backward"] == 12 and len(grid.runs) == 2


def test_lesson_6_rate_sweep_takes_each_step_from_backward(counted):
    runs = rt.train_at_rates(rt.make_split(), [1e-3, 1e-2, 0.1], epochs=1)
    assert counted["backward"] == len(runs[0].history.step_loss) and len(runs) == 3


def test_lesson_7_batch_sweep_takes_each_step_from_backward(counted):
    runs = bs.train_batch_rates(bs.noisy_digits(n_train=64, n_val=64, seed=0), 16, [0.01, 0.1], epochs=2)
    assert counted["backward"] == runs[0].steps == 8


def test_lesson_8_clipping_sweep_takes_gradients_and_norms_from_minigrad(counted, monkeypatch):
    calls = []
    rule = _batching.RULES[nn_utils.get_total_norm]
    monkeypatch.setitem(_batching.RULES, nn_utils.get_total_norm,
                        lambda *args, **kwargs: calls.append(1) or rule(*args, **kwargs))
    runs = cl.train_rnns([(None, None, 0.01), ("norm", 1.0, 0.01), ("value", 0.1, 0.01)], steps=5)
    assert counted["backward"] == 5 and len(calls) == 5 and len(runs) == 3


def test_without_minigrad_s_backward_the_sweeps_cannot_train(monkeypatch):
    def refuse(self, *args, **kwargs):
        raise RuntimeError("backward switched off")

    monkeypatch.setattr(mg.Tensor, "backward", refuse)
    split = rt.make_split()
    with pytest.raises(RuntimeError, match="backward switched off"):
        rt.train_at_rates(split, [1e-3], epochs=1)
    with pytest.raises(RuntimeError, match="backward switched off"):
        cl.train_rnns([(None, None, 0.01)], steps=2)
    assert np.isfinite(split.X_train).all()
