"""Shared by the tests of the exercise checks (tests/test_checks_*.py)."""
import pytest

from coursekit.checks import CheckFailed


def expect_hint(check, implementation, hint):
    """The check rejects ``implementation`` with a message that contains ``hint``."""
    with pytest.raises(CheckFailed) as info:
        check(implementation)
    assert hint in str(info.value), str(info.value)


def expect_pass(check, implementation, capsys):
    """The check accepts ``implementation`` and prints its one-line success mark."""
    check(implementation)
    assert capsys.readouterr().out.startswith("\u2713")
