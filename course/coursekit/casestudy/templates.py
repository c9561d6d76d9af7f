"""Word lists shared by every writer of the case study's copy, and the template machinery.

A template is text with ``{slot}`` fields; :func:`fill` picks a value for each slot from a word
list (a capitalised ``{Slot}`` gets a capital first letter) and :func:`template_regex` compiles
a template back into a pattern that matches every line it can produce, so that a simulated
reader can tell which template, if any, a sentence came from.
"""

from __future__ import annotations

import random
import re

__all__ = ["PLACES", "TIMES", "WEATHER", "MATERIALS", "OUTDOOR_PRODUCTS", "fill", "template_regex",
           "words_of_template"]

# The coastal and outdoor imagery every calm brand can use (the client included).
PLACES = [
    "the harbour wall", "the cliff path", "the north shore", "a grey beach", "the ferry deck",
    "the dunes", "the estuary", "the headland", "the old quay", "the allotment",
]
TIMES = [
    "first light", "low tide", "a long weekend", "the school run", "late October",
    "a wet Tuesday", "the walk home", "early mornings", "the last ferry", "winter evenings",
]
WEATHER = [
    "salt air", "sideways rain", "a sea fog", "the wind off the water", "a cold snap",
    "the first frost", "a summer squall", "drizzle",
]
MATERIALS = [
    "recycled wool", "organic cotton", "waxed canvas", "undyed linen", "reclaimed nylon",
    "recycled plastic", "plant-based materials", "responsibly sourced beans",
]
OUTDOOR_PRODUCTS = [
    "waxed jacket", "wool jumper", "rain shell", "canvas tote", "field coat", "linen shirt",
    "fisherman's beanie", "harbour smock", "merino scarf", "bucket hat",
]

_SLOT = re.compile(r"\{(\w+)\}")
_A_BEFORE_VOWEL = re.compile(r"\b([Aa]) (?=(?:[aeio]|un|hon)\w)")


def _articles(text: str) -> str:
    """'a honest' -> 'an honest', 'A unfussy' -> 'An unfussy' (but 'a useful' stays)."""
    return _A_BEFORE_VOWEL.sub(lambda m: m.group(1) + "n ", text)


def fill(template: str, rng: random.Random, slots: dict) -> str:
    """Fill every {slot} from ``slots`` (a capitalised {Slot} gets a capital first letter).

    A slot named twice in one template gets the same value both times.
    """
    chosen: dict[str, str] = {}

    def pick(match: re.Match) -> str:
        name = match.group(1)
        key = name.lower()
        if key not in chosen:
            options = slots[key]
            chosen[key] = options if isinstance(options, str) else rng.choice(options)
        value = chosen[key]
        return value[0].upper() + value[1:] if name[0].isupper() else value

    return _articles(_SLOT.sub(pick, template))


def _options(name: str, slots: dict) -> list[str]:
    options = slots[name.lower()]
    options = [options] if isinstance(options, str) else list(options)
    if name[0].isupper():
        options = [o[0].upper() + o[1:] for o in options]
    return options


def template_regex(template: str, slots: dict) -> str:
    """A regular expression (text) matching every filling of ``template`` (articles included)."""
    parts, pos = [], 0
    for m in _SLOT.finditer(template):
        parts.append(re.escape(template[pos:m.start()]))
        options = sorted(_options(m.group(1), slots), key=len, reverse=True)
        parts.append("(?:" + "|".join(re.escape(o) for o in options) + ")")
        pos = m.end()
    parts.append(re.escape(template[pos:]))
    # "a" before a slot may have become "an" (see _articles)
    return "".join(parts).replace(r"a\ (?:", r"an?\ (?:").replace(r"A\ (?:", r"An?\ (?:")


def words_of_template(template: str, slots: dict) -> str:
    """Every word ``template`` can write, as one text (for building a vocabulary)."""
    pieces = [_SLOT.sub(" ", template)]
    for m in _SLOT.finditer(template):
        pieces.extend(_options(m.group(1), slots))
    return " ".join(pieces) + " an An"
