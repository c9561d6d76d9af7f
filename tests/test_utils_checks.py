"""minigrad.utils.checks: one wording for the argument mistakes the course's functions share."""
import math

import numpy as np
import pytest

from minigrad.utils.checks import check_count, check_positive, is_number


@pytest.mark.parametrize("value", [0.1, 3, np.float32(0.5), np.int64(2), 1e300])
def test_check_positive_passes_numbers_and_returns_a_float(value):
    assert check_positive("lr", value) == float(value) and type(check_positive("lr", value)) is float


@pytest.mark.parametrize("value", [0, -1.0, math.nan, math.inf, True, np.bool_(True), "0.1", None, [0.1]])
def test_check_positive_names_the_argument_the_caller_and_the_value(value):
    with pytest.raises(ValueError, match=r"^train_at: lr must be a finite number > 0, got "):
        check_positive("lr", value, "train_at")


@pytest.mark.parametrize("value, low", [(0, 1), (2.0, 1), (True, 0), (1, 2), (np.float64(3), 1), ("8", 1)])
def test_check_count_rejects_what_is_not_a_whole_number_at_least_low(value, low):
    what = "a positive integer" if low == 1 else f"an integer >= {low}"
    with pytest.raises(ValueError, match=f"^batch_size must be {what}, got "):
        check_count("batch_size", value, low=low)


def test_check_count_returns_a_python_int():
    assert check_count("steps", np.int64(5)) == 5 and type(check_count("steps", np.int64(5))) is int
    assert is_number(np.float32(1)) and not is_number(True) and not is_number(np.bool_(False))
