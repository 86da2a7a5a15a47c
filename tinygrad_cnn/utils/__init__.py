"""PyTorch's ``torch.utils`` path: ``tinygrad_cnn.utils.data`` is where a PyTorch script imports its data tools from.

>>> from tinygrad_cnn.utils.data import DataLoader
>>> import tinygrad_cnn.data
>>> DataLoader is tinygrad_cnn.data.DataLoader
True
"""

from . import data

__all__ = ["data"]
