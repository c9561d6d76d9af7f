"""Datasets and a mini-batch loader, with torch.utils.data's names.

A ``DataLoader`` turns a dataset into the stream of shuffled mini-batches that
stochastic gradient descent feeds on: each epoch visits every example once, in
a new random order, ``batch_size`` examples at a time. A seed makes the order
reproducible; without one, ``minigrad.manual_seed`` governs it.

For a ``TensorDataset`` (and subsets of one) a batch is cut from the stored
arrays with one index array per batch, never example by example, so loading
costs next to nothing next to the training step.
"""
import math

import numpy as np

from .. import backend
from .. import random as mg_random
from ..tensor import Tensor

__all__ = ["Dataset", "TensorDataset", "Subset", "DataLoader", "random_split"]


class Dataset:
    """Anything with ``__getitem__(i)`` (one example, usually a tuple) and ``__len__``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index)")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__()")


def _as_tensor(value, position):
    if isinstance(value, Tensor):
        return value.detach()
    try:
        return Tensor(value)
    except Exception as exc:  # a ragged list, a string ...
        raise TypeError(f"TensorDataset: argument {position} cannot become a tensor "
                        f"({type(value).__name__}: {exc})") from exc


class TensorDataset(Dataset):
    """Examples are rows: ``dataset[i] == (t[i] for t in tensors)``.

    Takes minigrad Tensors, NumPy (or CuPy) arrays or nested lists; arrays keep
    their dtype, Python numbers become float32 (int64 for integers), as in
    ``minigrad.tensor``. Every argument needs the same first dimension.
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor or array")
        self.tensors = tuple(_as_tensor(t, i) for i, t in enumerate(tensors))
        for i, t in enumerate(self.tensors):
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: argument {i} is a scalar; each argument needs one row per example")
        lengths = [t.shape[0] for t in self.tensors]
        if len(set(lengths)) > 1:
            shapes = ", ".join(f"argument {i}: {t.shape}" for i, t in enumerate(self.tensors))
            raise ValueError(f"TensorDataset: every argument needs the same number of rows (first dimension); "
                             f"got {shapes}")

    def __getitem__(self, index):
        return tuple(Tensor(t.data[index]) for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]

    def __repr__(self):
        shapes = ", ".join(str(tuple(t.shape)) for t in self.tensors)
        return f"TensorDataset({len(self)} examples; shapes {shapes})"


