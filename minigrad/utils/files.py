"""Writing files so that a crash never leaves half a file where a good one was."""
import contextlib
import os
import tempfile


@contextlib.contextmanager
def atomic_write(path, mode="wb", *, durable=False, **open_kwargs):
    """Open a temporary file beside ``path``; when the block ends without error it replaces ``path``.

    The replacement is one rename, so ``path`` holds either the old content or the new,
    whole. On an error (or Ctrl-C) the temporary file is removed and ``path`` is untouched.
    ``durable=True`` also flushes the data and the rename to disk (for checkpoints).

        with atomic_write("weights.npz") as f:
            np.savez(f, **arrays)
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
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
