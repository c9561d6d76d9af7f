"""minigrad.utils.files.atomic_write: all of the new file or none of it."""
import os
import stat

import pytest

from minigrad.utils.files import atomic_write


def test_the_new_content_replaces_the_old_readable_by_others(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("old")
    with atomic_write(path, "w", encoding="utf-8") as f:
        f.write("new")
    assert path.read_text() == "new"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644  # not the temporary file's private 0600
    assert os.listdir(tmp_path) == ["notes.txt"]


@pytest.mark.parametrize("durable", [False, True])
def test_an_error_in_the_block_keeps_the_old_file_and_leaves_no_temporary(tmp_path, durable):
    path = tmp_path / "weights.bin"
    path.write_bytes(b"good")
    with pytest.raises(KeyboardInterrupt):
        with atomic_write(path, durable=durable) as f:
            f.write(b"half")
            raise KeyboardInterrupt
    assert path.read_bytes() == b"good"
    assert os.listdir(tmp_path) == ["weights.bin"]


def test_only_abandoned_temporaries_of_our_own_naming_are_removed(tmp_path):
    """A killed writer's temporary goes; a live writer's, a recent one from another machine, and any
    file named otherwise stay (issue 14, item 9)."""
    import subprocess
    import sys
    import time

    from minigrad.utils import files

    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True)
    dead_pid, host = int(finished.stdout), files._host()
    other_host = "0" * 8 if host != "0" * 8 else "1" * 8
    names = {
        "killed": f".best.npz.{dead_pid}-{host}.k3j_x9a2{files.TEMPORARY_SUFFIX}",
        "live": f".best.npz.{os.getpid()}-{host}.q8w2e4r6{files.TEMPORARY_SUFFIX}",
        "elsewhere, recent": f".best.npz.4242-{other_host}.zz11yy22{files.TEMPORARY_SUFFIX}",
        "elsewhere, old": f".last.npz.4242-{other_host}.aa11bb22{files.TEMPORARY_SUFFIX}",
        "not ours": ".best.npz.k3j_x9a2.tmp",
    }
    for name in names.values():
        (tmp_path / name).write_bytes(b"partial")
    old = time.time() - 2 * files.ABANDONED_AFTER_SECONDS
    os.utime(tmp_path / names["elsewhere, old"], (old, old))
    (tmp_path / f"folder{files.TEMPORARY_SUFFIX}").mkdir()

    with atomic_write(tmp_path / "notes.txt", "w") as f:
        f.write("new")
    left = set(os.listdir(tmp_path))
    assert names["killed"] not in left and names["elsewhere, old"] not in left
    assert {names["live"], names["elsewhere, recent"], names["not ours"], "notes.txt"} <= left
    assert f"folder{files.TEMPORARY_SUFFIX}" in left
