"""Alder & Tide's brand voice as a distribution of soft habits, the writers who draft copy for
it, and the simulated creative team that rates the copy.

The voice is not a list of templates. Every draft about the client's products, whoever writes
it, is a sequence of sentences from one shared **sentence inventory** (the client's words,
products and local phrases). What separates on-brand from off-brand copy is how the sentences
are put together, which the voice guide describes as habits:

* short sentences in a short line (two to four sentences; a sentence of more than
  ``LONG_SENTENCE_WORDS`` words is long);
* sensory, coastal images, ideally first;
* it signs off at the end ("Alder & Tide." or "Made for the long way round."), never midway;
* it seldom asks questions, and never talks about itself ("We believe..."), pushes ("Find
  yours in store."), boasts ("Our warmest...") or flatters ("You deserve...");
* never an exclamation mark, hype or a discount.

:func:`features` reads these habits off any text (generated copy included) and
:func:`voice_score` weighs them into one number, the line's **latent voice score**. Three
simulated raters (:data:`RATERS`) each judge ``score - strictness + noise > 0``, with an
occasional lapse (a random vote); the **panel's label** is the majority. Because the noise is
known, :func:`panel_probability` gives the exact probability that the panel approves a line,
and from it the best accuracy any screener can reach on the panel's labels (the ceiling).

Three kinds of writer draft copy (:func:`draft`): the **house** team, who know the habits and
mostly keep them; **freelancers**, who have read the archive and use its words and phrases but
not its habits (the near misses); and **recycled** copy from other accounts, in another house
voice altogether. Every parameter here was fixed, with its reason, before any model was
trained; the freelancers' habits and the category copy were then changed once, when the first
version proved too easy for a model-free screener. ``course/data/brand_voice/DATA_CARD.md``
records both versions and why.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass

from .templates import MATERIALS, OUTDOOR_PRODUCTS, PLACES, TIMES, WEATHER, fill, template_regex, \
    words_of_template

__all__ = [
    "CLIENT", "SENTENCES", "SLOTS", "LONG_SENTENCE_WORDS", "WEIGHTS", "HABITS", "Rater", "RATERS",
    "WRITER_SHARES", "split_sentences", "sentence_kind", "features", "voice_score", "draft",
    "rater_probability", "panel_probability", "panel_votes", "panel_label", "ceiling_predictions",
    "vocabulary_text", "category_line", "HOUSE", "FREELANCE", "CATEGORY", "MAX_TOKENS",
]

CLIENT = "Alder & Tide"

SLOTS = dict(
    product=OUTDOOR_PRODUCTS, place=PLACES, time=TIMES, weather=WEATHER, material=MATERIALS[:5],
    sensory=[
        "Wool that smells faintly of woodsmoke", "Cotton that softens with every wash",
        "Waxed canvas that creases where you do", "Seams taped by hand",
        "Buttons you can work with cold fingers", "A collar that stands up to the wind",
        "Pockets deep enough for a flask", "Linen that forgives a long day",
        "A hood that stays put in a gale", "Cuffs that keep the weather out",
        "Stitching you could pass down", "Colours taken from the shoreline",
    ],
    quality=["unfussy", "hard-wearing", "quiet", "honest", "warm", "useful", "patient", "plain"],
    duration=["year after year", "season after season", "walk after walk", "tide after tide",
              "winter after winter"],
    hype=["amazing", "epic", "a must-have", "game-changing", "iconic"],
    pct=["10", "20", "25", "30", "40"],
    day=["Sunday", "Friday", "midnight", "tonight"],
)

# The shared sentence inventory, by kind. Every writer draws from it; the kinds a writer picks,
# how many and in what order is what makes copy sound like the client or not.
SENTENCES = {
    # the client's habits
    "image": ["{Sensory}.", "{Weather} on {place}.", "{Time} on {place}.", "{Place} at {time}.",
              "Salt on the cuffs.", "Sand in the seams."],
    "product": ["The {product}, made for {time}.", "The {product} keeps out {weather}.",
                "Bring the {product}.", "The {product}, in {material}.", "A {product} for {place}.",
                "The {product} does not shout."],
    "value": ["Quietly made, properly {quality}.", "{Quality} by design.", "Worn for years.",
              "Mended, not replaced.", "Made in small runs from {material}.", "Free repairs for life.",
              "It keeps going, {duration}."],
    "signoff": ["Alder & Tide.", "Made for the long way round."],
    # allowed, but not the client's rhythm
    "long": ["The {product} is made for {place} at {time}, and it keeps out {weather} {duration}.",
             "When {weather} comes in over {place}, the {product} keeps you warm and dry all the way home.",
             "Made in small runs from {material}, the {product} is {quality} enough for {place} and {time}.",
             "{Sensory}, and a {product} that will see you through {time} on {place}."],
    "question": ["{Weather} on {place}?", "Out on {place} at {time}?", "Heading for {place}?"],
    # what it never says (soft: a rater may forgive one in an otherwise good line)
    "we": ["We make the {product} from {material}.", "We believe in {quality} things.",
           "At Alder & Tide, we take our time.", "Our {product} is made to last."],
    "push": ["Find yours in store.", "See the full range online.", "Discover the {product} today.",
             "Get yours before {time}."],
    "boast": ["Our warmest {product} yet.", "The best {product} for {place}.",
              "The most {quality} {product} we have ever made."],
    "flattery": ["You deserve a {product} that keeps up.", "Treat yourself to the {product}.",
                 "Because you are worth it."],
    # what it never says (hard)
    "hype": ["Simply {hype}.", "The {product} is {hype}."],
    "discount": ["Now {pct}% off.", "Sale ends {day}.", "Buy one, get one half price.",
                 "Limited stock, order today."],
}
SOFT_NEVER = ("we", "push", "boast", "flattery")
HARD_NEVER = ("hype", "discount")
LONG_SENTENCE_WORDS = 10

# The voice guide as points: what one habit kept or broken moves a rater by. A line needs at
# least one positive habit (an image first, a sign-off last) to be more likely approved than not.
WEIGHTS = dict(
    bias=-0.5,
    signoff_last=0.8,       # signs off at the end
    signoff_elsewhere=-1.0,  # each sign-off that is not the last sentence
    image_first=0.5,        # opens on an image
    image=0.4,              # each image sentence, at most two counted
    long=-0.7,              # each sentence of more than LONG_SENTENCE_WORDS words
    extra_sentence=-0.6,    # each sentence beyond four
    single_sentence=-0.4,   # a one-sentence line
    question=-0.5,          # each question
    soft_never=-1.0,        # each we / push / boast / flattery sentence
    hard_never=-3.0,        # each hype or discount sentence, and each exclamation mark
    foreign=-3.0,           # each sentence not in the inventory (another voice, or garbled)
)

HABITS = dict(
    bias="every line starts here",
    signoff_last="signs off at the end (\"Alder & Tide.\" or \"Made for the long way round.\")",
    signoff_elsewhere="each sign-off that is not the last sentence",
    image_first="opens on a sensory or coastal image",
    image="each image sentence (at most two count)",
    long=f"each sentence of more than {LONG_SENTENCE_WORDS} words",
    extra_sentence="each sentence beyond four",
    single_sentence="a line of one sentence",
    question="each question",
    soft_never="each sentence about itself (we), pushing (find yours), boasting (our warmest) or flattering (you deserve)",
    hard_never="each exclamation mark, hype word or discount",
    foreign="each sentence the voice never uses (another house's voice, or garbled)",
)


@dataclass(frozen=True)
class Rater:
    """One member of the creative team: votes on-brand when ``score - strictness + noise > 0``
    (noise ~ Normal(0, ``noise``)); with probability ``lapse`` the vote is a coin flip instead."""

    role: str
    strictness: float
    noise: float
    lapse: float


RATERS = (
    Rater("creative director", strictness=0.25, noise=0.6, lapse=0.02),
    Rater("senior copywriter", strictness=0.0, noise=0.8, lapse=0.04),
    Rater("client's brand manager", strictness=-0.25, noise=1.0, lapse=0.06),
)

# Who drafts the copy the agency screens (and, once approved, archives).
WRITER_SHARES = {"house": 0.5, "freelance": 0.35, "recycled": 0.15}

# House writers: how long a line is, how it opens and ends, and what fills the middle.
HOUSE = dict(
    lengths={2: 0.30, 3: 0.45, 4: 0.25},
    first={"image": 0.70, "product": 0.20, "value": 0.10},
    signoff_last=0.75,
    middle={"product": 0.40, "value": 0.30, "image": 0.20, "long": 0.04, "question": 0.02,
            "we": 0.01, "push": 0.01, "boast": 0.01, "flattery": 0.01},
    slip=0.01,  # a hype or discount sentence, or an exclamation mark
)
# Freelancers (the near misses): they have read the archive and write its phrases in the
# archive's own mix (the house's middle sentences), but not its habits: longer lines, seldom an
# image first, the sign-off anywhere or nowhere. (Second version of the voice; see the data card
# for the first, whose freelancers also over-used the rare kinds, which any n-gram memory spots.)
FREELANCE = dict(
    lengths={2: 0.05, 3: 0.20, 4: 0.30, 5: 0.30, 6: 0.15},
    first={"product": 0.50, "value": 0.30, "image": 0.20},
    signoff={"last": 0.30, "first": 0.20, "middle": 0.25, "none": 0.25},
    middle=HOUSE["middle"],
    slip=0.05,
)
# Other coastal and craft makers write in the same category language: the inventory's
# sentences, in any order, signed with their own name. They are in the general corpus, so a
# pre-trained model knows the phrases; only the client's habits are the client's.
CATEGORY = dict(
    brands=["Fellstone", "Fernhill Workwear", "Tideline Swim", "Saltmarsh Goods"],
    lengths={1: 0.2, 2: 0.2, 3: 0.2, 4: 0.2, 5: 0.2},
    kinds=("image", "product", "value", "long", "question", "we", "push", "boast", "flattery"),
    signed=0.5,  # share of lines signed with the maker's name, at a random place
)
MAX_TOKENS = 30  # the ad slot's limit: a draft longer than this (words and marks) is drawn again

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"[A-Za-z0-9]+(?:['\-][A-Za-z0-9]+)*")
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:['\-][A-Za-z0-9]+)*|[^\sA-Za-z0-9]")
_KIND_ORDER = ("hype", "discount", "we", "push", "boast", "flattery", "signoff", "image", "product",
               "value", "long", "question")
_KIND_PATTERNS = {kind: re.compile("|".join(f"(?:{template_regex(t, SLOTS)})" for t in SENTENCES[kind]))
                  for kind in _KIND_ORDER}


def split_sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text.strip()) if s]


def sentence_kind(sentence: str) -> tuple[str, bool]:
    """(kind, exclaimed) of one sentence; kind ``"foreign"`` when it is not in the inventory."""
    exclaimed = sentence.endswith("!")
    if exclaimed:
        sentence = sentence[:-1] + "."
    for kind in _KIND_ORDER:
        if _KIND_PATTERNS[kind].fullmatch(sentence):
            return kind, exclaimed
    if exclaimed:  # a question with "!" instead of "?"
        if _KIND_PATTERNS["question"].fullmatch(sentence[:-1] + "?"):
            return "question", True
    return "foreign", exclaimed


def features(text: str) -> dict:
    """The voice guide's habits, counted in ``text``."""
    sentences = split_sentences(text)
    parsed = [sentence_kind(s) for s in sentences]
    kinds = [k for k, _ in parsed]
    n = len(kinds)
    signoffs = [i for i, k in enumerate(kinds) if k == "signoff"]
    return dict(
        sentences=n,
        kinds=kinds,
        signoff_last=int(bool(n) and kinds[-1] == "signoff"),
        signoff_elsewhere=sum(1 for i in signoffs if i != n - 1),
        image_first=int(bool(n) and kinds[0] == "image"),
        image=min(kinds.count("image"), 2),
        long=sum(1 for s in sentences if len(_WORD.findall(s)) > LONG_SENTENCE_WORDS),
        extra_sentence=max(0, n - 4),
        single_sentence=int(n == 1),
        question=kinds.count("question"),
        soft_never=sum(kinds.count(k) for k in SOFT_NEVER),
        hard_never=sum(kinds.count(k) for k in HARD_NEVER) + text.count("!"),
        foreign=kinds.count("foreign") + int(n == 0),
    )


