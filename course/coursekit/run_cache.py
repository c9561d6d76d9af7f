"""The runs behind a widget's grid of settings: trained when first shown, kept, and trained ahead.

A widget over a grid of training settings (lesson 7's batch sizes and rates, lesson 8's rates,
thresholds and modes) shows one run at a time. A :class:`RunCache` keeps every run it has
trained, by setting: a setting shown for the first time trains then (:meth:`RunCache.get`), and
:meth:`RunCache.train_ahead` trains settings not shown yet on a thread of its own, a group at a
time (a group trains as one stack), in the order the widget gives (nearest the setting on
screen first), so that the next move is likely to find its run ready instead of training it.

Training ahead uses only the time nobody else wants. It waits, at the end of the training step
it is in, while any widget answers a move (:func:`foreground`) and, in a Jupyter kernel, while
any cell runs (a participant's own timing must not share the processor with it). A new widget
of the same ``name`` (a cell run again, a preset in the playground) stops the old one's. It
uses no random generator but the ones the caller's ``train`` owns: the initial weights are
drawn before, on the caller's thread (minigrad's generator is one for the process, and a
participant's cells draw from it). Setting the environment variable ``COURSEKIT_TRAIN_AHEAD=0``
turns it off (a hub short of processors): every setting then trains when first shown.
"""
from __future__ import annotations

import contextlib
import os
import threading
import weakref

__all__ = ["RunCache", "foreground", "stop_training_ahead", "diagnose_if_possible"]

_lock = threading.Lock()
_idle = threading.Event()  # set while no move is answered and no cell runs: training ahead may go on
_idle.set()
_busy = 0  # moves being answered and cells running, all widgets together
_latest = weakref.WeakValueDictionary()  # name -> the newest cache of that name
_live = weakref.WeakSet()  # every cache, to stop them all (tests)
_watching_cells = False


@contextlib.contextmanager
def foreground():
    """A block (answering a move, running a cell) during which every cache's training ahead waits."""
    global _busy
    with _lock:
        _busy += 1
        _idle.clear()
    try:
        yield
    finally:
        with _lock:
            _busy -= 1
            if not _busy:
                _idle.set()


def _watch_cells():
    """In a Jupyter kernel, pause training ahead while a cell runs (IPython's cell events)."""
    global _watching_cells
    if _watching_cells:
        return
    from .kernel import running_shell

    shell = running_shell()
    if shell is None or not hasattr(shell, "events"):
        return
    running = []

    def started(*_):
        block = foreground()
        block.__enter__()
        running.append(block)

    def finished(*_):
        while running:
            running.pop().__exit__(None, None, None)

    shell.events.register("pre_run_cell", started)
    shell.events.register("post_run_cell", finished)
    _watching_cells = True


def stop_training_ahead():
    """Stop every cache's training ahead and wait for its thread to end (tests, a kernel's clean-up)."""
    for cache in list(_live):
        cache.cancel()
    for cache in list(_live):
        cache.wait_ahead()


class _Cancelled(Exception):
    pass


