"""Generate the exercise notebooks in exercises/ from their filled twins in solutions/.

solutions/ is the source. In each code cell, the lines between ``### BEGIN SOLUTION`` and
``### END SOLUTION`` (nbgrader's markers) become, at the indentation of the BEGIN line::

    # YOUR CODE HERE
    raise NotImplementedError("<hint>")

The hint comes from ``### HINT: ...`` lines in the same cell, before the region's END (they
are removed from the exercise). All outputs and execution counts are cleared. Cells that
will raise in the exercise carry the ``raises-exception`` tag (nbval and nbclient honour it):
a cell whose stub runs at the top level, and every cell that uses, at its top level, a name
defined by a stub cell or by a cell built on one (the check cells, demos of the
participant's code). Everything else must still run.

So that an untouched exercise shows only "not done yet" answers, never a bare NameError, the
first code cell also gets a call to ``coursekit.checks.explain_unfinished_tasks`` with every
name that depends on a stub and the tasks (``## Task N`` headings) whose stubs it needs: a
cell that needs an unfinished task then says which task to finish first.

Usage (from anywhere)::

    python tools/make_exercises.py             # regenerate exercises/ from solutions/
    python tools/make_exercises.py --out DIR   # write into DIR instead (the freshness test)

The output is deterministic, byte for byte.
"""
from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import re
import sys
from pathlib import Path

import nbformat

from minigrad.utils.files import atomic_write

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"

BEGIN = re.compile(r"^(?P<indent>[ \t]*)### BEGIN SOLUTION[ \t]*$")
END = re.compile(r"^[ \t]*### END SOLUTION[ \t]*$")
HINT = re.compile(r"^[ \t]*### HINT:[ \t]*(?P<text>.*?)[ \t]*$")
DEFAULT_HINT = "replace this line with your code"
RAISES_TAG = "raises-exception"
TASK_HEADING = re.compile(r"^#+\s*Task\s+(?P<number>\d+)\b", re.MULTILINE)
EXPLAIN = "explain_unfinished_tasks"


class SolutionFormatError(ValueError):
    """A solutions notebook whose markers cannot be turned into an exercise."""


def stub_source(source: str, where: str) -> tuple[str, int]:
    """Replace each solution region of a cell's source by a stub; return (new source, regions)."""
    out, hints, regions = [], [], 0
    in_region = False
    for number, line in enumerate(source.split("\n"), start=1):
        if BEGIN.match(line):
            if in_region:
                raise SolutionFormatError(f"{where}, line {number}: BEGIN SOLUTION inside another region")
            in_region, indent = True, BEGIN.match(line)["indent"]
            continue
        if END.match(line):
            if not in_region:
                raise SolutionFormatError(f"{where}, line {number}: END SOLUTION without BEGIN SOLUTION")
            hint = " ".join(hints) or DEFAULT_HINT
            out += [f"{indent}# YOUR CODE HERE",
                    f"{indent}raise NotImplementedError({json.dumps(hint, ensure_ascii=False)})"]
            in_region, hints, regions = False, [], regions + 1
            continue
        if HINT.match(line):
            hints.append(HINT.match(line)["text"])
            continue
        if not in_region:
            out.append(line)
    if in_region:
        raise SolutionFormatError(f"{where}: BEGIN SOLUTION without END SOLUTION")
    if hints:
        raise SolutionFormatError(f"{where}: ### HINT after the last solution region (it would be lost)")
    return "\n".join(out), regions


def _python(source: str) -> str:
    """The cell's source with IPython magics and shell escapes blanked, so ``ast`` can parse it."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.split("\n"))


def _top_level_nodes(tree: ast.AST):
    """Every node executed when the cell runs (function and lambda bodies are not)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and child in node.body:
                continue
            if isinstance(node, ast.Lambda) and child is node.body:
                continue
            todo.append(child)


def _defined_names(tree: ast.AST) -> set[str]:
    names = set()
    for node in _top_level_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
    return names


def _loaded(nodes) -> set[str]:
    return {n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _is_stub(node: ast.AST) -> bool:
    return (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)
            and getattr(node.exc.func, "id", None) == "NotImplementedError")


