"""Rebuild notebooks from their Markdown sources, execute them, and regenerate the exercises.

Every lesson (``course/NN_*.md``), the playground (``course/playground.md``) and every exercise
solution (``solutions/NN_*.md``) is written as a MyST Markdown file paired by jupytext with the
``.ipynb`` beside it. The ``.md`` is the source an author edits (in an editor, or in JupyterLab,
which opens and saves both through jupytext); the ``.ipynb`` is what participants, static viewers
and nbval see, committed with its outputs. This tool brings a notebook up to date with its source::

    python tools/build_notebook.py course/05_lr_schedules.md   # one lesson (.md or .ipynb)
    python tools/build_notebook.py                             # every notebook whose source changed
    python tools/build_notebook.py --all                       # every notebook
    python tools/build_notebook.py --check                     # list stale notebooks; exit 1 if any

Building a notebook means: take the cells of the source, keep the ids of the notebook's unchanged
cells, run it top to bottom with a fresh kernel from its own folder (as nbval does), and write it
atomically. After a solution is built, ``exercises/`` is regenerated from ``solutions/``
(``tools/make_exercises.py``). ``make notebook NB=...`` and ``make notebooks`` call this tool.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from jupytext.combine import combine_inputs_with_outputs
from nbclient import NotebookClient

from minigrad.utils.files import atomic_write

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import make_exercises  # noqa: E402

SOURCE_FOLDERS = ("course", "solutions")
PAIRING = "ipynb,md:myst"
EXECUTION_TIMEOUT = 300  # seconds per cell, as nbval's --nbval-cell-timeout


def sources() -> list[Path]:
    """Every Markdown source of a paired notebook, in a stable order."""
    return sorted(path for folder in SOURCE_FOLDERS for path in (ROOT / folder).glob("*.md")
                  if path.name[0].isdigit() or path.stem == "playground")


def notebook_of(source: Path) -> Path:
    return source.with_suffix(".ipynb")


def inputs(notebook: nbformat.NotebookNode) -> list[tuple]:
    """What an author writes: each cell's type, source and tags (not outputs, counts or ids)."""
    return [(cell.cell_type, cell.source, tuple(cell.get("metadata", {}).get("tags", [])))
            for cell in notebook.cells]


def first_difference(source: Path) -> str | None:
    """None when the notebook holds exactly the source's cells; else where they first differ."""
    notebook = notebook_of(source)
    if not notebook.exists():
        return f"{notebook.name} does not exist"
    written = inputs(jupytext.read(source))
    built = inputs(nbformat.read(notebook, as_version=4))
    for index, (mine, theirs) in enumerate(zip(written, built)):
        if mine != theirs:
            line = next((a for a, b in zip(mine[1].splitlines() + [""], theirs[1].splitlines() + [""])
                         if a != b), mine[1][:60])
            return f"cell {index} differs (source line: {line.strip()[:70]!r})"
    if len(written) != len(built):
        return f"the source has {len(written)} cells, the notebook {len(built)}"
    return None


def execute(notebook: nbformat.NotebookNode, folder: Path) -> float:
    """Run every cell in order with a fresh kernel started in ``folder``; return the seconds taken."""
    start = time.perf_counter()
    NotebookClient(notebook, timeout=EXECUTION_TIMEOUT, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(folder)}}).execute()
    return time.perf_counter() - start


def build(source: Path, *, run: bool = True) -> str:
    """Write the notebook paired with ``source`` from it (and execute it); return a report line."""
    notebook_path = notebook_of(source)
    notebook = jupytext.read(source)
    if notebook_path.exists():  # keep the ids (and, until executed, the outputs) of unchanged cells
        notebook = combine_inputs_with_outputs(notebook, nbformat.read(notebook_path, as_version=4))
    notebook.metadata.setdefault("jupytext", {})["formats"] = PAIRING
    notebook.metadata["jupytext"].pop("text_representation", None)
    report = f"wrote {os.path.relpath(notebook_path)}"
    if run:
        report += f", executed in {execute(notebook, source.parent):.1f} s"
    nbformat.validate(notebook)
    with atomic_write(notebook_path, "w", encoding="utf-8", newline="\n") as stream:
        nbformat.write(notebook, stream)
    os.utime(source)  # jupytext in JupyterLab refuses a pair whose .ipynb is newer than its source
    return report


def resolve(name: str) -> Path:
    """A source path from what a user typed: the .md, the .ipynb, or either without the folder's root."""
    path = Path(name)
    if not path.is_absolute():
        path = (Path.cwd() / path) if (Path.cwd() / path).exists() else ROOT / path
    source = path.with_suffix(".md")
    if source.resolve() not in {s.resolve() for s in sources()}:
        known = ", ".join(str(s.relative_to(ROOT)) for s in sources()[:3])
        raise SystemExit(f"build_notebook: {name} is not a lesson, solution or playground source "
                         f"(those are course/NN_*.md, course/playground.md, solutions/NN_*.md, e.g. {known})")
    return source.resolve()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="sources or notebooks to build (default: the stale ones)")
    parser.add_argument("--all", action="store_true", help="build every notebook, stale or not")
    parser.add_argument("--check", action="store_true", help="only list the stale notebooks; exit 1 if any")
    parser.add_argument("--no-execute", action="store_true", help="write the cells without running them")
    args = parser.parse_args(argv)

    if args.paths:
        chosen = [resolve(name) for name in args.paths]
    else:
        stale = {source: first_difference(source) for source in sources()}
        stale = {source: why for source, why in stale.items() if why is not None}
        if args.check:
            for source, why in stale.items():
                print(f"{os.path.relpath(source)}: {why}")
            print(f"{len(stale)} stale notebook(s)" if stale else "every notebook matches its source")
            return 1 if stale else 0
        chosen = sources() if args.all else list(stale)
    if not chosen:
        print("every notebook matches its source; nothing to build (use --all to re-execute them all)")
    for source in chosen:
        print(build(source, run=not args.no_execute), flush=True)
    if any(source.parent.name == "solutions" for source in chosen):
        for path in make_exercises.generate():
            print(f"wrote {os.path.relpath(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
