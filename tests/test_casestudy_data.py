"""The case study's synthetic data: reproducible byte for byte, the brief's split sizes, clean splits,
labels that are the simulated team's majority, a voice that is habits over a shared inventory."""
import math
import random

import numpy as np
import pytest

from coursekit.casestudy import data, voice
from coursekit.casestudy.rules import BrandRuleFilter
from coursekit.casestudy.tokenizer import WordTokenizer


@pytest.fixture(scope="module")
def generated():
    return data.generate_files(data.DEFAULT_SEED)


@pytest.fixture(scope="module")
def other_seed():
    return data.generate_files(data.DEFAULT_SEED + 1)


def test_generator_reproduces_the_committed_files_byte_for_byte(generated):
    for name, text in generated.items():
        committed = (data.DATA_DIR / name).read_bytes()
        assert committed == text.encode("utf-8"), (
            f"{name} differs from the generator's output: run python tools/casestudy/generate_data.py")


def test_the_data_card_statistics_are_current():
    card = (data.DATA_DIR / "DATA_CARD.md").read_text(encoding="utf-8")
    assert data.statistics(data.DEFAULT_SEED) in card, (
        "DATA_CARD.md's statistics block is stale: run python tools/casestudy/generate_data.py")


def test_another_seed_gives_other_data(generated, other_seed):
    assert other_seed["client_train.txt"] != generated["client_train.txt"]


def test_write_dataset_round_trips(tmp_path):
    data.write_dataset(tmp_path)
    assert data.load_lines("client_val", tmp_path) == data.load_lines("client_val")
    assert data.load_labelled("test", tmp_path) == data.load_labelled("test")


def test_split_sizes_match_the_brief():
    assert len(data.load_lines("client_train")) == 4200
    assert len(data.load_lines("client_val")) == 420
    test = data.load_labelled("test")
    assert len(test.texts) == len(test.labels) == len(test.votes) == len(test.writers) == 100
    assert len(data.load_labelled("screening_val").texts) == 840
    assert len(data.load_labelled("fresh_test").texts) == 2000


def test_the_fresh_test_set_has_its_own_seed_and_left_the_other_files_alone(other_seed):
    """Drawn with FRESH_TEST_SEED, not the data's seed: another data seed gives other archives
    but the same fresh draws' stream; every other file is what the generator wrote before it."""
    fresh = data.load_labelled("fresh_test")
    assert data.FRESH_TEST_SEED != data.DEFAULT_SEED
    assert set(other_seed) == {"pretrain.txt", "client_train.txt", "client_val.txt", "screening_val.tsv", "test.tsv",
                          "fresh_test.tsv"}
    # the same writers and panel: approval rates by writer close to the screening set's (2,000 vs 840 lines)
    screening = data.load_labelled("screening_val")
    for writer in ("house", "freelance", "recycled"):
        a = np.mean([lab for lab, w in zip(fresh.labels, fresh.writers) if w == writer])
        b = np.mean([lab for lab, w in zip(screening.labels, screening.writers) if w == writer])
        assert abs(a - b) < 0.08, (writer, a, b)  # about 3 standard errors of the difference at these sizes


def test_no_line_is_in_two_files():
    train, val = data.load_lines("client_train"), data.load_lines("client_val")
    screening, test = data.load_labelled("screening_val").texts, data.load_labelled("test").texts
    fresh = data.load_labelled("fresh_test").texts
    for lines in (train, val, screening, test, fresh):
        assert len(set(lines)) == len(lines)
    sets = [set(train), set(val), set(screening), set(test), set(fresh)]
    for i in range(len(sets)):
        for j in range(i + 1, len(sets)):
            assert not sets[i] & sets[j]


def test_labels_are_the_majority_of_three_votes():
    for name in ("screening_val", "test", "fresh_test"):
        rated = data.load_labelled(name)
        for label, votes in zip(rated.labels, rated.votes):
            assert len(votes) == len(voice.RATERS) and set(votes) <= {"0", "1"}
            assert label == int(votes.count("1") >= 2)
        assert set(rated.writers) == {"house", "freelance", "recycled"}
        assert 0.3 < np.mean(rated.labels) < 0.7  # neither class is rare


def test_archive_is_approved_copy_in_the_voice():
    """Every archive line was approved; all but a stray recycled line use only the sentence inventory."""
    archive = data.load_lines("client_train") + data.load_lines("client_val")
    foreign = [line for line in archive if "foreign" in voice.features(line)["kinds"]]
    assert len(foreign) <= 2
    scores = np.array([voice.voice_score(line) for line in archive[:1000]])
    assert np.mean(scores > 0) > 0.8  # the team approves lines that keep the habits


def test_writers_share_the_inventory_and_differ_in_habits():
    rated = data.load_labelled("screening_val")
    kinds = {w: [voice.features(t) for t, ww in zip(rated.texts, rated.writers) if ww == w]
             for w in ("house", "freelance", "recycled")}
    # house and freelance lines are built from the inventory only; recycled lines never are
    assert not any("foreign" in f["kinds"] for f in kinds["house"] + kinds["freelance"])
    assert all("foreign" in f["kinds"] for f in kinds["recycled"])
    # freelancers write longer lines and seldom sign off at the end or open on an image
    mean = {w: {k: np.mean([f[k] for f in fs]) for k in ("sentences", "signoff_last", "image_first")}
            for w, fs in kinds.items()}
    assert mean["freelance"]["sentences"] > mean["house"]["sentences"] + 0.3  # the 30-token limit trims the longest
    assert mean["freelance"]["signoff_last"] < mean["house"]["signoff_last"] - 0.3
    assert mean["freelance"]["image_first"] < mean["house"]["image_first"] - 0.3
    # ... and the team's verdicts overlap: some house lines rejected, some freelance lines approved
    approved = {w: np.mean([lab for lab, ww in zip(rated.labels, rated.writers) if ww == w]) for w in kinds}
    assert 0.6 < approved["house"] < 0.95 and 0.15 < approved["freelance"] < 0.5 and approved["recycled"] < 0.05


