import numpy as np
import pytest

import minigrad as mg
from minigrad.utils.data import DataLoader, Dataset, Subset, TensorDataset, random_split


def make_dataset(n=10):
    x = np.arange(n * 2, dtype=np.float64).reshape(n, 2)
    y = np.arange(n, dtype=np.int64)
    return TensorDataset(x, y)


def rows_seen(loader):
    return np.concatenate([y.numpy() for _, y in loader])


def test_tensor_dataset_rows_and_dtypes():
    ds = TensorDataset(np.ones((4, 3), dtype=np.float64), mg.tensor([0, 1, 2, 3]), [[1.0], [2.0], [3.0], [4.0]])
    assert len(ds) == 4
    x, y, z = ds[2]
    assert isinstance(x, mg.Tensor) and x.shape == (3,) and x.dtype == np.float64
    assert y.item() == 2 and y.dtype == np.int64
    assert z.dtype == np.float32 and z.item() == 3.0


def test_tensor_dataset_length_mismatch_names_the_shapes():
    with pytest.raises(ValueError, match=r"same number of rows.*\(5, 2\).*\(4,\)"):
        TensorDataset(np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()
    with pytest.raises(ValueError, match="scalar"):
        TensorDataset(np.float64(3.0))


def test_len_is_steps_per_epoch():
    ds = make_dataset(10)
    assert len(DataLoader(ds, batch_size=3)) == 4
    assert len(DataLoader(ds, batch_size=3, drop_last=True)) == 3
    assert len(DataLoader(ds, batch_size=10)) == 1
    assert len(DataLoader(ds, batch_size=20, drop_last=True)) == 0
    assert len(list(DataLoader(ds, batch_size=3))) == 4
    assert len(list(DataLoader(ds, batch_size=3, drop_last=True))) == 3


def test_unshuffled_batches_are_in_order_and_are_tensors():
    loader = DataLoader(make_dataset(10), batch_size=4)
    batches = list(loader)
    assert [b[0].shape for b in batches] == [(4, 2), (4, 2), (2, 2)]
    assert all(isinstance(t, mg.Tensor) for b in batches for t in b)
    assert batches[0][0].dtype == np.float64 and batches[0][1].dtype == np.int64
    np.testing.assert_array_equal(rows_seen(loader), np.arange(10))
    np.testing.assert_array_equal(batches[1][0].numpy(), [[8, 9], [10, 11], [12, 13], [14, 15]])


def test_batches_do_not_alias_the_dataset():
    ds = make_dataset(6)
    for shuffle in (False, True):
        x, _ = next(iter(DataLoader(ds, batch_size=3, shuffle=shuffle, seed=0)))
        x.data[...] = -1
    assert ds.tensors[0].numpy().min() == 0


def test_shuffle_visits_every_example_once_with_a_new_order_each_epoch():
    loader = DataLoader(make_dataset(50), batch_size=8, shuffle=True, seed=0)
    epoch1, epoch2 = rows_seen(loader), rows_seen(loader)
    np.testing.assert_array_equal(np.sort(epoch1), np.arange(50))
    np.testing.assert_array_equal(np.sort(epoch2), np.arange(50))
    assert not np.array_equal(epoch1, np.arange(50))
    assert not np.array_equal(epoch1, epoch2)


def test_rows_stay_paired_after_shuffling():
    loader = DataLoader(make_dataset(20), batch_size=6, shuffle=True, seed=3)
    for x, y in loader:
        np.testing.assert_array_equal(x.numpy()[:, 0], 2 * y.numpy())


def test_seed_reproduces_the_sequence_of_epochs():
    a = DataLoader(make_dataset(30), batch_size=7, shuffle=True, seed=42)
    b = DataLoader(make_dataset(30), batch_size=7, shuffle=True, seed=42)
    c = DataLoader(make_dataset(30), batch_size=7, shuffle=True, seed=43)
    for _ in range(3):
        ea, eb, ec = rows_seen(a), rows_seen(b), rows_seen(c)
        np.testing.assert_array_equal(ea, eb)
        assert not np.array_equal(ea, ec)


def test_generator_and_manual_seed_drive_the_order():
    a = DataLoader(make_dataset(30), batch_size=5, shuffle=True, generator=np.random.default_rng(1))
    b = DataLoader(make_dataset(30), batch_size=5, shuffle=True, generator=np.random.default_rng(1))
    np.testing.assert_array_equal(rows_seen(a), rows_seen(b))
    unseeded = DataLoader(make_dataset(30), batch_size=5, shuffle=True)
    mg.manual_seed(7)
    first = rows_seen(unseeded)
    mg.manual_seed(7)
    np.testing.assert_array_equal(rows_seen(unseeded), first)


def test_drop_last_drops_the_short_batch_but_shuffles_all_rows_in():
    loader = DataLoader(make_dataset(10), batch_size=4, shuffle=True, drop_last=True, seed=0)
    seen = set()
    for _ in range(20):
        batches = list(loader)
        assert [len(y) for _, y in batches] == [4, 4]
        for _, y in batches:
            seen.update(y.numpy().tolist())
    assert seen == set(range(10))


def test_bad_arguments_raise_clear_errors():
    ds = make_dataset(4)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        DataLoader(ds, batch_size=0)
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(ds, batch_size=2.5)
    with pytest.raises(ValueError, match="either generator= or seed="):
        DataLoader(ds, seed=1, generator=np.random.default_rng(1))
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        DataLoader(ds, seed=-1)
    with pytest.raises(TypeError, match="generator must be a numpy.random.Generator"):
        DataLoader(ds, generator=3)
    with pytest.raises(TypeError, match="shuffle must be True or False"):
        DataLoader(ds, shuffle="yes")


class SquaresDataset(Dataset):
    """A map-style dataset built example by example (the slow, general path)."""

    def __len__(self):
        return 7

    def __getitem__(self, i):
        return np.array([i, i * i], dtype=np.float32), i


def test_generic_dataset_is_collated_example_by_example():
    loader = DataLoader(SquaresDataset(), batch_size=3, shuffle=True, seed=0)
    batches = list(loader)
    assert len(batches) == 3
    x, y = batches[0]
    assert x.shape == (3, 2) and x.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(x.numpy()[:, 1], y.numpy() ** 2)
    np.testing.assert_array_equal(np.sort(np.concatenate([b[1].numpy() for b in batches])), np.arange(7))


def test_random_split_and_subset_loading():
    ds = make_dataset(10)
    train, val = random_split(ds, [0.8, 0.2], seed=0)
    assert (len(train), len(val)) == (8, 2)
    ids = np.concatenate([train.indices, val.indices])
    np.testing.assert_array_equal(np.sort(ids), np.arange(10))
    # a Subset of a TensorDataset keeps the array fast path and its rows
    got = rows_seen(DataLoader(train, batch_size=3, shuffle=True, seed=0))
    np.testing.assert_array_equal(np.sort(got), np.sort(train.indices))
    assert train[0][1].item() == train.indices[0]
    a, b, c = random_split(ds, [5, 3, 2], seed=1)
    assert (len(a), len(b), len(c)) == (5, 3, 2)
    with pytest.raises(ValueError, match="adding up"):
        random_split(ds, [5, 4])
    with pytest.raises(ValueError, match="add up to 1"):
        random_split(ds, [0.5, 0.2])
    with pytest.raises(IndexError, match=r"\[0, 10\)"):
        Subset(ds, [3, 10])
