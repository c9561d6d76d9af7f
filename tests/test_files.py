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
