"""coursekit's floors: the toolkit imports no lesson, no lesson imports another, and no import cycle.

Read from the source (every ``from .x import`` and ``from . import x``, at any depth in a
module, so that an import inside a function counts too), not by importing.
"""
import ast
from pathlib import Path

COURSEKIT = Path(__file__).resolve().parent.parent / "course" / "coursekit"

TOOLKIT = {"allocator", "checks", "controls", "datasets", "display", "log_ticks", "mpl_compat", "predict", "progress",
           "least_squares", "networks", "run_cache", "style", "surfaces", "sweep", "threads", "trajectories"}
LESSONS = {  # lesson -> its modules (a lesson may split into a few)
    0: {"welcome"}, 1: {"gradient_descent", "gd_plots"}, 2: {"learning_rate", "lr_plots"},
    3: {"minibatches", "minibatch_plots"}, 4: {"optimizers", "optimizer_plots", "phase_map", "escape"},
    5: {"schedules"}, 6: {"range_test"}, 7: {"batch_size"}, 8: {"clipping"}, 9: {"casestudy"},
}
TOP = {"questions", "playground", "playground_panel", "playground_recipes", "finetune_demo"}  # gather lessons

# Sideways imports still to move down (issue 22): each one removed from here once it is gone.
STILL_SIDEWAYS = set()


def _module_of(path):
    relative = path.relative_to(COURSEKIT)
    return relative.parts[0].removesuffix(".py")


def _imports():
    """{(importer, imported)} between coursekit's top-level modules and packages."""
    edges = set()
    for path in COURSEKIT.rglob("*.py"):
        importer = _module_of(path)
        package_depth = len(path.relative_to(COURSEKIT).parts) - 1  # a module inside a package: one more dot
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, ast.ImportFrom) or node.level == 0:
                continue
            if node.level - package_depth != 1:
                continue  # inside a package, relative to the package itself
            names = [node.module.split(".")[0]] if node.module else [alias.name for alias in node.names]
            edges.update((importer, name) for name in names if name != importer)
    return edges


def test_every_module_has_a_floor():
    modules = {_module_of(path) for path in COURSEKIT.rglob("*.py")} - {"__init__"}
    lessons = set().union(*LESSONS.values())
    assert modules == TOOLKIT | lessons | TOP, modules ^ (TOOLKIT | lessons | TOP)


def test_the_toolkit_imports_no_lesson_and_lessons_import_only_the_toolkit():
    lesson_of = {module: lesson for lesson, modules in LESSONS.items() for module in modules}
    upward = sorted((a, b) for a, b in _imports() if a in TOOLKIT and b not in TOOLKIT)
    assert upward == [], f"toolkit modules importing a lesson or the top floor: {upward}"
    sideways = {(a, b) for a, b in _imports()
                if a in lesson_of and b not in TOOLKIT and lesson_of.get(b) != lesson_of[a]}
    assert sideways == STILL_SIDEWAYS, (f"new: {sorted(sideways - STILL_SIDEWAYS)}; "
                                        f"gone (remove from STILL_SIDEWAYS): {sorted(STILL_SIDEWAYS - sideways)}")


def test_no_import_cycle_in_coursekit():
    graph = {}
    for a, b in _imports():
        graph.setdefault(a, set()).add(b)
    state = {}  # 1: on the current path, 2: done

    def visit(node, path):
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join(path[path.index(nxt):] + [nxt]))
            if state.get(nxt) is None:
                visit(nxt, path + [nxt])
        state[node] = 2

    for node in sorted(graph):
        if state.get(node) is None:
            visit(node, [node])
