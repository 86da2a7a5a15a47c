"""``from torch.utils.data import DataLoader, TensorDataset`` works here unchanged: this module is PyTorch's import
path for the data tools of ``tinygrad_cnn.data`` (the same objects, not copies). ``Dataset`` is the base class a
PyTorch user subclasses; here any object with ``__len__`` and ``__getitem__`` is a dataset, and ``Dataset`` is that
protocol as a class to inherit from.

>>> from tinygrad_cnn.utils.data import DataLoader, TensorDataset
>>> import tinygrad_cnn as torch
>>> loader = DataLoader(TensorDataset(torch.arange(6).float(), torch.arange(6)), batch_size=4)
>>> [len(y) for _, y in loader]
[4, 2]
"""

from __future__ import annotations

from typing import Any

from ..data import DataLoader, Subset, TensorDataset, as_dataset, random_split

__all__ = ["DataLoader", "Dataset", "Subset", "TensorDataset", "as_dataset", "random_split"]


class Dataset:
    """A map-style dataset, as PyTorch's ``torch.utils.data.Dataset``: subclasses define ``__getitem__`` and
    ``__len__`` (``DataLoader`` needs nothing more)."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__ (a Dataset subclass's job)")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__ (a Dataset subclass's job)")
