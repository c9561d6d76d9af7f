"""The case study's data: seeded synthetic copy, rated by a simulated creative team, and loaders.

Two corpora come out of one seed:

* a **general marketing corpus** (38 fictional brands in ten product categories, each
  writing in one of eight house voices, mixed with everyday sentences about products) that
  the base model is pre-trained on;
* the copy of one fictional client, **Alder & Tide** (coastal outdoor clothing): drafts by
  three kinds of writer (``voice.draft``: the house team, freelancers who know the archive's
  words but not its habits, and copy recycled from other accounts), each rated by a simulated
  creative team of three (``voice.RATERS``; the label is the majority vote). The approved
  drafts are the client's **archive** (4,200 to train on, 420 to validate on); two further
  batches of drafts, rated the same way, are the **screening set** (840 lines, where screeners
  set their thresholds) and the **test set** (100 lines).

Why synthetic: real client archives are confidential, and a generator lets the course ship
small files, reproduce them byte for byte, and know exactly how noisy every label is. Every
parameter was fixed before any model was trained; ``course/data/brand_voice/DATA_CARD.md``
records them and why.

Run ``python tools/casestudy/generate_data.py`` to rewrite ``course/data/brand_voice/``;
``tests/test_casestudy_data.py`` checks the committed files are exactly what it produces.
"""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path
from typing import NamedTuple

from minigrad.utils.files import atomic_write

from . import voice as brand_voice
from .templates import MATERIALS, OUTDOOR_PRODUCTS, PLACES, TIMES, WEATHER
from .templates import fill as _fill
from .tokenizer import WordTokenizer

__all__ = [
    "DEFAULT_SEED",
    "DATA_DIR",
    "CLIENT",
    "SPLIT_SIZES",
    "generate_files",
    "write_dataset",
    "load_lines",
    "load_labelled",
    "Labelled",
    "vocabulary_texts",
    "recycled_line",
]

DEFAULT_SEED = 5
CLIENT = brand_voice.CLIENT
DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "brand_voice"

# How many lines of each kind the generator writes (the brief's 4,200 / 420 / 100).
SPLIT_SIZES = {
    "pretrain": 12000,  # general corpus, many brands and voices
    "client_train": 4200,  # approved drafts
    "client_val": 420,
    "screening_val": 840,  # rated drafts to choose screening thresholds on
    "test": 100,  # rated drafts, the held-out test
    "fresh_test": 2000,  # rated drafts, a larger held-out test drawn later (see FRESH_TEST_SEED)
}
# The larger test set was drawn after the rest, with its own seed, and fixed before any screener
# was scored on it: the original files stay byte for byte what they were.
FRESH_TEST_SEED = 2026
EVERYDAY_SHARE = 0.3  # share of the general corpus that is everyday sentences, not brand copy
CATEGORY_SHARE = 0.15  # share that is other coastal makers writing in the category's phrases

# --------------------------------------------------------------------------------------
# Shared word lists (templates.py): the coastal and outdoor imagery every calm brand can use.
# --------------------------------------------------------------------------------------
MOMENTS = [
    "family dinners", "Sunday mornings", "bedtime stories", "weekend adventures",
    "lazy mornings", "school holidays", "birthday parties", "movie nights",
]
DAYS = ["Sunday", "midnight", "Friday", "Monday", "tonight"]
PERCENTS = ["10", "15", "20", "25", "30", "40", "50"]
MULTIPLES = ["2", "3", "4", "5", "10"]

