"""Every number a notebook's prose states is one the reader can find in that same notebook.

A number in a Markdown cell of a lesson, the playground, a solution or an exercise must be
backed by one of:

* an output of the notebook (stream text, ``text/plain``, ``text/markdown``, ``text/html`` with
  its tags stripped, an error's message), at the precision the prose states it;
* a number literal in a visible code cell (a parameter the reader sees, ``lr = 0.05``); cells
  folded away (``source_hidden``) do not count, and neither do comments or strings;
* a phrase in tests/prose_numbers_allowlist.toml, which gives the reason it may stand (a
  quotation from the course brief, a definition, a mathematical constant).

Exercises are generated from solutions without outputs, so what backs their prose is code.

**The rounding rule.** A prose number is backed when a printed number rounds to it at the
prose's last written digit and is printed with at least that many digits: printed 0.3512
backs "0.35" (|0.3512 - 0.35| <= 0.005) and "0.4"; printed 0.3551 does not back "0.35";
printed 0.4 does not back "0.35" (too few digits); "189" is not backed by "190" nor "190" by
"189". An exact half backs both neighbours (printed 0.45 backs "0.4" and "0.5"). A literal in
code is exact, so ``lr = 0.1`` backs "0.1" and "0.10". Signs are ignored ("falls by 0.3" is
backed by a printed -0.3). A percentage is also backed by a printed fraction: 0.873 backs "87%".
In outputs every digit string counts ("w=0.35", "step10", "83-94%").

**Which prose numbers count.** Decimals (0.35, 1e-5), percentages (87%), multipliers (2.5x),
amounts of money ($2.98) and integers of two or more digits (442, 1,438). Left out, by rule:

* single-digit integers 0-9;
* numbers inside inline code, LaTeX math, code blocks, link targets and HTML tags: code the
  reader types and formulas that name parameters (``lr=0.05``, ``$2/L$``);
* section, lesson, exercise, task, part, chapter, figure, table and question numbers
  ("section 9", "lessons 4-7", "Task 3"), a heading's leading number, and a list item's
  ordinal (a line starting "10." after a blank line, as "1." or next in its list; a wrapped
  line of a paragraph that happens to start with a number is prose);
* years: "in 2017", "since 2019" (not followed by a lower-case word: "in 2000 steps" counts),
  and citations, "(Smith, 2015)", "Keskar et al., 2017";
* numbers glued to a word (float64, L2, x1, 10th, 64-bit, 3D, v1.2.3): names, not amounts.

The matcher is the few functions below; the ``test_the_*`` tests check it on crafted cells.
"""
from __future__ import annotations

import fnmatch
import html
import io
import re
import tokenize
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
ALLOWLIST = Path(__file__).with_name("prose_numbers_allowlist.toml")
MAX_ALLOWLIST = 40
NOTEBOOKS = sorted(ROOT.glob("course/*.ipynb")) + sorted(ROOT.glob("solutions/*.ipynb")) + sorted(
    ROOT.glob("exercises/*.ipynb"))


# --- numbers ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Number:
    text: str = field(compare=False)   # as written, for messages
    value: float      # its magnitude
    place: float      # the value of its last written digit: 0.01 for "0.35", 1 for "442"
    percent: bool

    @property
    def is_small_integer(self) -> bool:
        return self.place >= 1 and self.value < 10 and not self.percent


NUMBER = re.compile(r"""
    (?P<digits> \d{1,3}(?:,\d{3})+(?:\.\d+)? | \d+(?:\.\d+)? | \.\d+ )
    (?: [eE] (?P<exponent> [-+\u2212]?\d+ ) )?
    (?P<percent> \s?% )?
""", re.VERBOSE)


def parse(match: re.Match) -> Number:
    digits = match["digits"].replace(",", "")
    exponent = int(match["exponent"].replace("\u2212", "-")) if match["exponent"] else 0
    decimals = len(digits.partition(".")[2])
    return Number(match.group(0).strip(), abs(float(digits) * 10.0 ** exponent),
                  10.0 ** (exponent - decimals), bool(match["percent"]))


