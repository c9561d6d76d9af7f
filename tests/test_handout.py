"""The participants' handout (tools/make_handout.py): the notebooks and nothing an author edits,
and nbgitpuller's second pull after a fix keeps what a participant changed.

The pulls are nbgitpuller's own (``GitPuller``, what its link runs on the hub), from a local
repository: no server, no network.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import make_handout  # noqa: E402

GitPuller = pytest.importorskip("nbgitpuller.pull").GitPuller


@pytest.fixture(scope="module")
def handout(tmp_path_factory):
    return make_handout.write_handout(tmp_path_factory.mktemp("handout") / "tree")


def _cells(path):
    return json.loads(path.read_text())["cells"]


def test_the_handout_holds_every_executed_lesson_exercise_and_the_playground(handout):
    lessons = sorted(p.stem for p in (ROOT / "course").glob("[0-9][0-9]_*.md"))
    assert sorted(p.stem for p in handout.glob("[0-9][0-9]_*.ipynb")) == lessons
    assert (handout / "playground.ipynb").is_file() and (handout / "README.md").is_file()
    exercises = sorted(p.name for p in (ROOT / "exercises").glob("*.ipynb"))
    assert sorted(p.name for p in (handout / "exercises").glob("*.ipynb")) == exercises
    assert (handout / "data" / "brand_voice" / "DATA_CARD.md").is_file()
    assert (handout / "models" / "base_gpt.npz").is_file()
    for lesson in lessons:  # executed: the participant sees the figures before running anything
        outputs = [o for cell in _cells(handout / f"{lesson}.ipynb") if cell["cell_type"] == "code"
                   for o in cell.get("outputs", [])]
        assert any("image/png" in o.get("data", {}) for o in outputs), f"{lesson} has no figure"


def test_the_handout_has_no_twins_no_tools_and_nothing_that_opens_markdown_as_a_notebook(handout):
    files = [p.relative_to(handout).as_posix() for p in handout.rglob("*") if p.is_file()]
    markdown = [f for f in files if f.endswith(".md")]
    assert markdown == ["README.md"] or sorted(markdown) == ["README.md", "data/brand_voice/DATA_CARD.md"]
    assert not [f for f in files if f.endswith((".py", ".toml", ".cfg")) or f.startswith(("tools/", "tests/"))]
    assert not [f for f in files if f.endswith(".json") and "Jupytext Notebook" in (handout / f).read_text()]
    for notebook in handout.rglob("*.ipynb"):  # a paired notebook would write a .md twin when saved
        assert "formats" not in json.loads(notebook.read_text())["metadata"].get("jupytext", {}), notebook.name


def test_the_room_settings_the_image_installs_ask_nothing_and_open_markdown_as_markdown():
    settings = json.loads((ROOT / "tools" / "lab_settings" / "room.json").read_text())
    assert settings["@jupyterlab/apputils-extension:notification"] == {"checkForUpdates": False, "fetchNews": "false"}
    assert "@jupyterlab/docmanager-extension:plugin" not in settings
    assert "cp tools/lab_settings/room.json" in (ROOT / "binder" / "postBuild").read_text()


def _git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def _pull(origin, home):
    for _ in GitPuller(str(origin), str(home), branch="handout", depth=None).pull():
        pass  # the generator reports progress lines


def _edit_markdown(path, find, replace):
    notebook = json.loads(path.read_text())
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            source = "".join(cell["source"])
            if find in source:
                cell["source"] = source.replace(find, replace)
                path.write_text(make_handout.notebook_text(notebook))
                return
    raise AssertionError(f"{find!r} not in {path.name}")


def _edit_first_code_cell(path, text):
    notebook = json.loads(path.read_text())
    cell = next(c for c in notebook["cells"] if c["cell_type"] == "code")
    cell["source"] = text
    path.write_text(make_handout.notebook_text(notebook))


def test_a_second_pull_after_a_fix_brings_the_fix_and_keeps_the_participants_edits(tmp_path, handout):
    origin, tree, home = tmp_path / "origin", tmp_path / "tree", tmp_path / "home" / "course"
    _git("init", "--quiet", str(origin), cwd=tmp_path)
    make_handout.write_handout(tree)
    first = make_handout.commit_handout(tree, "handout", "first handout", repo=origin)
    assert make_handout.commit_handout(tree, "handout", "unchanged", repo=origin) == first  # no empty commit
    _pull(origin, home)
    assert (home / "00_welcome.ipynb").read_text() == (tree / "00_welcome.ipynb").read_text()

    # The participant answers an exercise, annotates a lesson and adds a file of their own.
    exercise, lesson, fixed = (home / "exercises" / "01_gradient_descent.ipynb", home / "00_welcome.ipynb",
                               "02_learning_rate.ipynb")
    _edit_first_code_cell(exercise, "answer = 42  # my answer")
    first_words = "".join(_cells(lesson)[0]["source"])[:40]
    _edit_markdown(lesson, first_words, "MY NOTE. " + first_words)
    (home / "notes.txt").write_text("mine")
    last_words = "".join([c for c in _cells(home / fixed) if c["cell_type"] == "markdown"][-1]["source"])[:30]
    _edit_markdown(home / fixed, last_words, "MY OTHER NOTE. " + last_words)  # in the lesson the fix touches

    # A fix to another lesson, published as the next handout.
    sentence = "".join(next(c for c in _cells(tree / fixed) if c["cell_type"] == "markdown")["source"])[:30]
    _edit_markdown(tree / fixed, sentence, "FIXED. " + sentence)
    second = make_handout.commit_handout(tree, "handout", "a fix", repo=origin)
    assert _git("rev-parse", f"{second}^", cwd=origin) == first  # each handout the child of the last

    _pull(origin, home)
    assert "FIXED. " in (home / fixed).read_text()  # the fix arrived ...
    assert "MY OTHER NOTE. " in (home / fixed).read_text()  # ... beside the participant's note in that lesson
    assert "answer = 42  # my answer" in exercise.read_text()  # the participant's work stayed
    assert "MY NOTE. " in lesson.read_text()
    assert (home / "notes.txt").read_text() == "mine"
    for notebook in home.rglob("*.ipynb"):  # every notebook still opens
        json.loads(notebook.read_text())