# --------------------------------------------------------------------------------------
# Product categories of the general corpus.
# --------------------------------------------------------------------------------------
CATEGORIES = {
    "coffee": dict(
        products=["espresso blend", "cold brew", "filter roast", "oat latte", "decaf roast",
                  "coffee subscription", "travel mug"],
        benefits=["A smoother morning cup", "Roasted fresh every week",
                  "Rich flavour without the bitterness", "Your daily ritual, improved"],
        features=["flavour", "freshness", "aroma"],
        specs=["a medium roast", "beans from a single farm", "a slow roast", "compostable pods"],
    ),
    "running": dict(
        products=["trail shoe", "race vest", "training tee", "running jacket", "sports watch",
                  "head torch"],
        benefits=["Lighter on every stride", "Grip that holds on wet rock",
                  "Comfort for the long miles", "Built for your next personal best"],
        features=["grip", "cushioning", "breathability"],
        specs=["a carbon plate", "a 4 mm drop", "reflective trims", "a lightweight mesh"],
    ),
    "outdoor": dict(
        products=OUTDOOR_PRODUCTS,
        benefits=["Keeps you dry when the weather turns", "Warm without the weight",
                  "Tough enough for every season", "Made to be worn for years"],
        features=["water resistance", "warmth", "durability"],
        specs=["taped seams", "a 3-layer membrane", "a dropped hem", "storm cuffs"],
    ),
    "skincare": dict(
        products=["night cream", "face serum", "daily moisturiser", "lip balm", "sun lotion",
                  "eye cream"],
        benefits=["Glowing skin in a week", "Hydration that lasts all day",
                  "Gentle on sensitive skin", "Your skin, only softer"],
        features=["hydration", "absorption", "protection"],
        specs=["hyaluronic acid", "vitamin C", "SPF 50", "no added fragrance"],
    ),
    "banking": dict(
        products=["savings account", "banking app", "credit card", "travel card",
                  "current account"],
        benefits=["Your money, sorted", "No hidden fees, ever",
                  "Save without thinking about it", "Banking that fits in your pocket"],
        features=["security", "speed", "savings"],
        specs=["instant notifications", "fee-free spending abroad", "round-up savings",
               "biometric login"],
    ),
    "travel": dict(
        products=["city break", "weekend getaway", "ferry pass", "rail pass", "cabin holiday",
                  "island tour"],
        benefits=["More time where it matters", "Adventure without the hassle",
                  "Memories that last a lifetime", "The break you deserve"],
        features=["flexibility", "comfort", "value"],
        specs=["free cancellation", "breakfast included", "flexible dates", "sea views"],
    ),
    "software": dict(
        products=["project planner", "design tool", "team chat", "invoice app", "cloud backup",
                  "photo editor"],
        benefits=["Less admin, more ideas", "Work together from anywhere",
                  "Everything in one place", "Set up in five minutes"],
        features=["speed", "reliability", "collaboration"],
        specs=["real-time sync", "offline mode", "end-to-end encryption", "smart templates"],
    ),
    "home": dict(
        products=["linen duvet cover", "scented candle", "wool blanket", "table lamp",
                  "cast iron pan", "bath towel"],
        benefits=["Make your home feel like home", "Softer with every wash",
                  "The finishing touch for any room", "Built to last a lifetime"],
        features=["comfort", "durability", "warmth"],
        specs=["stonewashed linen", "a hand-poured wax", "a dimmable bulb", "pre-seasoned iron"],
    ),
    "petfood": dict(
        products=["puppy food", "cat food", "dog bed", "grain-free kibble", "chew toy"],
        benefits=["Happy tails at every meal", "Nutrition they will love",
                  "Real ingredients, nothing else", "A healthier coat in weeks"],
        features=["nutrition", "taste", "digestion"],
        specs=["real chicken", "added omega oils", "no artificial colours", "vet-approved recipes"],
    ),
    "snacks": dict(
        products=["granola bar", "oat bar", "dark chocolate bar", "trail mix", "popcorn",
                  "sea salt crisp"],
        benefits=["Snack happy", "Big flavour, little guilt", "The perfect afternoon pick-me-up",
                  "Made with real ingredients"],
        features=["crunch", "flavour", "energy"],
        specs=["no palm oil", "high protein", "whole grains", "less sugar"],
    ),
}

