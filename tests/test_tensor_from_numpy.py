"""tensor() copies a NumPy array, as torch.tensor; from_numpy shares its memory, as torch.from_numpy."""
import numpy as np
import pytest

import minigrad as mg


def test_tensor_copies_so_training_never_changes_the_source_array():
    source = np.array([1.0, 2.0], dtype=np.float32)
    w = mg.tensor(source, requires_grad=True)
    with mg.no_grad():
        w -= 0.5
    np.testing.assert_array_equal(source, [1.0, 2.0])
    assert mg.tensor(source, dtype=mg.float64).dtype == np.float64


def test_from_numpy_shares_memory_and_refuses_other_data():
    source = np.array([1.0, 2.0], dtype=np.float32)
    t = mg.from_numpy(source)
    with mg.no_grad():
        t *= 2
    np.testing.assert_array_equal(source, [2.0, 4.0])
    assert t.device == "cpu" and t.dtype == np.float32
    with pytest.raises(TypeError, match="from_numpy: expected a NumPy array, got list"):
        mg.from_numpy([1.0])
