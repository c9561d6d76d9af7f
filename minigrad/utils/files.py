"""Writing files so that a crash never leaves half a file where a good one was; saying what a file is."""
import codecs
import contextlib
import hashlib
import io
import os
import re
import socket
import tempfile
import time

import numpy as np

# Our temporary files: ".<target>.<pid>-<host>.<random>.minigrad-tmp", beside the target.
TEMPORARY_SUFFIX = ".minigrad-tmp"
_TEMPORARY = re.compile(r"^\..+\.(?P<pid>\d+)-(?P<host>[0-9a-f]{8})\.[^.]+" + re.escape(TEMPORARY_SUFFIX) + "$")
# One left by a writer on another machine (a shared home folder) counts as abandoned after this long untouched.
ABANDONED_AFTER_SECONDS = 3600


@contextlib.contextmanager
def atomic_write(path, mode="wb", *, durable=False, **open_kwargs):
    """Open a temporary file beside ``path``; when the block ends without error it replaces ``path``.

    The replacement is one rename, so ``path`` holds either the old content or the new,
    whole. On an error (or Ctrl-C) the temporary file is removed and ``path`` is untouched.
    A writer killed outright (SIGKILL, an out-of-memory kill) cannot remove its temporary
    file: the next ``atomic_write`` into the same folder does (see ``remove_abandoned_temporaries``).
    ``durable=True`` also flushes the data and the rename to disk (for checkpoints).

        with atomic_write("weights.npz") as f:
            np.savez(f, **arrays)
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"cannot save {path!r}: the folder {directory!r} does not exist; create it first, "
                                f"e.g. os.makedirs({directory!r}, exist_ok=True)")
    remove_abandoned_temporaries(directory)
    try:
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.{_writer()}.",
                                             suffix=TEMPORARY_SUFFIX)
    except OSError as exc:  # name the file being saved, not our temporary one
        raise type(exc)(exc.errno, f"cannot save {path!r}: {exc.strerror}") from exc
    try:
        with os.fdopen(handle, mode, **open_kwargs) as file:
            yield file
            if durable:
                file.flush()
                os.fsync(file.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes it private (0600); the file it replaces was not
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise
    if durable:
        _sync_directory(directory)


def remove_abandoned_temporaries(directory):
    """Delete the temporary files that writers killed midway left in ``directory``; return their names.

    Only files named as ``atomic_write`` names them, and only once their writer is gone: on this
    machine, when its process no longer runs; from another machine, after an hour untouched.
    """
    removed = []
    with os.scandir(directory) as entries:
        for entry in entries:
            match = _TEMPORARY.match(entry.name)
            if match is None or not entry.is_file(follow_symlinks=False):
                continue
            try:
                age = time.time() - entry.stat(follow_symlinks=False).st_mtime
            except OSError:  # removed meanwhile
                continue
            ours = match["host"] == _host()
            if age < ABANDONED_AFTER_SECONDS and (not ours or _running(int(match["pid"]))):
                continue
            with contextlib.suppress(OSError):
                os.remove(entry.path)
                removed.append(entry.name)
    return removed


def _host():
    return hashlib.sha1(socket.gethostname().encode()).hexdigest()[:8]


def _writer():
    return f"{os.getpid()}-{_host()}"


def _running(pid):
    """Whether process ``pid`` runs on this machine (assumed so where that cannot be asked without harm)."""
    if os.name != "posix":  # Windows' os.kill(pid, 0) would terminate the process
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, owned by someone else
        return True
    return True


def _sync_directory(directory):
    """Make a rename in ``directory`` durable (POSIX; not possible on every system)."""
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


# ------------------------------------------------------------------ what a file is
ZIP_ARCHIVE = "a zip archive (as np.savez writes)"
_ZIP_STARTS = (b"PK\x03\x04", b"PK\x05\x06")  # an archive with members, an empty one
_NPY_START = b"\x93NUMPY"


def describe_file(path, count=512):
    """What the file at ``path`` is, in a few words, for a message when it is not the file a loader expects.

    Judged from its first ``count`` bytes, read without changing anything: ``ZIP_ARCHIVE`` (an .npz),
    "a directory", "a text file (it begins 'lr = 0.01')", "a single NumPy array saved with np.save (shape
    (3,), dtype float32)", "a Python pickle ...", "an empty file (0 bytes)", ... A directory, a pipe or a
    device is not opened. ``FileNotFoundError`` when nothing is there; other ``OSError``s pass through.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        return "a directory"
    if os.path.exists(path) and not os.path.isfile(path):  # reading a pipe could wait forever
        return "something other than a regular file (a pipe or a device)"
    with open(path, "rb") as file:
        start = file.read(count)
    if start.startswith(_ZIP_STARTS):
        return ZIP_ARCHIVE
    if not start:
        return "an empty file (0 bytes)"
    if start.startswith(_NPY_START):
        return f"a single NumPy array saved with np.save{_npy_shape(start)}"
    if start[:1] == b"\x80":  # the first byte of every pickle since protocol 2
        return ("a Python pickle (what pickle.dump or torch.save write), which minigrad never loads: loading one "
                "can run any code")
    try:  # a tolerant decoder: the bytes read may end inside a character
        text = codecs.getincrementaldecoder("utf-8")().decode(start, final=False)
    except UnicodeDecodeError:
        text = None
    if text is not None and "\x00" not in text:
        first_line = (text.strip().splitlines() or [""])[0][:60]
        return f"a text file (it begins {first_line!r})"
    return "a binary file of another kind (neither a zip archive such as .npz nor a NumPy .npy file)"


def _npy_shape(start):
    """' (shape (3,), dtype float32)' from an .npy file's header, or '' where it cannot be read."""
    try:  # header versions 1 and 2 have public readers; another version is described without its shape
        header = io.BytesIO(start)
        version = np.lib.format.read_magic(header)
        read = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}[version]
        shape, _, dtype = read(header)
        return f" (shape {shape}, dtype {dtype})"
    except Exception:  # noqa: BLE001 - a header cut short or of an unknown version: the shape is only a detail
        return ""
