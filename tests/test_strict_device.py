"""The ``cuda`` path on every machine: minigrad on tests/strict_cupy.py, a stand-in with CuPy's rules.

Each test runs with ``device="cuda"`` routed to the stand-in (fixture ``strict_cuda``, which
also makes it the default device, so the reused expressions' constants live there too). The
ops, probes and losses are the CPU tests' own (imported, not copied); what they check is that
no code path converts device data to NumPy implicitly, mixes a NumPy array into a device
operation, treats a 0-d array as a Python number, or uses a NumPy-only name.
"""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
import strict_cupy
import test_gradcheck_ops as ops
import test_torch_parity as parity
from minigrad import nn
from minigrad.optim import SGD, Adagrad, Adam, AdamW, RMSprop, lr_scheduler
from minigrad.training import evaluate, fit, load_checkpoint, lr_find, save_checkpoint
from minigrad.utils.data import DataLoader, TensorDataset

pytestmark = pytest.mark.usefixtures("strict_cuda")


def t(rng, *shape):
    return mg.tensor(rng.standard_normal(shape), requires_grad=True)  # float64, on the default device


def on_device(*values):
    """True when every tensor (or raw array, such as a ``.grad``) lives on the stand-in device."""
    return all(isinstance(x.data if isinstance(x, mg.Tensor) else x, strict_cupy.ndarray) for x in values)


# ---------------------------------------------------------------- the stand-in is as strict as CuPy
def test_the_stand_in_refuses_what_cupy_refuses():
    x = strict_cupy.asarray(np.arange(6.0).reshape(2, 3))
    for implicit in (np.asarray, np.array, float, lambda a: a.tolist(), lambda a: x + np.ones(3),
                     lambda a: a.flags.writeable, lambda a: strict_cupy.errstate):
        with pytest.raises((TypeError, AttributeError)):
            implicit(x)
    assert isinstance(x.sum(), strict_cupy.ndarray) and x.sum().shape == ()  # NumPy: a numpy.float64
    assert isinstance(x[0, 1], strict_cupy.ndarray) and float(x[0, 1]) == 1.0
    assert isinstance(np.exp(x), strict_cupy.ndarray)  # NumPy's functions dispatch to the device, as CuPy's
    np.testing.assert_array_equal(x.get(), np.arange(6.0).reshape(2, 3))


def test_tensors_on_cuda_live_on_the_stand_in(strict_cuda):
    assert mg.get_default_device() == "cuda" and mg.zeros(2).device == "cuda" and on_device(mg.tensor([1.0]))
    assert mg.tensor(np.ones(2), device="cpu").device == "cpu"


# ---------------------------------------------------------------- every op's gradient
@pytest.mark.parametrize("name", sorted(ops.UNARY))
def test_unary_op_gradients(name, rng):
    a = t(rng, 2, 3, 4)
    assert on_device(ops.UNARY[name](a)) and mg.gradcheck(ops.UNARY[name], [a])


@pytest.mark.parametrize("name", sorted(ops.BINARY))
@pytest.mark.parametrize("shapes", [((2, 3, 4), (3, 1)), ((1, 4), (3, 1))])
def test_binary_op_gradients_under_broadcasting(name, shapes, rng):
    assert mg.gradcheck(ops.BINARY[name], [t(rng, *shapes[0]), t(rng, *shapes[1])])


@pytest.mark.parametrize("shapes", [((2, 3, 4), (4, 2)), ((4,), (2, 4, 3)), ((3, 4), (4,)), ((4,), (4,))])
def test_matmul_gradients(shapes, rng):
    assert mg.gradcheck(lambda a, b: a @ b, [t(rng, *shapes[0]), t(rng, *shapes[1])])


@pytest.mark.parametrize("name", sorted(ops.LOSSES))
def test_loss_gradients(name, rng):
    assert mg.gradcheck(ops.LOSSES[name], [t(rng, 6, 4), t(rng, 6, 4)])


@pytest.mark.parametrize("name", sorted(ops.REDUCTIONS))
@pytest.mark.parametrize("dim, keep", [(1, False), (-1, True)])
def test_reduction_gradients(name, dim, keep, rng):
    assert mg.gradcheck(lambda x: ops.REDUCTIONS[name](x, dim, keep), [t(rng, 2, 3, 4)])


