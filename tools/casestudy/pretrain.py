"""Pre-train the case study's base model on the general marketing corpus (seeded, CPU, minutes).

    python tools/casestudy/pretrain.py                 # writes course/models/base_gpt.npz (+ .sha256)
    python tools/casestudy/pretrain.py --steps 200 --out /tmp/quick.npz   # a quick trial

The base model is a small GPT (minigrad.nn.gpt) that has read copy from 38 fictional brands
in eight house voices, other coastal makers writing in the category's phrases, and everyday
sentences, but never a line by the client, Alder & Tide. Its vocabulary is built from the
general corpus, the client's training archive and every word the client's sentence inventory
can write (a word-level stand-in for a sub-word tokenizer that can spell any word).

It prints the model's size, the pre-training time and the process's peak memory (resident set
size, from the operating system): the figures the case study's data card reports.
"""

import argparse
import math
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "course"))
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import minigrad as mg  # noqa: E402
from minigrad.nn.gpt import GPT, GPTConfig  # noqa: E402
from minigrad.optim import AdamW  # noqa: E402
from minigrad.optim.lr_scheduler import get_cosine_schedule_with_warmup  # noqa: E402
from minigrad.training import evaluate, fit  # noqa: E402

from coursekit.casestudy.data import load_lines, vocabulary_texts  # noqa: E402
from coursekit.casestudy.lm import (BASE_MODEL_PATH, LMBatches, encode_texts, limit_blas_threads,  # noqa: E402
                                    lm_loss, save_model, sha256_of)
from coursekit.casestudy.tokenizer import WordTokenizer  # noqa: E402

# The CPU configuration the notebook uses. block_size 32 holds the longest line of copy
# (31 tokens with <bos>; the model never needs to see <eos> as an input). Dropout 0.1 and
# weight decay 0.1, as GPT-2 was trained: without them the model learns the corpus's
# templates so sharply that any new line looks impossibly unlikely to it.
CONFIGS = {
    "small": dict(block_size=32, n_layer=2, n_head=4, n_embd=64, dropout=0.1, tie_weights=True),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", choices=sorted(CONFIGS), default="small")
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--dropout", type=float, default=None, help="override the config's dropout")
    parser.add_argument("--weight-decay", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", type=Path, default=BASE_MODEL_PATH)
    args = parser.parse_args(argv)

    limit_blas_threads(1)  # small matrices: one thread is fastest
    mg.manual_seed(args.seed)
    corpus = load_lines("pretrain")
    tokenizer = WordTokenizer.build(vocabulary_texts())
    held_out = 600  # the last lines of the corpus, to watch for over-fitting while pre-training
    sizes = dict(CONFIGS[args.config])
    if args.dropout is not None:
        sizes["dropout"] = args.dropout
    cfg = GPTConfig(vocab_size=len(tokenizer), **sizes)
    ids = encode_texts(corpus, tokenizer, max_len=cfg.block_size + 1)
    train_ids, val_ids = ids[:-held_out], ids[-held_out:]

    model = GPT(cfg).to(args.device)
    gelus = {m.approximate for m in model.modules() if type(m).__name__ == "GELU"}
    assert gelus == {"tanh"}, f"the base model is trained with GPT-2's tanh GELU, got {gelus}"
    print(f"GPT {args.config}: {model.num_parameters():,} parameters, vocabulary {len(tokenizer)}, "
          f"{len(train_ids):,} training lines")
    train = LMBatches(train_ids, args.batch_size, pad_id=tokenizer.pad_id, seed=args.seed, device=args.device)
    val = LMBatches(val_ids, 128, pad_id=tokenizer.pad_id, shuffle=False, device=args.device)
    optimizer = AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    scheduler = get_cosine_schedule_with_warmup(optimizer, num_warmup_steps=args.steps // 20,
                                                num_training_steps=args.steps)
    epochs = math.ceil(args.steps / len(train))
    started = time.perf_counter()
    history = fit(model, optimizer, train, lm_loss, epochs=epochs, val_loader=val, scheduler=scheduler,
                  clip_grad_norm=1.0, max_steps=args.steps, progress=sys.stderr.isatty())
    seconds = time.perf_counter() - started
    val_loss = evaluate(model, val, lm_loss)
    print(f"{history.message} {seconds:.0f} s; held-out loss {val_loss:.3f} "
          f"(perplexity {math.exp(val_loss):.1f}); train loss over the last 50 steps "
          f"{np.mean(history.step_loss[-50:]):.3f}")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_model(args.out, model.to("cpu"), tokenizer, seed=args.seed, steps=history.num_steps)
    digest = sha256_of(args.out)
    args.out.with_suffix(".sha256").write_text(f"{digest}  {args.out.name}\n")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB), sha256 {digest}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
    print(f"model: {model.num_parameters():,} parameters; pre-training {seconds:.0f} s of {args.steps} steps; "
          f"peak memory (resident) {peak:.0f} MB")


if __name__ == "__main__":
    main()
