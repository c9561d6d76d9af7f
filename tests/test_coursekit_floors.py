"""coursekit's floors: the toolkit imports no lesson, no lesson imports another, and no import cycle.

Read from the source (every ``from .x import`` and ``from . import x``, at any depth in a
module, so that an import inside a function counts too), not by importing.
"""
import ast
from pathlib import Path

COURSEKIT = Path(__file__).resolve().parent.parent / "course" / "coursekit"

TOOLKIT = {"accessibility", "allocator", "alt_text", "checks", "controls", "datasets", "display", "kernel", "log_ticks", "mpl_compat", "predict", "progress",
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


def _functions(path):
    """(name, node) of every function in ``path``, nested ones under their own name."""
    tree = ast.parse(path.read_text(), filename=str(path))
    return [(node.name, node) for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]


def _own_calls(function, attribute):
    """Whether ``function`` itself (not a function nested in it) calls ``<something>.<attribute>(...)``."""
    nested = {id(n) for child in ast.iter_child_nodes(function) for n in ast.walk(child)
              if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))}
    inner = {id(m) for n in ast.walk(function) if id(n) in nested for m in ast.walk(n)} - {id(function)}
    return any(isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == attribute
               and id(node) not in inner for node in ast.walk(function))


# Who may call backward(): functions that return a gradient and update nothing (the 2-D engine's
# oracles, the exercise checkers' references), and the stacked step. A training loop takes its steps
# with minigrad.training.train_step (tests/test_train_step.py) or sweep.stacked_step.
GRADIENT_FUNCTIONS = {
    "checks/gradient_descent.py": {"_mse_grad_reference", "_softplus_backward"},
    "checks/minibatches.py": {"_minibatch_grad_reference"},
    "clipping.py": {"input_influence"},
    "gradient_descent.py": {"loss_and_gradient"},
    "least_squares.py": {"gradient"},
    "minibatches.py": {"flat_gradient", "batch_gradient"},
    "sweep.py": {"stacked_step"},
    "welcome.py": {"gradient"},
}


def test_only_gradient_functions_and_the_stacked_step_call_backward():
    found = {}
    for path in sorted(COURSEKIT.rglob("*.py")):
        names = {name for name, node in _functions(path) if _own_calls(node, "backward")}
        if names:
            found[path.relative_to(COURSEKIT).as_posix()] = names
    assert found == GRADIENT_FUNCTIONS


WIDGET_BUILDERS = {"controls", "display", "progress", "playground_panel", "predict"}  # who may construct ipywidgets


def test_only_the_widget_toolkit_imports_ipywidgets():
    """Every widget goes through display.make_widget and every control kind lives in controls.py: no
    other module imports ipywidgets (the panel, the progress bar and the questions build their own boxes)."""
    builders = set()
    for path in COURSEKIT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            imports_it = isinstance(node, (ast.Import, ast.ImportFrom)) and any(
                (alias.name if isinstance(node, ast.Import) else node.module or "").startswith("ipywidgets")
                for alias in node.names)
            if imports_it:
                builders.add(_module_of(path))
    assert builders <= WIDGET_BUILDERS, sorted(builders - WIDGET_BUILDERS)