def _follow_taint(tree: ast.Module, tainted: dict[str, set[int]], has_stub: bool, task: int | None) -> bool:
    """Walk a cell's statements in order, adding to ``tainted`` the names that depend on a stub,
    each with the numbers of the tasks whose stubs it needs (``task``: this cell's task).

    Returns whether running the cell raises: a statement executes a stub, or uses (outside a
    function body) a name that depends on one. A function defined in the cell that calls a
    participant's function taints its own name without raising, until something calls it.
    """
    raises = False
    for statement in tree.body:
        executed = list(_top_level_nodes(statement))
        if (has_stub and any(_is_stub(node) for node in executed)) or _loaded(executed) & tainted.keys():
            raises = True
        everything = list(ast.walk(statement))
        needs = set().union(*(tainted[name] for name in _loaded(everything) & tainted.keys()))
        if has_stub and any(_is_stub(node) for node in everything):
            needs |= {task}  # None when the cell is under no "## Task N" heading
        if needs:
            for name in _defined_names(statement):
                tainted[name] = tainted.get(name, set()) | needs
    return raises


def make_exercise(solution: nbformat.NotebookNode, name: str = "notebook") -> nbformat.NotebookNode:
    """The exercise twin of a solutions notebook (the input is left unchanged)."""
    exercise = copy.deepcopy(solution)
    exercise.metadata.pop("jupytext", None)  # generated, so not paired with a Markdown source
    tainted: dict[str, set[int]] = {}  # names whose value depends on a stub -> the tasks they need
    total_regions = 0
    task = None  # the number of the "## Task N" section the cell is in
    for index, cell in enumerate(exercise.cells):
        where = f"{name}, cell {index}"
        tags = [t for t in cell.get("metadata", {}).get("tags", []) if t != RAISES_TAG]
        if cell.cell_type != "code":
            if any(BEGIN.match(line) for line in cell.source.split("\n")):
                raise SolutionFormatError(f"{where}: solution markers are only supported in code cells")
            heading = TASK_HEADING.search(cell.source)
            task = int(heading["number"]) if heading else task
            continue
        cell.source, regions = stub_source(cell.source, where)
        total_regions += regions
        cell.outputs, cell.execution_count = [], None
        cell.metadata.pop("execution", None)
        try:
            tree = ast.parse(_python(cell.source))
        except SyntaxError as error:
            raise SolutionFormatError(f"{where}: not valid Python after stubbing ({error})") from None
        if _follow_taint(tree, tainted, has_stub=regions > 0, task=task):
            tags.append(RAISES_TAG)
        if tags:
            cell.metadata["tags"] = tags
        else:
            cell.metadata.pop("tags", None)
    if total_regions == 0:
        raise SolutionFormatError(f"{name}: no ### BEGIN SOLUTION region at all")
    _add_unfinished_task_explanations(exercise, tainted)
    return exercise


def _add_unfinished_task_explanations(exercise, tainted: dict[str, set[int]]) -> None:
    """End the first code cell with ``explain_unfinished_tasks({name: [tasks], ...})``."""
    needs = {name: sorted(t for t in tasks if t is not None) for name, tasks in sorted(tainted.items())}
    needs = {name: tasks for name, tasks in needs.items() if tasks}
    first = next((cell for cell in exercise.cells if cell.cell_type == "code"), None)
    if first is None or not needs:
        return
    listing = ",\n".join(f"    {name!r}: {tasks}" for name, tasks in needs.items())
    first.source = (f"{first.source.rstrip()}\n\n# Cells that need an unfinished task say which one, "
                    f"instead of a NameError:\nfrom coursekit.checks import {EXPLAIN}\n"
                    f"{EXPLAIN}({{\n{listing},\n}})")


def render(notebook: nbformat.NotebookNode) -> str:
    """The notebook as text, formatted the same way every time (nbformat's own JSON layout)."""
    nbformat.validate(notebook)
    return nbformat.writes(notebook, version=4) + "\n"


def generate(solutions_dir: Path = SOLUTIONS, out_dir: Path = EXERCISES) -> list[Path]:
    """Write one exercise notebook per solutions notebook; return the paths written."""
    sources = sorted(solutions_dir.glob("*.ipynb"))
    if not sources:
        raise SolutionFormatError(f"no notebooks in {solutions_dir}")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sources:
        solution = nbformat.read(source, as_version=4)
        text = render(make_exercise(solution, source.name))
        target = out_dir / source.name
        with atomic_write(target, "w", encoding="utf-8", newline="\n") as handle:  # never half-written
            handle.write(text)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--solutions", type=Path, default=SOLUTIONS, help="source folder (default: solutions/)")
    parser.add_argument("--out", type=Path, default=EXERCISES, help="output folder (default: exercises/)")
    args = parser.parse_args(argv)
    try:
        written = generate(args.solutions, args.out)
    except SolutionFormatError as error:
        print(f"make_exercises: {error}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {os.path.relpath(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