# --------------------------------------------------------------------------------------
# The eight house voices of the general corpus. Slots: {brand} {product} {benefit} {adj}
# {adj2} {cta} {pct} {day} {num} {feature} {spec} {spec2} {place} {time} {weather}
# {material} {moment}. A capitalised slot ({Product}) starts a sentence.
# --------------------------------------------------------------------------------------
VOICES = {
    "playful": dict(
        adjs=["ridiculously comfy", "seriously fun", "totally delightful", "wildly good",
              "super easy", "a little bit magic", "amazing", "epic", "a must-have",
              "game-changing", "iconic"],
        ctas=["Go on, treat yourself", "Grab yours", "Come say hi", "Join the fun",
              "Try it today"],
        templates=[
            "Say hello to your new favourite {product}! {Benefit}. {Cta}!",
            "Psst! The {product} from {brand} is here, and it is {adj}!",
            "{Benefit}? Yes please! Grab the {product} from {brand} today!",
            "Warning: the {product} may cause extreme happiness. {Cta}!",
            "Meet the {product}. It is {adj}, and we are a little bit obsessed!",
            "Your {moment} just got better. The {product} from {brand} is {adj}!",
            "Simply {adj}! The {product} from {brand}. {Cta}!",
        ],
    ),
    "luxury": dict(
        adjs=["exquisite", "refined", "timeless", "opulent", "impeccable", "elegant"],
        ctas=["Discover the collection", "Experience it in store", "Reserve yours"],
        templates=[
            "{Brand}. The {product}, {adj}. For those who expect more.",
            "Exquisitely made. The {product} by {brand}. {Cta}.",
            "Timeless {product}, crafted with rare care. {Brand}.",
            "Indulge in the {product}. A truly {adj} expression of {brand}.",
            "Discover the {product}. {Benefit}, refined.",
            "The art of {feature}, perfected. The {adj} {product} from {brand}.",
        ],
    ),
    "urgent": dict(
        adjs=["unbeatable", "massive", "huge", "incredible"],
        ctas=["Shop now", "Buy now", "Order today", "Don't miss out"],
        templates=[
            "HURRY! {Pct}% off the {product} at {brand}. Ends {day}!",
            "LAST CHANCE: the {product} is {pct}% off. {Cta} before it is gone!",
            "Flash sale! Save {pct}% on every {product}. Today only at {brand}!",
            "Limited stock! Get the {product} for {pct}% less. Offer ends {day}.",
            "{Adj} deals on the {product} end {day}. {Cta} at {brand}!",
            "Free delivery on the {product} this weekend only. {Cta} at {brand}!",
            "The {product} from {brand}. Now {pct}% off. Sale ends {day}.",
            "Buy one, get one half price on the {product}. Limited stock, order today.",
        ],
    ),
    "technical": dict(
        adjs=["advanced", "precision", "high-performance", "next-generation"],
        ctas=["Learn more", "See the specs", "Compare models"],
        templates=[
            "The {product} from {brand} delivers {num}x better {feature}. {Cta}.",
            "Engineered for {feature}: the {adj} {product} features {spec}.",
            "{Num}x more {feature}. {Spec}. The {product} by {brand}.",
            "Specs that matter: {spec}, {spec2} and {num}x {feature}. {Cta}.",
            "Tested in the lab, proven in the field. The {product} offers {spec}.",
            "{Brand} {product}: {adj} {feature} with {spec}. {Cta}.",
        ],
    ),
    "warm": dict(
        adjs=["cosy", "lovely", "heart-warming", "friendly"],
        ctas=["Find yours today", "Share the love", "Bring one home"],
        templates=[
            "Because every moment matters, the {product} from {brand} is made for your family.",
            "Home is where the {product} is. {Brand}, with you for {moment}.",
            "For the little moments and the big ones: the {product} from {brand}.",
            "Made with love for {moment}. {Cta} at {brand}.",
            "Share {moment} with the people you love. The {adj} {product} from {brand}.",
            "{Benefit}, for the whole family. {Cta}.",
        ],
    ),
    "eco": dict(
        adjs=["sustainable", "responsible", "planet-friendly", "low-waste"],
        ctas=["Choose better", "Join the movement", "Make the switch"],
        templates=[
            "Made from {material}, the {product} is kinder to the planet. {Brand}.",
            "Good for you, better for the planet: the {product} from {brand}.",
            "Every {product} plants a tree. {Cta} with {brand}.",
            "Low impact, high standards. The {product} is made from {material}.",
            "We believe in fewer, better things. The {adj} {product}, made from {material}.",
            "{Benefit}, and {adj} too. {Cta}.",
        ],
    ),
    "calm": dict(
        adjs=["simple", "well-made", "thoughtful", "considered", "quiet", "honest", "lasting"],
        ctas=["Find it in store", "See the range", "Take your time"],
        templates=[
            "{Brand}. The {product}, made simply, for {time}.",
            "A {adj} {product} for {place}. {Brand}.",
            "Nothing extra. Just a {adj} {product} from {brand}.",
            "The {product} for {time}. {Benefit}. {Brand}.",
            "Slow down with {brand}. The {product}, {adj} and {adj2}.",
            "Made to last, the {product} from {brand} is ready for {weather}.",
            "{Weather} on {place}? The {product} from {brand} is ready.",
        ],
    ),
    # Heritage makers: the closest relatives of the client's voice in the general corpus.
    "craft": dict(
        adjs=["unfussy", "hard-wearing", "honest", "useful", "patient", "plain", "warm", "quiet"],
        ctas=["Visit the workshop", "Take your time", "Made for the long haul"],
        sensory=[
            "Wool that softens with age", "Cotton that creases in the right places",
            "Linen that forgives a crumpled morning", "Cuffs that keep the cold out",
            "A hood that stays put", "Stitching you could mend yourself", "Colours taken from the hills",
            "Pockets deep enough for a flask", "Buttons you can work with cold fingers",
            "Seams taped by hand", "Wool that smells faintly of the sea", "Waxed cotton that weathers well",
            "A collar that stands up to a gale on the shoreline",
        ],
        templates=[
            "{Sensory}. {Adj} things from {brand}, made in small runs.",
            "You will notice the {product} from {brand} when {weather} comes. "
            "Quietly made, properly {adj}.",
            "Worn for years, mended when needed. The {product} from {brand} comes with free repairs.",
            "Some things take time. The {adj} {product} from {brand} is one of them.",
            "Take your time. The {product} does not rush, and neither do we. {Brand}.",
            "No need to shout. The {product} from {brand} keeps out {weather}, that is all.",
            "That is rather the point: a {adj} {product}, built to keep going year after year.",
            "{Sensory}. The long way round is the {brand} way.",
            "Bring the {product} back to {brand} and we will put it right. {Sensory}.",
            "{Adj} and {adj2}: the {product} from {brand}. {Sensory}.",
            "Mended, not replaced. Get a {adj} {product} that lasts a life, not a season.",
        ],
    ),
}

