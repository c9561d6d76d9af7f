"""Write the solutions notebooks from their scripts, execute them, and regenerate the exercises.

    .venv/bin/python tools/notebooks/exercise_build.py          # all nine
    .venv/bin/python tools/notebooks/exercise_build.py 4 6      # lessons 4 and 6 only
    .venv/bin/python tools/notebooks/exercise_build.py --no-execute 4

Each ``tools/notebooks/exercise_NN_*.py`` defines ``NAME`` and ``cells()``. The notebook is
written to ``solutions/NAME.ipynb`` with stable cell ids, executed in place with nbclient
(from ``solutions/``, as nbval runs it), and finally ``tools/make_exercises.py`` regenerates
every exercise notebook from the solutions.
"""
from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tools"))

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from minigrad.utils.files import atomic_write  # noqa: E402

import make_exercises  # noqa: E402
from notebook_builder import write_notebook  # noqa: E402


def lesson_modules(numbers):
    scripts = sorted(HERE.glob("exercise_[0-9][0-9]_*.py"))
    chosen = [s for s in scripts if not numbers or int(s.name[9:11]) in numbers]
    return [importlib.import_module(s.stem) for s in chosen]


def execute(path: Path, timeout: int = 120) -> float:
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(notebook, timeout=timeout, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.perf_counter() - start
    with atomic_write(path, "w", encoding="utf-8") as stream:
        nbformat.write(notebook, stream)
    return seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lessons", nargs="*", type=int, help="lesson numbers (default: all)")
    parser.add_argument("--no-execute", action="store_true", help="write the notebooks without running them")
    args = parser.parse_args(argv)
    for module in lesson_modules(set(args.lessons)):
        number = int(module.__name__[9:11])
        path = write_notebook(ROOT / "solutions" / f"{module.NAME}.ipynb", module.cells(), id_prefix=f"ex{number:02d}")
        message = f"wrote {path.relative_to(ROOT)}"
        if not args.no_execute:
            message += f", executed in {execute(path):.1f} s"
        print(message)
    for path in make_exercises.generate():
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