def voice_score(text: str) -> float:
    """The line's latent voice score: the voice guide's points for the habits it keeps and breaks."""
    f = features(text)
    return WEIGHTS["bias"] + sum(WEIGHTS[name] * f[name] for name in WEIGHTS if name != "bias")


# ----------------------------------------------------------------------------------------
# Writers
# ----------------------------------------------------------------------------------------


def _choice(rng: random.Random, table: dict):
    keys = list(table)
    return rng.choices(keys, weights=[table[k] for k in keys])[0]


def _house_kinds(rng: random.Random) -> list[str]:
    n = _choice(rng, HOUSE["lengths"])
    kinds = [_choice(rng, HOUSE["first"])]
    last = "signoff" if rng.random() < HOUSE["signoff_last"] else None
    while len(kinds) < n - (last is not None):
        kinds.append(_choice(rng, HOUSE["middle"]))
    return kinds + ([last] if last else [])


def _freelance_kinds(rng: random.Random) -> list[str]:
    n = _choice(rng, FREELANCE["lengths"])
    where = _choice(rng, FREELANCE["signoff"])
    body = n - (where != "none")
    kinds = [_choice(rng, FREELANCE["first"])] + [_choice(rng, FREELANCE["middle"]) for _ in range(body - 1)]
    if where == "last":
        kinds.append("signoff")
    elif where == "first":
        kinds.insert(0, "signoff")
    elif where == "middle":
        kinds.insert(rng.randint(1, max(1, len(kinds) - 1)), "signoff")
    return kinds