def test_general_corpus_knows_the_phrases_but_not_the_client():
    corpus = data.load_lines("pretrain")
    assert len(corpus) == 12000
    mentions = [line for line in corpus if "Alder & Tide" in line]
    assert 50 < len(mentions) < 500  # people talk about the brand ...
    signoffs = set(voice.SENTENCES["signoff"])
    assert not any(signoffs & set(voice.split_sentences(line)) for line in corpus)  # ... never in its voice
    category = [line for line in corpus if any(line.endswith(f"{b}.") or f"{b}. " in line
                                                for b in voice.CATEGORY["brands"])]
    assert len(category) > 500  # other coastal makers use the category's phrases
    archive = set(data.load_lines("client_train")) | set(data.load_lines("client_val"))
    shared = archive & set(corpus)  # only a few two-sentence lines another maker happened to write too
    assert len(shared) <= 10 and all(len(voice.split_sentences(line)) <= 2 for line in shared)
    assert {v for _, _, v in data.BRANDS} == set(data.VOICES)


def test_the_vocabulary_covers_every_file_and_everything_the_inventory_can_write():
    tok = WordTokenizer.build(data.vocabulary_texts())
    for name in ("client_train", "client_val"):
        assert tok.unknown_rate(data.load_lines(name)) == 0
    for name in ("screening_val", "test", "fresh_test"):
        assert tok.unknown_rate(data.load_labelled(name).texts) == 0
    assert tok.unknown_rate([voice.vocabulary_text()]) == 0


def test_sentence_kinds_and_features():
    assert voice.sentence_kind("Salt on the cuffs.") == ("image", False)
    assert voice.sentence_kind("Alder & Tide!") == ("signoff", True)
    assert voice.sentence_kind("We believe in honest things.") == ("we", False)
    assert voice.sentence_kind("Heading for the dunes?") == ("question", False)
    assert voice.sentence_kind("Heading for the dunes!") == ("question", True)
    assert voice.sentence_kind("Grab yours today.") == ("foreign", False)
    good = "Salt on the cuffs. The rain shell keeps out drizzle. Alder & Tide."
    f = voice.features(good)
    assert f["kinds"] == ["image", "product", "signoff"] and f["signoff_last"] == 1 and f["image_first"] == 1
    assert voice.voice_score(good) == pytest.approx(-0.5 + 0.8 + 0.5 + 0.4)
    # the same sentences, the sign-off first: the same words, a worse line
    moved = "Alder & Tide. Salt on the cuffs. The rain shell keeps out drizzle."
    assert voice.voice_score(moved) < 0 < voice.voice_score(good)
    assert voice.voice_score(good.replace("drizzle.", "drizzle!")) == pytest.approx(voice.voice_score(good) - 3)
    assert voice.features("")["foreign"] == 1


def test_panel_probability_is_exact():
    """The closed form agrees with simulating the three raters, and moves the right way."""
    rng = random.Random(0)
    line = "Salt on the cuffs. The rain shell keeps out drizzle. Worn for years."  # score 0.4: borderline
    score = voice.voice_score(line)
    votes = voice.panel_votes([line] * 20000, rng)
    simulated = np.mean([voice.panel_label(v) for v in votes])
    assert simulated == pytest.approx(voice.panel_probability(score), abs=0.01)
    probs = [voice.panel_probability(s) for s in (-3, -1, 0, 1, 3)]
    assert probs == sorted(probs) and probs[0] < 0.05 and probs[-1] > 0.95
    # lapses keep even a hopeless line a little above zero
    assert 0 < voice.panel_probability(-20) < 0.01


def test_ceiling_is_the_best_rule_for_the_rater_model():
    texts = data.load_labelled("test").texts
    pred, prob = voice.ceiling_predictions(texts)
    assert pred == [int(p > 0.5) for p in prob]
    expected = np.mean(np.maximum(prob, 1 - np.array(prob)))
    assert 0.8 < expected < 0.95  # the team's noise costs the best screener about a tenth of the lines
    # any other rule, e.g. approving on a higher bar, is worse on average
    other = np.array([int(p > 0.7) for p in prob])
    assert np.mean(np.where(other == 1, prob, 1 - np.array(prob))) <= expected


def test_rule_filter_is_imperfect_on_both_sides():
    """The old filter rejects some approved lines and passes some rejected ones."""
    flt = BrandRuleFilter()
    rated = data.load_labelled("screening_val")
    passed = np.array(flt.predict(rated.texts))
    labels = np.array(rated.labels)
    assert 0 < passed[labels == 1].mean() < 1
    assert 0 < passed[labels == 0].mean() < 1
    hard = [t for t in rated.texts if "!" in t or "%" in t]
    assert hard and not any(flt.predict(hard))  # exclamation marks and discounts never pass


def test_drafts_fit_the_model_context():
    for name in ("screening_val", "test", "fresh_test"):
        assert max(len(WordTokenizer.split(t)) for t in data.load_labelled(name).texts) <= voice.MAX_TOKENS
    assert max(len(WordTokenizer.split(t)) for t in data.load_lines("client_train")) <= voice.MAX_TOKENS
    assert math.isclose(sum(voice.WRITER_SHARES.values()), 1.0)