def test_cat_stack_layer_norm_cross_entropy_and_mse(rng):
    a, b, c = t(rng, 2, 3), t(rng, 4, 3), t(rng, 2, 3)
    assert mg.gradcheck(lambda a, b, c: mg.cat([a, b], dim=0) * 2 + mg.cat([a, c], dim=1).sum(), [a, b, c])
    assert mg.gradcheck(lambda a, c: mg.stack([a, c], dim=1) * mg.arange(6).double().reshape(1, 2, 3), [a, c])
    x, w, bias = t(rng, 3, 5), t(rng, 5), t(rng, 5)
    assert mg.gradcheck(lambda x, w, b: F.layer_norm(x, 5, w, b) * mg.arange(5).double(), [x, w, bias])
    assert mg.gradcheck(lambda a, b: F.mse_loss(a, b), [t(rng, 4, 2), t(rng, 4, 2)])
    logits = t(rng, 6, 4)
    target = mg.tensor([0, 3, -100, 1, 2, 2])
    assert mg.gradcheck(lambda z: F.cross_entropy(z, target), [logits])


def test_repeated_indices_add_up_through_cupys_scatter_add(rng):
    before = strict_cupy.calls["scatter_add"]
    a = t(rng, 3, 4)
    a[mg.tensor([0, 0, 2])].sum().backward()
    np.testing.assert_array_equal(a.grad.get()[:, 0], [2.0, 0.0, 1.0])
    emb = nn.Embedding(5, 2)
    emb(mg.tensor([1, 1, 3])).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.get()[:, 0], [0.0, 2.0, 0.0, 1.0, 0.0])
    assert strict_cupy.calls["scatter_add"] >= before + 2


def test_a_target_or_index_left_on_the_cpu_is_refused_by_name():
    logits = mg.randn(3, 4, requires_grad=True)
    on_cpu = mg.tensor([0, 1, 2], device="cpu")
    for call in (lambda: F.cross_entropy(logits, on_cpu), lambda: F.nll_loss(logits.log_softmax(1), on_cpu),
                 lambda: F.cross_entropy(logits.reshape(3, 4, 1), on_cpu.reshape(3, 1)),
                 lambda: F.binary_cross_entropy_with_logits(logits, mg.zeros(3, 4, device="cpu")),
                 lambda: logits.gather(1, on_cpu.reshape(3, 1)), lambda: nn.Embedding(5, 2)(on_cpu)):
        with pytest.raises(RuntimeError, match="same device, got cuda and cpu|different devices"):
            call()
    assert np.isfinite(F.cross_entropy(logits, [0, 1, 2]).item())  # a list goes to the logits' device


# ---------------------------------------------------------------- PyTorch's recorded behaviour
@pytest.mark.parametrize("name", sorted(parity.PROBES))
def test_probe_matches_torch(name):
    parity.test_probe_matches_torch(name)


# ---------------------------------------------------------------- layers, optimizers, schedules, clipping
def test_every_layer_runs_forward_and_backward_on_the_device():
    mg.manual_seed(0)
    x = mg.randn(4, 6)
    layers = [nn.Linear(6, 3), nn.LayerNorm(6), nn.Dropout(0.5), nn.Identity(), nn.ReLU(), nn.Tanh(), nn.Sigmoid(),
              nn.GELU(), nn.GELU(approximate="tanh"), nn.SiLU(), nn.ELU(), nn.LeakyReLU(0.1), nn.Softplus(),
              nn.Hardtanh(), nn.ReLU6(), nn.LogSigmoid(),
              nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 2))]
    for layer in layers:
        x.grad = None
        x.requires_grad_(True)
        out = layer(x)
        assert on_device(out), type(layer).__name__
        (out * out).sum().backward()
        assert on_device(x.grad, *[p.grad for p in layer.parameters()]), type(layer).__name__
    tokens = mg.tensor([[1, 2, 3], [3, 2, 1]])
    gpt = nn.GPT(nn.GPTConfig(vocab_size=7, block_size=4, n_layer=1, n_head=2, n_embd=8))
    loss = F.cross_entropy(gpt(tokens).reshape(-1, 7), tokens.reshape(-1))
    loss.backward()
    assert on_device(gpt.wte.weight.grad) and np.isfinite(loss.item())
    assert gpt.generate(tokens[:, :2], max_new_tokens=2).shape == (2, 4)


OPTIMIZERS = {
    "SGD": lambda p: SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    "Adagrad": lambda p: Adagrad(p, lr=0.1),
    "RMSprop": lambda p: RMSprop(p, lr=0.01, momentum=0.5, centered=True),
    "Adam": lambda p: Adam(p, lr=0.01, amsgrad=True),
    "AdamW": lambda p: AdamW(p, lr=0.01),
}


