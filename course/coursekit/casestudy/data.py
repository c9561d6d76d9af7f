"""The case study's data: a seeded generator of synthetic marketing copy, and loaders.

Two corpora come out of one seed:

* a **general marketing corpus** (38 fictional brands in ten product categories, each
  writing in one of eight house voices, mixed with everyday sentences about products) that
  the base model is pre-trained on;
* the archive of one fictional client, **Alder & Tide** (coastal outdoor clothing), whose
  house voice is calm, sensory and plain: 4,200 training, 420 validation and 100 test
  examples, plus off-brand copy about the same products for the screening evaluation.

Why synthetic: real client archives are confidential, and a generator lets the course ship
small files, reproduce them byte for byte, and know the ground truth of every label. Every
line is built from a template whose slots are filled from word lists below; the client's
templates never appear in the general corpus, only their words do, so the base model knows
the vocabulary but not the voice -- the situation a fine-tune is meant to fix.

Off-brand copy comes in three kinds, with fixed shares chosen before any model was run:
``other_voice`` (the client's products written in another house voice: sales, playful,
technical, luxury, family or eco), ``generic_calm`` (the calm or craft voice of other
brands, the near miss), and ``slip`` (a client template with one off-brand slip: an exclamation, a hype
word or a discount line).

Run ``python tools/casestudy/generate_data.py`` to rewrite ``course/data/brand_voice/``;
``tests/test_casestudy_data.py`` checks the committed files are exactly what it produces.
"""

from __future__ import annotations

import csv
import io
import random
import re
from pathlib import Path

from minigrad.utils.files import atomic_write

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
    "follows_client_template",
]

DEFAULT_SEED = 5
CLIENT = "Alder & Tide"
DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "brand_voice"

# How many lines of each kind the generator writes (the brief's 4,200 / 420 / 100).
SPLIT_SIZES = {
    "pretrain": 12000,  # general corpus, many brands and voices
    "client_train": 4200,
    "client_val": 420,
    "offbrand_val": 420,  # off-brand copy to choose the screening threshold on
    "test_on": 50,  # the 100 test examples: 50 approved, 50 off-brand
    "test_off": 50,
}
OFFBRAND_KIND_WEIGHTS = {"other_voice": 2, "generic_calm": 1, "slip": 1}
EVERYDAY_SHARE = 0.3  # share of the general corpus that is everyday sentences, not brand copy

# --------------------------------------------------------------------------------------
# Shared word lists: the coastal and outdoor imagery every calm brand can use.
# --------------------------------------------------------------------------------------
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
        products=["waxed jacket", "wool jumper", "rain shell", "canvas tote", "field coat",
                  "linen shirt", "fisherman's beanie", "harbour smock", "merino scarf",
                  "bucket hat"],
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

# --------------------------------------------------------------------------------------
# The client: Alder & Tide, coastal outdoor clothing. Its voice guide, in plain words:
# calm and sensory, short sentences, no exclamation marks, no discounts or hype, coastal
# weather and places, the sign-off "Made for the long way round."
# --------------------------------------------------------------------------------------
CLIENT_PRODUCTS = CATEGORIES["outdoor"]["products"]
CLIENT_SENSORY = [
    "Wool that smells faintly of woodsmoke", "Cotton that softens with every wash",
    "Waxed canvas that creases where you do", "Seams taped by hand",
    "Buttons you can work with cold fingers", "A collar that stands up to the wind",
    "Pockets deep enough for a flask", "Linen that forgives a long day",
    "A hood that stays put in a gale", "Cuffs that keep the weather out",
    "Stitching you could pass down", "Colours taken from the shoreline",
]
CLIENT_QUALITIES = ["unfussy", "hard-wearing", "quiet", "honest", "warm", "useful", "patient",
                    "plain"]
CLIENT_DURATIONS = ["year after year", "season after season", "walk after walk",
                    "tide after tide", "winter after winter"]
