"""The runs behind a widget's grid of settings: trained when first shown, kept, and trained ahead.

A widget over a grid of training settings (lesson 7's batch sizes and rates, lesson 8's rates,
thresholds and modes) shows one run at a time. A :class:`RunCache` keeps every run it has
trained, by setting: a setting shown for the first time trains then (:meth:`RunCache.get`), and
:meth:`RunCache.train_ahead` trains the settings not shown yet on a thread of its own, a group
at a time (a group trains as one stack), in the order the widget gives (nearest the setting on
screen first), so that a move usually finds its run ready instead of training it.

The thread gives way to the widget: while a move is answered (:meth:`RunCache.foreground`) it
waits at the end of the training step it is in, so a move shares the processor with at most one
step. Training ahead uses no random generator but the ones the caller's ``train`` owns: the
initial weights are drawn before, on the caller's thread (minigrad's generator is one for the
process, and a participant's own cells draw from it).
"""
from __future__ import annotations

import contextlib
import threading

__all__ = ["RunCache"]


class RunCache:
    """Runs by setting. ``key(setting)``: a hashable name for a setting (e.g. rounded numbers);
    ``train(settings, progress=False, between_steps=None)``: one run per setting, in order, trained
    together, calling ``between_steps()`` (if given) before every training step."""

    def __init__(self, key, train):
        self._key, self._train = key, train
        self._runs = {}
        self._idle = threading.Event()  # set while no move is being answered
        self._idle.set()
        self._moves = 0  # moves being answered (a move may answer another's observer)
        self._lock = threading.Lock()
        self._ahead = []  # groups of settings still to train ahead, first first
        self._thread = None
        self.error = None  # what stopped training ahead, if it failed

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
            with self.foreground():
                self.ensure(settings)
        runs = [self._runs[self._key(setting)] for setting in settings]
        return runs[0] if len(runs) == 1 else runs

    @contextlib.contextmanager
    def foreground(self):
        """A block (answering a move) during which training ahead waits."""
        with self._lock:
            self._moves += 1
            self._idle.clear()
        try:
            yield
        finally:
            with self._lock:
                self._moves -= 1
                if not self._moves:
                    self._idle.set()

    def train_ahead(self, groups):
        """Train ``groups`` (lists of settings, each trained as one stack) on a background thread, in
        this order; settings already kept are skipped. A later call replaces the order of what is left
        (the widget calls it on every move, nearest the new setting first)."""
        with self._lock:
            self._ahead = [list(group) for group in groups]
            if self.error is None and (self._thread is None or not self._thread.is_alive()):
                self._thread = threading.Thread(target=self._train_ahead, name="coursekit-train-ahead",
                                                daemon=True)
                self._thread.start()

    def wait_ahead(self, timeout=None) -> bool:
        """Wait until training ahead has nothing left (or ``timeout`` seconds); True if it has finished."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return thread is None or not thread.is_alive()

    def _next_group(self):
        with self._lock:
            while self._ahead:
                missing = [setting for setting in self._ahead.pop(0) if setting not in self]
                if missing:
                    return missing
            return None

    def _train_ahead(self):
        while (group := self._next_group()) is not None:
            self._idle.wait()
            try:
                self._keep(group, self._train(group, between_steps=self._idle.wait))
            except Exception as error:  # noqa: BLE001 - kept for the widget to report; moves still train
                self.error = error
                return

    def _keep(self, settings, runs):
        runs = list(runs)
        if len(runs) != len(settings):
            raise RuntimeError(f"RunCache: train gave {len(runs)} runs for {len(settings)} settings")
        for setting, run in zip(settings, runs):
            self._runs.setdefault(self._key(setting), run)
