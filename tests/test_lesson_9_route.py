"""Lesson 9 gets to the point: its core path (everything outside the sections headed "Deep dive
(optional)") is at most 2,000 words of prose, and every deep dive is saved folded in JupyterLab."""
import re
from pathlib import Path

import jupytext

LESSON = Path(__file__).resolve().parents[1] / "course" / "09_finetuning_case_study.md"
CORE_WORDS = 2000
WORD = re.compile(r"[A-Za-z0-9][\w'’.,%$&-]*")


def sections(notebook):
    """(markdown cell, heading line or None, text, inside a deep dive) for each run of lines under
    one heading: a deep dive lasts until the next heading of its level or higher."""
    inside = None
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        heading, block = None, []
        for line in cell.source.split("\n") + [None]:
            match = re.match(r"(#+) (.*)", line) if line is not None else None
            if line is None or match:
                if block:
                    yield cell, heading, "\n".join(block), inside is not None
                if match:
                    level = len(match.group(1))
                    if inside is not None and level <= inside:
                        inside = None
                    if "Deep dive (optional)" in match.group(2):
                        inside = level
                    heading, block = line, [line]
                continue
            block.append(line)


def core_words(notebook) -> int:
    return sum(len(WORD.findall(text)) for _, _, text, deep in sections(notebook) if not deep)


def test_the_core_path_is_at_most_2000_words():
    notebook = jupytext.read(LESSON)
    words = core_words(notebook)
    assert words <= CORE_WORDS, f"lesson 9's core path has {words} words of prose, more than {CORE_WORDS}"


def test_every_deep_dive_is_saved_folded():
    notebook = jupytext.read(LESSON)
    dives = [(cell, heading) for cell, heading, _, _ in sections(notebook) if heading and "Deep dive (optional)" in heading]
    assert len(dives) >= 4
    for cell, heading in dives:
        assert cell.source.startswith(heading), f"{heading!r} must open its own markdown cell, to be saved folded"
        assert cell.metadata.get("jp-MarkdownHeadingCollapsed") is True, heading


def test_the_word_count_sees_a_deep_dive_end_at_the_next_heading():
    notebook = jupytext.reads("## Core\n\none two\n\n+++\n\n### Deep dive (optional): x\n\nthree four five\n\n+++\n\n"
                              "## Back\n\nsix\n", fmt="md:myst")
    assert core_words(notebook) == len("Core one two Back six".split())
