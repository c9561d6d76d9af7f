"""Writing files so that a crash never leaves half a file where a good one was."""
import contextlib
import hashlib
import os
import re
import socket
import tempfile
import time

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
