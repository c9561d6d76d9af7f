"""Losses of no elements, as torch: 'mean' is nan (0 / 0), 'sum' is 0, 'none' is empty; backward runs."""
import math

import pytest

import minigrad as mg
import minigrad.nn.functional as F

LOSSES = {
    "binary_cross_entropy": lambda x, y, **kw: F.binary_cross_entropy(x.sigmoid(), y, **kw),
    "binary_cross_entropy_with_logits": F.binary_cross_entropy_with_logits,
    "binary_cross_entropy_with_logits_pos_weight": lambda x, y, **kw: F.binary_cross_entropy_with_logits(
        x, y, pos_weight=mg.ones(3), **kw),
    "mse_loss": F.mse_loss,
}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_empty_input(name, device):
    x = mg.zeros(0, 3, device=device, requires_grad=True)
    y = mg.zeros(0, 3, device=device)
    mean = LOSSES[name](x, y)
    assert mean.shape == () and math.isnan(mean.item())
    mean.backward()
    assert x.grad.shape == (0, 3)
    assert LOSSES[name](x, y, reduction="sum").item() == 0.0
    assert LOSSES[name](x, y, reduction="none").shape == (0, 3)
