"""The IPython shell the code runs in, if any: one place for the lookup every notebook-aware module needs."""


def running_shell():
    """The running IPython shell (a Jupyter kernel, or IPython in a terminal), or None outside one."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a course dependency
        return None
    return get_ipython()
