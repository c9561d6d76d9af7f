import json
import math
import os
import zipfile

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.optim import SGD, AdamW, lr_scheduler
from minigrad.training import CheckpointError, History, load_checkpoint, save_checkpoint
from minigrad.training import checkpoint as checkpoint_module


def make(seed=0, hidden=8, lr=1e-2):
    mg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, hidden), nn.Tanh(), nn.Linear(hidden, 1))
    opt = AdamW(model.parameters(), lr=lr, betas=(0.8, 0.95), weight_decay=0.1)
    sched = lr_scheduler.get_linear_schedule_with_warmup(opt, num_warmup_steps=3, num_training_steps=20)
    return model, opt, sched


def batches(seed=1, count=10):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        x = rng.standard_normal((16, 3)).astype(np.float32)
        yield mg.tensor(x), mg.tensor(np.sin(x.sum(1, keepdims=True)))


def train(model, opt, sched, data):
    for x, y in data:
        opt.zero_grad()
        F.mse_loss(model(x), y).backward()
        opt.step()
        sched.step()


def test_round_trip_resumes_training_exactly(tmp_path):
    data = list(batches(count=10))
    # uninterrupted: 10 steps
    model, opt, sched = make()
    train(model, opt, sched, data)
    # interrupted: 4 steps, save, then a fresh process (other seed) loads and does the other 6
    first, first_opt, first_sched = make()
    train(first, first_opt, first_sched, data[:4])
    path = tmp_path / "run.npz"
    save_checkpoint(path, first, first_opt, first_sched, epoch=4)
    resumed, resumed_opt, resumed_sched = make(seed=99)
    extra = load_checkpoint(path, resumed, resumed_opt, resumed_sched)
    assert extra == {"epoch": 4}
    assert resumed_opt.param_groups[0]["betas"] == (0.8, 0.95)
    assert resumed_sched.get_last_lr() == first_sched.get_last_lr()
    train(resumed, resumed_opt, resumed_sched, data[4:])
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[name], value)
    assert resumed_opt.param_groups[0]["lr"] == opt.param_groups[0]["lr"]


def test_file_is_plain_arrays_with_namespaced_keys_and_json_metadata(tmp_path):
    model, opt, sched = make()
    train(model, opt, sched, batches(count=2))
    path = tmp_path / "c.npz"
    save_checkpoint(path, model, opt, sched)
    with np.load(path, allow_pickle=False) as data:
        keys = set(data.files)
        assert all(data[k].dtype != object for k in keys)
        metadata = json.loads(data["__metadata__"].tobytes().decode("utf-8"))
    assert {"model/0.weight", "model/0.bias", "model/2.weight", "model/2.bias"} <= keys
    assert {"optimizer/state/0/exp_avg", "optimizer/state/3/exp_avg_sq"} <= keys
    assert metadata["format"] == "minigrad-checkpoint" and metadata["version"] == 1
    assert all(k.startswith(("model/", "optimizer/", "scheduler/", "extra/", "__metadata__")) for k in keys)
    with zipfile.ZipFile(path) as archive:  # nothing pickled anywhere
        assert all(name.endswith(".npy") for name in archive.namelist())


def test_extra_values_come_back_with_their_types(tmp_path):
    model, _, _ = make()
    history = History()
    history.record_step(1.5, lr=0.1, grad_norm=2.0, time=0.01)
    history.record_epoch(1.5, 1.7)
    extra = {"epoch": 7, "lr": 2e-5, "name": "brand-voice", "flags": [True, None], "pair": (1, 2.5),
             "by_step": {3: np.arange(4.0)}, "scalar": np.float32(0.25), "nan": math.nan,
             "history": history.to_dict()}
    save_checkpoint(tmp_path / "e.npz", model, **extra)
    back = load_checkpoint(tmp_path / "e.npz", model)
    assert back["epoch"] == 7 and back["lr"] == 2e-5 and back["name"] == "brand-voice"
    assert back["flags"] == [True, None] and back["pair"] == (1, 2.5)
    np.testing.assert_array_equal(back["by_step"][3], np.arange(4.0))
    assert back["scalar"] == np.float32(0.25) and isinstance(back["scalar"], np.float32)
    assert math.isnan(back["nan"])
    assert History.from_dict(back["history"]) == history


