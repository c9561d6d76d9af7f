"""fit stops when its callback returns any true value, as an `if` reads it, and names a callback whose answer
has no single truth value."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.training import fit

from test_fit import make_run


@pytest.mark.parametrize("stop", [True, np.bool_(True), 1, np.int64(1), mg.tensor(True), mg.tensor([1.0])],
                         ids=["True", "np.bool_", "1", "np.int64", "0-d tensor", "1-element tensor"])
def test_any_true_answer_stops_training(stop):
    model, opt, loader = make_run()
    history = fit(model, opt, loader, F.mse_loss, epochs=10, progress=False,
                  callback=lambda h: stop if h.num_steps == 3 else None)
    assert history.num_steps == 3 and history.stop_reason == "callback"
    assert history.message == "Stopped by the callback after 3 steps."


def test_a_numpy_comparison_stops_training():
    model, opt, loader = make_run()

    def loss_is_low(history):
        return np.mean(history.step_loss[-2:]) < 1e9  # an np.bool_, true at once

    history = fit(model, opt, loader, F.mse_loss, epochs=10, progress=False, callback=loss_is_low)
    assert history.num_steps == 1 and history.stop_reason == "callback"


@pytest.mark.parametrize("go_on", [None, False, np.bool_(False), 0, 0.0, mg.tensor(False)],
                         ids=["None", "False", "np.bool_", "0", "0.0", "tensor"])
def test_a_false_answer_goes_on(go_on):
    model, opt, loader = make_run()
    history = fit(model, opt, loader, F.mse_loss, epochs=2, progress=False, callback=lambda h: go_on)
    assert history.stop_reason == "completed" and history.num_epochs == 2


@pytest.mark.parametrize("ambiguous", [np.array([True, False]), mg.tensor([1.0, 0.0])], ids=["array", "tensor"])
def test_an_answer_with_no_single_truth_value_is_refused_by_name(ambiguous):
    model, opt, loader = make_run()

    def losses_are_low(history):
        return ambiguous

    with pytest.raises(TypeError, match=r"the callback .*losses_are_low returned a \w+ of shape \(2,\), which is "
                                        r"neither true nor false"):
        fit(model, opt, loader, F.mse_loss, epochs=2, progress=False, callback=losses_are_low)
