"""exercises/ is generated from solutions/ by tools/make_exercises.py: it must be fresh, and right.

The nbval run of both folders (README's test command) executes them; these tests check, without
a kernel, that the generated files are exactly what the tool writes now, that the tool turns
solution regions into stubs and tags the cells that will raise, and that every notebook has
its tasks and checks.
"""
import ast
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

import coursekit.checks
from tool_scripts import load_tool

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
FIX = ".venv/bin/python tools/make_exercises.py (make exercises)"

tool = load_tool("make_exercises")


# ---------------------------------------------------------------- freshness of the committed exercises
def test_exercises_are_exactly_what_the_tool_generates(tmp_path):
    # In-process, exactly as the command line runs it (a new interpreter would spend seconds importing nbformat).
    assert tool.main(["--out", str(tmp_path)]) == 0
    generated = sorted(p.name for p in tmp_path.glob("*.ipynb"))
    committed = sorted(p.name for p in EXERCISES.glob("*.ipynb"))
    missing = sorted(set(generated) - set(committed))
    extra = sorted(set(committed) - set(generated))
    assert not missing, f"exercises/ lacks {missing}: run {FIX}"
    assert not extra, f"exercises/ has {extra} with no twin in solutions/: delete them, or add the solutions"
    stale = [name for name in generated if (tmp_path / name).read_bytes() != (EXERCISES / name).read_bytes()]
    assert not stale, f"exercises/{stale[0]} (and {len(stale) - 1} more) differ from solutions/: run {FIX}"


def test_the_tool_is_deterministic(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    tool.generate(SOLUTIONS, first)
    tool.generate(SOLUTIONS, second)
    for path in sorted(first.glob("*.ipynb")):
        assert path.read_bytes() == (second / path.name).read_bytes(), path.name


# ---------------------------------------------------------------- the real notebooks
SOLUTION_FILES = sorted(SOLUTIONS.glob("*.ipynb"))


def test_there_is_one_notebook_per_lesson_one_to_nine():
    assert [p.name[:2] for p in SOLUTION_FILES] == [f"{n:02d}" for n in range(1, 10)]


@pytest.mark.parametrize("path", SOLUTION_FILES, ids=lambda p: p.stem)
def test_each_notebook_has_three_to_six_checked_tasks(path):
    solution = nbformat.read(path, as_version=4)
    exercise = nbformat.read(EXERCISES / path.name, as_version=4)
    checks = [c.source for c in solution.cells if c.cell_type == "code" and re.match(r"check_\w+\(", c.source)]
    assert 3 <= len(checks) <= 6, f"{path.name}: {len(checks)} tasks"
    for source in checks:
        name = source.split("(")[0]
        assert hasattr(coursekit.checks, name), f"{path.name}: {name} is not in coursekit.checks"
    # every check cell runs green in the solutions (outputs committed) ...
    for cell in solution.cells:
        if cell.cell_type == "code" and re.match(r"check_\w+\(", cell.source):
            text = "".join(o.get("text", "") for o in cell.outputs)
            assert text.startswith("\u2713"), f"{path.name}: {cell.source} shows {text!r}"
    # ... and is allowed to raise in the exercises, where the stubs are not filled in yet
    for cell in exercise.cells:
        if cell.cell_type == "code" and re.match(r"check_\w+\(", cell.source):
            assert "raises-exception" in cell.metadata.get("tags", []), f"{path.name}: {cell.source}"


@pytest.mark.parametrize("path", SOLUTION_FILES, ids=lambda p: p.stem)
def test_no_solution_code_reaches_the_exercises(path):
    solution = nbformat.read(path, as_version=4)
    exercise = nbformat.read(EXERCISES / path.name, as_version=4)
    assert len(solution.cells) == len(exercise.cells)
    for cell, twin in zip(solution.cells, exercise.cells):
        assert "### BEGIN SOLUTION" not in twin.source and "### HINT" not in twin.source
        assert not twin.get("outputs") and twin.get("execution_count") is None
        # the hints are written by hand and may quote a formula; the code around them may not
        code = "\n".join(line for line in twin.source.splitlines() if "raise NotImplementedError(" not in line)
        inside = False
        for line in cell.source.splitlines():
            if "### BEGIN SOLUTION" in line or "### END SOLUTION" in line:
                inside = "BEGIN" in line
            elif inside and len(line.strip()) > 12:
                assert line.strip() not in code, f"{path.name}: {line.strip()!r} leaked"


# ---------------------------------------------------------------- the tool itself
def notebook(*sources):
    cells = [new_markdown_cell(s[3:]) if s.startswith("md:") else new_code_cell(s) for s in sources]
    nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                            "language": "python"}})
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"c{index}"
    return nb


SOLVED = """def gd_step(w, grad, lr):
    \"\"\"One step.\"\"\"
    ### HINT: subtract lr times the gradient
    ### BEGIN SOLUTION
    new_w = w - lr * grad
    return new_w
    ### END SOLUTION"""