def numbers_in(text: str) -> list[Number]:
    """Every number in an output, liberally ("w=0.35", "83-94%" and "step10" all count)."""
    return [parse(m) for m in NUMBER.finditer(text) if not m.group(0).startswith(",")]


def code_numbers(source: str) -> list[Number]:
    """The number literals of a code cell, each exact (its place is 0)."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    literals = []
    try:
        for token in tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline):
            if token.type == tokenize.NUMBER and not token.string.endswith(("j", "J")):
                literals.append(Number(token.string, abs(float(token.string.replace("_", ""))), 0.0, False))
    except (tokenize.TokenError, IndentationError, ValueError):
        pass
    return literals


def supports(evidence: Number, claim: Number) -> bool:
    """The rounding rule (module docstring)."""
    candidates = [(evidence.value, evidence.place)]
    if claim.percent and not evidence.percent:
        candidates.append((evidence.value * 100, evidence.place * 100))
    tolerance = claim.place * (0.5 + 1e-9)
    return any(place <= claim.place * (1 + 1e-9) and abs(value - claim.value) <= tolerance
               for value, place in candidates)


# --- prose --------------------------------------------------------------------------------

NOT_PROSE = [
    re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL),        # code blocks, directives
    re.compile(r"<!--.*?-->", re.DOTALL),
    re.compile(r"\$\$.*?\$\$", re.DOTALL),                              # display math
    re.compile(r"(?<!\\)\$(?=\S)[^$\n]+?(?<=\S)(?<!\\)\$(?!\d)"),          # inline math (pandoc's rule:
                                                                        # "$0.85 ... $2.98" is money)
    re.compile(r"(`+).+?\1", re.DOTALL),                                # inline code
    re.compile(r"\]\([^)]*\)"),                                         # link targets
    re.compile(r"<[^>\n]+>"),                                           # HTML tags
]
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
NOT_AMOUNTS = [
    re.compile(r"^[ \t]*#+[ \t]*\d+(?:\.\d+)*[.)]?", re.MULTILINE),     # "## 10. The data"
    re.compile(r"\b(?:sections?|§|lessons?|exercises?|tasks?|parts?|chapters?|figures?|tables?|"
               r"questions?)\s*\d{1,2}\b(?:\s*(?:,|and|or|to|through|-|\u2013|&)\s*\d{1,2}\b)*",
               re.IGNORECASE),                                      # "lessons 4-7", not "lesson 5, 300 steps"
    re.compile(rf"\b(?:in|since|until|{MONTHS})\s+(?:19|20)\d\d\b(?!\s+[a-z])"),   # "in 2017"
    re.compile(r"(?:\(|[A-Z][a-z]+(?:\s+et\s+al\.)?,?\s)(?:19|20)\d\d[a-z]?(?=[),;])"),  # "(Keskar et al., 2017)"
]
PROSE_NUMBER = re.compile(rf"(?<![\w.\\]){NUMBER.pattern}(?:[x\u00d7](?!\w))?", re.VERBOSE)
GLUED = re.compile(r"\w|[-\u2011]bit\b|\.\d")                      # 10th, 64-bit, v1.2.3


LIST_ITEM = re.compile(r"^(?P<lead>[ \t>]*)(?P<ordinal>\d+)[.)](?=[ \t])")


def drop_list_ordinals(markdown: str) -> str:
    """Blank "10." where it starts a list item: after a blank line, as "1.", or next in a list.

    A number that merely starts a wrapped line of a paragraph ("... batches 1, 8 and\\n64. The")
    stays: in Markdown only "1." can interrupt a paragraph.
    """
    lines, previous, expected = markdown.split("\n"), "", None
    for i, line in enumerate(lines):
        item = LIST_ITEM.match(line)
        if item and (not previous.strip(" >") or int(item["ordinal"]) in (1, expected)):
            lines[i] = item["lead"] + " " * (item.end() - item.start("ordinal")) + line[item.end():]
            expected = int(item["ordinal"]) + 1
        previous = line
    return "\n".join(lines)


def prose_numbers(markdown: str) -> list[Number]:
    """The numbers of a Markdown cell that need backing, after the rules of the docstring."""
    markdown = drop_list_ordinals(markdown)
    for pattern in NOT_PROSE + NOT_AMOUNTS:
        markdown = pattern.sub(" ", markdown)
    markdown = html.unescape(markdown)
    found = [parse(m) for m in PROSE_NUMBER.finditer(markdown) if not GLUED.match(markdown, m.end())]
    return [n for n in found if not n.is_small_integer]


# --- notebooks ----------------------------------------------------------------------------

def output_text(output) -> str:
    if output.output_type == "stream":
        return output.text
    if output.output_type == "error":
        return f"{output.ename}: {output.evalue}"
    data = output.get("data", {})
    parts = [data.get("text/plain", ""), data.get("text/markdown", "")]
    if "text/html" in data:
        parts.append(html.unescape(re.sub(r"<[^>]+>", " ", data["text/html"])))
    return "\n".join(parts)


def evidence_of(notebook) -> list[Number]:
    found = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            found += numbers_in(output_text(output))
        if not cell.get("metadata", {}).get("jupyter", {}).get("source_hidden"):
            found += code_numbers(cell.source)
    return found


def load_allowlist() -> list[dict]:
    return tomllib.loads(ALLOWLIST.read_text(encoding="utf-8"))["allow"]


def phrase_pattern(phrase: str) -> re.Pattern:
    """An allowlisted phrase as written, whatever the line breaks in the cell."""
    return re.compile(r"\s+".join(map(re.escape, phrase.split())))


def applies(entry: dict, where: str) -> bool:
    """Whether an entry's ``notebooks`` (a glob or a list of globs) include the notebook ``where``."""
    globs = [entry["notebooks"]] if isinstance(entry["notebooks"], str) else entry["notebooks"]
    return any(fnmatch.fnmatch(where, glob) for glob in globs)


