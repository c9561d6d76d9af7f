"""load_checkpoint on files that are not minigrad checkpoints: say what the file is, never advise unpickling it,
and leave it exactly as it was."""
import os
import pickle
import stat
import traceback
import zipfile

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.training import CheckpointError, load_checkpoint, save_checkpoint


def model():
    mg.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))


def cut_in_half(path):
    save_checkpoint(path, model())
    data = open(path, "rb").read()
    with open(path, "wb") as file:
        file.write(data[:len(data) // 2])


def with_a_flipped_byte(path):
    save_checkpoint(path, model(), padding=np.zeros(5000))
    data = bytearray(open(path, "rb").read())
    data[len(data) // 3] ^= 0xFF  # inside an entry's data: its checksum no longer matches
    with open(path, "wb") as file:
        file.write(bytes(data))


def zip_of(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)


# (file name, how to make it, words the message must contain)
NOT_CHECKPOINTS = [
    ("x.npz", os.mkdir, "it is a directory."),
    (".npz", lambda p: open(p, "w").write("hello\n"), "text file (it begins 'hello')"),
    ("notes.npz", lambda p: open(p, "w").write("lr = 0.01\nepochs = 3\n"), "text file (it begins 'lr = 0.01')"),
    ("history.json", lambda p: open(p, "w").write('{"loss": [1, 0.5]}'), "text file"),
    ("weights.npy", lambda p: np.save(p, np.zeros((3, 4), np.float32)),
     "a single NumPy array saved with np.save (shape (3, 4), dtype float32)"),
    ("objects.npy", lambda p: np.save(p, np.array([{"a": 1}], dtype=object)),
     "a single NumPy array saved with np.save"),
    ("weights.npz", lambda p: np.savez(p, w=np.zeros(3), b=np.zeros(1)),
     ".npz archive without minigrad's keys (it holds 'w', 'b'"),
    ("objects.npz", lambda p: np.savez(p, a=np.array([{"a": 1}], dtype=object)), "without minigrad's keys"),
    ("pickled_metadata.npz", lambda p: np.savez(p, __metadata__=np.array([{"format": 1}], dtype=object)),
     "entry '__metadata__' holds Python objects"),
    ("model.pkl", lambda p: pickle.dump({"w": [1.0]}, open(p, "wb")), "a Python pickle"),
    ("empty.npz", lambda p: open(p, "wb").close(), "an empty file (0 bytes)"),
    ("empty_zip.npz", lambda p: zip_of(p, {}), "an empty zip archive"),
    ("model.pt", lambda p: zip_of(p, {"archive/data.pkl": b"\x80\x02}q\x00.", "archive/version": "3\n"}),
     "a zip archive that is not a NumPy .npz (it holds 'archive/data.pkl', 'archive/version')"),
    ("random.bin", lambda p: open(p, "wb").write(bytes(range(256)) * 4), "a binary file of another kind"),
    pytest.param("pipe.npz", lambda p: os.mkfifo(p), "something other than a regular file (a pipe or a device)",
                 marks=pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")),
    ("cut.npz", cut_in_half, "damaged zip archive"),
    ("flipped.npz", with_a_flipped_byte, "is damaged"),
]


def snapshot(folder):
    """Every entry under ``folder`` with its content and modification time."""
    seen = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(root, name)
            info = os.stat(path)
            content = open(path, "rb").read() if stat.S_ISREG(info.st_mode) else None  # a pipe is not read
            seen[path] = (info.st_mtime_ns, info.st_mode, content)
    return seen


@pytest.mark.parametrize("name, make, description", NOT_CHECKPOINTS,
                         ids=[kind.values[0] if hasattr(kind, "values") else kind[0] for kind in NOT_CHECKPOINTS])
def test_a_file_that_is_no_checkpoint_is_named_for_what_it_is(tmp_path, name, make, description):
    path = tmp_path / name
    make(str(path))
    (tmp_path / "other.txt").write_text("the participant's own file")
    before = snapshot(tmp_path)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path, model())
    message = str(info.value)
    assert description in message, message
    assert "not a minigrad checkpoint" in message or "cannot read checkpoint" in message, message
    # Nothing shown, the chained exceptions included, tells a participant to trust and unpickle the file.
    shown = "".join(traceback.format_exception(info.value)).lower()
    for advice in ("unpickl", "allow_pickle", "unsafe", "pickle.load"):
        assert advice not in shown, shown
    assert snapshot(tmp_path) == before  # a failed load changes, creates and deletes nothing


def test_a_real_checkpoint_still_loads_after_the_file_checks(tmp_path):
    source, target = model(), nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    save_checkpoint(tmp_path / "c.npz", source, epoch=3)
    assert load_checkpoint(tmp_path / "c.npz", target) == {"epoch": 3}
    for (name, a), (_, b) in zip(source.state_dict().items(), target.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=name)