# Fictional brands of the general corpus: (name, category, voice).
BRANDS = [
    ("Brightbean", "coffee", "playful"), ("Kettle & Crow", "coffee", "calm"),
    ("Crema Lux", "coffee", "luxury"), ("Roastfast", "coffee", "urgent"),
    ("Stridewell", "running", "technical"), ("Pacemaker", "running", "urgent"),
    ("Muddy Miles", "running", "playful"), ("Fellstone", "outdoor", "calm"),
    ("Ridgeway", "outdoor", "technical"), ("Summit Supply", "outdoor", "urgent"),
    ("Wildmoor", "outdoor", "eco"), ("Cove Outfitters", "outdoor", "warm"),
    ("Marlow & Reed", "outdoor", "luxury"), ("Glowday", "skincare", "playful"),
    ("Maison Verre", "skincare", "luxury"), ("Purely", "skincare", "eco"),
    ("Tallybank", "banking", "technical"), ("Nestegg", "banking", "warm"),
    ("Coinly", "banking", "playful"), ("Farway", "travel", "warm"),
    ("Jetset Deals", "travel", "urgent"), ("Tidewater Rail", "travel", "calm"),
    ("Stacklane", "software", "technical"), ("Hive Chat", "software", "playful"),
    ("Hearth & Loom", "home", "calm"), ("Casa Bella", "home", "luxury"),
    ("Greenhouse Home", "home", "eco"), ("Happy Paws", "petfood", "playful"),
    ("Kindred Pet", "petfood", "warm"), ("Crunchfield", "snacks", "urgent"),
    ("Good Oats", "snacks", "eco"), ("Driftwood Snacks", "snacks", "calm"),
    ("Fernhill Workwear", "outdoor", "craft"), ("Saltmarsh Goods", "home", "craft"),
    ("Old Quay Coffee", "coffee", "craft"), ("Bramble & Thread", "home", "craft"),
    ("Alderley Farm", "snacks", "craft"), ("Tideline Swim", "outdoor", "calm"),
]

def _general_slots(brand: str, category: str, voice: str, rng: random.Random) -> dict:
    cat, v = CATEGORIES[category], VOICES[voice]
    spec, spec2 = rng.sample(cat["specs"], 2)
    adj, adj2 = rng.sample(v["adjs"], 2)
    return dict(
        brand=brand, product=cat["products"], benefit=cat["benefits"], feature=cat["features"],
        spec=spec, spec2=spec2, adj=adj, adj2=adj2, cta=v["ctas"], pct=PERCENTS, day=DAYS,
        num=MULTIPLES, place=PLACES, time=TIMES, weather=WEATHER, material=MATERIALS,
        moment=MOMENTS, sensory=v.get("sensory", []),
    )


def _general_line(rng: random.Random) -> str:
    brand, category, voice = rng.choice(BRANDS)
    template = rng.choice(VOICES[voice]["templates"])
    return _fill(template, rng, _general_slots(brand, category, voice, rng))