def _quadratic_problem():
    mg.manual_seed(0)
    model = nn.Linear(3, 1)
    x = mg.randn(16, 3)
    y = x @ mg.tensor([[1.0], [-2.0], [0.5]]) + 0.3
    return model, x, y


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_matches_its_cpu_run(name):
    losses = {}
    for device in ("cuda", "cpu"):
        mg.set_default_device(device)
        model, x, y = _quadratic_problem()
        opt = OPTIMIZERS[name](model.parameters())
        for _ in range(5):
            opt.zero_grad()
            loss = F.mse_loss(model(x), y)
            loss.backward()
            opt.step()
        assert model.weight.device == device
        losses[device] = loss.item()
    mg.set_default_device("cuda")
    assert losses["cuda"] == pytest.approx(losses["cpu"], rel=1e-5)


SCHEDULERS = {
    "StepLR": lambda o: lr_scheduler.StepLR(o, step_size=2),
    "MultiStepLR": lambda o: lr_scheduler.MultiStepLR(o, milestones=[1, 3]),
    "ConstantLR": lambda o: lr_scheduler.ConstantLR(o),
    "LinearLR": lambda o: lr_scheduler.LinearLR(o),
    "ExponentialLR": lambda o: lr_scheduler.ExponentialLR(o, gamma=0.9),
    "PolynomialLR": lambda o: lr_scheduler.PolynomialLR(o, total_iters=4),
    "CosineAnnealingLR": lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=4),
    "LambdaLR": lambda o: lr_scheduler.LambdaLR(o, lambda step: 0.5 ** step),
    "MultiplicativeLR": lambda o: lr_scheduler.MultiplicativeLR(o, lambda step: 0.9),
    "OneCycleLR": lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=6),
    "SequentialLR": lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.LinearLR(o), lr_scheduler.StepLR(o, 2)],
                                                        milestones=[2]),
    "ChainedScheduler": lambda o: lr_scheduler.ChainedScheduler([lr_scheduler.ConstantLR(o),
                                                                 lr_scheduler.ExponentialLR(o, 0.9)]),
    "ReduceLROnPlateau": lambda o: lr_scheduler.ReduceLROnPlateau(o, mode="max", patience=0),  # loss falls
    "linear_warmup": lambda o: lr_scheduler.get_linear_schedule_with_warmup(o, 2, 6),
    "cosine_warmup": lambda o: lr_scheduler.get_cosine_schedule_with_warmup(o, 2, 6),
}


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_every_scheduler_steps_a_device_optimizer(name):
    model, x, y = _quadratic_problem()
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = SCHEDULERS[name](opt)
    lrs = []
    for _ in range(5):
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        scheduler.step(loss) if name == "ReduceLROnPlateau" else scheduler.step()  # a device 0-d loss
        lrs.append(opt.param_groups[0]["lr"])
    assert all(isinstance(lr, float) for lr in lrs) and len(set(lrs)) > 1, lrs


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_clipping_on_the_device(norm_type):
    model, x, y = _quadratic_problem()
    F.mse_loss(model(x), y).backward()
    total = nn.utils.clip_grad_norm_(model.parameters(), 0.1, norm_type=norm_type)
    assert np.isfinite(float(total)) and float(total) > 0.1
    grads = np.concatenate([p.grad.get().ravel() for p in model.parameters()])
    after = np.abs(grads).max() if norm_type == float("inf") else (np.abs(grads) ** norm_type).sum() ** (1 / norm_type)
    assert after == pytest.approx(0.1, rel=1e-4)


# ---------------------------------------------------------------- training: fit, lr_find, checkpoints
def _loaders():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3)).astype(np.float32)
    y = np.sin(x.sum(1, keepdims=True)).astype(np.float32)
    data = TensorDataset(mg.tensor(x), mg.tensor(y))
    return DataLoader(data, batch_size=16, shuffle=True), DataLoader(data, batch_size=32)


def test_fit_evaluate_and_lr_find_on_the_device():
    model, _, _ = _quadratic_problem()
    train, val = _loaders()
    opt = Adam(model.parameters(), lr=0.05)
    history = fit(model, opt, train, F.mse_loss, epochs=3, val_loader=val, clip_grad_norm=1.0,
                  scheduler=lr_scheduler.CosineAnnealingLR(opt, T_max=12), progress=False)
    assert history.num_steps == 12 and history.epoch_val_loss[-1] < history.epoch_val_loss[0]
    assert isinstance(evaluate(model, val, F.mse_loss), float) and model.weight.device == "cuda"
    finder = lr_find(model, SGD(model.parameters(), lr=1e-3), train, F.mse_loss, num_iter=8)
    assert len(finder.lrs) == len(finder.losses) > 0


