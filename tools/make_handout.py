"""Write the participants' tree: what a workshop room opens, and nothing an author edits.

    python tools/make_handout.py                    # into build/handout (make handout)
    python tools/make_handout.py --branch handout   # and commit it as the branch `handout`

The tree holds the executed lessons and the playground (``NN_*.ipynb``, ``playground.ipynb``),
the exercises (``exercises/``), the case study's data and models (``data/``, ``models/``, to read:
the code loads its own copies) and a short README. It holds no Markdown sources (the lessons'
MyST twins), no authoring tools, and no setting that opens Markdown as a notebook; the
notebooks lose their jupytext pairing, so that saving one on the hub does not write a twin.

``--branch`` commits the tree onto a branch of this repository, each handout a child of the
last, so that nbgitpuller's second pull after a fix is an ordinary merge that keeps what
participants changed (see the README's workshop section for the link).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "build" / "handout"

README = """\
# How neural networks are trained: your copy

Start with **00_welcome.ipynb**, then the lessons in order (01 to 09). Each lesson runs as it is:
press *Run All* (or Shift+Enter cell by cell) and move the sliders.

* `exercises/`: one exercise per lesson, with checks that say what is wrong.
* `playground.ipynb`: the instructor's demos, to replay at your own pace.
* `data/`, `models/`: the case study's data (with its data card) and its small language model.

This folder is yours: edit and run anything. When the instructor updates the course, opening the
workshop link again brings the changes in and keeps your edits.
"""


def _tracked(pattern: str) -> list[Path]:
    """Files git tracks under ``pattern`` (so nothing untracked or ignored reaches a participant)."""
    out = subprocess.run(["git", "ls-files", "-z", "--", pattern], cwd=ROOT, check=True, capture_output=True)
    return sorted(ROOT / name for name in out.stdout.decode().split("\0") if name)


def handout_files() -> dict[str, Path]:
    """``{path in the handout: source file}``."""
    files = {}
    for notebook in _tracked("course/*.ipynb"):
        files[notebook.name] = notebook
    for notebook in _tracked("exercises/*.ipynb"):
        files[f"exercises/{notebook.name}"] = notebook
    for folder in ("data", "models"):
        for path in _tracked(f"course/{folder}"):
            files[path.relative_to(ROOT / "course").as_posix()] = path
    return files


def notebook_text(content: dict) -> str:
    """A notebook's JSON as nbformat writes it (one layout for every handout: pulls merge line by line)."""
    return json.dumps(content, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _unpaired(notebook: Path) -> str:
    """The notebook's JSON without its jupytext pairing (the hub would otherwise write a .md twin)."""
    content = json.loads(notebook.read_text())
    jupytext = content.get("metadata", {}).get("jupytext")
    if isinstance(jupytext, dict):
        jupytext.pop("formats", None)
        if not jupytext:
            del content["metadata"]["jupytext"]
    return notebook_text(content)


def write_handout(out: Path = DEFAULT_OUT) -> Path:
    """Write the handout into ``out`` (emptied first); returns ``out``."""
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for target, source in handout_files().items():
        path = out / target
        path.parent.mkdir(parents=True, exist_ok=True)
        if source.suffix == ".ipynb":
            path.write_text(_unpaired(source))
        else:
            shutil.copyfile(source, path)
    (out / "README.md").write_text(README)
    return out


def _git(*args, cwd=ROOT, env=None) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True)
    return result.stdout.strip()


def commit_handout(tree_dir: Path, branch: str, message: str, repo: Path = ROOT) -> str:
    """Commit the files of ``tree_dir`` as the next commit of ``branch`` in ``repo`` (the last
    handout its parent); the working tree and the index are left alone. Returns the commit."""
    with tempfile.TemporaryDirectory() as scratch:
        env = dict(os.environ, GIT_INDEX_FILE=str(Path(scratch) / "index"), GIT_WORK_TREE=str(tree_dir))
        _git("add", "--all", ".", cwd=repo, env=env)
        tree = _git("write-tree", cwd=repo, env=env)
    try:
        parent = ["-p", _git("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}", cwd=repo)]
    except subprocess.CalledProcessError:
        parent = []  # the first handout
    if parent and _git("rev-parse", f"{parent[1]}^{{tree}}", cwd=repo) == tree:
        return parent[1]  # nothing changed: no empty commit for participants to pull
    commit = _git("commit-tree", tree, *parent, "-m", message, cwd=repo)
    _git("update-ref", f"refs/heads/{branch}", commit, cwd=repo)
    return commit


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the tree (emptied first)")
    parser.add_argument("--branch", help="also commit the tree as the next commit of this branch")
    args = parser.parse_args(argv)
    out = write_handout(args.out)
    print(f"handout written to {out} ({sum(1 for p in out.rglob('*') if p.is_file())} files)")
    if args.branch:
        source = _git("rev-parse", "--short", "HEAD")
        commit = commit_handout(out, args.branch, f"Handout from {source}")
        print(f"committed as {args.branch} ({commit[:12]}): push it, e.g. git push origin {args.branch}")


if __name__ == "__main__":
    main()