# --------------------------------------------------------------------------------------
# Everyday sentences (reviews, posts, chat about products): the "rest of the web" a real
# pre-trained model has read. Without them the base model would know only eight rigid house
# voices and find any new line of copy wildly improbable; with them it has a feel for
# ordinary word order, as a real base model does. Nothing here uses the client's sign-offs.
# --------------------------------------------------------------------------------------
EVERYDAY_SUBJECTS = ["I", "We", "My sister", "Our team", "The kids", "My dad", "Everyone I know",
                     "My neighbour", "Half the office", "Nobody"]
EVERYDAY_VERBS = ["wore", "bought", "tried", "took", "loved", "found", "washed", "mended",
                  "packed", "forgot", "noticed", "kept", "lost", "returned", "borrowed"]
EVERYDAY_ADVERBIALS = ["on {place}", "at {time}", "in {weather}", "for {time}", "every weekend",
                       "last year", "by the sea", "on holiday", "after work", "in the rain",
                       "to {place}", "for {place}", "from {place}", "with {material}",
                       "through {weather}", "and {time}", "on {time}", "at {place}"]
EVERYDAY_VERDICTS = [
    "Worth it.", "It gets better with every wash.", "Not the point, but it looks good too.",
    "Would buy it again.", "It does the job.", "Mine is still going after years.",
    "I could not be happier.", "Nothing to shout about.", "It keeps out the rain.",
    "It smells faintly of the sea.", "Bring a flask.", "It is all yours for a week.",
    "Honestly, a little disappointing.", "Five stars from me.", "Take it back if it does not fit.",
    "Better than the last one.", "It is rather small.", "You will not regret it.",
]
EVERYDAY_ANSWERS = ["Yes, every time.", "Not really.", "Of course.", "Maybe, if it is warm.",
                    "Why not?", "Only on a good day."]
EVERYDAY_TEMPLATES = [
    "{Subject} {verb} the {product} {adverbial}. {Verdict}",
    "{Subject} {verb} a {product} {adverbial}, and it {verb2} {adverbial2}.",
    "Got the {product} back {adverbial}. {Verdict}",
    "{Adverbial}, {subject_l} {verb} the {product}. {Verdict}",
    "The {product} is {adj}, {adj2} and a little more {adj3} than I thought.",
    "Would you take a {product} to {place}? {Answer}",
    "Does anyone else get their {product} from {brand}? {Verdict}",
    "{Sensory}. {Verdict}",
    "Some days you just need a {adj} {product}. {Verdict}",
    "Is the {product} worth it for {time}? {Answer}",
    "{Subject} {verb} the {product} from {brand} {adverbial}. {Verdict}",
    "{Adverbial}: {subject_l} {verb} the {product}, {adj} and {adj2}.",
    "Made for {place}, {subject_l} said. {Verdict}",
    "{Place}, {time}, {weather}. {Verdict}",
    "The {product} {adverbial}? {Answer} {Verdict}",
]
# People talk about the client too: its name (never its house voice) is on the web, so the
# base model has seen "Alder & Tide" used, as a real pre-trained model would have. A
# five-year-old brand gets talked about: it is the brand in 30% of the lines that name one.
CLIENT_MENTION_SHARE = 0.3
_EVERYDAY_ADJS = sorted({a for v in VOICES.values() for a in v["adjs"] if " " not in a})
_ALL_PRODUCTS = [p for c in CATEGORIES.values() for p in c["products"]]
_ALL_SENSORY = VOICES["craft"]["sensory"]


def _adverbials(rng: random.Random) -> str:
    """One to three adverbial phrases in a row ("on the dunes at first light with recycled wool")."""
    count = rng.choice([1, 1, 2, 2, 3])
    slots = dict(place=PLACES, time=TIMES, weather=WEATHER, material=MATERIALS)
    return " ".join(_fill(rng.choice(EVERYDAY_ADVERBIALS), rng, slots) for _ in range(count))


MAX_TOKENS = 30  # every general line fits the model's context with <bos> and <eos> to spare


def _everyday_line(rng: random.Random) -> str:
    while True:  # draw again until the line is short enough for the model's context
        line = _everyday_candidate(rng)
        if len(WordTokenizer.split(line)) <= MAX_TOKENS:
            return line


