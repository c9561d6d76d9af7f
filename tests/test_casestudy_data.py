"""The case study's synthetic data: reproducible byte for byte, the brief's split sizes, clean splits."""
import collections

import pytest

from coursekit.casestudy import data
from coursekit.casestudy.rules import BrandRuleFilter
from coursekit.casestudy.tokenizer import WordTokenizer


@pytest.fixture(scope="module")
def generated():
    return data.generate_files(data.DEFAULT_SEED)


def test_generator_reproduces_the_committed_files_byte_for_byte(generated):
    for name, text in generated.items():
        committed = (data.DATA_DIR / name).read_bytes()
        assert committed == text.encode("utf-8"), (
            f"{name} differs from the generator's output: run python tools/casestudy/generate_data.py")


def test_another_seed_gives_other_data(generated):
    other = data.generate_files(data.DEFAULT_SEED + 1)
    assert other["client_train.txt"] != generated["client_train.txt"]


def test_write_dataset_round_trips(tmp_path):
    data.write_dataset(tmp_path)
    assert data.load_lines("client_val", tmp_path) == data.load_lines("client_val")
    texts, labels, kinds = data.load_labelled("test", tmp_path)
    assert len(texts) == len(labels) == len(kinds) == 100


def test_split_sizes_match_the_brief():
    assert len(data.load_lines("client_train")) == 4200
    assert len(data.load_lines("client_val")) == 420
    texts, labels, kinds = data.load_labelled("test")
    assert len(texts) == 100 and sum(labels) == 50
    val_texts, val_labels, _ = data.load_labelled("screening_val")
    assert sum(val_labels) == 420 and len(val_labels) == 840


def test_splits_never_share_a_line():
    train = set(data.load_lines("client_train"))
    val = set(data.load_lines("client_val"))
    test, _, _ = data.load_labelled("test")
    assert len(train) == 4200 and len(val) == 420  # no repeats inside a split either
    assert not train & val
    assert not train & set(test) and not val & set(test)


def test_labels_agree_with_the_ground_truth_templates():
    texts, labels, kinds = data.load_labelled("test")
    for text, label, kind in zip(texts, labels, kinds):
        assert data.follows_client_template(text) == bool(label), (kind, text)
        assert (kind == "approved") == bool(label)
    assert all(data.follows_client_template(t) for t in data.load_lines("client_train")[:500])
    assert set(collections.Counter(kinds)) == {"approved", "other_voice", "generic_calm", "slip"}


def test_general_corpus_names_the_client_but_never_uses_its_voice():
    corpus = data.load_lines("pretrain")
    assert len(corpus) == 12000
    mentions = [line for line in corpus if "Alder & Tide" in line]
    assert 50 < len(mentions) < 500  # people talk about the brand ...
    assert not any(data.follows_client_template(line) for line in corpus)  # ... never in its voice
    approved = set(data.load_lines("client_train")) | set(data.load_lines("client_val"))
    assert not approved & set(corpus)
    voices_seen = {voice for _, _, voice in data.BRANDS}
    assert voices_seen == set(data.VOICES)


def test_the_base_vocabulary_covers_the_client_words():
    tok = WordTokenizer.build(data.load_lines("pretrain"))
    missing = {t for line in data.load_lines("client_train") for t in tok.split(line)} - set(tok.vocab)
    assert missing <= {"woodsmoke"}


def test_rule_filter_is_imperfect_on_both_sides():
    """The filter catches loud copy but lets calm near-misses through and rejects some approved lines."""
    flt = BrandRuleFilter()
    texts, labels, kinds = data.load_labelled("screening_val")
    by_kind = collections.defaultdict(list)
    for t, k in zip(texts, kinds):
        by_kind[k].append(flt.is_on_brand(t))
    assert not any(by_kind["slip"])  # every slip breaks a written rule
    assert 0 < sum(by_kind["approved"]) < len(by_kind["approved"])
    assert sum(by_kind["generic_calm"]) > len(by_kind["generic_calm"]) / 2
