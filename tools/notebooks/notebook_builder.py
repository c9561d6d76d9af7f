"""Build a lesson notebook from a list of cells written in a Python script.

A lesson's generator script (``tools/notebooks/lessonNN.py``) lists its cells with
:func:`md` and :func:`code` and calls :func:`write_notebook`. Cell ids are stable
(``<prefix>-<index>``), so regenerating an unchanged lesson changes nothing but the
outputs. Run the script, then execute the notebook in place so that it is committed
with its outputs::

    .venv/bin/python tools/notebooks/lesson01.py
    .venv/bin/jupyter nbconvert --to notebook --execute --inplace course/01_gradient_descent.ipynb

``code(..., ignore_output=True)`` puts nbval's ``# NBVAL_IGNORE_OUTPUT`` marker on the
first line (timings, widgets).
"""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from minigrad.utils.files import atomic_write

__all__ = ["md", "code", "write_notebook", "ROOT"]

ROOT = Path(__file__).resolve().parents[2]
IGNORE_OUTPUT = "# NBVAL_IGNORE_OUTPUT"


def _clean(text: str) -> str:
    return dedent(text).strip("\n").rstrip()


def md(text: str):
    """A markdown cell (the text is dedented, so it can be written as an indented triple-quoted string)."""
    return new_markdown_cell(_clean(text))


def code(text: str, *, ignore_output: bool = False):
    """A code cell; ``ignore_output=True`` marks it ``# NBVAL_IGNORE_OUTPUT`` (timings, widgets)."""
    source = _clean(text)
    if ignore_output and not source.startswith(IGNORE_OUTPUT):
        source = f"{IGNORE_OUTPUT}\n{source}"
    return new_code_cell(source)


def write_notebook(path, cells, *, id_prefix: str) -> Path:
    """Write ``cells`` as a valid nbformat-4 notebook at ``path`` (relative to the repository root), atomically."""
    path = Path(path)
    if not path.is_absolute():
        path = ROOT / path
    for index, cell in enumerate(cells):
        cell["id"] = f"{id_prefix}-{index:03d}"
    notebook = new_notebook(
        cells=list(cells),
        metadata={
            "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
    )
    nbformat.validate(notebook)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "w", encoding="utf-8") as stream:
        nbformat.write(notebook, stream)
    return path
