"""Shared pieces of the exercise notebooks' generator scripts (``exercise_NN_*.py``).

Each script defines ``NAME`` (the notebook's file name without ``.ipynb``) and ``cells()``.
``exercise_build.py`` writes ``solutions/NAME.ipynb`` from them, executes it in place (so it is
committed with its outputs) and regenerates ``exercises/`` with ``tools/make_exercises.py``.
"""
from __future__ import annotations

from textwrap import dedent

from notebook_builder import code, md  # noqa: F401  (re-exported for the lesson scripts)

HOW_IT_WORKS = """\
**How this works.** Each task has a short statement, a cell with a function for you to complete
(replace `# YOUR CODE HERE` and the `raise NotImplementedError(...)` line under it; its message
is a hint), and a check cell. Run the check: one line starting with ✓ means you are done;
otherwise it shows the case it tried, what it expected, what it got, and the likely mistake.
Work from top to bottom: later cells use your earlier functions. The worked answers are in
`solutions/{name}.ipynb`; try first, the checks will tell you more than the answers do."""


def intro(number: int, name: str, title: str, summary: str):
    """The opening cell: what the participant practises, and how the notebook works."""
    return md(f"# Exercises for lesson {number}: {title}\n\n{dedent(summary).strip()}\n\n"
              f"{HOW_IT_WORKS.format(name=name)}")


def setup(*checks: str, extra: str = ""):
    """The imports cell: NumPy, matplotlib in the course style, ``extra`` lines, this notebook's checks."""
    lines = ["import numpy as np", "import matplotlib.pyplot as plt", ""]
    lines += [line for line in dedent(extra).strip().splitlines()]
    lines += ["from coursekit.style import apply_style, label_axes",
              "from coursekit.checks import " + ", ".join(checks), "", "apply_style()"]
    return code("\n".join(lines))


def task(number: int, title: str, text: str):
    return md(f"## Task {number}: {title}\n\n{dedent(text).strip()}")


def check(task_name: str, argument: str | None = None):
    """The check cell: ``check_<task>(<the participant's function>)``."""
    return code(f"check_{task_name}({argument or task_name})")
