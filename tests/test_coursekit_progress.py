"""The build-time progress bar: silent outside a kernel, replaced by one line inside one."""

import IPython.display

from coursekit import progress
from coursekit.progress import TrainingProgress


def test_outside_a_kernel_it_counts_and_shows_nothing(capsys):
    bar = TrainingProgress(10, "training 3 networks at once")
    for _ in range(12):
        bar.update()
    bar.close("trained 3 networks at once")
    assert bar.done == 10  # never past the total
    assert capsys.readouterr().out == ""


class _Handle:
    def __init__(self):
        self.updates = []

    def update(self, obj, raw=False):
        self.updates.append((obj, raw))


def test_in_a_kernel_the_bar_moves_in_notches_and_becomes_the_summary_line(monkeypatch):
    shown, handle = [], _Handle()

    def fake_display(obj, display_id=False):
        shown.append(obj)
        return handle

    monkeypatch.setattr(progress, "in_kernel", lambda: True)
    monkeypatch.setattr(IPython.display, "display", fake_display)
    bar = TrainingProgress(1000, "training 57 networks at once")
    box = shown[0]
    label, widget = box.children
    assert label.value == "training 57 networks at once" and widget.max == 1000
    for _ in range(5):
        bar.update()
    assert widget.value == 0  # under 1%: no message to the front end yet
    for _ in range(5):
        bar.update()
    assert widget.value == 10
    bar.close("trained 57 networks at once, 1000 steps each")
    assert handle.updates == [({"text/plain": "trained 57 networks at once, 1000 steps each"}, True)]
    assert box.comm is None and widget.comm is None and label.comm is None  # closed: no dead views left


def test_a_voila_app_shows_no_bar_and_no_summary_line(monkeypatch):
    """The app is a projector's page, built before anyone looks (preheated) or while it loads."""
    shown = []
    monkeypatch.setattr(progress, "in_kernel", lambda: True)
    monkeypatch.setattr(IPython.display, "display", lambda obj, display_id=False: shown.append(obj))
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    bar = TrainingProgress(100, "training 57 networks at once")
    bar.update(100)
    bar.close("trained 57 networks at once, 100 steps each")
    assert shown == [] and bar.done == 100
