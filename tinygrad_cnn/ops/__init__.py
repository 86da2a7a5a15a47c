"""The built-in ops, one module per kind; every op is a ``Function`` with its backward beside its forward.

- ``elementwise``: arithmetic with broadcasting and unary functions
- ``matmul``: the matrix product
- ``reduce``: sum/mean/max/min over axes, softmax and log_softmax
- ``movement``: reshape, transpose, indexing, padding, concatenate/stack
- ``conv`` and ``pool``: conv2d and max/average/Lp pooling, backward rules from the book (``textbook/MATH.md``),
  sharing the window geometry of ``window``
- ``activation``, ``shape``, ``normalization``: leaky_relu/gelu/where, unsqueeze/squeeze/view/expand, batch norm
  and dropout; ``promotion``: the dtype rules every op follows
- ``methods``: attaches the ops to ``Tensor`` as methods (``x.sum()``)
"""
