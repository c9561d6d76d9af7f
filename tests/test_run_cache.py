"""coursekit.run_cache: runs kept by setting, trained on first use and trained ahead on a thread.

Nothing here waits on time: the background thread is followed through events it sets and
joins (``wait_ahead``), so the tests pass the same on a fast or a busy machine.
"""
import threading

import pytest
from threadpoolctl import threadpool_info

from coursekit import run_cache, threads
from coursekit.run_cache import RunCache


@pytest.fixture(autouse=True)
def _training_ahead_on(monkeypatch):
    monkeypatch.setenv("COURSEKIT_TRAIN_AHEAD", "1")  # off for the rest of the suite (tests/conftest.py)


class Recorder:
    """A ``train`` that records its calls: each run is ("run", setting); optional hooks per step."""

    def __init__(self, steps=3, fail_on=None):
        self.calls, self.steps, self.fail_on = [], steps, fail_on
        self.threads = []

    def __call__(self, settings, progress=False, between_steps=None):
        self.calls.append(list(settings))
        self.threads.append(threading.current_thread().name)
        if self.fail_on is not None and self.fail_on in settings:
            raise ValueError(f"cannot train {self.fail_on}")
        for _ in range(self.steps):
            if between_steps is not None:
                between_steps()
        return [("run", setting) for setting in settings]


def test_a_setting_trains_once_when_first_asked_for_and_missing_ones_train_together():
    train = Recorder()
    runs = RunCache(lambda s: round(s, 6), train)
    assert runs.get(0.1) == ("run", 0.1) and runs.get(0.1 + 1e-12) == ("run", 0.1)  # the key rounds
    assert runs.get(0.1, 0.2, 0.3) == [("run", 0.1), ("run", 0.2), ("run", 0.3)]
    assert train.calls == [[0.1], [0.2, 0.3]]  # one training for the two missing, none for the kept one
    runs.ensure([0.3, 0.4, 0.4])
    assert train.calls[-1] == [0.4] and len(runs) == 4
    runs.put(0.5, "computed elsewhere")
    runs.put(0.5, "a second one is ignored")
    assert runs.get(0.5) == "computed elsewhere" and len(train.calls) == 3


def test_training_ahead_trains_the_groups_in_order_on_its_own_thread_skipping_kept_settings():
    train = Recorder()
    runs = RunCache(lambda s: s, train)
    runs.ensure([1, 2])
    runs.train_ahead([[1, 2], [3, 4], [2, 5]])
    assert runs.wait_ahead(timeout=60)
    assert train.calls == [[1, 2], [3, 4], [5]] and runs.error is None
    assert train.threads[1:] == ["coursekit-train-ahead"] * 2
    assert all(runs.get(s) == ("run", s) for s in range(1, 6)) and len(train.calls) == 3  # all kept


def test_training_ahead_waits_while_a_move_is_answered():
    """No training step of the background thread starts while a move is being answered: neither its
    first group, nor the next step of a group under way."""
    entered, first_step_done, go_on, answering = (threading.Event() for _ in range(4))
    steps_during_move = []

    def train(settings, progress=False, between_steps=None):
        entered.set()
        for step in range(5):
            between_steps()
            steps_during_move.append(answering.is_set())
            if step == 0:
                first_step_done.set()
                go_on.wait(timeout=60)
        return [None] * len(settings)

    runs = RunCache(lambda s: s, train)
    with runs.foreground():
        answering.set()
        runs.train_ahead([[1]])
        assert not entered.wait(timeout=0.2)  # it waits before its first group: give it every chance to start
        answering.clear()
    assert first_step_done.wait(timeout=60)
    with runs.foreground():  # a move while the group trains: its next step waits
        answering.set()
        go_on.set()
        assert not runs.wait_ahead(timeout=0.2)
        answering.clear()
    assert runs.wait_ahead(timeout=60)
    assert entered.is_set() and steps_during_move == [False] * 5


class Held:
    """A ``train`` that records its calls and holds each until ``go_on`` is set, then takes a step."""

    def __init__(self):
        self.calls, self.started, self.go_on = [], threading.Event(), threading.Event()

    def __call__(self, settings, progress=False, between_steps=None):
        self.calls.append(list(settings))
        self.started.set()
        self.go_on.wait(timeout=60)
        if between_steps is not None:
            between_steps()  # the next step: where a cancelled training stops
        return [None] * len(settings)


def test_a_later_call_replaces_what_is_left_to_train_ahead():
    train = Held()
    runs = RunCache(lambda s: s, train)
    runs.train_ahead([[1], [2], [3]])
    assert train.started.wait(timeout=60)  # group [1] is training: [2], [3] are left
    runs.train_ahead([[4], [3]])  # a move elsewhere: the new order replaces the old
    train.go_on.set()
    assert runs.wait_ahead(timeout=60)
    assert train.calls == [[1], [4], [3]]


