"""Write tests/fixtures/torch_core.npz: forward values and gradients from PyTorch.

Run by hand (needs torch==2.13.0, which is not a dependency of the package):
    .venv/bin/pip install torch==2.13.0
    .venv/bin/python tools/make_torch_fixtures_core.py
The tests compare minigrad against this file without importing torch.
"""
import pathlib

import numpy as np
import torch

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "torch_core.npz"

# name -> (input shapes, torch function). Inputs are drawn from one seeded generator.
CASES = {
    "add_broadcast": ([(3, 4), (4,)], lambda a, b: a + b),
    "sub_broadcast": ([(2, 1, 4), (3, 1)], lambda a, b: a - b),
    "mul_broadcast": ([(3, 4), (3, 1)], lambda a, b: a * b),
    "div": ([(3, 4), (3, 4)], lambda a, b: a / (b.abs() + 1.0)),
    "pow_scalar": ([(5,)], lambda a: a.abs() ** 1.5),
    "pow_tensor": ([(4,), (4,)], lambda a, b: (a.abs() + 0.5) ** b),
    "rsub_rdiv": ([(4,)], lambda a: 2.0 - 3.0 / (a.abs() + 1.0)),
    "matmul_2d": ([(3, 4), (4, 5)], lambda a, b: a @ b),
    "matmul_batched_broadcast": ([(2, 1, 3, 4), (5, 4, 2)], lambda a, b: a @ b),
    "matmul_vec_mat": ([(4,), (4, 3)], lambda a, b: a @ b),
    "matmul_mat_vec": ([(2, 3, 4), (4,)], lambda a, b: a @ b),
    "matmul_vec_vec": ([(4,), (4,)], lambda a, b: a @ b),
    "exp_log_sqrt": ([(6,)], lambda a: (a.exp() + 1).log() + (a.abs() + 0.1).sqrt()),
    "tanh_sigmoid": ([(3, 3)], lambda a: a.tanh() * a.sigmoid()),
    "relu_abs": ([(10,)], lambda a: a.relu() + a.abs()),
    "clamp": ([(10,)], lambda a: a.clamp(-0.5, 0.7)),
    "maximum": ([(3, 4), (4,)], lambda a, b: torch.maximum(a, b)),
    "sum_dims": ([(2, 3, 4)], lambda a: a.sum(dim=(0, 2), keepdim=True) * a.sum(dim=1).mean()),
    "mean_var": ([(4, 5)], lambda a: a.mean(dim=1) + a.var(dim=1)),
    "var_all": ([(4, 5)], lambda a: a.var()),
    "max_dim": ([(4, 5)], lambda a: a.max(dim=1).values),
    "reshape_transpose_permute": ([(2, 3, 4)], lambda a: a.reshape(6, 4).T.reshape(4, 3, 2).permute(2, 0, 1).transpose(0, 2)),
    "getitem_slices": ([(5, 4)], lambda a: a[1:4, ::2]),
    "getitem_repeated": ([(5, 3)], lambda a: a[torch.tensor([0, 2, 2, 4, 0])]),
    "cat_stack": ([(2, 3), (4, 3)], lambda a, b: torch.cat([a, b], dim=0).sum(0) * torch.stack([a[0], b[1]], dim=1).sum(1)),
    "where": ([(3, 4), (3, 4)], lambda a, b: torch.where(a > 0, a, b * 2)),
    "softmax": ([(3, 5)], lambda a: (a * 100).softmax(dim=-1)),
    "log_softmax": ([(3, 5)], lambda a: (a * 100).log_softmax(dim=0)),
    "gelu": ([(10,)], lambda a: torch.nn.functional.gelu(a * 3, approximate="tanh")),
    "layer_norm": ([(3, 6), (6,), (6,)], lambda a, w, b: torch.nn.functional.layer_norm(a, (6,), w, b)),
    "mse_loss": ([(4, 3), (4, 3)], lambda a, b: torch.nn.functional.mse_loss(a, b)),
}


def main():
    rng = np.random.default_rng(1234)
    arrays = {}
    for name, (shapes, fn) in CASES.items():
        inputs = [torch.tensor(rng.standard_normal(shape), dtype=torch.float64, requires_grad=True) for shape in shapes]
        out = fn(*inputs)
        direction = torch.tensor(rng.standard_normal(tuple(out.shape)), dtype=torch.float64)
        out.backward(direction)
        arrays[f"{name}/out"] = out.detach().numpy()
        arrays[f"{name}/direction"] = direction.numpy()
        for i, t in enumerate(inputs):
            arrays[f"{name}/in{i}"] = t.detach().numpy()
            arrays[f"{name}/grad{i}"] = t.grad.numpy()

    # cross-entropy with ignore_index, and a small MLP's loss and gradients
    logits = torch.tensor(rng.standard_normal((6, 4)) * 50, requires_grad=True)
    target = torch.tensor([0, 3, 1, -100, 2, 3])
    loss = torch.nn.functional.cross_entropy(logits, target, ignore_index=-100)
    loss.backward()
    arrays.update({"ce/logits": logits.detach().numpy(), "ce/target": target.numpy(),
                   "ce/loss": loss.detach().numpy(), "ce/grad": logits.grad.numpy()})

    x = torch.tensor(rng.standard_normal((8, 5)))
    y = torch.tensor(rng.integers(0, 3, 8))
    w1 = torch.tensor(rng.standard_normal((5, 7)) * 0.5, requires_grad=True)
    b1 = torch.tensor(rng.standard_normal(7) * 0.1, requires_grad=True)
    w2 = torch.tensor(rng.standard_normal((7, 3)) * 0.5, requires_grad=True)
    b2 = torch.tensor(rng.standard_normal(3) * 0.1, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(torch.tanh(x @ w1 + b1) @ w2 + b2, y)
    loss.backward()
    arrays.update({"mlp/x": x.numpy(), "mlp/y": y.numpy(), "mlp/loss": loss.detach().numpy()})
    for name, t in {"w1": w1, "b1": b1, "w2": w2, "b2": b2}.items():
        arrays[f"mlp/{name}"] = t.detach().numpy()
        arrays[f"mlp/grad_{name}"] = t.grad.numpy()

    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {len(arrays)} arrays to {OUT} with torch {torch.__version__}")


if __name__ == "__main__":
    main()