# Twelve templates, each with room for hundreds of distinct lines, so that 4,670 distinct
# approved lines can be drawn without any template running dry.
CLIENT_TEMPLATES = [
    "{Sensory}. The {product}, made for {place} at {time}. Alder & Tide.",
    "Some things get better with {weather} on {place}. The {product} is one of them.",
    "You will not notice the {product} on {place} at {time}. That is rather the point.",
    "Built for {place} and {time}. Worn for years. The {product}, from Alder & Tide.",
    "{Weather} on {place}? Bring the {product}. Made for the long way round.",
    "Quietly made, properly {quality}. The {product}, for {time}. Alder & Tide.",
    "For {time} on {place}: the {product}. {Sensory}.",
    "The {product} does not shout. It just keeps out {weather}, {duration}.",
    "{Sensory}. {Quality} by design. The {product}, from Alder & Tide.",
    "Take the {product} to {place} at {time}. Bring it back a little more yours.",
    "{Sensory}. Mended, not replaced: the {product} comes with free repairs for life.",
    "Made in small runs from {material}. The {product}, for {time}.",
]
CLIENT_SLOTS = dict(
    product=CLIENT_PRODUCTS, sensory=CLIENT_SENSORY, quality=CLIENT_QUALITIES,
    place=PLACES, time=TIMES, weather=WEATHER, material=MATERIALS[:5],
    duration=CLIENT_DURATIONS,
)
HYPE_WORDS = ["amazing", "epic", "must-have", "game-changing", "iconic"]  # all in the playful voice
DISCOUNT_LINES = ["Now 20% off.", "Sale ends Sunday.", "Buy one, get one half price.",
                  "Limited stock, order today."]

_SLOT = re.compile(r"\{(\w+)\}")


def _fill(template: str, rng: random.Random, slots: dict) -> str:
    """Fill every {slot} from ``slots`` (a capitalised {Slot} gets a capital first letter)."""
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


_A_BEFORE_VOWEL = re.compile(r"\b([Aa]) (?=(?:[aeio]|un|hon)\w)")


def _articles(text: str) -> str:
    """'a honest' -> 'an honest', 'A unfussy' -> 'An unfussy' (but 'a useful' stays)."""
    return _A_BEFORE_VOWEL.sub(lambda m: m.group(1) + "n ", text)


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
# ordinary word order, as a real base model does. Nothing here follows a client template.
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


MAX_TOKENS = 30  # every line fits the model's context with <bos> and <eos> to spare


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


def _client_line(rng: random.Random) -> str:
    return _fill(rng.choice(CLIENT_TEMPLATES), rng, CLIENT_SLOTS)


def _offbrand_line(rng: random.Random) -> tuple[str, str]:
    """One piece of off-brand copy about the client's products; returns (kind, text)."""
    kinds = list(OFFBRAND_KIND_WEIGHTS)
    kind = rng.choices(kinds, weights=[OFFBRAND_KIND_WEIGHTS[k] for k in kinds])[0]
    if kind == "other_voice":
        voice = rng.choice([v for v in VOICES if v not in ("calm", "craft")])
    elif kind == "generic_calm":
        voice = rng.choice(["calm", "craft"])
    else:  # slip: approved template, one slip
        text = _client_line(rng)
        slip = rng.choice(["exclaim", "hype", "discount"])
        if slip == "exclaim":
            last_stop = text.rfind(".")
            text = text[:last_stop] + "!" + text[last_stop + 1:]
        elif slip == "hype":
            text = text.replace("The ", f"The {rng.choice(HYPE_WORDS)} ", 1) if "The " in text \
                else f"{text} Simply {rng.choice(HYPE_WORDS)}."
        else:
            text = f"{text} {rng.choice(DISCOUNT_LINES)}"
        return kind, text
    template = rng.choice(VOICES[voice]["templates"])
    return kind, _fill(template, rng, _general_slots(CLIENT, "outdoor", voice, rng))


