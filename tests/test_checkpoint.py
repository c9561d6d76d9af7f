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
    with pytest.raises(CheckpointError, match="not a minigrad checkpoint: it is a text file"):
        load_checkpoint(tmp_path / "junk.npz", model)
    np.savez(tmp_path / "pickled.npz", __metadata__=np.array([{"format": 1}], dtype=object))
    with pytest.raises(CheckpointError, match="not a minigrad checkpoint: it is an .npz whose entry"):
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


# ------------------------------------------------------------------ a failed load changes nothing (issue 14, item 9)
def rewrite_metadata(path, change):
    """Save ``path`` again with its metadata passed through ``change`` (bytes -> bytes)."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    arrays["__metadata__"] = np.frombuffer(change(arrays["__metadata__"].tobytes()), dtype=np.uint8)
    np.savez(path, **arrays)


def edit_json(edit):
    def change(raw):
        metadata = json.loads(raw.decode("utf-8"))
        edit(metadata)
        return json.dumps(metadata).encode("utf-8")
    return change


def snapshot(model, opt=None, sched=None):
    return ({k: v.copy() for k, v in model.state_dict().items()},
            None if opt is None else json.dumps(opt.state_dict(), default=lambda a: a.tolist()),
            None if sched is None else json.dumps(sched.state_dict(), default=str))


def assert_unchanged(before, model, opt=None, sched=None):
    after = snapshot(model, opt, sched)
    for name, value in before[0].items():
        np.testing.assert_array_equal(after[0][name], value, err_msg=name)
    assert after[1:] == before[1:]


def test_an_adamw_checkpoint_loaded_with_sgd_is_refused_before_the_model_changes(tmp_path):
    model, opt, sched = make()
    train(model, opt, sched, batches(count=2))
    save_checkpoint(tmp_path / "adamw.npz", model, opt)
    target, _, _ = make(seed=7)
    sgd = SGD(target.parameters(), lr=0.1, momentum=0.9)
    before = snapshot(target, sgd)
    with pytest.raises(CheckpointError, match="comes from AdamW, but this optimizer is SGD"):
        load_checkpoint(tmp_path / "adamw.npz", target, sgd)
    assert_unchanged(before, target, sgd)

    # A file written before the optimizer's class was recorded: the optimizer's own checks run first.
    rewrite_metadata(tmp_path / "adamw.npz", edit_json(lambda m: m.pop("optimizer_class")))
    with pytest.raises(CheckpointError, match="does not fit this SGD.*lacks the hyperparameters"):
        load_checkpoint(tmp_path / "adamw.npz", target, sgd)
    assert_unchanged(before, target, sgd)


def test_a_scheduler_of_another_kind_is_refused_before_anything_changes(tmp_path):
    model, opt, sched = make()
    save_checkpoint(tmp_path / "c.npz", model, opt, sched)
    target, target_opt, _ = make(seed=4)
    cosine = lr_scheduler.CosineAnnealingLR(target_opt, T_max=10)
    before = snapshot(target, target_opt, cosine)
    with pytest.raises(CheckpointError, match="comes from LambdaLR, but this scheduler is CosineAnnealingLR"):
        load_checkpoint(tmp_path / "c.npz", target, target_opt, cosine)
    assert_unchanged(before, target, target_opt, cosine)
    rewrite_metadata(tmp_path / "c.npz", edit_json(lambda m: m.pop("scheduler_class")))
    with pytest.raises(CheckpointError, match="scheduler state does not fit this CosineAnnealingLR"):
        load_checkpoint(tmp_path / "c.npz", target, target_opt, cosine)
    assert_unchanged(before, target, target_opt, cosine)


@pytest.mark.parametrize("change, message", [
    (lambda raw: b"\xff\xfe" + raw, "not readable JSON"),                      # not UTF-8
    (lambda raw: raw[:-7], "not readable JSON"),                               # cut short
    (lambda raw: b"[1, 2]", "not a minigrad checkpoint"),                       # JSON, not an object
    (edit_json(lambda m: m.update(version="1")), "its version is '1'"),
    (edit_json(lambda m: m.update(optimizer={"__dict__": 5})), "damaged"),
    (edit_json(lambda m: m.update(optimizer={"__dict__": [["state", {"__array__": "nowhere"}]]})),
     "missing array 'nowhere'"),
    (edit_json(lambda m: m.update(optimizer=[1, 2])), "damaged"),
    (edit_json(lambda m: m.update(extra=[1])), "damaged"),
])
def test_corrupt_metadata_raises_checkpoint_error_and_changes_nothing(tmp_path, change, message):
    model, opt, sched = make()
    train(model, opt, sched, batches(count=1))
    path = tmp_path / "c.npz"
    save_checkpoint(path, model, opt, sched, epoch=1)
    rewrite_metadata(path, change)
    target, target_opt, target_sched = make(seed=9)
    before = snapshot(target, target_opt, target_sched)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(path, target, target_opt, target_sched)
    assert_unchanged(before, target, target_opt, target_sched)


def test_a_save_into_a_missing_folder_names_the_target(tmp_path):
    model, _, _ = make()
    target = tmp_path / "runs" / "best.npz"
    with pytest.raises(FileNotFoundError) as info:
        save_checkpoint(target, model)
    message = str(info.value)
    assert repr(str(target)) in message and "does not exist" in message and "os.makedirs" in message
    assert ".tmp" not in message and "minigrad-tmp" not in message


def test_a_save_killed_midway_leaves_a_temporary_that_the_next_save_removes(tmp_path):
    """SIGKILL (an out-of-memory kill, a forced kernel restart) runs no cleanup: the next save does it."""
    import signal
    import subprocess
    import sys

    if not hasattr(signal, "SIGKILL"):
        pytest.skip("needs POSIX signals")
    # The child writes part of a checkpoint, says so, then waits inside the save until it is killed.
    child = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\n"
         "from minigrad.utils.files import atomic_write\n"
         f"with atomic_write({str(tmp_path / 'best.npz')!r}, durable=True) as f:\n"
         "    f.write(b'x' * 100_000); f.flush()\n"
         "    print('writing', flush=True)\n"
         "    time.sleep(120)\n"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "writing"
    finally:
        child.kill()
        child.wait()
    leftovers = [name for name in os.listdir(tmp_path) if name.endswith(".minigrad-tmp")]
    assert len(leftovers) == 1 and leftovers[0].startswith(".best.npz.")
    unrelated = [".best.npz.abcd1234.tmp", "notes.minigrad-tmp", ".draft.txt", "keep.npz"]
    for name in unrelated:
        (tmp_path / name).write_bytes(b"not ours")

    model, opt, sched = make()
    save_checkpoint(tmp_path / "other.npz", model, opt, sched)  # any save into the folder cleans up
    assert sorted(os.listdir(tmp_path)) == sorted(unrelated + ["other.npz"])
