"""GPU training-step benchmark: minigrad on CuPy against PyTorch on CUDA, float32.

Three steps (forward, loss, backward, AdamW update), each timed for both libraries
interleaved in one process, median of --repeats runs after warm-up:

* MLP 784-256-256-10, batch 512 (samples/s);
* the case study's GPT (the shipped base model's configuration), batch 16 (tokens/s);
* a GPT-2-small-shaped model: 124M parameters, sequence 128, batch 16 (tokens/s).

The ratio is minigrad's time over PyTorch's (goal: within 2x on the GPT-2-small step).
Without a GPU (or CuPy) it prints why and exits 0; without PyTorch it times minigrad alone.
Runs in a few minutes on one GPU.

    .venv/bin/python benchmarks/bench_gpu.py [--repeats 10]
"""
import argparse
import pathlib
import statistics
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "course"))

import minigrad as mg  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402
from minigrad import nn  # noqa: E402

GPT2_SMALL = dict(vocab_size=50257, block_size=128, n_layer=12, n_head=12, n_embd=768)


def gpu_or_reason():
    """None when minigrad can use the GPU, else why not (the message minigrad gives)."""
    try:
        mg.backend.cupy_module()
    except RuntimeError as exc:
        return str(exc)
    return None


def torch_cuda():
    """PyTorch when it is installed and sees the GPU, else None."""
    try:
        import torch
    except ImportError:
        return None
    return torch if torch.cuda.is_available() else None


# ---------------------------------------------------------------- minigrad steps
def minigrad_mlp_step(batch, rng):
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    model.to("cuda")
    opt = mg.optim.AdamW(model.parameters(), lr=1e-3)
    x = mg.tensor(rng.standard_normal((batch, 784)).astype(np.float32), device="cuda")
    y = mg.tensor(rng.integers(0, 10, batch), device="cuda")

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()  # waits for the GPU
    return step


def minigrad_gpt_step(config, batch, rng):
    mg.manual_seed(0)
    model = nn.GPT(nn.GPTConfig(**config)).to("cuda")
    opt = mg.optim.AdamW(model.parameters(), lr=1e-4)
    ids = rng.integers(0, config["vocab_size"], (batch, config["block_size"] + 1))
    x, y = mg.tensor(ids[:, :-1], device="cuda"), mg.tensor(ids[:, 1:], device="cuda")

    def step():
        opt.zero_grad()
        _, loss = model(x, y)
        loss.backward()
        opt.step()
        return loss.item()
    return step


# ---------------------------------------------------------------- the same steps in PyTorch
def torch_mlp_step(torch, batch, rng):
    torch.manual_seed(0)
    tnn = torch.nn
    model = tnn.Sequential(tnn.Linear(784, 256), tnn.ReLU(), tnn.Linear(256, 256), tnn.ReLU(),
                           tnn.Linear(256, 10)).cuda()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x = torch.tensor(rng.standard_normal((batch, 784)).astype(np.float32), device="cuda")
    y = torch.tensor(rng.integers(0, 10, batch), device="cuda")

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()
    return step


def torch_gpt(torch, config):
    """minigrad's GPT (pre-norm blocks, causal attention, tanh GELU, tied weights) in PyTorch."""
    tnn = torch.nn
    C, H, T, V = config["n_embd"], config["n_head"], config["block_size"], config["vocab_size"]

    class Block(tnn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1, self.ln_2 = tnn.LayerNorm(C), tnn.LayerNorm(C)
            self.c_attn, self.c_proj = tnn.Linear(C, 3 * C), tnn.Linear(C, C)
            self.mlp = tnn.Sequential(tnn.Linear(C, 4 * C), tnn.GELU(approximate="tanh"), tnn.Linear(4 * C, C))
            self.register_buffer("future", torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1))

        def forward(self, x):
            B, L, _ = x.shape
            q, k, v = self.c_attn(self.ln_1(x)).reshape(B, L, 3, H, C // H).permute(2, 0, 3, 1, 4)
            att = (q @ k.transpose(-2, -1)) / (C // H) ** 0.5  # written out, as minigrad computes it
            att = att.masked_fill(self.future[:L, :L], float("-inf")).softmax(dim=-1)
            x = x + self.c_proj((att @ v).transpose(1, 2).reshape(B, L, C))
            return x + self.mlp(self.ln_2(x))

    class GPT(tnn.Module):
        def __init__(self):
            super().__init__()
            self.wte, self.wpe = tnn.Embedding(V, C), tnn.Embedding(T, C)
            self.blocks = tnn.ModuleList(Block() for _ in range(config["n_layer"]))
            self.ln_f = tnn.LayerNorm(C)

        def forward(self, idx):
            x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1], device=idx.device))
            for block in self.blocks:
                x = block(x)
            return self.ln_f(x) @ self.wte.weight.T  # tied LM head

    return GPT()


def torch_gpt_step(torch, config, batch, rng):
    torch.manual_seed(0)
    model = torch_gpt(torch, config).cuda()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    ids = torch.tensor(rng.integers(0, config["vocab_size"], (batch, config["block_size"] + 1)), device="cuda")
    x, y = ids[:, :-1], ids[:, 1:]

    def step():
        opt.zero_grad()
        logits = model(x)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        loss.backward()
        opt.step()
        return loss.item()
    return step


def case_study_config():
    from coursekit.casestudy import lm

    config = lm.load_model(device="cpu")[0].config.to_dict()
    return {k: config[k] for k in ("vocab_size", "block_size", "n_layer", "n_head", "n_embd")}


def time_interleaved(steps, repeats, warmup=2):
    for step in steps.values():
        for _ in range(warmup):
            step()
    times = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(ts) for name, ts in times.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args(argv)
    reason = gpu_or_reason()
    if reason:
        print(f"bench_gpu skipped: no GPU for minigrad ({reason})")
        return 0
    torch = torch_cuda()
    if torch is None:
        print("PyTorch with CUDA not available: timing minigrad alone")
    rng = np.random.default_rng(0)
    cases = [("MLP 784-256-256-10, batch 512", "samples/s", 512,
              lambda: minigrad_mlp_step(512, rng), lambda: torch_mlp_step(torch, 512, rng))]
    for label, config in (("case-study GPT, batch 16", case_study_config()),
                          ("GPT-2-small shape (124M), seq 128, batch 16", GPT2_SMALL)):
        cases.append((label, "tokens/s", 16 * config["block_size"],
                      lambda c=config: minigrad_gpt_step(c, 16, rng),
                      lambda c=config: torch_gpt_step(torch, c, 16, rng)))

    print(f"float32, forward + loss + backward + AdamW step; median of {args.repeats} interleaved runs")
    print(f"{'step':<46} {'unit':>9} {'minigrad':>11} {'torch':>11} {'ratio':>7}")
    for label, unit, per_step, make_mg, make_torch in cases:
        steps = {"minigrad": make_mg()}
        if torch is not None:
            steps["torch"] = make_torch()
        med = time_interleaved(steps, args.repeats)
        rate = {name: per_step / seconds for name, seconds in med.items()}
        row = f"{label:<46} {unit:>9} {rate['minigrad']:>11,.0f}"
        if torch is not None:
            row += f" {rate['torch']:>11,.0f} {med['minigrad'] / med['torch']:>6.2f}x"
        print(row, flush=True)
        del steps
    return 0


if __name__ == "__main__":
    sys.exit(main())