def _everyday_candidate(rng: random.Random) -> str:
    template = rng.choice(EVERYDAY_TEMPLATES)
    adverbial, adverbial2 = _adverbials(rng), _adverbials(rng)
    adj, adj2, adj3 = rng.sample(_EVERYDAY_ADJS, 3)
    verb, verb2 = rng.sample(EVERYDAY_VERBS, 2)
    subject = rng.choice(EVERYDAY_SUBJECTS)
    slots = dict(subject=subject, subject_l=subject if subject == "I" else subject[0].lower() + subject[1:],
                 verb=verb, verb2=verb2, product=_ALL_PRODUCTS, adverbial=adverbial,
                 adverbial2=adverbial2, verdict=EVERYDAY_VERDICTS, answer=EVERYDAY_ANSWERS,
                 adj=adj, adj2=adj2, adj3=adj3, place=PLACES, time=TIMES, weather=WEATHER,
                 brand=CLIENT if rng.random() < CLIENT_MENTION_SHARE else [b for b, _, _ in BRANDS],
                 sensory=_ALL_SENSORY)
    return _fill(template, rng, slots)




# --------------------------------------------------------------------------------------
# The client's copy: drafts by three kinds of writer, rated by the creative team.
# --------------------------------------------------------------------------------------


def recycled_line(rng: random.Random) -> str:
    """Copy recycled from another account: any of the eight house voices, about the client's products."""
    voice_name = rng.choice(sorted(VOICES))
    template = rng.choice(VOICES[voice_name]["templates"])
    return _fill(template, rng, _general_slots(CLIENT, "outdoor", voice_name, rng))


def _writer(rng: random.Random) -> str:
    names = list(brand_voice.WRITER_SHARES)
    return rng.choices(names, weights=[brand_voice.WRITER_SHARES[n] for n in names])[0]


def _rated_drafts(draft_rng: random.Random, panel_rng: random.Random, count: int, exclude: set,
                  approved_only: bool = False) -> list[tuple[str, str, str]]:
    """``count`` distinct drafts not in ``exclude``, each rated by the panel: (votes, writer, text).

    With ``approved_only``, drafts the panel rejects are dropped (that is how the archive was
    built: five years of copy the client approved).
    """
    out, seen = [], set(exclude)
    while len(out) < count:
        writer = _writer(draft_rng)
        text = brand_voice.draft(draft_rng, writer, recycled=recycled_line)
        if text in seen:
            continue
        seen.add(text)
        votes = brand_voice.panel_votes([text], panel_rng)[0]
        if approved_only and not brand_voice.panel_label(votes):
            continue
        out.append((votes, writer, text))
    return out


def generate_files(seed: int = DEFAULT_SEED, *, with_rows: bool = False):
    """Generate every data file's contents (name -> text), deterministically from ``seed``.

    ``with_rows=True`` also returns the rated rows (votes, writer, text) of the archive, the
    screening set and the test set, for :func:`statistics`.
    """
    def stream(name: str) -> random.Random:
        return random.Random(f"{seed}/{name}")  # str seeds hash with SHA-512: stable

    rng = stream("pretrain")
    # Brand copy, category copy and everyday sentences, mixed (repeats allowed, as on the web).
    pretrain = []
    for _ in range(SPLIT_SIZES["pretrain"]):
        u = rng.random()
        pretrain.append(_everyday_line(rng) if u < EVERYDAY_SHARE else brand_voice.category_line(rng)
                        if u < EVERYDAY_SHARE + CATEGORY_SHARE else _general_line(rng))

    # The archive: approved drafts, shuffled, then cut into train and validation.
    n_train, n_val = SPLIT_SIZES["client_train"], SPLIT_SIZES["client_val"]
    archive_rows = _rated_drafts(stream("archive"), stream("archive/panel"), n_train + n_val, set(), approved_only=True)
    archive = [text for _, _, text in archive_rows]
    stream("archive/split").shuffle(archive)
    train, val = archive[:n_train], archive[n_train:]
    # Two batches of new drafts, rated by the same panel: every draft kept, approved or not.
    screening = _rated_drafts(stream("screening"), stream("screening/panel"), SPLIT_SIZES["screening_val"],
                              set(archive))
    test = _rated_drafts(stream("test"), stream("test/panel"), SPLIT_SIZES["test"],
                         set(archive) | {t for _, _, t in screening})
    fresh = random.Random(f"{FRESH_TEST_SEED}/fresh_test"), random.Random(f"{FRESH_TEST_SEED}/fresh_test/panel")
    fresh_test = _rated_drafts(*fresh, SPLIT_SIZES["fresh_test"],
                               set(archive) | {t for _, _, t in screening + test})

    def lines(rows):
        return "".join(r + "\n" for r in rows)

    def tsv(rows):
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="\t", lineterminator="\n")
        writer.writerow(["label", "votes", "writer", "text"])
        for votes, who, text in rows:
            writer.writerow([brand_voice.panel_label(votes), votes, who, text])
        return buffer.getvalue()

    files = {
        "pretrain.txt": lines(pretrain),
        "client_train.txt": lines(train),
        "client_val.txt": lines(val),
        "screening_val.tsv": tsv(screening),
        "test.tsv": tsv(test),
        "fresh_test.tsv": tsv(fresh_test),
    }
    if with_rows:
        return files, dict(archive=archive_rows, screening=screening, test=test, fresh_test=fresh_test,
                           pretrain=pretrain)
    return files


