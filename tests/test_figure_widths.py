"""Every widget's figure fits a laptop's notebook column (display.COLUMN_FIGURE_PX) without sideways
scrolling. Read from the sources, where each widget names its size: building every widget would
train lesson 6-8's networks. The browser tests check lessons 2 and 4 in a 1,366-px window with the
file browser open (tests/browser/test_lab.py)."""
import ast
from pathlib import Path

from coursekit.display import COLUMN_FIGURE_PX
from coursekit.style import _COURSE_RC

COURSEKIT = Path(__file__).resolve().parents[1] / "course" / "coursekit"
PROJECTOR = {"playground.py", "playground_panel.py", "playground_recipes.py"}  # enlarged for Voilà on a projector


def _new_figure_calls():
    for path in sorted(COURSEKIT.rglob("*.py")):
        if path.name in PROJECTOR or path.name == "display.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "new_figure":
                figsize = next((k.value for k in node.keywords if k.arg == "figsize"), None)
                yield f"{path.relative_to(COURSEKIT)}:{node.lineno}", figsize


def test_every_widget_figure_fits_a_laptop_s_notebook_column():
    calls = list(_new_figure_calls())
    assert len(calls) >= 12, calls  # every lesson's widgets
    dpi = _COURSE_RC["figure.dpi"]
    too_wide, unread = [], []
    for where, figsize in calls:
        width = _COURSE_RC["figure.figsize"][0] if figsize is None else None
        if figsize is not None:
            try:
                width = ast.literal_eval(figsize)[0]
            except ValueError:
                unread.append(where)
                continue
        if round(width * dpi) > COLUMN_FIGURE_PX:
            too_wide.append(f"{where}: {width * dpi:.0f} px")
    assert unread == [], f"give these figures a literal figsize, so that this test can read it: {unread}"
    assert too_wide == [], f"wider than the column's {COLUMN_FIGURE_PX} px: {too_wide}"
