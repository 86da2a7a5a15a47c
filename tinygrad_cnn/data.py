"""Batches for training, PyTorch-shaped: ``TensorDataset``, ``Subset``, ``random_split`` and ``DataLoader``.

A *dataset* is anything with ``__len__`` and ``__getitem__(i)`` (one example, usually an ``(input, label)``
pair), as in PyTorch; a numpy array, or a tuple of arrays of the same length, can be given wherever a
dataset is expected. :class:`DataLoader` cuts a dataset into batches of Tensors, in order or shuffled
reproducibly (``seed=`` or ``generator=``; without either, the package's global generator that
:func:`tinygrad_cnn.manual_seed` resets).

>>> import numpy as np
>>> from tinygrad_cnn.data import DataLoader, TensorDataset
>>> images = np.arange(10 * 4, dtype=np.float32).reshape(10, 1, 2, 2)   # (N, 1, H, W)
>>> labels = np.arange(10) % 3                                          # (N,)
>>> loader = DataLoader(TensorDataset(images, labels), batch_size=4, shuffle=True, seed=0)
>>> [x.shape for x, y in loader]
[(4, 1, 2, 2), (4, 1, 2, 2), (2, 1, 2, 2)]
>>> len(loader), len(DataLoader(images, batch_size=4, drop_last=True))
(3, 2)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from . import random as _random
from ._checks import check_bool, check_int, is_int, is_real
from .tensor import Tensor

__all__ = ["DataLoader", "Subset", "TensorDataset", "as_dataset", "random_split"]


def _as_array(value: Any, name: str, where: str) -> np.ndarray:
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, (list, tuple)):
        return np.asarray(value)
    raise TypeError(f"{where}: {name} must be a numpy array, a Tensor or a list, got {type(value).__name__}")


class TensorDataset:
    """Examples made of the rows of arrays of the same length: ``dataset[i] == (a[i], b[i], ...)``.

    Arrays (or Tensors, whose ``.data`` is used, or lists) are kept as they are, not copied; they are
    available as ``.tensors``, PyTorch's name.

    >>> ds = TensorDataset(np.zeros((3, 2)), np.array([0, 1, 2]))
    >>> len(ds), ds[1][1]
    (3, np.int64(1))
    >>> TensorDataset(np.zeros(3), np.zeros(4))
    Traceback (most recent call last):
        ...
    ValueError: TensorDataset: every array must have the same length (first axis); got lengths [3, 4]
    """

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise ValueError("TensorDataset: give at least one array")
        self.tensors = tuple(_as_array(a, f"arrays[{i}]", "TensorDataset") for i, a in enumerate(arrays))
        for i, array in enumerate(self.tensors):
            if array.ndim == 0:
                raise ValueError(f"TensorDataset: arrays[{i}] is 0-dimensional; expected one row per example")
        lengths = [len(a) for a in self.tensors]
        if len(set(lengths)) != 1:
            raise ValueError("TensorDataset: every array must have the same length (first axis); "
                             f"got lengths {lengths}")

    def __len__(self) -> int:
        return len(self.tensors[0])

    def __getitem__(self, index: int) -> tuple[Any, ...]:
        return tuple(a[index] for a in self.tensors)

    def _get_batch(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        """The examples at ``indices`` (int array), stacked: one array (len(indices), ...) per field."""
        return tuple(a[indices] for a in self.tensors)


class Subset:
    """The examples of ``dataset`` at ``indices``, in that order (``subset[i] == dataset[indices[i]]``).

    >>> sub = Subset(TensorDataset(np.arange(5.0)), [4, 0])
    >>> len(sub), sub[0]
    (2, (np.float64(4.0),))
    """

    def __init__(self, dataset: Any, indices: Sequence[int] | np.ndarray) -> None:
        self.dataset = as_dataset(dataset, "Subset")
        indices = np.asarray(indices)
        if indices.ndim != 1 or (indices.size and indices.dtype.kind not in "iu"):
            raise TypeError("Subset: indices must be a 1-D sequence of ints, "
                            f"got {indices.dtype} shape {indices.shape}")
        n = len(self.dataset)
        if indices.size and (indices.min() < -n or indices.max() >= n):
            raise ValueError(f"Subset: indices must be in [0, {n}) for a dataset of {n} examples; "
                             f"got {indices.min()}..{indices.max()}")
        self.indices = indices.astype(np.int64) % max(n, 1)  # (len,) non-negative positions in ``dataset``

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> Any:
        return self.dataset[int(self.indices[index])]

    def _get_batch(self, indices: np.ndarray) -> Any:
        return _fetch(self.dataset, self.indices[indices])


def as_dataset(data: Any, where: str = "dataset") -> Any:
    """``data`` as a dataset: a numpy array or Tensor stays indexable as it is, a tuple of arrays becomes a
    :class:`TensorDataset`, and anything with ``__len__`` and ``__getitem__`` is taken as it is."""
    if isinstance(data, Tensor):
        return data.data
    if isinstance(data, tuple):
        return TensorDataset(*data)
    if isinstance(data, (str, bytes)) or not (hasattr(data, "__len__") and hasattr(data, "__getitem__")):
        raise TypeError(f"{where}: expected a dataset (with __len__ and __getitem__), a numpy array or a tuple of "
                        f"arrays, got {type(data).__name__}")
    return data


def random_split(dataset: Any, lengths: Sequence[int | float], seed: Any = None,
                 generator: np.random.Generator | None = None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random :class:`Subset` s of the given lengths.

    ``lengths`` are counts that add up to ``len(dataset)``, or fractions that add up to 1 (as in PyTorch:
    each gets ``floor(fraction · n)`` examples and the remainder is handed out one by one from the first).
    The same ``seed`` always gives the same split.

    >>> train, held_out = random_split(np.arange(10), [0.8, 0.2], seed=0)
    >>> len(train), len(held_out), sorted(np.concatenate([train.indices, held_out.indices]).tolist()) == list(range(10))
    (8, 2, True)
    >>> random_split(np.arange(10), [5, 4], seed=0)
    Traceback (most recent call last):
        ...
    ValueError: random_split: lengths [5, 4] add up to 9, but the dataset has 10 examples
    """
    dataset = as_dataset(dataset, "random_split")
    n = len(dataset)
    if isinstance(lengths, (str, bytes)) or not isinstance(lengths, Iterable):
        raise TypeError(f"random_split: lengths must be a list of ints or fractions, got {type(lengths).__name__}")
    lengths = list(lengths)
    if not all(is_real(v) for v in lengths):
        raise TypeError(f"random_split: lengths must be a list of ints or fractions, got {lengths!r}")
    if not lengths:
        raise ValueError("random_split: lengths must not be empty")
    if all(is_int(v) for v in lengths):
        counts = [int(v) for v in lengths]
        if min(counts) < 0:
            raise ValueError(f"random_split: lengths must be non-negative, got {counts}")
        if sum(counts) != n:
            raise ValueError(f"random_split: lengths {counts} add up to {sum(counts)}, "
                             f"but the dataset has {n} examples")
    else:
        fractions = [float(v) for v in lengths]
        if min(fractions) < 0 or not math.isclose(sum(fractions), 1.0, abs_tol=1e-9):
            raise ValueError(f"random_split: fractions must be non-negative and add up to 1, got {fractions}")
        counts = [math.floor(f * n) for f in fractions]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
    rng = _random.generator(seed, generator, where="random_split")
    order = rng.permutation(n)  # (n,)
    bounds = np.cumsum([0] + counts)
    return [Subset(dataset, order[start:stop]) for start, stop in itertools.pairwise(bounds)]