def _write_atomic(path: Path, text: str) -> None:
    with atomic_write(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def write_dataset(out_dir=DATA_DIR, seed: int = DEFAULT_SEED) -> dict[str, Path]:
    """Write the generated files into ``out_dir`` (atomically); returns name -> path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, text in generate_files(seed).items():
        _write_atomic(out_dir / name, text)
        written[name] = out_dir / name
    return written


def _path(name: str, data_dir) -> Path:
    path = Path(data_dir) / name
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: run `python tools/casestudy/generate_data.py` to generate it")
    return path


def load_lines(name: str, data_dir=DATA_DIR) -> list[str]:
    """One example per line: 'pretrain', 'client_train' or 'client_val'."""
    with open(_path(f"{name}.txt", data_dir), encoding="utf-8") as f:
        return f.read().splitlines()


class Labelled(NamedTuple):
    """A rated set: each line's text, the panel's label (1 = on-brand: a majority voted so), the
    three raters' votes ("101": the creative director and the brand manager voted on-brand, in
    the order of ``voice.RATERS``), and who wrote it ('house', 'freelance' or 'recycled')."""

    texts: list
    labels: list
    votes: list
    writers: list


def load_labelled(name: str, data_dir=DATA_DIR) -> Labelled:
    """A rated set: 'screening_val', 'test' (the brief's 100) or 'fresh_test' (2,000, drawn later)."""
    with open(_path(f"{name}.tsv", data_dir), encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return Labelled([r["text"] for r in rows], [int(r["label"]) for r in rows],
                    [r["votes"] for r in rows], [r["writer"] for r in rows])


def vocabulary_texts(data_dir=DATA_DIR) -> list[str]:
    """What the tokenizer's vocabulary is built from: the general corpus, the client's training
    archive, and every word the client's sentence inventory can write (a word-level stand-in
    for a sub-word tokenizer, which can spell any word)."""
    return load_lines("pretrain", data_dir) + load_lines("client_train", data_dir) + [brand_voice.vocabulary_text()]


STATS_BEGIN, STATS_END = "<!-- statistics: begin (written by tools/casestudy/generate_data.py) -->", \
    "<!-- statistics: end -->"


def statistics(seed: int = DEFAULT_SEED) -> str:
    """The data card's statistics block (Markdown): who wrote what, how often the team approves,
    how much its raters disagree, the ceiling, and the model-free checks (n-gram memory, rules).

    All of it follows from the generator and its seed; ``tools/casestudy/generate_data.py``
    writes it into DATA_CARD.md and a test checks the card still holds it.
    """
    import numpy as np

    from .evaluation import NgramScreener, accuracy
    from .rules import BrandRuleFilter

    files, rows = generate_files(seed, with_rows=True)
    archive_lines = load_lines_from_text(files["client_train.txt"])
    out = ["| | house | freelance | recycled | all |", "| --- | --- | --- | --- | --- |"]
    writers = ("house", "freelance", "recycled")

    def by_writer(items, fn):
        cells = []
        for w in writers:
            chosen = [x for x in items if x[1] == w]
            cells.append(fn(chosen) if chosen else "-")
        return cells + [fn(items)]

    def share(part, whole):
        return f"{part / max(whole, 1):.0%}"

    archive = rows["archive"]
    out.append("| archive lines (train + validation), by writer | "
               + " | ".join(by_writer(archive, lambda xs: f"{len(xs):,} ({share(len(xs), len(archive))})")) + " |")
    for name in ("screening", "test", "fresh_test"):
        items = rows[name]
        name = name.replace("_", " ")
        out.append(f"| {name} set: drafts, by writer | " + " | ".join(by_writer(items, lambda xs: f"{len(xs)}")) + " |")
        out.append(f"| {name} set: approved by the panel | " + " | ".join(
            by_writer(items, lambda xs: share(sum(brand_voice.panel_label(v) for v, _, _ in xs), len(xs)))) + " |")
    scores = {w: np.array([brand_voice.voice_score(t) for _, ww, t in rows["screening"] if ww == w]) for w in writers}
    out.append("| screening set: voice score, 10th / 50th / 90th percentile | " + " | ".join(
        " / ".join(f"{q:+.1f}" for q in np.quantile(scores[w], [0.1, 0.5, 0.9])) for w in writers) + " | |")
    lines = [""]
    votes = np.array([[int(c) for c in v] for v, _, _ in rows["screening"]])
    majority = votes.sum(axis=1) * 2 > votes.shape[1]
    lines.append("| rater | approves (screening set) | agrees with the majority | disagrees with |")
    lines.append("| --- | --- | --- | --- |")
    for i, r in enumerate(brand_voice.RATERS):
        others = ", ".join(f"{brand_voice.RATERS[j].role} {np.mean(votes[:, i] != votes[:, j]):.0%}"
                           for j in range(len(brand_voice.RATERS)) if j != i)
        lines.append(f"| {r.role} | {votes[:, i].mean():.0%} | {np.mean(votes[:, i] == majority):.0%} | {others} |")
    unanimous = np.mean((votes.sum(axis=1) == 0) | (votes.sum(axis=1) == votes.shape[1]))
    lines.append("")
    for name in ("screening", "test", "fresh_test"):
        texts = [t for _, _, t in rows[name]]
        labels = [brand_voice.panel_label(v) for v, _, _ in rows[name]]
        pred, prob = brand_voice.ceiling_predictions(texts)
        prob = np.array(prob)
        lines.append(f"- {name.replace('_', ' ')} set ({len(texts):,} lines): ceiling {np.mean(np.maximum(prob, 1 - prob)):.1%} on average, "
                     f"{accuracy(pred, labels):.1%} on the labels drawn; borderline lines (approved with a probability "
                     f"between 20% and 80%) {np.mean((prob > 0.2) & (prob < 0.8)):.0%}.")
    lines.append(f"- The three raters agree unanimously on {unanimous:.0%} of the screening set.")
    screen_texts = [t for _, _, t in rows["screening"]]
    screen_labels = [brand_voice.panel_label(v) for v, _, _ in rows["screening"]]
    test_texts = [t for _, _, t in rows["test"]]
    test_labels = [brand_voice.panel_label(v) for v, _, _ in rows["test"]]
    fresh_texts = [t for _, _, t in rows["fresh_test"]]
    fresh_labels = [brand_voice.panel_label(v) for v, _, _ in rows["fresh_test"]]
    ngram = NgramScreener(archive_lines).fit(screen_texts, screen_labels)
    rules = BrandRuleFilter()
    lines.append(f"- Model-free checks: the n-gram screener (n chosen on the screening set: {ngram.n}; accuracy there "
                 + ", ".join(f"n={n} {a:.1%}" for n, a in ngram.val_accuracies.items())
                 + f") scores {accuracy(ngram.predict(test_texts), test_labels):.0%} on the test set; the rule filter "
                 f"{accuracy(rules.predict(screen_texts), screen_labels):.1%} on the screening set and "
                 f"{accuracy(rules.predict(test_texts), test_labels):.0%} on the test set; on the fresh test set the n-gram "
                 f"screener scores {accuracy(ngram.predict(fresh_texts), fresh_labels):.1%} and the rule filter "
                 f"{accuracy(rules.predict(fresh_texts), fresh_labels):.1%}.")
    return "\n".join([STATS_BEGIN] + out + lines + [STATS_END])


def load_lines_from_text(text: str) -> list[str]:
    return text.splitlines()


def refresh_card(card_path, seed: int = DEFAULT_SEED) -> bool:
    """Rewrite the statistics block of the data card at ``card_path``; True when it changed."""
    card_path = Path(card_path)
    text = card_path.read_text(encoding="utf-8")
    start, end = text.index(STATS_BEGIN), text.index(STATS_END) + len(STATS_END)
    new = text[:start] + statistics(seed) + text[end:]
    if new != text:
        _write_atomic(card_path, new)
    return new != text
