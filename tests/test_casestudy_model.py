"""The shipped base model (checksum, size, loading) and the language-model helpers of the case study."""
import numpy as np
import pytest

import minigrad as mg
from coursekit.casestudy import data, experiment, lm
from coursekit.casestudy.evaluation import (NgramScreener, accuracy, auc, choose_threshold, compare, constant_screener,
                                            cost_per_line, fit_screener, holm, mcnemar_p, paired_difference,
                                            per_kind_accuracy, wilson_interval)
from coursekit.casestudy.finetune import RunConfig, early_stopping_outcome, finetune, weights_at_epoch
from coursekit.casestudy.tokenizer import WordTokenizer


def test_shipped_weights_match_their_checksum_and_are_small():
    path = lm.BASE_MODEL_PATH
    expected = path.with_suffix(".sha256").read_text().split()[0]
    assert lm.sha256_of(path) == expected, "course/models/base_gpt.npz changed: re-run tools/casestudy/pretrain.py"
    assert path.stat().st_size < 20e6


@pytest.fixture(scope="module")
def base():
    return lm.load_model()


def test_base_model_loads_with_its_vocabulary(base):
    model, tok = base
    assert model.config.vocab_size == len(tok)
    assert model.config.block_size >= 31  # the longest line of copy, with <bos>
    assert tok.unknown_rate(data.load_lines("client_train")) == 0
    assert tok.unknown_rate(data.load_labelled("test").texts) == 0
    gelus = {m.approximate for m in model.modules() if type(m).__name__ == "GELU"}
    assert gelus == {"tanh"}  # the form the committed weights were trained with (GPT-2's)
    # the base model has learnt the general corpus: held-out loss far below a uniform guess
    ids = lm.encode_texts(data.load_lines("pretrain")[-200:], tok, model.config.block_size + 1)
    assert lm.log_likelihood(model, ids).mean() > -0.5 * np.log(len(tok))


def test_save_load_round_trip_is_exact_and_reproducible(tmp_path, base):
    model, tok = base
    a = lm.save_model(tmp_path / "a.npz", model, tok)
    b = lm.save_model(tmp_path / "b.npz", model, tok)
    assert a.read_bytes() == b.read_bytes()  # fixed zip timestamps: same weights, same bytes
    again, tok2 = lm.load_model(a)
    assert tok2.vocab == tok.vocab and again.config == model.config
    for (name, x), (_, y) in zip(model.state_dict().items(), again.state_dict().items()):
        np.testing.assert_array_equal(x, y, err_msg=name)
    with pytest.raises(FileNotFoundError, match="pretrain.py"):
        lm.load_model(tmp_path / "missing.npz")


def test_batches_shift_targets_and_ignore_padding():
    tok = WordTokenizer.build(["a b c", "a b"])
    ids = lm.encode_texts(["a b c", "a b"], tok)
    batches = list(lm.LMBatches(ids, 2, pad_id=tok.pad_id, shuffle=False))
    assert len(batches) == 1
    inputs, targets = batches[0]
    np.testing.assert_array_equal(inputs.data[0], ids[0, :-1])
    np.testing.assert_array_equal(targets.data[0], ids[0, 1:])
    assert targets.data[1, -1] == -100  # the padding after "a b <eos>" is not a target
    assert inputs.shape == (2, 4)
    with pytest.raises(ValueError, match="max_len"):
        lm.encode_texts(["a b c"], tok, max_len=3)


def test_batches_reshuffle_each_epoch_reproducibly():
    ids = np.arange(40).reshape(20, 2) + 4
    first = [b[0].data[:, 0].tolist() for b in lm.LMBatches(ids, 5, seed=1)]
    again = [b[0].data[:, 0].tolist() for b in lm.LMBatches(ids, 5, seed=1)]
    assert first == again
    loader = lm.LMBatches(ids, 5, seed=1)
    epoch1 = [b[0].data[:, 0].tolist() for b in loader]
    epoch2 = [b[0].data[:, 0].tolist() for b in loader]
    assert epoch1 != epoch2 and len(loader) == 4


def test_log_likelihood_agrees_with_the_training_loss(base):
    model, tok = base
    ids = lm.encode_texts(data.load_lines("client_val")[:8], tok, model.config.block_size + 1)
    scores = lm.log_likelihood(model, ids, batch_size=3)
    inputs, targets = next(iter(lm.LMBatches(ids[:1], 1, shuffle=False)))
    model.eval()  # no dropout, as log_likelihood scores
    try:
        with mg.no_grad():
            loss = lm.lm_loss(model(inputs), targets).item()
    finally:
        model.train()
    assert scores.shape == (8,)
    assert scores[0] == pytest.approx(-loss, rel=1e-4)