def test_a_checkpoint_saved_on_the_device_loads_on_the_cpu(tmp_path):
    model, x, y = _quadratic_problem()
    opt = AdamW(model.parameters(), lr=0.01)
    sched = lr_scheduler.get_linear_schedule_with_warmup(opt, num_warmup_steps=1, num_training_steps=5)
    for _ in range(2):
        opt.zero_grad()
        F.mse_loss(model(x), y).backward()
        opt.step()
        sched.step()
    save_checkpoint(tmp_path / "gpu.npz", model, opt, sched, note="from the device")
    mg.set_default_device("cpu")
    cpu_model = nn.Linear(3, 1)
    cpu_opt = AdamW(cpu_model.parameters(), lr=0.01)
    cpu_sched = lr_scheduler.get_linear_schedule_with_warmup(cpu_opt, num_warmup_steps=1, num_training_steps=5)
    extra = load_checkpoint(tmp_path / "gpu.npz", cpu_model, cpu_opt, cpu_sched)
    mg.set_default_device("cuda")
    assert extra["note"] == "from the device" and cpu_model.weight.device == "cpu"
    np.testing.assert_array_equal(cpu_model.weight.numpy(), model.weight.numpy())
    state = cpu_opt.state_dict()["state"]
    assert all(isinstance(v, np.ndarray) for s in state.values() for v in s.values() if hasattr(v, "shape"))
    twin = nn.Linear(3, 1)  # and back onto the device
    twin_opt = AdamW(twin.parameters(), lr=0.01)
    load_checkpoint(tmp_path / "gpu.npz", twin, twin_opt)
    twin_opt.load_state_dict(opt.state_dict())
    twin.load_state_dict(model.state_dict())
    state = twin_opt.state[twin.weight]
    assert on_device(twin.weight, state["exp_avg"], state["exp_avg_sq"]) and state["step"] == 2


# ---------------------------------------------------------------- the case study
def test_a_case_study_fine_tuning_step_on_the_device():
    from coursekit.casestudy import data, lm
    from coursekit.casestudy.finetune import RunConfig, finetune

    mg.set_default_device("cpu")
    model, tok = lm.load_model()
    mg.set_default_device("cuda")
    length = model.config.block_size + 1
    train = lm.encode_texts(data.load_lines("client_train")[:16], tok, length)
    val = lm.encode_texts(data.load_lines("client_val")[:8], tok, length)
    config = RunConfig(lr=1e-3, epochs=1, batch_size=8)
    gpu = finetune(lm.copy_model(model).to("cuda"), train, val, config, device="cuda", max_steps=2)
    assert gpu.model.wte.weight.device == "cuda" and np.isfinite(gpu.val_loss)
    mg.set_default_device("cpu")
    cpu = finetune(model, train, val, config, device="cpu", max_steps=2)
    mg.set_default_device("cuda")
    assert gpu.val_loss == pytest.approx(cpu.val_loss, rel=1e-4)


# ---------------------------------------------------------------- the one device switch
def test_minigrad_device_moves_the_case_study_to_the_gpu(monkeypatch):
    from coursekit.casestudy import lm, report

    mg.set_default_device(None)  # as a fresh session: only the environment variable decides
    monkeypatch.setenv("MINIGRAD_DEVICE", "cuda")
    assert mg.get_default_device() == "cuda" and report.settings()["device"] == "cuda"
    model, _ = lm.load_model()
    inputs, targets = next(iter(lm.LMBatches(np.ones((4, 9), dtype=np.int64), 2)))
    assert on_device(model.wte.weight, inputs, targets, mg.zeros(1), nn.Linear(2, 2).weight)
    monkeypatch.setenv("MINIGRAD_DEVICE", "cpu")  # read once: a new value counts from a new session
    assert mg.get_default_device() == "cuda"
    mg.set_default_device(None)  # (as a new session)
    assert report.settings()["device"] == "cpu" and lm.load_model()[0].wte.weight.device == "cpu"
    monkeypatch.delenv("MINIGRAD_DEVICE")
    mg.set_default_device(None)
    assert mg.get_default_device() == "cpu"
    monkeypatch.setenv("MINIGRAD_DEVICE", "gpu")
    mg.set_default_device(None)
    with pytest.raises(ValueError, match="MINIGRAD_DEVICE='gpu'.*'cpu' or 'cuda'"):
        mg.zeros(1)


@pytest.mark.skipif(mg.cuda_is_available(), reason="checks the message shown where CUDA is missing")
def test_minigrad_device_cuda_without_a_gpu_says_what_to_install(monkeypatch):
    monkeypatch.setattr(mg.backend, "_cupy", None)  # CuPy itself, not the stand-in
    mg.set_default_device(None)
    monkeypatch.setenv("MINIGRAD_DEVICE", "cuda")
    with pytest.raises(RuntimeError, match="pip install 'minigrad-course\\[gpu\\]'"):
        mg.tensor([1.0])