def without_allowed_phrases(markdown: str, where: str, allowlist: list[dict]) -> str:
    """The cell with the allowlisted phrases of its notebook cut out: their numbers need no backing."""
    for entry in allowlist:
        if applies(entry, where):
            markdown = phrase_pattern(entry["phrase"]).sub(" ", markdown)
    return markdown


def unbacked(notebook, where: str, allowlist: list[dict]) -> list[str]:
    """'number: ...the sentence...' for each prose number with no backing."""
    evidence = evidence_of(notebook)
    problems = []
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        for claim in prose_numbers(without_allowed_phrases(cell.source, where, allowlist)):
            if not any(supports(e, claim) for e in evidence):
                problems.append(f"{claim.text}: {context(cell.source, claim.text)}")
    return problems


def context(source: str, text: str) -> str:
    found = re.search(rf"(?<![\w.]){re.escape(text)}(?!\w)", source)
    at = found.start() if found else 0
    return " ".join(source[max(0, at - 60):at + len(text) + 30].split())


# --- the matcher on crafted cells ---------------------------------------------------------

def crafted(markdown: str, code: str = "", printed: str = "", hidden: bool = False):
    cell = nbformat.v4.new_code_cell(code, outputs=[nbformat.v4.new_output("stream", text=printed)])
    if hidden:
        cell.metadata["jupyter"] = {"source_hidden": True}
    return nbformat.v4.new_notebook(cells=[cell, nbformat.v4.new_markdown_cell(markdown)])


def test_the_matcher_fails_a_number_that_is_not_printed():
    assert unbacked(crafted("The loss ends at 0.35.", printed="loss 0.41\n"), "x", []) == [
        "0.35: The loss ends at 0.35."]
    assert unbacked(crafted("All 442 patients.", printed="441 patients\n"), "x", [])