class RunCache:
    """Runs by setting. ``key(setting)``: a hashable name for a setting (e.g. rounded numbers);
    ``train(settings, progress=False, between_steps=None)``: one run per setting, in order, trained
    together, calling ``between_steps()`` (if given) before every training step. ``name``: the
    widget's; a new cache of that name stops this one's training ahead."""

    def __init__(self, key, train, *, name=None):
        self._key, self._train = key, train
        self._runs = {}
        self._lock = threading.Lock()
        self._ahead = []  # groups of settings still to train ahead, first first
        self._thread = None  # the thread training ahead, None when it has nothing left
        self._cancelled = False
        self.error = None  # what stopped training ahead, if it failed (moves still train what they show)
        _live.add(self)
        if name is not None:
            older = _latest.get(name)
            if older is not None:
                older.cancel()
            _latest[name] = self

    def __contains__(self, setting):
        return self._key(setting) in self._runs

    def __len__(self):
        return len(self._runs)

    def runs(self):
        """Every run trained so far."""
        return list(self._runs.values())

    def put(self, setting, run):
        """Keep ``run`` for ``setting`` (a run already computed elsewhere) unless one is kept."""
        self._runs.setdefault(self._key(setting), run)

    def ensure(self, settings, progress=False):
        """Train the settings of ``settings`` not trained yet, together, on this thread."""
        missing = [setting for setting in dict.fromkeys(settings) if setting not in self]
        if missing:
            self._keep(missing, self._train(missing, progress=progress))

    def get(self, *settings):
        """The run of each setting (one run for one setting): kept, or trained now, the missing ones
        together (training ahead waits meanwhile)."""
        if any(setting not in self for setting in settings):
            with foreground():
                self.ensure(settings)
        runs = [self._runs[self._key(setting)] for setting in settings]
        return runs[0] if len(runs) == 1 else runs

    foreground = staticmethod(foreground)

    def train_ahead(self, groups):
        """Train ``groups`` (lists of settings, each trained as one stack) on a background thread, in
        this order; settings already kept are skipped. A later call replaces the order of what is left
        (the widget calls it on every move, nearest the new setting first)."""
        if os.environ.get("COURSEKIT_TRAIN_AHEAD", "1").strip() == "0":
            return
        _watch_cells()
        with self._lock:
            if self._cancelled or self.error is not None:
                return
            self._ahead = [list(group) for group in groups]
            if self._thread is None:
                self._thread = threading.Thread(target=self._train_ahead, name="coursekit-train-ahead",
                                                daemon=True)
                self._thread.start()

    def widget_update(self, draw, ahead, *, train_ahead=True):
        """An ``update(widget)`` for :func:`coursekit.display.make_widget`: ``draw(widget)`` from the
        runs (training ahead pauses while ``draw`` trains what it needs), then, after a participant's
        move, ``self.train_ahead(ahead())``. The first call draws the starting setting: nobody moved
        yet. ``train_ahead=False``: draw only (a widget built with training ahead off)."""
        built = False

        def update(widget):
            nonlocal built
            with foreground():
                draw(widget)
            if train_ahead and built:
                self.train_ahead(ahead())
            built = True
        return update

    def cancel(self):
        """Stop training ahead: the group under way stops at its next step, the rest is dropped."""
        with self._lock:
            self._cancelled = True
            self._ahead = []

    def wait_ahead(self, timeout=None) -> bool:
        """Wait until training ahead has nothing left (or ``timeout`` seconds); True if it has finished."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return thread is None or not thread.is_alive()

    def _next_group(self):
        with self._lock:
            while self._ahead and not self._cancelled:
                missing = [setting for setting in self._ahead.pop(0) if setting not in self]
                if missing:
                    return missing
            self._thread = None  # under the lock: a call to train_ahead after this starts a new thread
            return None

    def _between_steps(self):
        while not _idle.wait(0.1):  # paused: still woken by cancel()
            if self._cancelled:
                raise _Cancelled
        if self._cancelled:
            raise _Cancelled

    def _train_ahead(self):
        while (group := self._next_group()) is not None:
            try:
                self._between_steps()
                self._keep(group, self._train(group, between_steps=self._between_steps))
            except _Cancelled:
                continue  # _next_group sees the cancellation and ends the thread
            except Exception as error:  # noqa: BLE001 - kept on the cache; moves still train what they show
                with self._lock:
                    self.error = error
                    self._ahead = []

    def _keep(self, settings, runs):
        runs = list(runs)
        if len(runs) != len(settings):
            raise RuntimeError(f"RunCache: train gave {len(runs)} runs for {len(settings)} settings")
        for setting, run in zip(settings, runs):
            self._runs.setdefault(self._key(setting), run)


def diagnose_if_possible(run):
    """``minigrad.training.diagnose(run)``, or None for a run too short to read a trend from (under three
    steps): the verdict the lessons' widgets title each run with."""
    from minigrad.training import diagnose

    steps = run.num_steps if hasattr(run, "num_steps") else len(run)
    return diagnose(run) if steps >= 3 else None
