"""Each lesson, solution and the playground has one source an author edits: a MyST Markdown file.

tools/build_notebook.py turns a source into its executed notebook (`make notebook NB=...`).
These tests fail when a source and its notebook disagree (a forgotten rebuild), when a
notebook was not run top to bottom, or when a pairing is missing or leaks into exercises/.
"""
import shutil
from pathlib import Path

import jupytext
import nbformat
import pytest

from tool_scripts import load_tool

ROOT = Path(__file__).resolve().parents[1]
tool = load_tool("build_notebook")
SOURCES = tool.sources()


def rebuild_hint(source: Path) -> str:
    return f"run: make notebook NB={source.relative_to(ROOT)}"


def test_every_lesson_solution_and_the_playground_has_a_source():
    notebooks = sorted(ROOT.glob("course/*.ipynb")) + sorted(ROOT.glob("solutions/*.ipynb"))
    assert len(notebooks) == 20
    missing = [str(n.relative_to(ROOT)) for n in notebooks if n.with_suffix(".md") not in SOURCES]
    assert not missing, f"notebooks without a Markdown source: {missing}"
    orphans = [str(s.relative_to(ROOT)) for s in SOURCES if not tool.notebook_of(s).exists()]
    assert not orphans, f"sources never built: {orphans}; run make notebooks"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_the_notebook_holds_exactly_its_source(source):
    difference = tool.first_difference(source)
    assert difference is None, f"{source.relative_to(ROOT)} and its notebook disagree: {difference}; {rebuild_hint(source)}"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_the_notebook_was_run_top_to_bottom_and_stays_paired(source):
    notebook = nbformat.read(tool.notebook_of(source), as_version=4)
    counts = [cell.execution_count for cell in notebook.cells if cell.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1)), (
        f"{tool.notebook_of(source).name} was not executed in one run from the top "
        f"(execution counts {counts}); {rebuild_hint(source)}")
    assert notebook.metadata.get("jupytext", {}).get("formats") == tool.PAIRING
    header = jupytext.read(source).metadata.get("jupytext", {})
    assert header.get("formats") == tool.PAIRING, f"{source.name}: its header must pair it with the notebook"


def test_exercises_are_generated_so_never_paired():
    for path in sorted(ROOT.glob("exercises/*.ipynb")):
        assert "jupytext" not in nbformat.read(path, as_version=4).metadata, path.name
    assert not list(ROOT.glob("exercises/*.md")), "exercises/ is generated from solutions/: no sources there"


@pytest.fixture
def lesson_copy(tmp_path):
    """A copy of lesson 0's pair, to edit without touching the course."""
    source = ROOT / "course" / "00_welcome.md"
    for path in (source, tool.notebook_of(source)):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path / source.name


def test_a_changed_sentence_is_caught_until_the_notebook_is_rebuilt(lesson_copy):
    assert tool.first_difference(lesson_copy) is None
    text = lesson_copy.read_text(encoding="utf-8")
    lesson_copy.write_text(text.replace("start with this notebook", "begin with this notebook"), encoding="utf-8")
    difference = tool.first_difference(lesson_copy)
    assert difference is not None and "begin with th" in difference

    before = nbformat.read(tool.notebook_of(lesson_copy), as_version=4)
    tool.build(lesson_copy, run=False)
    assert tool.first_difference(lesson_copy) is None
    after = nbformat.read(tool.notebook_of(lesson_copy), as_version=4)
    # unchanged cells keep their ids and outputs: a rebuild's diff is the edit and the new outputs
    assert [c.id for c in after.cells] == [c.id for c in before.cells]
    assert [c.get("outputs") for c in after.cells] == [c.get("outputs") for c in before.cells]


def test_an_added_cell_is_caught(lesson_copy):
    with lesson_copy.open("a", encoding="utf-8") as stream:
        stream.write("\n```{code-cell} ipython3\nprint('one more')\n```\n")
    assert "cells" in tool.first_difference(lesson_copy)


def test_building_executes_the_notebook_from_its_folder(tmp_path):
    source = tmp_path / "01_tiny.md"
    source.write_text("---\njupytext:\n  formats: ipynb,md:myst\nkernelspec:\n  name: python3\n"
                      "  display_name: Python 3\n  language: python\n---\n\n# Tiny\n\n"
                      "```{code-cell} ipython3\nimport os\nprint(os.path.basename(os.getcwd()))\n```\n",
                      encoding="utf-8")
    tool.build(source)
    notebook = nbformat.read(tool.notebook_of(source), as_version=4)
    (cell,) = [c for c in notebook.cells if c.cell_type == "code"]
    assert cell.execution_count == 1 and cell.outputs[0]["text"].strip() == tmp_path.name
    assert tool.first_difference(source) is None


def test_the_tool_refuses_a_path_that_is_not_a_source(capsys):
    with pytest.raises(SystemExit, match="is not a lesson, solution or playground source"):
        tool.main(["README.md"])