def test_mismatches_name_the_offending_entries(tmp_path):
    model, opt, sched = make(hidden=8)
    train(model, opt, sched, batches(count=1))
    save_checkpoint(tmp_path / "c.npz", model, opt, sched)

    wider, wider_opt, _ = make(hidden=5)
    with pytest.raises(CheckpointError, match=r"shape mismatch: 0\.weight \(checkpoint \(8, 3\), model \(5, 3\)\)"):
        load_checkpoint(tmp_path / "c.npz", wider)

    deeper = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1), nn.Linear(1, 1))
    with pytest.raises(CheckpointError, match=r"missing from the checkpoint: 3\.weight, 3\.bias"):
        load_checkpoint(tmp_path / "c.npz", deeper)

    shallow = nn.Sequential(nn.Linear(3, 8))
    with pytest.raises(CheckpointError, match=r"in the checkpoint but not in the model: 2\.weight, 2\.bias"):
        load_checkpoint(tmp_path / "c.npz", shallow)

    # an optimizer over other parameters: caught before anything is changed
    same_model, _, _ = make(seed=5)
    before = same_model.state_dict()
    other_opt = SGD(list(same_model.parameters())[:2], lr=0.1)
    with pytest.raises(CheckpointError, match="parameter group 0 has 2 parameters here and 4"):
        load_checkpoint(tmp_path / "c.npz", same_model, other_opt)
    for name, value in same_model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_asking_for_state_the_file_does_not_hold(tmp_path):
    model, opt, sched = make()
    save_checkpoint(tmp_path / "m.npz", model)
    with pytest.raises(CheckpointError, match="no optimizer state"):
        load_checkpoint(tmp_path / "m.npz", model, opt)
    with pytest.raises(CheckpointError, match="no scheduler state"):
        load_checkpoint(tmp_path / "m.npz", model, scheduler=sched)


def test_unstorable_values_are_refused_by_name(tmp_path):
    model, _, _ = make()
    with pytest.raises(TypeError, match=r"'extra/callback'.*no pickle"):
        save_checkpoint(tmp_path / "x.npz", model, callback=lambda: 0)
    with pytest.raises(TypeError, match="need pickle"):
        save_checkpoint(tmp_path / "x.npz", model, objects=np.array([{}, 1], dtype=object))
    assert not os.path.exists(tmp_path / "x.npz")


def test_not_a_checkpoint(tmp_path):
    model, _, _ = make()
    np.savez(tmp_path / "plain.npz", a=np.zeros(3))
    with pytest.raises(CheckpointError, match="not a minigrad checkpoint"):
        load_checkpoint(tmp_path / "plain.npz", model)
    (tmp_path / "junk.npz").write_bytes(b"not a zip file")
    with pytest.raises(CheckpointError, match="cannot read checkpoint"):
        load_checkpoint(tmp_path / "junk.npz", model)
    np.savez(tmp_path / "pickled.npz", __metadata__=np.array([{"format": 1}], dtype=object))
    with pytest.raises(CheckpointError, match="cannot read checkpoint"):
        load_checkpoint(tmp_path / "pickled.npz", model)
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "missing.npz", model)


@pytest.mark.parametrize("fail_in", ["fsync", "replace"])
def test_an_interrupted_write_leaves_the_old_file_intact(tmp_path, monkeypatch, fail_in):
    model, opt, sched = make()
    path = tmp_path / "ckpt.npz"
    save_checkpoint(path, model, opt, sched, epoch=1)
    old_bytes = path.read_bytes()

    train(model, opt, sched, batches(count=3))

    def crash(*args):
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(checkpoint_module.os, fail_in, crash)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, model, opt, sched, epoch=2)
    monkeypatch.undo()
    assert path.read_bytes() == old_bytes
    assert sorted(os.listdir(tmp_path)) == ["ckpt.npz"]  # no temporary file left behind
    fresh, fresh_opt, fresh_sched = make(seed=3)
    assert load_checkpoint(path, fresh, fresh_opt, fresh_sched) == {"epoch": 1}


def test_every_scheduler_state_round_trips(tmp_path):
    def plain():
        mg.manual_seed(0)
        model = nn.Linear(3, 1)
        return model, SGD(model.parameters(), lr=0.05, momentum=0.9)

    schedulers = [
        lambda o: lr_scheduler.StepLR(o, step_size=2, gamma=0.5),
        lambda o: lr_scheduler.MultiStepLR(o, milestones=[2, 5], gamma=0.1),
        lambda o: lr_scheduler.ExponentialLR(o, gamma=0.9),
        lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=1e-4),
        lambda o: lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=4),
        lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=20),
        lambda o: lr_scheduler.get_cosine_schedule_with_warmup(o, num_warmup_steps=2, num_training_steps=12),
        lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=3),
                                                lr_scheduler.ExponentialLR(o, gamma=0.9)], milestones=[3]),
    ]
    for index, build in enumerate(schedulers):
        model, opt = plain()
        sched = build(opt)
        for _ in range(4):
            opt.step()
            sched.step()
        save_checkpoint(tmp_path / f"s{index}.npz", model, opt, sched)
        expected = []
        for _ in range(3):
            sched.step()
            expected.append(sched.get_last_lr())
        model2, opt2 = plain()
        sched2 = build(opt2)
        load_checkpoint(tmp_path / f"s{index}.npz", model2, opt2, sched2)
        got = []
        for _ in range(3):
            sched2.step()
            got.append(sched2.get_last_lr())
        np.testing.assert_allclose(got, expected, rtol=1e-12, err_msg=type(sched).__name__)
