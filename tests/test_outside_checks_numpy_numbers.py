"""fit and the clipping functions take NumPy numbers (np.int64 epochs, np.float32 thresholds) as the numbers they are."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim
from minigrad.nn import functional as F
from minigrad.nn.utils import clip_grad_norm_, clip_grad_value_
from minigrad.training import fit
from minigrad.utils.data import DataLoader, TensorDataset


def tiny():
    mg.manual_seed(0)
    model = nn.Linear(3, 2)
    x, y = mg.randn(8, 3), mg.tensor(np.arange(8) % 2)
    return model, DataLoader(TensorDataset(x, y), batch_size=4)


@pytest.mark.parametrize("epochs, max_steps, clip", [(np.int64(2), None, np.float32(1.0)), (2, np.int32(3), np.float64(0.5))])
def test_fit_takes_numpy_numbers(epochs, max_steps, clip):
    model, loader = tiny()
    history = fit(model, optim.SGD(model.parameters(), lr=0.1), loader, F.cross_entropy, epochs=epochs,
                  max_steps=max_steps, clip_grad_norm=clip, progress=False)
    assert len(history.step_loss) == (3 if max_steps else 4)


def test_fit_still_refuses_bools_and_fractions():
    model, loader = tiny()
    for bad in (True, np.bool_(True), 1.5, 0):
        with pytest.raises(ValueError, match="epochs must be a positive integer"):
            fit(model, optim.SGD(model.parameters(), lr=0.1), loader, F.cross_entropy, epochs=bad, progress=False)


def test_clipping_takes_numpy_thresholds():
    model, loader = tiny()
    x, y = next(iter(loader))
    F.cross_entropy(model(x), y).backward()
    assert clip_grad_norm_(model.parameters(), np.float32(1e-3), norm_type=np.int64(2)) > 1e-3
    clip_grad_value_(model.parameters(), np.float32(1e-4))
    assert max(float(np.abs(p.grad).max()) for p in model.parameters()) <= 1e-4 + 1e-12
    with pytest.raises(ValueError, match="max_norm must be a number"):
        clip_grad_norm_(model.parameters(), np.bool_(True))