def _unique(make, count: int, rng: random.Random, exclude: set) -> list:
    """``count`` distinct outputs of ``make(rng)`` whose text is not in ``exclude``."""
    out, seen = [], set(exclude)
    attempts = 0
    while len(out) < count:
        attempts += 1
        if attempts > 50 * count:
            raise RuntimeError(f"could not draw {count} distinct lines; widen the word lists")
        item = make(rng)
        text = item if isinstance(item, str) else item[1]
        if text not in seen:
            seen.add(text)
            out.append(item)
    return out


def generate_files(seed: int = DEFAULT_SEED) -> dict[str, str]:
    """Generate every data file's contents (name -> text), deterministically from ``seed``."""
    def stream(name: str) -> random.Random:
        return random.Random(f"{seed}/{name}")  # str seeds hash with SHA-512: stable

    rng = stream("pretrain")
    # Brand copy and everyday sentences, mixed (repeats allowed, as on the web).
    pretrain = [_everyday_line(rng) if rng.random() < EVERYDAY_SHARE else _general_line(rng)
                for _ in range(SPLIT_SIZES["pretrain"])]

    # One pool of distinct approved lines, shuffled, then cut into train / val / test, so
    # the three splits come from exactly the same distribution and never share a line.
    n_train, n_val = SPLIT_SIZES["client_train"], SPLIT_SIZES["client_val"]
    pool = _unique(_client_line, n_train + n_val + SPLIT_SIZES["test_on"], stream("client"),
                   set())
    stream("client_split").shuffle(pool)
    train, val, test_on = pool[:n_train], pool[n_train:n_train + n_val], pool[n_train + n_val:]
    off_val = _unique(_offbrand_line, SPLIT_SIZES["offbrand_val"], stream("offbrand_val"),
                      set(pool))
    test_off = _unique(_offbrand_line, SPLIT_SIZES["test_off"], stream("test_off"),
                       {t for _, t in off_val} | set(pool))

    # Test rows: 50 on-brand and 50 off-brand, shuffled together with a fixed seed.
    test_rows = [("1", "approved", t) for t in test_on] + [("0", k, t) for k, t in test_off]
    stream("test_order").shuffle(test_rows)
    screen_val_rows = [("1", "approved", t) for t in val] + [("0", k, t) for k, t in off_val]

    def lines(rows):
        return "".join(r + "\n" for r in rows)

    def tsv(rows):
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="\t", lineterminator="\n")
        writer.writerow(["label", "kind", "text"])
        writer.writerows(rows)
        return buffer.getvalue()

    return {
        "pretrain.txt": lines(pretrain),
        "client_train.txt": lines(train),
        "client_val.txt": lines(val),
        "screening_val.tsv": tsv(screen_val_rows),
        "test.tsv": tsv(test_rows),
    }


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


def load_labelled(name: str, data_dir=DATA_DIR) -> tuple[list[str], "list[int]", list[str]]:
    """A labelled set ('test' or 'screening_val'): (texts, labels 1=on-brand, kinds)."""
    with open(_path(f"{name}.tsv", data_dir), encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [r["text"] for r in rows], [int(r["label"]) for r in rows], [r["kind"] for r in rows]


def _template_regex(template: str, slots: dict) -> re.Pattern:
    parts, pos = [], 0
    for m in _SLOT.finditer(template):
        parts.append(re.escape(template[pos:m.start()]))
        name = m.group(1)
        options = slots[name.lower()]
        if name[0].isupper():
            options = [o[0].upper() + o[1:] for o in options]
        parts.append("(?:" + "|".join(re.escape(o) for o in options) + ")")
        pos = m.end()
    parts.append(re.escape(template[pos:]))
    return re.compile("".join(parts))


_CLIENT_PATTERNS = [_template_regex(t, CLIENT_SLOTS) for t in CLIENT_TEMPLATES]


def follows_client_template(text: str) -> bool:
    """The generator's ground truth: does ``text`` follow one of the client's templates exactly?

    A strict stand-in for the client's creative team when rating *generated* copy: it knows
    the voice guide perfectly and forgives nothing.
    """
    text = text.strip()
    return any(p.fullmatch(text) for p in _CLIENT_PATTERNS)
