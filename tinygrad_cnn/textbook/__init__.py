"""The textbook's CNN: its data set and parameters (``data``), and its backward rules derived by hand
(``formulas``, plain numpy, no autograd).

>>> from tinygrad_cnn import textbook
>>> images, targets = textbook.load_data()
>>> textbook.formulas.accuracy(textbook.optimized_parameters(), images, targets)
1.0
"""

from . import formulas
from .data import DIGITS, initial_parameters, labels, load_data, optimized_parameters, test_image

__all__ = [
    "DIGITS",
    "formulas",
    "initial_parameters",
    "labels",
    "load_data",
    "optimized_parameters",
    "test_image",
]
