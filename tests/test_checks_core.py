"""The checks' shared machinery: comparison, messages, and how a failure is shown in Jupyter."""
import numpy as np
import pytest

from coursekit.checks import CheckFailed
from coursekit.checks._core import GENERIC_HINT, Case, Mistake, fmt, run_check, same


def double(x):
    return 2 * x


def test_same_compares_numbers_arrays_and_containers():
    assert same(np.array([1.0, 2.0]), [1.0, 2.0 + 1e-12])
    assert not same(np.array([1.0, 2.0]), [1.0, 2.1])
    assert not same(np.array([1.0, 2.0]), np.array([[1.0, 2.0]]))  # shapes must match
    assert same((3, [np.arange(2), np.arange(3)]), (3, [np.arange(2), np.arange(3)]))
    assert not same([np.arange(2)], [np.arange(2), np.arange(3)])
    assert same(float("inf"), np.inf) and same(np.array([np.nan]), [np.nan])
    assert same("monotone", "monotone") and not same("Monotone", "monotone")
    assert not same(None, 0.0) and not same(0.0, None)


def test_fmt_is_short_and_readable():
    assert fmt(0.1 + 0.2) == "0.3"
    assert fmt((1, "a")) == "(1, 'a')"
    assert "..." in fmt(np.arange(100.0))


def test_run_check_prints_one_line_on_success(capsys):
    run_check("double", double, [Case("x=1", (1.0,)), Case("x=2", (2.0,))], double)
    assert capsys.readouterr().out == "\u2713 double: correct on all 2 cases.\n"


def test_run_check_names_the_known_mistake():
    mistakes = [Mistake("you added instead of multiplying", lambda x: x + 2)]
    with pytest.raises(CheckFailed) as info:
        run_check("double", lambda x: x + 2, [Case("x=2", (2.0,)), Case("x=3", (3.0,))], double, mistakes)
    message = str(info.value)
    assert message.startswith("double: wrong result for x=3.")  # x=2 is right by accident, x=3 is not
    assert "expected: 6" in message and "got:      5" in message
    assert "Likely mistake: you added instead of multiplying" in message


def test_run_check_without_a_known_mistake_gives_the_generic_hint():
    with pytest.raises(CheckFailed) as info:
        run_check("double", lambda x: 3 * x, [Case("x=1", (1.0,))], double, [Mistake("never", lambda x: -x)])
    assert GENERIC_HINT in str(info.value)


def test_run_check_explains_a_missing_return_and_a_wrong_shape():
    with pytest.raises(CheckFailed, match="returned None"):
        run_check("double", lambda x: None, [Case("x=[1, 2]", (np.array([1.0, 2.0]),))], double)
    with pytest.raises(CheckFailed, match=r"shape \(1,\), expected \(2,\)"):
        run_check("double", lambda x: x[:1], [Case("x=[1, 2]", (np.array([1.0, 2.0]),))], double)


def test_run_check_passes_copies_so_a_function_cannot_corrupt_the_cases():
    data = np.array([1.0, 2.0])

    def vandal(x):
        x *= 2
        return x

    run_check("double", vandal, [Case("x", (data,))], double)
    assert data.tolist() == [1.0, 2.0]


def test_a_non_function_is_refused_with_a_clear_message():
    with pytest.raises(CheckFailed, match="pass your function itself"):
        run_check("double", 3, [Case("x=1", (1.0,))], double)


def test_ipython_shows_the_explanation_instead_of_a_traceback():
    error = CheckFailed("gd_step", "wrong new w.\n  Likely mistake: the sign")
    lines = error._render_traceback_()
    assert lines == ["\u2717 gd_step: wrong new w.", "  Likely mistake: the sign"]
    assert isinstance(error, AssertionError)  # pytest and plain asserts treat it as a failed check
