"""The book's CNN: its data set and parameters (``data``), and its backward rules derived by hand
(``formulas``, plain numpy, no autograd); the same network with the tensor engine (``tensor_net``) and
with the scalar engine (``scalar_net``), the four-way check of δ and the gradients (``compare``, in
``comparison``) and the book's gradient descent (``train``, in ``training``). The ``tinygrad-cnn textbook``
command lives with the rest of the command line, in ``tinygrad_cnn.cli.textbook``.

The derivation all of them follow, with the book's equation numbers and an index from each equation to the
code, is ``MATH.md`` in this package (``importlib.resources.files("tinygrad_cnn.textbook") / "MATH.md"``).

>>> from tinygrad_cnn import textbook
>>> images, targets = textbook.load_data()
>>> textbook.formulas.accuracy(textbook.optimized_parameters(), images, targets)
1.0
"""

from . import comparison, formulas, hessian, scalar_net, tensor_net, training
from .comparison import Comparison, compare, format_table
from .data import DIGITS, initial_parameters, labels, load_data, optimized_parameters, test_image
from .training import History, train

__all__ = [
    "DIGITS",
    "Comparison",
    "History",
    "compare",
    "comparison",
    "format_table",
    "formulas",
    "hessian",
    "initial_parameters",
    "labels",
    "load_data",
    "optimized_parameters",
    "scalar_net",
    "tensor_net",
    "test_image",
    "train",
    "training",
]
