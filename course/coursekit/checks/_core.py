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

The participant's code runs under ``participant_call``: each case gets
``CASE_TIME_LIMIT`` seconds (a ``while`` loop that never ends is stopped and
named), NumPy's floating-point warnings are off (the check explains a NaN
better), and an error it raises becomes a ✗ with the case, the line of their
code and a hint, never a traceback through the checker. A
``NotImplementedError`` (an exercise stub not yet replaced) passes through
unchanged, so the exercise's "not done yet" answer shows.
"""
from __future__ import annotations

import copy
import ctypes
import os
import sys
import threading
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

import minigrad

__all__ = [
    "CheckFailed",
    "Case",
    "Mistake",
    "GENERIC_HINT",
    "run_check",
    "same",
    "fmt",
    "shown",
    "passed",
    "fail",
    "require_callable",
    "participant_call",
    "WrongReturn",
    "as_number",
    "as_array",
    "CASE_TIME_LIMIT",
]

# Seconds the participant's code may take on one case. A right answer needs milliseconds; the limit
# is generous so that a slow or busy machine never stops a correct function.
CASE_TIME_LIMIT = 5.0

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


def fmt(value: Any, digits: int = 6) -> str:
    """A short, readable rendering of a number, array, tuple or list for messages (``digits`` significant)."""
    tensor_value = _one_element_tensor(value)
    if tensor_value is not None:
        value = tensor_value
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or value is None or isinstance(value, str):
        return repr(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.{digits}g}"
    if isinstance(value, tuple):
        return "(" + ", ".join(fmt(v, digits) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, list) and not all(isinstance(v, (int, float, np.number)) for v in value):
        return "[" + ", ".join(fmt(v, digits) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {fmt(v, digits)}" for k, v in value.items()) + "}"
    try:
        array = np.asarray(value)
    except Exception:  # noqa: BLE001 - any object: show its type rather than fail the message
        return f"a {type(value).__name__}"
    if array.dtype == object:
        return f"a {type(value).__name__}"
    return np.array2string(array, precision=digits - 1, separator=", ", threshold=12, edgeitems=3,
                           suppress_small=True, max_line_width=100).replace("\n ", " ").replace("\n", " ")


def shown(want: Any, got: Any) -> tuple[str, str]:
    """``fmt`` of both, with more digits where six would show two different values alike."""
    for digits in (6, 9, 12, 17):
        want_text, got_text = fmt(want, digits), fmt(got, digits)
        if want_text != got_text:
            break
    return want_text, got_text


def _one_element_tensor(value):
    """The NumPy value (dtype kept) of a minigrad Tensor that holds one number, else None."""
    if isinstance(value, minigrad.Tensor) and value.data.size == 1:
        return value.numpy()
    return None


# A participant may compute in float32 (minigrad's dtype for Python numbers) or even float16: the answer then
# carries that dtype's rounding. One float32 operation rounds to within eps/2 = 6e-8 relative; the exercises
# chain at most a few dozen (five Adam steps, a 40-rate range test), and their reference solutions run in
# float32 drift by at most 9 eps. So an answer held in a dtype less precise than float64 is compared with an
# rtol of at least 32 eps (3.8e-6 for float32), and an atol of 32 eps times the answer's largest entry (its
# rounding is relative to the numbers it was computed from). Known mistakes change answers by a percent or more.
ROUNDING_SLACK = 32


def _rounding(value: Any) -> float:
    """The machine epsilon of the least precise float dtype in ``value``; 0.0 where it holds none."""
    if isinstance(value, (list, tuple)):
        return max((_rounding(item) for item in value), default=0.0)
    dtype = getattr(value, "dtype", None)
    try:
        dtype = np.dtype(type(value) if dtype is None else dtype)
    except TypeError:  # not a number: nothing to round
        return 0.0
    return float(np.finfo(dtype).eps) if dtype.kind in "fc" else 0.0


def _tolerance(got: Any, want_array: np.ndarray, rtol: float, atol: float) -> tuple[float, float]:
    """The check's (rtol, atol), widened to the rounding of the dtype ``got`` was computed in."""
    eps = _rounding(got)
    if eps <= np.finfo(np.float64).eps:  # float64 and Python numbers: the check's own tolerance
        return rtol, atol
    finite = np.abs(want_array[np.isfinite(want_array)])
    scale = float(finite.max()) if finite.size else 0.0
    return max(rtol, ROUNDING_SLACK * eps), max(atol, ROUNDING_SLACK * eps * scale)


