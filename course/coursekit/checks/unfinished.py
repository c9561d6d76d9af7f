"""An untouched exercise notebook answers "not done yet", never with a bare traceback.

``tools/make_exercises.py`` ends each exercise's first cell with
``explain_unfinished_tasks({name: [task numbers], ...})``: every name whose value depends on a
function the participant still has to write, and the tasks it needs. After that call, in this
kernel:

* a ``NameError`` for one of those names (a cell that uses a result of an unfinished task)
  prints which task to finish first;
* a ``NotImplementedError`` (a stub that is still ``raise NotImplementedError(hint)``) prints
  "not done yet" with the stub's hint.

Any other error keeps its usual traceback. The cell still counts as failed (it stops there),
as it should: only the message changes.
"""
from __future__ import annotations

import traceback

__all__ = ["UnfinishedTask", "explain_unfinished_tasks"]


class UnfinishedTask(Exception):
    """What an unfinished task looks like to the participant: one line, no traceback."""

    def _render_traceback_(self):  # IPython prints these lines instead of a traceback
        return [f"\u2717 {line}" if i == 0 else line for i, line in enumerate(str(self).splitlines())]


def _tasks(numbers) -> str:
    numbers = sorted(numbers)
    if len(numbers) == 1:
        return f"task {numbers[0]}"
    return "tasks " + ", ".join(str(n) for n in numbers[:-1]) + f" and {numbers[-1]}"


def explain(error: BaseException, needs: dict) -> UnfinishedTask | None:
    """The participant-facing explanation of ``error``, or None to show it as usual."""
    if isinstance(error, NameError) and getattr(error, "name", None) in needs:
        name = error.name
        return UnfinishedTask(f"`{name}` does not exist yet: it is computed from your answer to "
                              f"{_tasks(needs[name])}. Finish that first (its check prints ✓), "
                              f"then run the cells from there down to this one.")
    if isinstance(error, NotImplementedError):
        frames = traceback.extract_tb(error.__traceback__)
        function = next((f.name for f in reversed(frames) if f.name in needs), None)
        where = f" (`{function}`, {_tasks(needs[function])})" if function else ""
        hint = str(error) or "replace the # YOUR CODE HERE line with your code"
        return UnfinishedTask(f"not done yet{where}: {hint}")
    return None


def explain_unfinished_tasks(needs: dict) -> None:
    """Install the explanations in the running IPython kernel (does nothing outside one)."""
    from ..kernel import running_shell

    shell = running_shell()
    if shell is None:
        return
    needs = {str(name): list(tasks) for name, tasks in needs.items()}

    def handler(shell, etype, value, tb, tb_offset=None):
        value.__traceback__ = tb
        answer = explain(value, needs)
        if answer is None:
            shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
        else:
            shell.showtraceback((UnfinishedTask, answer, None))
        return []

    shell.set_custom_exc((NameError, NotImplementedError), handler)