class Subset(Dataset):
    """The examples of ``dataset`` at ``indices`` (a train/validation split, say)."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        n = len(dataset)
        if self.indices.size and (self.indices.min() < -n or self.indices.max() >= n):
            raise IndexError(f"Subset: indices must lie in [0, {n}) for a dataset of {n} examples")

    def __getitem__(self, index):
        return self.dataset[int(self.indices[index])]

    def __len__(self):
        return len(self.indices)


def _make_generator(generator, seed, owner):
    if generator is not None and seed is not None:
        raise ValueError(f"{owner}: pass either generator= or seed=, not both")
    if seed is not None:
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"{owner}: seed must be a non-negative integer, got {seed!r}")
        return np.random.default_rng(int(seed))
    if generator is not None and not isinstance(generator, np.random.Generator):
        raise TypeError(f"{owner}: generator must be a numpy.random.Generator "
                        f"(np.random.default_rng(seed)), got {type(generator).__name__}")
    return generator


def random_split(dataset, lengths, generator=None, seed=None):
    """Split ``dataset`` at random into ``Subset``s of the given ``lengths``.

    ``lengths`` are counts that add up to ``len(dataset)`` or fractions that add up
    to 1 (``[0.9, 0.1]``; leftover examples go round-robin to the first splits,
    as torch does).
    """
    n = len(dataset)
    lengths = list(lengths)
    if lengths and all(isinstance(x, float) for x in lengths):
        if any(x < 0 for x in lengths) or not math.isclose(sum(lengths), 1.0):
            raise ValueError(f"random_split: fractions must be non-negative and add up to 1, got {lengths}")
        counts = [int(math.floor(n * x)) for x in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if any(not isinstance(x, (int, np.integer)) or x < 0 for x in lengths) or sum(lengths) != n:
        raise ValueError(f"random_split: lengths must be non-negative counts adding up to the dataset's "
                         f"{n} examples, or fractions adding up to 1; got {lengths}")
    rng = _make_generator(generator, seed, "random_split") or mg_random.generator()
    order = rng.permutation(n)
    splits, start = [], 0
    for length in lengths:
        splits.append(Subset(dataset, order[start:start + length]))
        start += length
    return splits


def _array_view(dataset):
    """``(arrays, row_indices)`` when batches can be cut straight from arrays, else None.

    ``row_indices`` maps the dataset's positions to rows of the arrays (None:
    the identity), composing nested Subsets of a TensorDataset.
    """
    if isinstance(dataset, TensorDataset):
        return [t.data for t in dataset.tensors], None
    if isinstance(dataset, Subset):
        inner = _array_view(dataset.dataset)
        if inner is None:
            return None
        arrays, rows = inner
        return arrays, dataset.indices if rows is None else rows[dataset.indices]
    return None


def _collate(examples, positions):
    """Stack a list of examples (tuples of tensors, arrays or numbers) into a batch.

    ``positions`` are the examples' indices in the dataset, for the messages.
    """
    first = examples[0]
    if not isinstance(first, (tuple, list)):
        examples = [(e,) for e in examples]
        first = examples[0]
    if any(len(e) != len(first) for e in examples):
        raise ValueError("DataLoader: the dataset's examples do not all have the same number of fields")
    batch = []
    for number, field in enumerate(zip(*examples)):
        shapes = [tuple(item.shape) if hasattr(item, "shape") else np.shape(item) for item in field]
        if any(shape != shapes[0] for shape in shapes):
            odd = next(i for i, shape in enumerate(shapes) if shape != shapes[0])
            raise ValueError(f"DataLoader: field {number} of the examples differs in shape within one batch: "
                             f"dataset[{positions[0]}] has shape {tuple(shapes[0])}, dataset[{positions[odd]}] "
                             f"has shape {tuple(shapes[odd])}. Examples are stacked into a batch, so every "
                             f"example needs the same shape: pad or crop them in the Dataset's __getitem__")
        if isinstance(field[0], Tensor):
            if len({t.device for t in field}) > 1:
                raise RuntimeError("DataLoader: examples of one batch live on different devices")
            xp = field[0].xp
            batch.append(Tensor(xp.stack([t.data for t in field])))
        elif hasattr(field[0], "shape") and hasattr(field[0], "dtype"):
            xp = backend.array_module(field[0])
            batch.append(Tensor(xp.stack([xp.asarray(a) for a in field])))
        else:  # Python numbers: the same dtype rules as minigrad.tensor
            batch.append(Tensor(list(field)))
    return tuple(batch)


class DataLoader:
    """Yield mini-batches of ``dataset`` as tuples of Tensors, as torch's DataLoader.

    Args:
        dataset: a ``TensorDataset`` (fast path), a ``Subset`` of one, or any
            ``Dataset`` (its examples are stacked one by one).
        batch_size: examples per batch (the last batch may be smaller).
        shuffle: visit the examples in a new random order every epoch.
        drop_last: drop the last, smaller batch so every step sees ``batch_size``
            examples.
        generator: a ``numpy.random.Generator`` drawing the orders; or
        seed: an integer to make one (the same seed gives the same sequence of
            epochs). With neither, ``minigrad.manual_seed`` decides the order.

    ``len(loader)`` is the number of batches (optimizer steps) per epoch; each
    ``for batch in loader`` is one epoch.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, generator=None, seed=None):
        if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size!r}")
        if not isinstance(shuffle, (bool, np.bool_)):
            raise TypeError(f"DataLoader: shuffle must be True or False, got {shuffle!r}")
        try:
            len(dataset)
        except TypeError as exc:
            raise TypeError(f"DataLoader: the dataset needs __len__ and __getitem__ "
                            f"(got {type(dataset).__name__})") from exc
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.generator = _make_generator(generator, seed, "DataLoader")
        self._arrays = _array_view(dataset)

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _order(self):
        n = len(self.dataset)
        if not self.shuffle:
            return None
        rng = self.generator if self.generator is not None else mg_random.generator()
        return rng.permutation(n)

    def __iter__(self):
        n = len(self.dataset)
        order = self._order()  # drawn when the epoch starts, so each epoch gets a new one
        stop = len(self) * self.batch_size if self.drop_last else n
        for start in range(0, stop, self.batch_size):
            end = min(start + self.batch_size, n)
            if self._arrays is not None:
                yield self._cut(order, start, end)
            else:
                positions = range(start, end) if order is None else order[start:end]
                positions = [int(i) for i in positions]
                yield _collate([self.dataset[i] for i in positions], positions)

    def _cut(self, order, start, end):
        arrays, rows = self._arrays
        if order is None and rows is None:  # plain slices: copy so a batch never aliases the data
            return tuple(Tensor(a[start:end].copy()) for a in arrays)
        index = np.arange(start, end) if order is None else order[start:end]
        if rows is not None:
            index = rows[index]
        return tuple(Tensor(a[index if isinstance(a, np.ndarray) else backend.array_module(a).asarray(index)])
                     for a in arrays)

    def __repr__(self):
        return (f"DataLoader({len(self.dataset)} examples, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}: {len(self)} batches per epoch)")
