"""The textbook's CNN: its data set and parameters (``data``), and its backward rules derived by hand
(``formulas``, plain numpy, no autograd); the same network with the tensor engine (``tensor_net``) and
with the scalar engine (``scalar_net``), the four-way check of δ and the gradients (``compare``), the
book's gradient descent (``train``) and the ``tinygrad-cnn textbook`` command (``cli``, ``plots``).

>>> from tinygrad_cnn import textbook
>>> images, targets = textbook.load_data()
>>> textbook.formulas.accuracy(textbook.optimized_parameters(), images, targets)
1.0
"""

from . import compare, formulas, scalar_net, tensor_net, train
from .data import DIGITS, initial_parameters, labels, load_data, optimized_parameters, test_image

__all__ = [
    "DIGITS",
    "compare",
    "formulas",
    "initial_parameters",
    "labels",
    "load_data",
    "optimized_parameters",
    "scalar_net",
    "tensor_net",
    "test_image",
    "train",
]