def _as_number_array(value):
    if isinstance(value, (str, bytes, dict)) or value is None:
        return None
    tensor_value = _one_element_tensor(value)
    if tensor_value is not None:
        value = tensor_value
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
    if want_array.ndim == 0 and got_array.size == 1:  # one number, returned in a one-element array
        got_array = got_array.reshape(())
    if got_array.shape != want_array.shape:
        return False
    rtol, atol = _tolerance(got, want_array, rtol, atol)
    with np.errstate(invalid="ignore"):
        return bool(np.allclose(got_array, want_array, rtol=rtol, atol=atol, equal_nan=True))


def _first_difference(got, want, rtol, atol):
    """Index of the first row (or element) of an array answer that differs, else None."""
    got_array, want_array = _as_number_array(got), _as_number_array(want)
    if got_array is None or want_array is None or got_array.shape != want_array.shape or got_array.ndim < 1:
        return None
    rtol, atol = _tolerance(got, want_array, rtol, atol)
    for i, (g, w) in enumerate(zip(got_array, want_array)):
        with np.errstate(invalid="ignore"):
            if not np.allclose(g, w, rtol=rtol, atol=atol, equal_nan=True):
                return i
    return None


def _quietly(observe, fn, case):
    """What ``observe`` sees for ``fn`` on ``case``, or None when it fails or runs out of time."""
    try:
        with np.errstate(all="ignore"):
            return call_with_time_limit(CASE_TIME_LIMIT, observe, fn, case), True
    except (Exception, _TimeLimitExceeded):  # noqa: BLE001 - a variant that crashes simply does not match
        return None, False


# ------------------------------------------------------------------ running the participant's code
class WrongReturn(Exception):
    """Raised by an observation that cannot use what the participant's function returned.

    ``participant_call`` turns it into a ✗ with its message (which says what to return).
    """


class _TimeLimitExceeded(BaseException):
    """Raised inside code that runs past its time limit (a BaseException: `except Exception` keeps it)."""


def _raise_in(thread_id: int, exception) -> None:
    """Raise ``exception`` in another thread at its next bytecode; ``None`` cancels one not yet raised."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), None if exception is None else ctypes.py_object(exception))


def call_with_time_limit(seconds: float, fn: Callable, *args, **kwargs):
    """``fn(*args, **kwargs)``, stopped by ``_TimeLimitExceeded`` if it runs longer than ``seconds``.

    A watchdog thread raises the exception in this thread, so the code runs where it always
    does (its prints, plots and breakpoints behave) on any OS and in any thread. A Python loop
    stops at once; a single long NumPy call stops when it returns. The exception is sent once,
    and one sent just as ``fn`` finished is cancelled, never raised later.
    """
    if not hasattr(ctypes, "pythonapi"):  # not CPython: no way to interrupt, so no limit
        return fn(*args, **kwargs)
    caller, lock, finished = threading.get_ident(), threading.Lock(), threading.Event()

    def watch():
        if not finished.wait(seconds):
            with lock:
                if not finished.is_set():
                    _raise_in(caller, _TimeLimitExceeded)

    threading.Thread(target=watch, name="coursekit check time limit", daemon=True).start()
    try:
        return fn(*args, **kwargs)
    finally:
        try:
            with lock:
                finished.set()
                _raise_in(caller, None)
        except _TimeLimitExceeded:  # arrived just as fn finished: its result stands
            pass


# Frames in these folders are not the participant's: the checks, minigrad, NumPy, Python's own library.
_LIBRARY_DIRS = tuple(os.path.dirname(module.__file__) + os.sep
                      for module in (sys.modules[__name__.rpartition(".")[0]], minigrad, np, threading))


def _your_line(error: BaseException) -> str:
    """'  in f, line 3: y = x[5]' for the innermost frame of the participant's code, or ''."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if not frame.filename.startswith(_LIBRARY_DIRS)
              and "site-packages" not in frame.filename and "dist-packages" not in frame.filename]
    if not frames:
        return ""
    frame = frames[-1]
    code = f": {frame.line.strip()}" if frame.line else ""
    return f"\n  in {frame.name}, line {frame.lineno}{code}"


