"""The progress bar a widget shows while it trains its settings, replaced by one line when done.

A retraining widget trains every slider stop when it is built (a few seconds). In a kernel
the bar is an ipywidgets progress bar; when training ends it is replaced, in place, by a
plain line saying what was trained ("trained 57 networks at once, 172 steps each"), so a
saved notebook and JupyterLab never keep a dead bar or a stale "0%". Outside a kernel
(scripts, tests) and in a Voilà app (a projector's page, built before or while it loads) it
shows nothing.

    bar = TrainingProgress(steps, "training 57 networks at once")
    for step in range(steps):
        ...
        bar.update()
    bar.close("trained 57 networks at once, 172 steps each")
"""

from __future__ import annotations

from .display import in_kernel, in_voila

__all__ = ["TrainingProgress"]


class TrainingProgress:
    """A bar over ``total`` steps, labelled ``description``; :meth:`close` swaps it for a line."""

    def __init__(self, total: int, description: str):
        self.total, self.done = int(total), 0
        self._shown = 0  # the value the bar shows: moved in 1% notches, not one message a step
        self._box = self._bar = self._handle = None
        if not in_kernel() or in_voila() or self.total <= 0:
            return
        import ipywidgets
        from IPython.display import display

        self._bar = ipywidgets.IntProgress(value=0, min=0, max=self.total)
        self._box = ipywidgets.HBox([ipywidgets.Label(description), self._bar])
        self._handle = display(self._box, display_id=True)

    def update(self, steps: int = 1) -> None:
        self.done = min(self.total, self.done + steps)
        if self._bar is not None and (self.done - self._shown) * 100 >= self.total:
            self._bar.value = self._shown = self.done

    def close(self, summary: str) -> None:
        """Replace the bar by ``summary`` (plain text)."""
        if self._handle is not None:
            self._handle.update({"text/plain": summary}, raw=True)
            for widget in (*self._box.children, self._box):
                widget.close()
            self._handle = None
