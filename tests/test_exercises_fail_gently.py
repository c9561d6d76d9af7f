"""An untouched exercise notebook, run top to bottom, shows only "not done yet" answers.

Every cell that needs a task the participant has not done yet must say which task to finish,
in one line (``UnfinishedTask``) or as a check's explanation (``CheckFailed``): never a
NameError or a NotImplementedError traceback.
"""
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from coursekit.checks.unfinished import UnfinishedTask, explain
from tool_scripts import load_tool

ROOT = Path(__file__).resolve().parents[1]
make_exercises = load_tool("make_exercises")
GENTLE = {"UnfinishedTask", "CheckFailed"}


def stub(hint="write it"):
    raise NotImplementedError(hint)


def test_a_missing_result_names_the_tasks_to_finish():
    answer = explain(NameError("name 'curves' is not defined", name="curves"), {"curves": [1, 3]})
    assert isinstance(answer, UnfinishedTask)
    assert "`curves` does not exist yet" in str(answer) and "tasks 1 and 3" in str(answer)
    assert answer._render_traceback_()[0].startswith("\u2717 ")


def test_a_stub_says_not_done_yet_with_its_hint_and_task():
    def gd_step():
        stub("move against the gradient")

    try:
        gd_step()
    except NotImplementedError as error:
        answer = explain(error, {"gd_step": [1]})
    assert str(answer) == "not done yet (`gd_step`, task 1): move against the gradient"


def test_other_errors_keep_their_traceback():
    assert explain(NameError("name 'typo' is not defined", name="typo"), {"curves": [1]}) is None
    assert explain(ValueError("shapes differ"), {"curves": [1]}) is None


def test_the_generator_lists_each_name_with_the_tasks_it_needs():
    cells = [new_markdown_cell("## Task 1: a step"),
             new_code_cell("import numpy as np"),
             new_code_cell("def step(w):\n    ### BEGIN SOLUTION\n    return w - 1\n    ### END SOLUTION"),
             new_markdown_cell("## Task 2: a path"),
             new_code_cell("def path(w):\n    ### BEGIN SOLUTION\n    return [w]\n    ### END SOLUTION"),
             new_code_cell("points = path(step(np.ones(2)))\nlast = points[-1]"),
             new_code_cell("print(last)")]
    notebook = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                  "language": "python"}})
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"c{index}"
    first = make_exercises.make_exercise(notebook).cells[1].source
    assert first.startswith("import numpy as np\n")
    assert "explain_unfinished_tasks({" in first
    for line in ("'step': [1]", "'path': [2]", "'points': [1, 2]", "'last': [1, 2]"):
        assert line in first, first


def test_every_untouched_exercise_fails_gently():
    """Run each exercise as a participant who has written nothing (about half a minute in all)."""
    rude = []
    for path in sorted((ROOT / "exercises").glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        errors = [(index, output.ename) for index, cell in enumerate(notebook.cells)
                  for output in cell.get("outputs", []) if output.output_type == "error"]
        assert errors, f"{path.name}: nothing failed, yet no task is done"
        rude += [f"{path.name} cell {index}: {name}" for index, name in errors if name not in GENTLE]
    assert not rude, "cells that answer an unfinished task with a traceback:\n" + "\n".join(rude)
