"""The rule-based brand filter the agency used before fine-tuning: keyword and style rules.

The rules are written from Alder & Tide's voice guide (calm, plain, no exclamation marks,
no discounts or hype, coastal imagery, short lines), the way an agency would write them by
hand, without looking at model scores. A line is on-brand when it passes every rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

__all__ = ["Rule", "BRAND_RULES", "BrandRuleFilter"]

_WORD = re.compile(r"[A-Za-z0-9]+(?:['\-][A-Za-z0-9]+)*")

DISCOUNT_WORDS = {"sale", "deal", "deals", "discount", "offer", "hurry", "limited", "save",
                  "price", "free", "buy", "shop", "order"}
HYPE_WORDS = {"amazing", "epic", "must-have", "game-changing", "iconic", "incredible",
              "unbeatable", "ultimate", "revolutionary", "best", "obsessed", "magic"}
SPEC_WORDS = {"specs", "engineered", "delivers", "features", "performance", "advanced",
              "next-generation", "precision"}
COASTAL_WORDS = {"tide", "sea", "salt", "shore", "shoreline", "coast", "harbour", "quay",
                 "estuary", "dunes", "beach", "headland", "cliff", "ferry", "rain", "wind",
                 "fog", "weather", "frost", "drizzle", "squall", "gale", "water"}
MAX_WORDS = 25


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _lower_words(text: str) -> set[str]:
    return {w.lower() for w in _words(text)}


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    passes: Callable[[str], bool]


BRAND_RULES = (
    Rule("no exclamation marks", "Calm voice: never an exclamation mark.",
         lambda t: "!" not in t),
    Rule("no shouting", "No word of three or more letters in capitals (HURRY, SALE).",
         lambda t: not any(len(w) >= 3 and w.isupper() for w in _words(t))),
    Rule("no discounts", "No per cent signs and no sales words (sale, offer, free, buy...).",
         lambda t: "%" not in t and not (_lower_words(t) & DISCOUNT_WORDS)),
    Rule("no hype", "No hype words (amazing, epic, iconic, best...).",
         lambda t: not (_lower_words(t) & HYPE_WORDS)),
    Rule("plain language", "No spec-sheet words (engineered, delivers, features...) or '3x'.",
         lambda t: not (_lower_words(t) & SPEC_WORDS) and not re.search(r"\b\d+x\b", t)),
    Rule("short", f"At most {MAX_WORDS} words.",
         lambda t: len(_words(t)) <= MAX_WORDS),
    Rule("coastal imagery", "Mentions the sea, the coast or the weather (tide, salt, rain...).",
         lambda t: bool(_lower_words(t) & COASTAL_WORDS)),
)


class BrandRuleFilter:
    """Passes a line of copy when every rule passes; ``explain`` says which rules failed."""

    def __init__(self, rules=BRAND_RULES):
        self.rules = tuple(rules)

    def failed_rules(self, text: str) -> list[str]:
        return [r.name for r in self.rules if not r.passes(text)]

    def is_on_brand(self, text: str) -> bool:
        return not self.failed_rules(text)

    def predict(self, texts) -> list[int]:
        """1 for on-brand, 0 for off-brand, one per text."""
        return [int(self.is_on_brand(t)) for t in texts]

    def describe(self) -> list[tuple[str, str]]:
        """(name, description) of every rule, for a table in the notebook."""
        return [(r.name, r.description) for r in self.rules]