def test_a_failure_while_training_ahead_is_kept_and_moves_still_train():
    train = Recorder(fail_on=3)
    runs = RunCache(lambda s: s, train)
    runs.train_ahead([[1], [3], [4]])
    assert runs.wait_ahead(timeout=60)
    assert isinstance(runs.error, ValueError) and "cannot train 3" in str(runs.error)
    assert 4 not in runs  # it stopped there
    assert runs.get(4) == ("run", 4)  # a move trains what it needs
    runs.train_ahead([[5]])  # and training ahead does not start again over a known failure
    assert runs.wait_ahead(timeout=60) and 5 not in runs


def test_a_train_that_returns_the_wrong_number_of_runs_is_an_error():
    runs = RunCache(lambda s: s, lambda settings, **options: [])
    with pytest.raises(RuntimeError, match="train gave 0 runs for 1 settings"):
        runs.get(1)


def _blas_threads():
    return sorted({pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"})


def test_single_blas_thread_blocks_on_two_threads_restore_the_setting_only_when_both_have_left():
    """The setting is one for the process: a block that ends while another thread's block goes on
    leaves it at one thread, and the last to leave restores what the first found (two threads here,
    so that restoring is seen)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=2, user_api="blas"):
        _check_blas_blocks()


def _check_blas_blocks():
    before = _blas_threads()
    assert before == [2]
    first, second = threads.single_blas_thread(), threads.single_blas_thread()
    first.__enter__()
    inside = []
    thread = threading.Thread(target=lambda: (second.__enter__(), inside.append(_blas_threads())))
    thread.start()
    thread.join()
    first.__exit__(None, None, None)  # the first leaves while the other thread's block goes on
    assert inside == [[1]] and _blas_threads() == [1]
    second.__exit__(None, None, None)
    assert _blas_threads() == before


def test_a_new_cache_of_the_same_name_stops_the_old_one_s_training_ahead():
    train = Held()
    old = RunCache(lambda s: s, train, name="some widget")
    old.train_ahead([[1], [2]])
    assert train.started.wait(timeout=60)
    new = RunCache(lambda s: s, Recorder(), name="some widget")  # the cell run again
    train.go_on.set()
    assert old.wait_ahead(timeout=60)
    assert train.calls == [[1]] and 1 not in old and old.error is None  # stopped mid-group, nothing kept
    new.train_ahead([[1]])
    assert new.wait_ahead(timeout=60) and 1 in new


def test_training_ahead_starts_again_after_it_ran_out_of_groups():
    train = Recorder()
    runs = RunCache(lambda s: s, train)
    runs.train_ahead([[1]])
    assert runs.wait_ahead(timeout=60)
    runs.train_ahead([[2]])  # a later move: a new thread takes it
    assert runs.wait_ahead(timeout=60) and 2 in runs


def test_training_ahead_can_be_turned_off_by_the_hub(monkeypatch):
    monkeypatch.setenv("COURSEKIT_TRAIN_AHEAD", "0")
    runs = RunCache(lambda s: s, Recorder())
    runs.train_ahead([[1]])
    assert runs.wait_ahead(timeout=0) and 1 not in runs
    assert runs.get(1) == ("run", 1)  # shown: trained then


def test_in_a_kernel_training_ahead_waits_while_a_cell_runs(monkeypatch):
    """IPython's pre_run_cell / post_run_cell events hold training ahead for the whole cell."""
    handlers = {}

    class Events:
        def register(self, name, function):
            handlers[name] = function

    class Shell:
        events = Events()

    import IPython

    monkeypatch.setattr(IPython, "get_ipython", lambda: Shell())
    monkeypatch.setattr(run_cache, "_watching_cells", False)
    entered = threading.Event()

    def train(settings, progress=False, between_steps=None):
        entered.set()
        return [None] * len(settings)

    runs = RunCache(lambda s: s, train)
    runs.train_ahead([])  # the first call registers the handlers
    assert set(handlers) == {"pre_run_cell", "post_run_cell"}
    handlers["pre_run_cell"](None)  # a cell starts
    try:
        runs.train_ahead([[1]])
        assert not entered.wait(timeout=0.2)
    finally:
        handlers["post_run_cell"](None)  # it ends
    assert runs.wait_ahead(timeout=60) and entered.is_set()


@pytest.mark.parametrize("ahead", [True, False])
def test_a_widget_update_draws_then_trains_ahead_after_a_move_but_not_when_built(ahead):
    train = Recorder()
    runs = RunCache(lambda s: s, train)
    drawn = []
    update = runs.widget_update(lambda widget: drawn.append(runs.get(widget["setting"])), lambda: [[2, 3]],
                                train_ahead=ahead)
    update({"setting": 1})  # make_widget's first call: the starting setting, nobody has moved
    assert runs.wait_ahead(timeout=60) and train.calls == [[1]]
    update({"setting": 2})  # a move: drawn first, then its neighbours train ahead
    assert runs.wait_ahead(timeout=60)
    assert drawn == [("run", 1), ("run", 2)]
    assert train.calls == ([[1], [2], [3]] if ahead else [[1], [2]])