def test_threshold_choice_and_accuracy():
    scores = [0.1, 0.2, 0.3, 0.8, 0.9, 1.0]
    labels = [0, 0, 0, 1, 1, 1]
    t = choose_threshold(scores, labels)
    assert 0.3 < t < 0.8
    screener = fit_screener("x", scores, labels)
    assert screener.val_accuracy == 1.0
    assert accuracy(screener.predict([0.5, 0.85]), [0, 1]) == 1.0
    # no useful threshold: everything on one side, never worse than the majority
    assert accuracy(np.array(scores) > choose_threshold(scores, [1, 1, 1, 1, 1, 0]), [1, 1, 1, 1, 1, 0]) >= 5 / 6
    assert per_kind_accuracy([1, 0, 0], [1, 0, 1], ["house", "recycled", "house"]) == {
        "house": (1, 2), "recycled": (1, 1)}
    with pytest.raises(ValueError, match="same length"):
        choose_threshold([1.0, 2.0], [1])


def test_wilson_interval():
    low, high = wilson_interval(85, 100)
    assert 0.76 < low < 0.78 and 0.90 < high < 0.92  # the field notes' example: about 77-91%
    assert wilson_interval(0, 100)[0] == 0 and wilson_interval(100, 100)[1] == 1
    assert wilson_interval(0, 100)[1] > 0 and wilson_interval(100, 100)[0] < 1
    narrow, wide = wilson_interval(850, 1000), wilson_interval(85, 100)
    assert narrow[1] - narrow[0] < wide[1] - wide[0]
    with pytest.raises(ValueError):
        wilson_interval(5, 0)


def test_paired_difference_uses_only_the_lines_where_the_two_disagree():
    a = np.array([1] * 80 + [0] * 20, dtype=bool)
    b = a.copy()
    assert paired_difference(a, b) == (0.0, 0.0, 0.0) and compare(a, b) == "about the same as"
    b[:10] = False  # B is wrong on 10 lines A gets right: a clear win for A
    diff, low, high = paired_difference(a, b)
    assert diff == pytest.approx(0.10) and 0 < low < diff <= high
    assert compare(a, b) == "beats" and compare(b, a) == "falls behind"
    c = a.copy()
    c[:3] = False
    c[80:82] = True  # three lines lost, two won: noise
    assert compare(a, c) == "about the same as"


def _paired(both, only_a, only_b, neither):
    a = np.array([1] * both + [1] * only_a + [0] * only_b + [0] * neither, dtype=bool)
    b = np.array([1] * both + [0] * only_a + [1] * only_b + [0] * neither, dtype=bool)
    return a, b


def test_exact_mcnemar_against_the_binomial_by_hand():
    # 9 lines only A gets right, 2 only B: p = 2 * P(X <= 2), X ~ Binomial(11, 1/2) = 2 * 67 / 2048
    a, b = _paired(12, 9, 2, 21)
    assert mcnemar_p(a, b) == pytest.approx(2 * (1 + 11 + 55) / 2 ** 11, rel=1e-12)
    assert mcnemar_p(a, b) == mcnemar_p(b, a)
    assert mcnemar_p(*_paired(50, 0, 0, 50)) == 1.0
    assert mcnemar_p(*_paired(0, 1000, 1000, 0)) == pytest.approx(1.0)  # large n: exact integers, no underflow
    assert 0 < mcnemar_p(*_paired(0, 1200, 800, 0)) < 1e-15