def category_line(rng: random.Random) -> str:
    """A line by another coastal maker: the shared inventory in no particular order (general corpus)."""
    while True:
        brand = rng.choice(CATEGORY["brands"])
        kinds = [rng.choice(CATEGORY["kinds"]) for _ in range(_choice(rng, CATEGORY["lengths"]))]
        sentences = [fill(rng.choice([t for t in SENTENCES[k] if CLIENT not in t]), rng, SLOTS) for k in kinds]
        if rng.random() < CATEGORY["signed"]:
            sentences.insert(rng.randint(0, len(sentences)), f"{brand}.")
        text = " ".join(sentences)
        if len(_TOKEN.findall(text)) <= MAX_TOKENS:
            return text


def _slip(kinds: list[str], rng: random.Random) -> list[str]:
    """One hard slip: a hype or discount sentence in place of one, or an exclamation mark."""
    kinds = list(kinds)
    what = rng.choice(["hype", "discount", "exclaim"])
    i = rng.randrange(len(kinds))
    if what == "exclaim":
        kinds[i] = kinds[i] + "!"
    else:
        kinds[i] = what
    return kinds


def _write(kinds: list[str], rng: random.Random) -> str:
    sentences = []
    for kind in kinds:
        exclaim = kind.endswith("!")
        text = fill(rng.choice(SENTENCES[kind.rstrip("!")]), rng, SLOTS)
        if exclaim:
            text = text[:-1] + "!"
        sentences.append(text)
    return " ".join(sentences)


