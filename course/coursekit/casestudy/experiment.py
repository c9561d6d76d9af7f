"""The case study's measurements, shared by the notebook, its record and the tests.

* :func:`training_lines` picks the lines one epoch passes over (a fixed random subset on a CPU);
* :func:`model_screener` turns a language model into a pre-screener, every choice made on the
  screening set;
* :class:`Row` is one line of the screening table (a screener's test predictions, its accuracy
  and 95% interval);
* :func:`rate_generated` has the simulated creative team rate generated copy;
* :func:`summarise` and :func:`record_status` keep a record of one run of the notebook
  (``course/models/casestudy_record.json``) that the tests read instead of re-running six
  fine-tunes: the notebook checks, every time it runs, that it still matches the record.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import voice
from .evaluation import accuracy, best_on_validation, wilson_interval
from .lm import MODELS_DIR, log_likelihood

__all__ = ["training_lines", "model_screener", "Row", "rate_generated", "approvals", "novelty", "summarise",
           "record_status", "write_record", "load_record", "RECORD_PATH", "RECORD_ENV", "CHAOTIC_KEYS"]

RECORD_PATH = MODELS_DIR / "casestudy_record.json"
RECORD_ENV = "CASESTUDY_WRITE_RECORD"  # set (by tools/casestudy/record_results.py) to rewrite the record


def training_lines(lines, count: int, seed: int = 0) -> list[str]:
    """The ``count`` lines an epoch passes over: a fixed random subset (all of them when count is
    the archive's size), the same for every run so that runs differ only in their recipe and seed."""
    order = np.random.default_rng(seed).permutation(len(lines))
    return [lines[i] for i in order[:count]]


def model_screener(model, screen_ids, test_ids, screen_labels, base_scores=None):
    """A language model as a pre-screener: (name of the chosen score, its Screener, the chosen
    score on the screening lines, on the test lines).

    Candidate scores: the model's log-likelihood of a line (per word) and, when ``base_scores``
    (the base model's (screening, test) log-likelihoods) are given, how much more likely the
    model finds the line than the base model does. The score, its threshold and its direction
    (high or low scores on-brand) are chosen on the screening set alone.
    """
    scores = (log_likelihood(model, screen_ids), log_likelihood(model, test_ids))
    candidates = {"log-likelihood": scores}
    if base_scores is not None:
        candidates["minus base"] = (scores[0] - base_scores[0], scores[1] - base_scores[1])
    fitted, chosen = best_on_validation(candidates, screen_labels, either_direction=True)
    screener, test_scores = fitted[chosen]
    return chosen, screener, candidates[chosen][0], test_scores


@dataclass
class Row:
    """One screener in the table: its name, how it decides, and its predictions on the test lines."""

    name: str
    how: str
    predictions: np.ndarray

    def correct(self, labels) -> np.ndarray:
        return np.asarray(self.predictions).astype(bool) == np.asarray(labels).astype(bool)

    def accuracy(self, labels) -> float:
        return accuracy(self.predictions, labels)

    def interval(self, labels) -> tuple[float, float]:
        return wilson_interval(int(self.correct(labels).sum()), len(labels))


def approvals(lines, name: str) -> list[bool]:
    """The creative team's verdict on each generated line: one seeded draw of the raters' noise
    (seeded by ``name``), so that a subset of the lines can be counted from the same votes."""
    return [bool(voice.panel_label(v)) for v in voice.panel_votes(lines, random.Random(f"generated/{name}"))]


def rate_generated(lines, name: str) -> tuple[int, float]:
    """The creative team rates generated copy: (lines the panel approved, expected share approved).

    The votes are one seeded draw of the raters' noise (:func:`approvals`); the expected share is
    exact (the mean probability that the panel approves each line), free of that draw.
    """
    approved = sum(approvals(lines, name))
    expected = float(np.mean([voice.panel_probability(voice.voice_score(t)) for t in lines]))
    return approved, expected


def novelty(lines, archive, n: int = 12) -> dict:
    """How much of generated copy is new: the share of ``lines`` that repeat an archive line
    word for word, and the share that contain a run of ``n`` words and marks found in some
    archive line (copied phrasing, even inside a new line)."""
    from .tokenizer import WordTokenizer

    known = set(archive)
    grams = {tuple(t[i:i + n]) for line in archive for t in [WordTokenizer.split(line)] for i in range(len(t) - n + 1)}
    repeats = [line in known for line in lines]
    copied = [any(tuple(t[i:i + n]) in grams for i in range(len(t) - n + 1))
              for t in (WordTokenizer.split(line) for line in lines)]
    total = max(len(lines), 1)
    return dict(lines=len(lines), repeats=sum(repeats) / total, copied_ngram=sum(copied) / total, n=n)


def _bits(values) -> str:
    return "".join("1" if v else "0" for v in np.asarray(values).astype(bool))


def _round(x, digits: int = 5):
    if isinstance(x, dict):
        return {str(k): _round(v, digits) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_round(v, digits) for v in x]
    if isinstance(x, (float, np.floating)):
        return round(float(x), digits)
    if isinstance(x, np.integer):
        return int(x)
    return x


def summarise(*, labels, rows, labels_100=None, rows_100=(), **measured) -> dict:
    """What the tests need from one run of the notebook, JSON-ready and rounded (5 decimals):
    the fresh test set's labels and every row's predictions on it, the same on the brief's 100
    lines when given, and any further ``measured`` values."""
    out = {"fresh_labels": _bits(labels), "rows": {r.name: _bits(r.predictions) for r in rows}}
    if labels_100 is not None:
        out.update(test_labels=_bits(labels_100), rows_100={r.name: _bits(r.predictions) for r in rows_100})
    out.update(_round(measured))
    return out


def load_record(path=RECORD_PATH) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def write_record(summary: dict, path=RECORD_PATH) -> Path:
    from minigrad.utils.files import atomic_write

    path = Path(path)
    with atomic_write(path, "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=1, sort_keys=True)
        f.write("\n")
    return path


# Run A's own numbers: at the naive rate training is chaotic (a difference in the 16th digit,
# such as another processor's rounding in a matrix product, grows into another run, as another
# seed does). Another processor reproduces everything else in the record to every digit kept.
CHAOTIC_KEYS = ("best3_a", "general_a", "spike_a", "val_a", "verdict_a3", "misconfigured")


def _chaotic(key: str) -> bool:
    return key in CHAOTIC_KEYS or key.startswith("misconfigured")


def _flatten(summary: dict) -> dict:
    """Nested per-screener entries as their own keys ("rows/misconfigured 0"), so that the chaotic
    ones can be told apart from the rest."""
    out = {}
    for key, value in summary.items():
        if isinstance(value, dict) and key in ("rows", "rows_100", "on_screening", "generated", "chosen_scores",
                                               "auc", "novelty"):
            out.update({f"{key}/{k}": v for k, v in value.items()})
        else:
            out[key] = value
    return out


def record_status(summary: dict, path=RECORD_PATH) -> str:
    """Does this run match the record the tests read? One line, to print in the notebook."""
    path = Path(path)
    if not path.exists():
        return f"no record at {path.name}: run python tools/casestudy/record_results.py"
    record = _flatten(load_record(path))
    summary = _flatten(json.loads(json.dumps(summary, sort_keys=True)))  # the same types as after a round trip
    differ = sorted(k for k in set(record) | set(summary) if record.get(k) != summary.get(k))
    stable = [k for k in differ if not _chaotic(k.split("/")[-1])]
    if not differ:
        return f"this run matches the record the tests read ({path.name}): {len(summary)} entries"
    if not stable:
        return (f"this run matches the record the tests read ({path.name}) except run A's own numbers "
                f"({len(differ)} entries): at the naive rate, rounding on another processor grows into another run, "
                f"as another seed does; the lesson says only what holds for every seed")
    return (f"this run differs from {path.name} in {', '.join(stable)}: re-run "
            f"python tools/casestudy/record_results.py, then the tests")
