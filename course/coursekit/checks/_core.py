"""The machinery every exercise check shares.

A check runs the participant's function on a few cases and compares what it
observes with what the reference gives. When they differ it tries the check's
*known mistakes* (small wrong variants, each paired with a plain-language hint)
on the same case: one that reproduces the participant's answer names the likely
mistake (if several do, the one that agrees with the participant on the most
cases). Otherwise the message says where the answer differs and what to try.

Messages show inputs, expected and actual values and a hint, never reference
code: ``CheckFailed`` tells IPython to print the message alone, without the
traceback through the checker's own frames.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

__all__ = [
    "CheckFailed",
    "Case",
    "Mistake",
    "GENERIC_HINT",
    "run_check",
    "same",
    "fmt",
    "passed",
    "fail",
    "require_callable",
]

GENERIC_HINT = ("This is not one of the common mistakes we know of: go through the statement "
                "again line by line, and try the case above by hand.")


class CheckFailed(AssertionError):
    """A check found a wrong answer; the message explains what and, if it can, why."""

    def __init__(self, task: str, message: str):
        super().__init__(message)
        self.task = task

    def __str__(self) -> str:
        return f"{self.task}: {self.args[0]}"

    def _render_traceback_(self):
        # IPython prints these lines instead of a traceback: the explanation is the useful
        # part, and the checker's frames would only distract from the participant's code.
        return [f"\u2717 {line}" if i == 0 else line for i, line in enumerate(str(self).splitlines())]


@dataclass
class Case:
    """One input to try: ``label`` describes it in the messages (plain words, the key numbers)."""

    label: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)


@dataclass
class Mistake:
    """A known wrong variant of the task and the hint to give when an answer matches it."""

    hint: str
    fn: Callable


def passed(task: str, detail: str) -> None:
    """The one short line printed on success."""
    print(f"\u2713 {task}: {detail}")


def fail(task: str, message: str):
    raise CheckFailed(task, message)


def require_callable(task: str, fn: Any, what: str = "function") -> None:
    if not callable(fn):
        fail(task, f"pass your {what} itself (for example `check_{task}({task})`), "
                   f"not {type(fn).__name__} {fmt(fn)}.")


def fmt(value: Any) -> str:
    """A short, readable rendering of a number, array, tuple or list for messages."""
    if isinstance(value, (bool, np.bool_)) or value is None or isinstance(value, str):
        return repr(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    if isinstance(value, tuple):
        return "(" + ", ".join(fmt(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, list) and not all(isinstance(v, (int, float, np.number)) for v in value):
        return "[" + ", ".join(fmt(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {fmt(v)}" for k, v in value.items()) + "}"
    try:
        array = np.asarray(value)
    except Exception:  # noqa: BLE001 - any object: show its type rather than fail the message
        return f"a {type(value).__name__}"
    if array.dtype == object:
        return f"a {type(value).__name__}"
    return np.array2string(array, precision=5, separator=", ", threshold=12, edgeitems=3,
                           suppress_small=True, max_line_width=100).replace("\n ", " ").replace("\n", " ")


def _as_number_array(value):
    if isinstance(value, (str, bytes, dict)) or value is None:
        return None
    try:
        with np.errstate(all="ignore"):
            return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None


def same(got: Any, want: Any, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """True when ``got`` matches ``want``: numbers and arrays within tolerance (NaN and inf must
    match exactly), strings exactly, tuples, lists and dicts element by element."""
    if isinstance(want, str) or want is None:
        return isinstance(got, str) and got == want if isinstance(want, str) else got is None
    if isinstance(want, dict):
        return (isinstance(got, dict) and set(got) == set(want)
                and all(same(got[k], want[k], rtol, atol) for k in want))
    if isinstance(want, (tuple, list)) and isinstance(got, (tuple, list)):
        return len(got) == len(want) and all(same(g, w, rtol, atol) for g, w in zip(got, want))
    got_array, want_array = _as_number_array(got), _as_number_array(want)
    if got_array is None or want_array is None:
        return False
    if got_array.shape != want_array.shape:
        return False
    with np.errstate(invalid="ignore"):
        return bool(np.allclose(got_array, want_array, rtol=rtol, atol=atol, equal_nan=True))


def _first_difference(got, want, rtol, atol):
    """Index of the first row (or element) of an array answer that differs, else None."""
    got_array, want_array = _as_number_array(got), _as_number_array(want)
    if got_array is None or want_array is None or got_array.shape != want_array.shape or got_array.ndim < 1:
        return None
    for i, (g, w) in enumerate(zip(got_array, want_array)):
        with np.errstate(invalid="ignore"):
            if not np.allclose(g, w, rtol=rtol, atol=atol, equal_nan=True):
                return i
    return None


def _quietly(observe, fn, case):
    """What ``observe`` sees for ``fn`` on ``case``, or None when the variant itself fails."""
    try:
        with np.errstate(all="ignore"):
            return observe(fn, case), True
    except Exception:  # noqa: BLE001 - a wrong variant that crashes simply does not match
        return None, False


def call(fn: Callable, case: Case):
    """The default observation: call with deep copies, so no function can alter the case."""
    return fn(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))


def _shape_problem(got, want) -> str | None:
    if got is None and want is not None:
        return "your function returned None: did you forget the `return` line?"
    want_array, got_array = _as_number_array(want), _as_number_array(got)
    if want_array is not None and want_array.ndim > 0:
        if got_array is None:
            return f"expected an array of shape {want_array.shape}, got {fmt(got)}."
        if got_array.shape != want_array.shape:
            return (f"the result has shape {got_array.shape}, expected {want_array.shape}: "
                    "check which axis you sum or average over, and what you return.")
    return None


def _likely_mistake(fn, failing, got, cases, mistakes, observe, rtol, atol):
    """The hint of the known mistake that explains the participant's answers best, or None.

    A candidate must reproduce the wrong answer on the failing case. When several do (two
    mistakes can agree on one case), the one that also agrees with the participant on the most
    other cases wins; on a tie, the one listed first.
    """
    candidates = []
    for mistake in mistakes:
        variant, ok = _quietly(observe, mistake.fn, failing)
        if ok and same(got, variant, rtol, atol):
            candidates.append(mistake)
    if len(candidates) <= 1:
        return candidates[0].hint if candidates else None
    answers = [_quietly(observe, fn, case) for case in cases]

    def agreement(mistake):
        score = 0
        for case, (answer, ok) in zip(cases, answers):
            variant, variant_ok = _quietly(observe, mistake.fn, case)
            score += ok and variant_ok and same(answer, variant, rtol, atol)
        return score

    return max(candidates, key=agreement).hint  # max keeps the first of equals


def run_check(
    task: str,
    fn: Callable,
    cases: Sequence[Case],
    reference: Callable,
    mistakes: Sequence[Mistake] = (),
    *,
    observe: Callable = call,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    what: str = "result",
    row_label: Callable[[int], str] | None = None,
    success: str | None = None,
    inspect: Callable | None = None,
    announce: bool = True,
) -> None:
    """Compare ``fn`` with ``reference`` case by case; explain the first difference.

    ``observe(fn, case)`` returns what is compared (by default the return value of a call on
    copies of the case's arguments). When no known mistake reproduces a wrong answer,
    ``inspect(got, want, case)`` may return a specific message for a failure the mistakes cannot
    express (for example "param did not change"). ``row_label``
    names the rows of an array answer ("after step 3") so the message points at the first wrong row.
    ``announce=False`` skips the success line (for a check made of several parts).
    """
    require_callable(task, fn)
    for case in cases:
        want = observe(reference, case)
        got = observe(fn, case)
        if same(got, want, rtol, atol):
            continue
        hint = _likely_mistake(fn, case, got, cases, mistakes, observe, rtol, atol)
        if hint is None and inspect is not None:
            hint = inspect(got, want, case)
        hint = hint or _shape_problem(got, want)
        row = _first_difference(got, want, rtol, atol)
        if row is not None and row_label is not None:
            shown = f"{row_label(row)}:\n  expected: {fmt(np.asarray(want)[row])}\n  got:      {fmt(np.asarray(got)[row])}"
        else:
            # An observation may be a sentence ("returned a new array") where a value was due.
            got_text = f"({got})" if isinstance(got, str) and not isinstance(want, str) else fmt(got)
            shown = f"expected: {fmt(want)}\n  got:      {got_text}"
        advice = f"Likely mistake: {hint}" if hint else f"Hint: {GENERIC_HINT}"
        fail(task, f"wrong {what} for {case.label}.\n  {shown}\n  {advice}")
    if announce:
        passed(task, success or f"correct on all {len(cases)} cases.")