def draft(rng: random.Random, writer: str, recycled=None) -> str:
    """One draft about the client's products by ``writer`` ('house', 'freelance' or 'recycled').

    ``recycled(rng)`` writes a line in another house voice (supplied by the data module, which
    owns the general corpus's voices).
    """
    while True:
        if writer == "recycled":
            text = recycled(rng)
        else:
            kinds = _house_kinds(rng) if writer == "house" else _freelance_kinds(rng)
            if rng.random() < (HOUSE if writer == "house" else FREELANCE)["slip"]:
                kinds = _slip(kinds, rng)
            text = _write(kinds, rng)
        if len(_TOKEN.findall(text)) <= MAX_TOKENS:
            return text


# ----------------------------------------------------------------------------------------
# The creative team
# ----------------------------------------------------------------------------------------


def _normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def rater_probability(score: float, rater: Rater) -> float:
    """Probability that ``rater`` votes on-brand for a line of latent score ``score`` (exact)."""
    judged = _normal_cdf((score - rater.strictness) / rater.noise)
    return (1.0 - rater.lapse) * judged + rater.lapse * 0.5


def panel_probability(score: float, raters=RATERS) -> float:
    """Probability that a majority of ``raters`` votes on-brand (exact: votes are independent given the score)."""
    probs = [rater_probability(score, r) for r in raters]
    need = len(raters) // 2 + 1
    dist = [1.0]  # distribution of the number of on-brand votes so far
    for p in probs:
        dist = [(dist[k] if k < len(dist) else 0.0) * (1 - p) + (dist[k - 1] * p if k >= 1 else 0.0)
                for k in range(len(dist) + 1)]
    return float(sum(dist[need:]))


def panel_votes(texts, rng: random.Random, raters=RATERS) -> list[str]:
    """Each rater's vote on each text, as a string of 0s and 1s in the order of ``raters``
    ("110": the first two voted on-brand). One seeded draw of the team's noise."""
    out = []
    for text in texts:
        score = voice_score(text)
        votes = []
        for r in raters:
            if rng.random() < r.lapse:
                votes.append(rng.random() < 0.5)
            else:
                votes.append(score - r.strictness + rng.gauss(0.0, r.noise) > 0)
        out.append("".join("1" if v else "0" for v in votes))
    return out


def panel_label(votes: str) -> int:
    """The panel's label: 1 (on-brand) when a majority voted on-brand."""
    return int(2 * votes.count("1") > len(votes))


def ceiling_predictions(texts, raters=RATERS) -> tuple[list[int], list[float]]:
    """The best possible screener's predictions (on-brand when the panel approves with
    probability above one half) and that probability, for each text.

    No screener can do better on average: it would have to predict the raters' noise.
    """
    probs = [panel_probability(voice_score(t), raters) for t in texts]
    return [int(p > 0.5) for p in probs], probs


def vocabulary_text() -> str:
    """Every word and mark the sentence inventory can write (for the tokenizer's vocabulary)."""
    return " ".join(words_of_template(t, SLOTS) for templates in SENTENCES.values() for t in templates) + " ! ?"