def _error_hint(error: BaseException) -> str:
    """A plain-language hint for the common kinds of error in a participant's function."""
    if isinstance(error, NameError):
        return ("a name that does not exist: a typo, or a variable defined in a cell that has not run yet "
                "(run the cells above first); inside your function, use only its arguments and what you "
                "define in it.")
    if isinstance(error, KeyError):
        return (f"the key {error} is not in the dictionary: is it filled in before it is read? (A state "
                "dict starts empty.)")
    if isinstance(error, ZeroDivisionError):
        return "a division by zero: check which quantity can be 0 in the case above."
    if isinstance(error, RecursionError):
        return "your function calls itself without end."
    return "read the error and the line of your code it points at, then try the case above by hand."


def participant_call(task: str, label: str, fn: Callable, *args, on_error: Callable | None = None,
                     on_timeout: Callable | None = None, **kwargs):
    """``fn(*args, **kwargs)`` where ``fn`` runs the participant's code, for the case named ``label``.

    It gets ``CASE_TIME_LIMIT`` seconds and runs without NumPy's floating-point warnings. An
    error it raises, or running out of time, fails the check with a ✗ that names the case
    and says what to do: ``on_error(error)`` and ``on_timeout()`` may return a task-specific
    hint (None: the generic one).
    """
    try:
        with np.errstate(all="ignore"):
            return call_with_time_limit(CASE_TIME_LIMIT, fn, *args, **kwargs)
    except _TimeLimitExceeded:
        hint = (on_timeout() if on_timeout else None) or (
            "a loop whose condition never becomes false? Make sure every loop ends, also for the "
            "unusual cases.")
        fail(task, f"your function did not finish within {CASE_TIME_LIMIT:g} seconds on {label}, so it "
                   f"was stopped: it probably never ends.\n  Hint: {hint}")
    except (CheckFailed, NotImplementedError):  # a check's own verdict; an exercise stub not done yet
        raise
    except WrongReturn as error:
        fail(task, f"wrong kind of result for {label}: {error}.")
    except Exception as error:  # noqa: BLE001 - anything the participant's code raises is explained
        hint = (on_error(error) if on_error else None) or _error_hint(error)
        fail(task, f"your code raised an error on {label}:\n  {type(error).__name__}: {error}{_your_line(error)}"
                   f"\n  Hint: {hint}")


def _is_minigrad(value: Any) -> bool:
    return type(value).__module__.startswith("minigrad")


def describe(value: Any) -> str:
    """What a returned value is, in words, for "return one number" messages."""
    if _is_minigrad(value):
        return (f"a minigrad {type(value).__name__} (take its value out: .item() for one number, .numpy() "
                f"for an array)")
    if isinstance(value, (list, tuple)) and any(_is_minigrad(item) for item in value):
        return f"a {type(value).__name__} of minigrad Tensors (take their values out with .item() or .numpy())"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)} items"
    return f"{type(value).__name__} {fmt(value)}"


def _float_array(value: Any) -> np.ndarray:
    """``value`` as an array of floats, keeping a float dtype it has (float32 answers get float32's tolerance)."""
    array = np.asarray(value)
    return array if array.dtype.kind == "f" else np.asarray(value, dtype=float)


def as_number(value: Any, what: str = "one number") -> np.floating | None:
    """``value`` as a NumPy float of its own precision (None stays None): a Python or NumPy number, a
    one-element array or minigrad Tensor. Anything else raises ``WrongReturn`` saying what to return."""
    if value is None:
        return None
    tensor_value = _one_element_tensor(value)
    if tensor_value is not None:
        value = tensor_value
    if not isinstance(value, (bool, np.bool_, str, bytes)) and not _is_minigrad(value):
        try:
            array = _float_array(value)
        except (TypeError, ValueError):
            array = None
        if array is not None and array.size == 1:
            return array.reshape(-1)[0]
    raise WrongReturn(f"return {what}; your function returned {describe(value)}")