def test_newcombe_interval_for_paired_accuracies():
    a, b = _paired(12, 9, 2, 21)
    diff, low, high = paired_difference(a, b)
    assert diff == pytest.approx(7 / 44)
    # method 10 by hand: Wilson intervals of 21/44 and 14/44, phi = (12*21 - 9*2) / sqrt(21*23*14*30)
    l1, u1 = wilson_interval(21, 44)
    l2, u2 = wilson_interval(14, 44)
    p1, p2, phi = 21 / 44, 14 / 44, (12 * 21 - 9 * 2) / np.sqrt(21 * 23 * 14 * 30)
    assert low == pytest.approx(diff - np.sqrt((p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    assert high == pytest.approx(diff + np.sqrt((u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2))
    # pairing sharpens: the paired interval is narrower than the unpaired one (phi = 0) of the same accuracies
    unpaired = np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2) + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    assert high - low < unpaired
    # coverage: over many simulated pairs of screeners with a true difference of 5 points, the 95% interval
    # holds it about 95% of the time (binomial noise on 2,000 simulations: 93.5% to 96.5% is 3 standard errors)
    rng = np.random.default_rng(0)
    hits = 0
    for _ in range(2000):
        u = rng.random(300)
        a, b = u < 0.80, (u < 0.70) | ((u > 0.80) & (u < 0.85))  # A right 80%, B right 75%, correlated
        _, low, high = paired_difference(a, b)
        hits += low <= 0.05 <= high
    assert 0.935 < hits / 2000 < 0.965


def test_holm_adjustment():
    assert holm([0.01, 0.04, 0.03, 0.5]) == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert holm([0.2]) == [0.2] and holm([0.6, 0.6]) == [1.0, 1.0]


def test_auc_and_the_cost_of_mistakes():
    assert auc([1, 2, 3, 4], [0, 0, 1, 1]) == 1.0 and auc([1, 2, 3, 4], [1, 1, 0, 0]) == 0.0
    assert auc([1, 1, 1, 1], [0, 1, 0, 1]) == 0.5  # ties count half
    assert auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == 0.75
    with pytest.raises(ValueError, match="both approved and rejected"):
        auc([1, 2], [1, 1])
    predictions, labels = [1, 1, 0, 0], [1, 0, 1, 0]  # one false accept, one false reject
    assert cost_per_line(predictions, labels) == 0.5
    assert cost_per_line(predictions, labels, false_accept_cost=5, false_reject_cost=1) == 1.5
    with pytest.raises(ValueError, match="false_accept_cost"):
        cost_per_line(predictions, labels, false_accept_cost=-1)
    # a costly false accept moves the chosen threshold up: fewer lines let through
    scores, labels = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [0, 1, 0, 1, 0, 1]
    assert choose_threshold(scores, labels, false_accept_cost=10) > choose_threshold(scores, labels)


def test_a_screener_may_call_low_scores_on_brand():
    scores, labels = [0.1, 0.2, 0.3, 0.8, 0.9, 1.0], [1, 1, 1, 0, 0, 0]
    assert fit_screener("x", scores, labels).val_accuracy == 0.5
    flipped = fit_screener("x", scores, labels, either_direction=True)
    assert flipped.below and flipped.val_accuracy == 1.0 and flipped.rule.startswith("<")
    assert list(flipped.predict([0.05, 0.95])) == [1, 0]
    assert not fit_screener("x", scores[::-1], labels, either_direction=True).below


def test_ngram_screener_chooses_n_on_the_screening_set_only():
    archive = ["Salt on the cuffs. Alder & Tide.", "Worn for years. Alder & Tide."]
    texts = ["Salt on the cuffs. Alder & Tide.", "Worn for years. Alder & Tide.", "HURRY! Sale ends Sunday!",
             "Alder & Tide. Salt on the cuffs."]
    labels = [1, 1, 0, 0]
    ngram = NgramScreener(archive).fit(texts, labels)
    assert ngram.n == 2  # unigrams cannot see the moved sign-off; bigrams with line boundaries can
    assert ngram.val_accuracies[1] < 1 and ngram.val_accuracies[2] == 1
    assert list(ngram.predict(texts)) == labels
    assert ngram.scores(["Salt on the cuffs. Alder & Tide."], 3)[0] == 1
    with pytest.raises(RuntimeError, match="fit"):
        NgramScreener(archive).predict(texts)
    assert list(constant_screener([1, 0, 0])(["a", "b"])) == [0, 0]


def test_log_likelihood_sum_is_mean_times_tokens(base):
    model, tok = base
    ids = lm.encode_texts(data.load_lines("client_val")[:5], tok, model.config.block_size + 1)
    tokens = (ids != tok.pad_id).sum(axis=1) - 1  # predicted tokens: all but <bos>
    np.testing.assert_allclose(lm.log_likelihood(model, ids, reduce="sum"),
                               lm.log_likelihood(model, ids) * tokens, rtol=1e-6)
    with pytest.raises(ValueError, match="reduce"):
        lm.log_likelihood(model, ids, reduce="max")


def test_early_stopping_from_the_curve_matches_a_real_early_stopped_run(base):
    """Lesson 9 reads early stopping off the full run's validation curve and its kept weights; the
    same seed with fit's EarlyStopping must stop at the same epoch and keep identical weights."""
    model, tok = base
    L = model.config.block_size + 1
    train = lm.encode_texts(data.load_lines("client_train")[:48], tok, L)
    val = lm.encode_texts(data.load_lines("client_val")[:32], tok, L)
    recipe = dict(lr=0.01, epochs=5, batch_size=16, warmup=0.1, clip=1.0, seed=1)  # over-fits after epoch 3
    full = finetune(model, train, val, RunConfig(**recipe), keep_epoch_weights=True)
    assert len(full.extra["epoch_weights"]) == 5
    stop, kept = early_stopping_outcome(full.history.epoch_val_loss, patience=1)
    real = finetune(model, train, val, RunConfig(**recipe, patience=1))
    assert stop < 5 and (real.history.num_epochs, real.kept_epoch) == (stop, kept)
    np.testing.assert_allclose(real.history.epoch_val_loss, full.history.epoch_val_loss[:stop])
    from_curve = weights_at_epoch(model, full, kept)
    for (name, x), (_, y) in zip(real.model.state_dict().items(), from_curve.state_dict().items()):
        np.testing.assert_array_equal(x, y, err_msg=name)
    assert early_stopping_outcome([3.0, 2.0, 1.0], patience=2) == (3, 3)  # never stops: ends at the last epoch
    assert early_stopping_outcome([1.0, 2.0, 3.0, 0.5], patience=2) == (3, 1)
    with pytest.raises(ValueError, match="keep_epoch_weights"):
        weights_at_epoch(model, real, 1)


def test_training_lines_are_a_fixed_subset():
    lines = [f"line {i}" for i in range(50)]
    first = experiment.training_lines(lines, 10, seed=0)
    assert first == experiment.training_lines(lines, 10, seed=0) and len(set(first)) == 10
    assert sorted(experiment.training_lines(lines, 50)) == sorted(lines)


def test_run_config_validates():
    with pytest.raises(ValueError, match="lr"):
        RunConfig(lr=0)
    with pytest.raises(ValueError, match="warmup"):
        RunConfig(lr=1e-3, warmup=1.5)
    with pytest.raises(ValueError, match="clip"):
        RunConfig(lr=1e-3, clip=0)
    with pytest.raises(ValueError, match="patience"):
        RunConfig(lr=1e-3, patience=-1)
    assert "no clipping" in RunConfig(lr=1e-3).describe()


def test_a_short_finetune_learns_the_voice_and_leaves_the_base_alone(base):
    model, tok = base
    L = model.config.block_size + 1
    train = lm.encode_texts(data.load_lines("client_train")[:64], tok, L)
    val = lm.encode_texts(data.load_lines("client_val")[:32], tok, L)
    before = {k: v.copy() for k, v in model.state_dict().items()}
    result = finetune(model, train, val, RunConfig(lr=3e-3, epochs=2, warmup=0.1, clip=1.0, patience=1))
    assert result.history.num_epochs >= 1 and result.seconds > 0
    assert result.val_loss < -lm.log_likelihood(model, val).mean()  # it learnt something
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name], err_msg=name)


def test_generated_copy_is_text(base):
    model, tok = base
    lines = lm.sample_copy(model, tok, 3, seed=0)
    assert len(lines) == 3 and all(isinstance(x, str) and x for x in lines)
    assert lines == lm.sample_copy(model, tok, 3, seed=0)


@pytest.mark.cuda
@pytest.mark.skipif(not mg.cuda_is_available(), reason="no CUDA GPU with CuPy on this machine")
def test_finetune_runs_on_cuda(base):
    model, tok = base
    L = model.config.block_size + 1
    train = lm.encode_texts(data.load_lines("client_train")[:32], tok, L)
    val = lm.encode_texts(data.load_lines("client_val")[:16], tok, L)
    gpu_base = lm.copy_model(model).to("cuda")
    result = finetune(gpu_base, train, val, RunConfig(lr=1e-3, epochs=1), device="cuda")
    assert result.model.wte.weight.device == "cuda"
    assert np.isfinite(result.val_loss)
    cpu = finetune(model, train, val, RunConfig(lr=1e-3, epochs=1))
    assert result.val_loss == pytest.approx(cpu.val_loss, rel=1e-3)
