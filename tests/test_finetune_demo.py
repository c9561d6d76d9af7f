"""The fine-tune behind the playground's warmup presets (coursekit.finetune_demo): a real pre-trained start."""

import numpy as np
import pytest

from coursekit import finetune_demo as ft
from coursekit.schedules import WIDGET_PEAKS


def test_the_pre_training_task_is_digits_0_to_4_of_the_target_split():
    source, target = ft.source_data(), ft.target_data()
    assert set(np.unique(source.y_train)) == set(ft.SOURCE_CLASSES) == set(np.unique(source.y_val))
    assert set(np.unique(target.y_train)) == set(range(10))
    # the same images: digits 0-4 of the target's training split, nothing else
    assert len(source.y_train) == np.isin(target.y_train, ft.SOURCE_CLASSES).sum()
    assert source.num_classes == target.num_classes == 10


def test_the_pre_trained_network_knows_digits_0_to_4_and_copies_are_independent():
    assert ft.pretrained_source_accuracy() > 0.95  # "pre-trained": it has learned its first task
    first = ft.pretrained(0)
    first[0].weight.data[...] = 0.0  # a caller's change must not reach the cached pre-training
    again = ft.pretrained(0)
    assert np.abs(again[0].weight.data).sum() > 0
    assert not np.array_equal(ft.pretrained(1)[0].weight.data, again[0].weight.data)  # seeds differ


def test_every_grid_run_starts_from_the_pre_trained_weights():
    """A fine-tune, not a fresh network: step 1's loss is the pre-trained network's loss on the first batch."""
    import minigrad as mg
    from minigrad.nn import functional as F
    from minigrad.utils.data import DataLoader, TensorDataset

    from coursekit.sweep import loader_batches

    data = ft.target_data()
    loader = DataLoader(TensorDataset(data.X_train, data.y_train), batch_size=ft.BATCH_SIZE, shuffle=True, seed=1)
    (inputs, targets), = loader_batches(loader, 1)[0]
    with mg.no_grad():
        expected = float(F.cross_entropy(ft.pretrained(0)(mg.tensor(inputs)), mg.tensor(targets)).item())
    grid = ft.finetune_grid()
    first_losses = np.array([run.step_losses[0] for run in grid.runs.values()])
    assert first_losses == pytest.approx(expected, rel=1e-12)
    # the pre-trained network has never seen digits 5-9: its first fine-tune batch costs far more
    # than a fresh network's ln(10)
    assert expected > 2 * np.log(10)


def test_the_study_covers_every_lesson_peak_with_five_seeds_and_applies_its_rule():
    study = ft.warmup_study()
    assert [c.peak for c in study] == [float(p) for p in WIDGET_PEAKS]
    assert len(ft.SEEDS) >= 5
    for comparison in study:
        for arm in (comparison.bare, comparison.warm):
            assert len(arm.worst_source_loss) == len(arm.val_loss) == len(ft.SEEDS)
            assert arm.total == len(ft.SEEDS) * len(ft.target_data().y_val)
            low, high = arm.accuracy_interval
            assert low <= arm.accuracy <= high
        assert comparison.protects == (comparison.seeds_protected == len(ft.SEEDS))
    protected = [c.peak for c in study if c.protects]
    assert ft.preset_peak() == (max(protected) if protected else ft.FALLBACK_PEAK)
    table = ft.study_table()
    assert all(f"peak {p:g}:" in table for p in WIDGET_PEAKS) and "The early spike" in table
    assert all(1 <= step <= ft.EARLY_STEPS for c in study for arm in (c.bare, c.warm) for step in arm.spike_step)


def test_bad_seed_and_peak_are_refused_with_the_allowed_values():
    with pytest.raises(ValueError, match="seed must be a non-negative integer, got -1"):
        ft.pretrained(-1)
    with pytest.raises(ValueError, match=r"peak must be one of lesson 5's peaks .*got 0.2"):
        ft.comparison_at(0.2)


def test_the_playground_s_code_line_recreates_the_fine_tune_on_screen():
    from coursekit import playground
    from coursekit.finetune_demo import finetune_grid, target_data
    from coursekit.schedules import schedule_explorer

    panel = playground.schedule_demo("no_warmup", interactive=False)
    widget = eval(panel.code_line, {"schedule_explorer": schedule_explorer, "target_data": target_data,
                                    "finetune_grid": finetune_grid})
    assert widget.state["run"] is panel.widget.state["run"] is finetune_grid().run(
        "cosine", panel.widget.controls["peak_lr"].value, 0.0)