def as_array(value: Any, what: str) -> np.ndarray | None:
    """``value`` as a float array (None stays None); anything else raises ``WrongReturn`` naming ``what``."""
    if value is None:
        return None
    if not _is_minigrad(value):
        try:
            return _float_array(value)
        except (TypeError, ValueError):
            pass
    raise WrongReturn(f"return {what}; your function returned {describe(value)}")


def call(fn: Callable, case: Case):
    """The default observation: call with deep copies, so no function can alter the case."""
    return fn(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))


def _shape_problem(got, want) -> str | None:
    if got is None and want is not None:
        return "your function returned None: did you forget the `return` line?"
    if _is_minigrad(got) and _one_element_tensor(got) is None:
        return (f"your function returned a minigrad {type(got).__name__}; return plain numbers or NumPy arrays "
                "(tensor.item() for one number, tensor.numpy() for an array).")
    want_array, got_array = _as_number_array(want), _as_number_array(got)
    if want_array is not None and want_array.ndim == 0 and got_array is not None and got_array.size != 1:
        return f"return one number; your function returned {describe(got)}."
    if want_array is not None and want_array.ndim > 0:
        if got_array is None:
            return f"expected an array of shape {want_array.shape}, got {fmt(got)}."
        if got_array.shape != want_array.shape:
            return (f"the result has shape {got_array.shape}, expected {want_array.shape}: "
                    "check which axis you sum or average over, and what you return.")
    return None


def _inspect_quietly(inspect, got, want, case):
    """``inspect``'s hint, or None when the participant's answer is too odd for it (an unexpected type)."""
    try:
        with np.errstate(all="ignore"):
            return inspect(got, want, case)
    except Exception:  # noqa: BLE001 - the generic messages still explain the answer
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
    on_error: Callable | None = None,
    on_timeout: Callable | None = None,
) -> None:
    """Compare ``fn`` with ``reference`` case by case; explain the first difference.

    ``observe(fn, case)`` returns what is compared (by default the return value of a call on
    copies of the case's arguments). When no known mistake reproduces a wrong answer,
    ``inspect(got, want, case)`` may return a specific message for a failure the mistakes cannot
    express (for example "param did not change"). ``row_label``
    names the rows of an array answer ("after step 3") so the message points at the first wrong row.
    ``announce=False`` skips the success line (for a check made of several parts).
    The participant's function runs under ``participant_call``: ``on_error(error, case)`` and
    ``on_timeout(case)`` may return a task-specific hint for an error it raises or a case it
    never finishes.
    """
    require_callable(task, fn)
    for case in cases:
        want = observe(reference, case)
        got = participant_call(task, case.label, observe, fn, case,
                               on_error=on_error and (lambda error: on_error(error, case)),
                               on_timeout=on_timeout and (lambda: on_timeout(case)))
        if same(got, want, rtol, atol):
            continue
        hint = _likely_mistake(fn, case, got, cases, mistakes, observe, rtol, atol)
        if hint is None and inspect is not None:
            hint = _inspect_quietly(inspect, got, want, case)
        hint = hint or _shape_problem(got, want)
        row = _first_difference(got, want, rtol, atol)
        if row is not None and row_label is not None:
            want_text, got_text = shown(np.asarray(want)[row], np.asarray(got)[row])
            comparison = f"{row_label(row)}:\n  expected: {want_text}\n  got:      {got_text}"
        else:
            want_text, got_text = shown(want, got)
            # An observation may be a sentence ("returned a new array") where a value was due.
            got_text = f"({got})" if isinstance(got, str) and not isinstance(want, str) else got_text
            comparison = f"expected: {want_text}\n  got:      {got_text}"
        advice = f"Likely mistake: {hint}" if hint else f"Hint: {GENERIC_HINT}"
        fail(task, f"wrong {what} for {case.label}.\n  {comparison}\n  {advice}")
    if announce:
        passed(task, success or f"correct on all {len(cases)} cases.")