def _fetch(dataset: Any, indices: np.ndarray) -> Any:
    """The examples at ``indices``, stacked field by field (one array per field, or one array)."""
    if isinstance(dataset, np.ndarray):
        return dataset[indices]
    batch = getattr(dataset, "_get_batch", None)
    if batch is not None:
        return batch(indices)
    return _collate([dataset[int(i)] for i in indices])


def _collate(examples: list[Any]) -> Any:
    """Stack a list of examples: tuples field by field, arrays and numbers into one array."""
    first = examples[0]
    if isinstance(first, (tuple, list)):
        return tuple(_collate([example[k] for example in examples]) for k in range(len(first)))
    if isinstance(first, dict):
        return {key: _collate([example[key] for example in examples]) for key in first}
    return np.stack([e.data if isinstance(e, Tensor) else np.asarray(e) for e in examples])


def _to_tensors(batch: Any) -> Any:
    if isinstance(batch, tuple):
        return tuple(_to_tensors(field) for field in batch)
    if isinstance(batch, dict):
        return {key: _to_tensors(field) for key, field in batch.items()}
    array = np.asarray(batch)
    return Tensor(array) if array.dtype.kind in "fiub" else array


class DataLoader:
    """Batches of a dataset as Tensors, in order or shuffled, PyTorch-shaped.

    Parameters
    ----------
    dataset : a dataset (``__len__`` + ``__getitem__``), a numpy array, or a tuple of arrays
        A tuple becomes a :class:`TensorDataset`; a batch of a dataset whose examples are tuples is a tuple
        of Tensors (one per field), a batch of an array is one Tensor. Non-numeric fields stay numpy arrays.
    batch_size : int
        Examples per batch (the last one may be smaller unless ``drop_last``).
    shuffle : bool
        A new random order every epoch (every ``iter(loader)``), drawn from the generator below, so a
        seeded loader gives the same sequence of epochs every time the program runs.
    seed, generator
        Where the shuffling order comes from (see :func:`tinygrad_cnn.random.generator`): a seed makes a
        generator owned by this loader; without either, the global generator of ``manual_seed``.
    drop_last : bool
        Skip the last batch when it is smaller than ``batch_size``.
    transform : callable, optional
        Called on each batch's inputs (the first field, a numpy array ``(B, ...)``) before they become a
        Tensor; it returns the new inputs. Batched, so an augmentation costs one numpy call per batch.

    num_workers, pin_memory, persistent_workers
        PyTorch's options for worker processes and GPU transfer, accepted so PyTorch scripts run unchanged; they
        have no effect here: batches are always assembled in the calling process (numpy), and there is no GPU.

    :meth:`state_dict` / :meth:`load_state_dict` save and restore the shuffling generator, so a resumed
    training run sees the same epochs as an uninterrupted one.

    >>> x = np.arange(6.0).reshape(6, 1)
    >>> loader = DataLoader(x, batch_size=4, transform=lambda b: 10 * b)
    >>> [batch.data.ravel().tolist() for batch in loader]
    [[0.0, 10.0, 20.0, 30.0], [40.0, 50.0]]
    >>> a = [b.data.ravel().tolist() for b in DataLoader(x, batch_size=6, shuffle=True, seed=1)]
    >>> a == [b.data.ravel().tolist() for b in DataLoader(x, batch_size=6, shuffle=True, seed=1)]
    True
    """

    def __init__(self, dataset: Any, batch_size: int = 1, shuffle: bool = False, *, seed: Any = None,
                 generator: np.random.Generator | None = None, drop_last: bool = False,
                 transform: Callable[[np.ndarray], np.ndarray] | None = None, num_workers: int = 0,
                 pin_memory: bool = False, persistent_workers: bool = False) -> None:
        check_int(num_workers, "num_workers", "DataLoader", minimum=0)  # no effect: loaded in this process
        check_bool(pin_memory, "pin_memory", "DataLoader")  # no effect: no GPU
        check_bool(persistent_workers, "persistent_workers", "DataLoader")  # no effect: no workers
        self.dataset = as_dataset(dataset, "DataLoader")
        self.batch_size = check_int(batch_size, "batch_size", "DataLoader", minimum=1)
        self.shuffle = check_bool(shuffle, "shuffle", "DataLoader")
        self.drop_last = check_bool(drop_last, "drop_last", "DataLoader")
        if transform is not None and not callable(transform):
            raise TypeError(f"DataLoader: transform must be callable, got {type(transform).__name__}")
        self.transform = transform
        # None: the global generator, looked up at every epoch (manual_seed replaces it)
        self._rng = None if seed is None and generator is None else _random.generator(seed, generator, "DataLoader")

    @property
    def generator(self) -> np.random.Generator:
        """The generator the next epoch's order is drawn from."""
        return self._rng if self._rng is not None else _random.default_generator()

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _order(self) -> np.ndarray:
        n = len(self.dataset)
        return self.generator.permutation(n) if self.shuffle else np.arange(n)  # (n,)

    def __iter__(self) -> Iterator[Any]:
        order = self._order()
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            batch = _fetch(self.dataset, order[start:start + self.batch_size])
            if self.transform is not None:
                if isinstance(batch, tuple):
                    batch = (self.transform(batch[0]),) + batch[1:]
                else:
                    batch = self.transform(batch)
            yield _to_tensors(batch)

    def state_dict(self) -> dict[str, Any]:
        """The shuffling generator's state (numpy's ``bit_generator.state``, plain Python values)."""
        return {"generator": self.generator.bit_generator.state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the shuffling generator saved by :meth:`state_dict` (the same bit generator kind)."""
        if not isinstance(state, dict):
            raise TypeError(f"DataLoader.load_state_dict: state must be a dict (from state_dict()), got "
                            f"{type(state).__name__}")
        if "generator" not in state:
            raise ValueError(f"DataLoader.load_state_dict: expected a dict with key 'generator', got {state!r:.80}")
        bit_generator = self.generator.bit_generator
        wanted = state["generator"].get("bit_generator") if isinstance(state["generator"], dict) else None
        if wanted != type(bit_generator).__name__:
            raise ValueError(f"DataLoader.load_state_dict: state['generator'] is for bit generator {wanted!r}, "
                             f"this loader uses {type(bit_generator).__name__}")
        bit_generator.state = state["generator"]

    def __repr__(self) -> str:
        return (f"DataLoader({len(self.dataset)} examples, batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last})")