def tags(cell):
    return cell.metadata.get("tags", [])


def test_a_region_becomes_a_stub_at_its_indentation_with_the_hint():
    exercise = tool.make_exercise(notebook(SOLVED))
    assert exercise.cells[0].source == (
        'def gd_step(w, grad, lr):\n    """One step."""\n    # YOUR CODE HERE\n'
        '    raise NotImplementedError("subtract lr times the gradient")')


def test_without_a_hint_the_stub_says_what_to_do():
    source = "x = 1\n### BEGIN SOLUTION\ny = 2\n### END SOLUTION"
    stub = tool.make_exercise(notebook(source)).cells[0].source
    assert stub == 'x = 1\n# YOUR CODE HERE\nraise NotImplementedError("replace this line with your code")'


def test_each_region_of_a_cell_gets_its_own_hint():
    source = ("class Op:\n    def forward(x):\n        ### HINT: first\n        ### BEGIN SOLUTION\n        return x\n"
              "        ### END SOLUTION\n\n    def backward(g):\n        ### HINT: second\n"
              "        ### BEGIN SOLUTION\n        return g\n        ### END SOLUTION")
    stub = tool.make_exercise(notebook(source)).cells[0].source
    assert 'NotImplementedError("first")' in stub and 'NotImplementedError("second")' in stub
    assert ast.parse(stub)


def test_outputs_and_counts_are_cleared():
    nb = notebook("print(1)", SOLVED)
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    nb.cells[0].execution_count = 3
    exercise = tool.make_exercise(nb)
    assert exercise.cells[0].outputs == [] and exercise.cells[0].execution_count is None
    assert nb.cells[0].outputs  # the solutions notebook itself is left alone


def test_only_the_cells_that_will_raise_are_tagged():
    exercise = tool.make_exercise(notebook(
        "import numpy as np",                          # 0 unrelated
        SOLVED,                                        # 1 defines a stub: runs fine
        "check_gd_step(gd_step)",                      # 2 calls the stub
        "def run(w):\n    return gd_step(w, w, 0.1)",  # 3 builds on it: runs fine
        "path = run(np.ones(2))",                      # 4 calls it
        "print(path)",                                 # 5 uses a result that never came
        "print(np.zeros(2))",                          # 6 unrelated
        "def demo():\n    return 1\nvalue = gd_step(1.0, 1.0, 0.1) + demo()",  # 7 defines and calls
        "md:gd_step is explained here",                # 8 markdown
        "### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION",  # 9 a top-level stub raises
        "%matplotlib inline\nnp.ones(1)",              # 10 magics are fine
    ))
    tagged = [i for i, cell in enumerate(exercise.cells) if "raises-exception" in tags(cell)]
    assert tagged == [2, 4, 5, 7, 9]


def test_existing_tags_are_kept():
    nb = notebook(SOLVED, "check_gd_step(gd_step)")
    nb.cells[1].metadata["tags"] = ["nbval-ignore-output"]
    assert tags(tool.make_exercise(nb).cells[1]) == ["nbval-ignore-output", "raises-exception"]


@pytest.mark.parametrize("source, problem", [
    ("### BEGIN SOLUTION\nx = 1", "BEGIN SOLUTION without END SOLUTION"),
    ("x = 1\n### END SOLUTION", "END SOLUTION without BEGIN SOLUTION"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "BEGIN SOLUTION inside another region"),
    ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n### HINT: lost", "HINT after the last solution region"),
])
def test_malformed_markers_are_refused_with_the_cell_named(source, problem):
    with pytest.raises(tool.SolutionFormatError, match=problem) as info:
        tool.make_exercise(notebook("x = 0", source), "lesson.ipynb")
    assert "lesson.ipynb, cell 1" in str(info.value)


def test_a_notebook_without_any_region_is_refused():
    with pytest.raises(tool.SolutionFormatError, match="no ### BEGIN SOLUTION region"):
        tool.make_exercise(notebook("x = 1"), "empty.ipynb")


def test_the_command_line_reports_a_bad_notebook(tmp_path, capsys):
    source, out = tmp_path / "solutions", tmp_path / "out"
    source.mkdir()
    nbformat.write(notebook("### BEGIN SOLUTION\nx = 1"), source / "01_bad.ipynb")
    assert tool.main(["--solutions", str(source), "--out", str(out)]) == 1
    assert "01_bad.ipynb, cell 0: BEGIN SOLUTION without END SOLUTION" in capsys.readouterr().err
    assert not list(out.glob("*.ipynb"))


def test_the_script_runs_from_the_command_line():
    # One real run of the script as `make exercises` calls it, into a scratch folder.
    with tempfile.TemporaryDirectory() as scratch:
        result = subprocess.run([sys.executable, str(ROOT / "tools" / "make_exercises.py"), "--out", scratch],
                                capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr
        assert sorted(p.name for p in Path(scratch).glob("*.ipynb")) == [p.name for p in SOLUTION_FILES]