def test_the_matcher_accepts_a_number_printed_with_more_digits_and_rounds_honestly():
    assert not unbacked(crafted("The loss ends at 0.35.", printed="loss 0.3512\n"), "x", [])
    assert unbacked(crafted("The loss ends at 0.35.", printed="loss 0.3551\n"), "x", [])  # rounds to 0.36
    assert unbacked(crafted("The loss ends at 0.35.", printed="loss 0.4\n"), "x", [])     # too few digits
    assert not unbacked(crafted("87% on-brand, 2.5x faster, 1,438 rows.",
                                printed="0.873 on-brand; 2.53 times; 1438 rows\n"), "x", [])


def test_the_matcher_accepts_a_number_in_a_visible_code_cell_only():
    assert not unbacked(crafted("We use a rate of 0.05.", code="lr = 0.05\nprint(lr * 2)"), "x", [])
    assert not unbacked(crafted("We use a rate of 0.10.", code="lr = 0.1"), "x", [])
    assert unbacked(crafted("We use a rate of 0.05.", code="lr = 0.05", hidden=True), "x", [])
    assert unbacked(crafted("We use a rate of 0.05.", code="# lr 0.05\nlabel = 'lr 0.05'"), "x", [])


def test_the_rules_leave_out_names_ordinals_code_and_math():
    markdown = """## 10. Section 12 and lessons 4-7

10. a list item; see section 11, Task 12 and lessons 10 to 12
Inline `lr=0.05` and math $2/L$ and $$0.1 x_1^2$$, float64, 64-bit, L2, the 10th step,
3 steps, 2/L, in 2017, (Smith et al., 2019), [a link](https://example.org/v1.25).
"""
    assert prose_numbers(markdown) == []
    assert [n.text for n in prose_numbers("a batch of 16 is 2.5x; 0.5 and 5% and 1e-5; 2017 rows")] == [
        "16", "2.5x", "0.5", "5%", "1e-5", "2017"]
    assert [n.text for n in prose_numbers("batches 1, 8 and\n64. Then in 2000 steps, $2.98 and 1,438.")] == [
        "64", "2000", "2.98", "1,438"]
    assert [n.text for n in prose_numbers("as in lesson 5, 300 steps")] == ["300"]
    assert [n.text for n in prose_numbers("at $0.85 an hour, $2.98 in all; $x_1 = 2.5$")] == ["0.85", "2.98"]


def test_an_allowlist_entry_backs_the_numbers_of_its_phrase_in_its_notebooks_only():
    entry = {"notebooks": "course/09_*", "phrase": "the brief's 87% on-brand", "reason": "quoted from the brief"}
    notebook = crafted("In the brief's\n87% on-brand rating, 87% is high.")
    assert unbacked(notebook, "course/09_finetuning_case_study.ipynb", [entry]) == [
        "87%: In the brief's 87% on-brand rating, 87% is high."]   # the second 87% is outside the phrase
    assert len(unbacked(notebook, "course/08_gradient_clipping.ipynb", [entry])) == 2


# --- the allowlist and the course ---------------------------------------------------------

def test_the_allowlist_is_short_and_every_entry_has_a_reason_and_a_use():
    allowlist = load_allowlist()
    assert len(allowlist) <= MAX_ALLOWLIST, f"{len(allowlist)} entries: print the numbers instead"
    cells = {where_of(path): [cell.source for cell in nbformat.read(path, as_version=4).cells
                              if cell.cell_type == "markdown"] for path in NOTEBOOKS}
    for entry in allowlist:
        assert entry.get("reason", "").strip(), f"no reason for {entry}"
        assert prose_numbers(entry["phrase"]), f"no number to allow in {entry}"
        used = [where for where, sources in cells.items() if applies(entry, where)
                and any(phrase_pattern(entry["phrase"]).search(source) for source in sources)]
        assert used, f"unused allowlist entry (its phrase is in none of its notebooks): {entry}"


def where_of(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=where_of)
def test_every_prose_number_is_printed_in_its_notebook(path):
    problems = unbacked(nbformat.read(path, as_version=4), where_of(path), load_allowlist())
    assert not problems, (f"{where_of(path)}: numbers in the prose that the notebook neither prints nor "
                          "shows in a code cell (print them, rephrase, or allowlist with a reason):\n  "
                          + "\n  ".join(problems))
