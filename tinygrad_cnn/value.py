"""A scalar reverse-mode autodiff engine: :class:`Value`.

Each :class:`Value` holds one float (``data``), the derivative of the last
output it was backpropagated from (``grad``), and links to the one or two
Values it was computed from.  Every operation ``out = f(a, b)`` computes its
result *and*, right beside it, the local derivatives ``∂out/∂a`` and
``∂out/∂b``, stored on ``out`` next to the operands.  :meth:`Value.backward`
then applies the chain rule, ``a.grad += ∂out/∂a · out.grad``, over the graph
in reverse topological order, found without recursion.

(The operands and their local derivatives are plain attributes rather than a
tuple of pairs or a closure: a node is then a single object, which keeps
Python's garbage collector, the main cost of building big graphs, quiet.)

The API follows micrograd's ``Value`` (``data``, ``grad``, the arithmetic
operators, ``relu``, ``backward``), with ``exp``, ``log``, ``tanh``,
``sigmoid``, ``Value ** Value``, and Graphviz export added.

This module imports nothing from the tensor engine: the two engines are
written independently so that checking one against the other means something.

>>> a, b = Value(2.0), Value(-3.0)
>>> c = a * b + a ** 2            # c = ab + a²
>>> c.backward()
>>> a.grad, b.grad                # ∂c/∂a = b + 2a,  ∂c/∂b = a
(1.0, 2.0)

Numbers are not turned into nodes: in ``a + 1.0`` the ``1.0`` is folded into
the result's local derivative, so a graph holds only the Values you made and
the results of operations.  The local derivatives are taken when the result
is computed: after changing a leaf's ``data``, rebuild the expression before
calling :meth:`Value.backward` again.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Union

__all__ = ["Value"]

Number = Union[int, float]
"""A plain Python or numpy real number that can stand on either side of an operator."""

_new = object.__new__
_RANKDIRS = ("TB", "LR", "BT", "RL")


class Value:
    """A scalar that remembers how it was computed, so its gradient can be found.

    Parameters
    ----------
    data:
        A real number: ``int``, ``float``, ``bool``, or a numpy integer/float
        scalar.  It is stored as a Python ``float``.

    Attributes
    ----------
    data: float
        The value.
    grad: float
        ``∂output/∂self`` after ``output.backward()``; starts at ``0.0``.

    A result ``out = f(a)`` or ``out = f(a, b)`` of an operation also keeps its
    operands ``out._a`` and ``out._b`` (``None`` for a one-operand op), their
    local derivatives ``out._da = ∂out/∂a`` and ``out._db = ∂out/∂b``, and the
    name of the operation, ``out._op``.  A leaf has ``_a = None`` and ``_op =
    ""`` (its ``_da``, ``_b``, ``_db`` are never set).  ``_visit`` is scratch
    space for graph walks.

    Examples
    --------
    >>> x = Value(3)
    >>> x
    Value(data=3.0, grad=0.0)
    >>> y = (x * x).tanh()
    >>> y.backward()
    >>> x.grad == 2 * 3 * (1 - math.tanh(9.0) ** 2)
    True
    >>> Value("3")
    Traceback (most recent call last):
        ...
    TypeError: Value(data): expected a real number (int, float or numpy scalar), got '3' of type str
    """

    __slots__ = ("data", "grad", "_a", "_da", "_b", "_db", "_op", "_visit")

    data: float
    grad: float
    _a: Value | None
    _da: float
    _b: Value | None
    _db: float
    _op: str
    _visit: object

    def __init__(self, data: Number) -> None:
        if type(data) is not float:
            data = _as_float(data, "Value(data)")
        self.data = data
        self.grad = 0.0
        self._a = None  # a leaf: no operands (so _da, _b, _db are never read)
        self._op = ""
        self._visit = None

    # ------------------------------------------------------------------
    # binary operators: out = a ∘ b, with a = self and b = other
    # ------------------------------------------------------------------

    def __add__(self, other: Value | Number) -> Value:
        """``self + other``.

        >>> (Value(1.5) + 2).data
        3.5
        """
        if isinstance(other, Value):
            # ∂(a+b)/∂a = 1,  ∂(a+b)/∂b = 1
            return _binary(self.data + other.data, self, 1.0, other, 1.0, "+")
        if isinstance(other, Real):
            # ∂(a+c)/∂a = 1
            return _unary(self.data + float(other), self, 1.0, "+")
        return NotImplemented

    __radd__ = __add__  # c + a = a + c

    def __sub__(self, other: Value | Number) -> Value:
        """``self - other``.

        >>> (Value(1.5) - 2).data
        -0.5
        """
        if isinstance(other, Value):
            # ∂(a-b)/∂a = 1,  ∂(a-b)/∂b = -1
            return _binary(self.data - other.data, self, 1.0, other, -1.0, "-")
        if isinstance(other, Real):
            # ∂(a-c)/∂a = 1
            return _unary(self.data - float(other), self, 1.0, "-")
        return NotImplemented

    def __rsub__(self, other: Number) -> Value:
        """``other - self`` for a number ``other``.

        >>> v = Value(1.5); w = 2 - v; w.backward(); (w.data, v.grad)
        (0.5, -1.0)
        """
        if isinstance(other, Real):
            # ∂(c-a)/∂a = -1
            return _unary(float(other) - self.data, self, -1.0, "-")
        return NotImplemented

    def __mul__(self, other: Value | Number) -> Value:
        """``self * other``.

        >>> (Value(1.5) * 2).data
        3.0
        """
        if isinstance(other, Value):
            a, b = self.data, other.data
            # ∂(ab)/∂a = b,  ∂(ab)/∂b = a
            return _binary(a * b, self, b, other, a, "*")
        if isinstance(other, Real):
            c = float(other)
            # ∂(ac)/∂a = c
            return _unary(self.data * c, self, c, "*")
        return NotImplemented

    __rmul__ = __mul__  # c * a = a * c

    def __truediv__(self, other: Value | Number) -> Value:
        """``self / other``; dividing by zero raises ``ValueError``.

        >>> (Value(3.0) / 2).data
        1.5
        """
        if isinstance(other, Value):
            a, b = self.data, other.data
            if b == 0.0:
                raise ValueError(f"Value / Value: the divisor is 0 (dividend {a!r})")
            out = a / b
            # ∂(a/b)/∂a = 1/b,  ∂(a/b)/∂b = -a/b² = -(a/b)/b
            return _binary(out, self, 1.0 / b, other, -out / b, "/")
        if isinstance(other, Real):
            c = float(other)
            if c == 0.0:
                raise ValueError(f"Value / number: the divisor is 0 (dividend {self.data!r})")
            # ∂(a/c)/∂a = 1/c
            return _unary(self.data / c, self, 1.0 / c, "/")
        return NotImplemented

    def __rtruediv__(self, other: Number) -> Value:
        """``other / self`` for a number ``other``.

        >>> v = Value(4.0); w = 2 / v; w.backward(); (w.data, v.grad)
        (0.5, -0.125)
        """
        if isinstance(other, Real):
            c, b = float(other), self.data
            if b == 0.0:
                raise ValueError(f"number / Value: the divisor is 0 (dividend {c!r})")
            out = c / b
            # ∂(c/b)/∂b = -c/b² = -(c/b)/b
            return _unary(out, self, -out / b, "/")
        return NotImplemented

    def __pow__(self, other: Value | Number) -> Value:
        """``self ** other``, with a number or a Value as the exponent.

        Raises ``ValueError`` for a negative base to a non-integer power and
        for ``0`` to a negative power.  With a Value exponent ``b`` the
        derivative ``∂(a**b)/∂b = a**b · log a`` needs ``a > 0``: it is ``0.0``
        at ``a = 0`` (its limit for ``b > 0``) and ``nan`` for ``a < 0``, as
        in PyTorch.

        >>> a, b = Value(2.0), Value(3.0)
        >>> c = a ** b; c.backward()
        >>> c.data, a.grad, b.grad == 8 * math.log(2)
        (8.0, 12.0, True)
        >>> Value(-8.0) ** 0.5
        Traceback (most recent call last):
            ...
        ValueError: Value ** number: a negative base -8.0 to the non-integer power 0.5 is not a real number
        """
        if isinstance(other, Value):
            a, b = self.data, other.data
            out = _pow(a, b, "Value ** Value")
            # ∂(a^b)/∂a = b·a^(b-1),  ∂(a^b)/∂b = a^b·log a
            return _binary(out, self, _dpow_dbase(a, b), other, _dpow_dexp(a, out), "**")
        if isinstance(other, Real):
            a, c = self.data, float(other)
            out = _pow(a, c, "Value ** number")
            # ∂(a^c)/∂a = c·a^(c-1)
            return _unary(out, self, _dpow_dbase(a, c), "**")
        return NotImplemented

    def __rpow__(self, other: Number) -> Value:
        """``other ** self`` for a number base ``other``.

        >>> v = Value(3.0); w = 2 ** v; w.backward()
        >>> w.data, v.grad == 8 * math.log(2)
        (8.0, True)
        """
        if isinstance(other, Real):
            c, b = float(other), self.data
            out = _pow(c, b, "number ** Value")
            # ∂(c^b)/∂b = c^b·log c
            return _unary(out, self, _dpow_dexp(c, out), "**")
        return NotImplemented

    # ------------------------------------------------------------------
    # unary operations: out = f(a), local derivative f'(a)
    # ------------------------------------------------------------------

    def __neg__(self) -> Value:
        """``-self``.

        >>> (-Value(2.0)).data
        -2.0
        """
        # ∂(-a)/∂a = -1
        return _unary(-self.data, self, -1.0, "neg")

    def exp(self) -> Value:
        """``e ** self``; overflows to ``inf`` like float arithmetic.

        >>> v = Value(0.0); w = v.exp(); w.backward(); (w.data, v.grad)
        (1.0, 1.0)
        """
        try:
            out = math.exp(self.data)
        except OverflowError:
            out = math.inf
        # d(e^x)/dx = e^x
        return _unary(out, self, out, "exp")

    def log(self) -> Value:
        """Natural logarithm; ``ValueError`` unless ``self.data > 0``.

        >>> v = Value(2.0); w = v.log(); w.backward(); v.grad
        0.5
        >>> Value(0.0).log()
        Traceback (most recent call last):
            ...
        ValueError: Value.log: expected data > 0, got 0.0
        """
        x = self.data
        if not x > 0.0:  # also catches nan
            raise ValueError(f"Value.log: expected data > 0, got {x!r}")
        # d(log x)/dx = 1/x
        return _unary(math.log(x), self, 1.0 / x, "log")

    def tanh(self) -> Value:
        """Hyperbolic tangent.

        >>> v = Value(0.0); w = v.tanh(); w.backward(); (w.data, v.grad)
        (0.0, 1.0)
        """
        t = math.tanh(self.data)
        # d(tanh x)/dx = 1 - tanh² x
        return _unary(t, self, 1.0 - t * t, "tanh")

    def sigmoid(self) -> Value:
        """Logistic sigmoid ``1 / (1 + e^-x)``, computed without overflow.

        >>> v = Value(0.0); w = v.sigmoid(); w.backward(); (w.data, v.grad)
        (0.5, 0.25)
        """
        x = self.data
        if x >= 0.0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:  # e^x / (1 + e^x): the same number, and e^x cannot overflow here
            e = math.exp(x)
            s = e / (1.0 + e)
        # dσ/dx = σ(1 - σ)
        return _unary(s, self, s * (1.0 - s), "sigmoid")

    def relu(self) -> Value:
        """``max(0, self)``; its derivative at 0 is taken as 0, as in PyTorch.

        >>> v = Value(0.0); w = v.relu(); w.backward(); (w.data, v.grad)
        (0.0, 0.0)
        """
        x = self.data
        # d relu(x)/dx = 0 if x <= 0 else 1
        if x <= 0.0:
            return _unary(0.0, self, 0.0, "relu")
        return _unary(x, self, 1.0, "relu")  # nan passes through, as in PyTorch

    # ------------------------------------------------------------------
    # backpropagation
    # ------------------------------------------------------------------

    def backward(self) -> None:
        """Set ``grad`` of every Value this one depends on to ``∂self/∂node``.

        Interior nodes (results of operations) have their ``grad`` reset and
        recomputed on every call, and ``self.grad`` becomes ``1.0``; leaves
        (Values you constructed) accumulate, as in PyTorch: each call adds
        this call's gradient, summed first, to what they held, so calling
        ``backward`` twice gives them exactly twice the gradient.  A node used
        several times receives the sum of the gradients along every path.
        The graph is walked without recursion, so chains of millions of
        nodes work.

        >>> x = Value(3.0); y = x * x
        >>> y.backward(); x.grad
        6.0
        >>> y.backward(); x.grad
        12.0
        """
        results, leaves = _walk(self)  # results in topological order: operands first
        # This call computes ∂self/∂node from zero for every node; the leaves then add it
        # to what they held before (so a second call adds exactly the same amount again).
        earlier = [leaf.grad for leaf in leaves]
        for node in leaves:
            node.grad = 0.0
        for node in results:
            node.grad = 0.0
        self.grad = 1.0  # ∂self/∂self
        for node in reversed(results):  # every result before its operands
            g = node.grad
            node._a.grad += node._da * g  # chain rule: ∂self/∂a += ∂node/∂a · ∂self/∂node
            b = node._b
            if b is not None:
                b.grad += node._db * g
        for leaf, g in zip(leaves, earlier):
            leaf.grad += g

    # ------------------------------------------------------------------
    # inspection
    # ------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"Value(data={self.data!r}, grad={self.grad!r})"

    def to_dot(self, rankdir: str = "TB") -> str:
        """The graph that computed this Value, as Graphviz DOT text.

        One box per Value, showing its operation (``leaf`` for Values you
        made), ``data`` and ``grad``; an edge from each operand to the result
        it feeds, labelled with the local derivative ``∂result/∂operand``.
        Render it with ``dot -Tsvg graph.dot -o graph.svg`` where Graphviz is
        installed; no Python package is needed.

        Parameters
        ----------
        rankdir:
            Graphviz layout direction: ``"TB"`` (top to bottom, the default),
            ``"LR"``, ``"BT"`` or ``"RL"``.

        >>> a = Value(2.0); b = a * 3
        >>> print(b.to_dot(rankdir="LR"))
        digraph Value {
          rankdir=LR;
          node [shape=box, fontname="monospace"];
          edge [fontname="monospace"];
          n0 [label="leaf\\ndata=2\\ngrad=0"];
          n1 [label="*\\ndata=6\\ngrad=0"];
          n0 -> n1 [label="3"];
        }
        """
        if not isinstance(rankdir, str):
            raise TypeError(f"Value.to_dot(rankdir): expected a str, got {type(rankdir).__name__}")
        if rankdir not in _RANKDIRS:
            raise ValueError(f"Value.to_dot(rankdir): expected one of {_RANKDIRS}, got {rankdir!r}")
        results, leaves = _walk(self)
        order = leaves + results
        name = {id(node): f"n{i}" for i, node in enumerate(order)}
        lines = [
            "digraph Value {",
            f"  rankdir={rankdir};",
            '  node [shape=box, fontname="monospace"];',
            '  edge [fontname="monospace"];',
        ]
        for node in order:
            label = f"{node._op or 'leaf'}\\ndata={node.data:.6g}\\ngrad={node.grad:.6g}"
            lines.append(f'  {name[id(node)]} [label="{label}"];')
        for node in results:
            lines.append(f'  {name[id(node._a)]} -> {name[id(node)]} [label="{node._da:.6g}"];')
            if node._b is not None:
                lines.append(f'  {name[id(node._b)]} -> {name[id(node)]} [label="{node._db:.6g}"];')
        lines.append("}")
        return "\n".join(lines)


# ----------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------


def _unary(data: float, a: Value, da: float, op: str) -> Value:
    """A new result ``out = f(a)`` with ``∂out/∂a = da`` (``data`` must already be a float)."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out._a = a
    out._da = da
    out._b = None
    out._op = op
    out._visit = None
    return out


def _binary(data: float, a: Value, da: float, b: Value, db: float, op: str) -> Value:
    """A new result ``out = f(a, b)`` with ``∂out/∂a = da`` and ``∂out/∂b = db``."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out._a = a
    out._da = da
    out._b = b
    out._db = db
    out._op = op
    out._visit = None
    return out


def _as_float(x: object, name: str) -> float:
    """``float(x)`` for a real number, else ``TypeError`` naming ``name``."""
    if isinstance(x, Real):
        return float(x)
    raise TypeError(
        f"{name}: expected a real number (int, float or numpy scalar), "
        f"got {x!r} of type {type(x).__name__}"
    )


def _pow(a: float, b: float, what: str) -> float:
    """``a ** b`` on the reals, or ``ValueError`` (naming ``what``) where it is not defined there."""
    if a < 0.0 and not b.is_integer():
        raise ValueError(
            f"{what}: a negative base {a!r} to the non-integer power {b!r} is not a real number"
        )
    if a == 0.0 and b < 0.0:
        raise ValueError(f"{what}: 0 to the negative power {b!r} is undefined (division by zero)")
    try:
        return a**b
    except OverflowError:  # |a^b| too large for a float: ±inf, like float arithmetic
        return -math.inf if a < 0.0 and b % 2.0 == 1.0 else math.inf


def _dpow_dbase(a: float, b: float) -> float:
    """``∂(a^b)/∂a = b·a^(b-1)``, with its limits where ``a^(b-1)`` is not finite."""
    if b == 0.0:  # a^0 = 1 is constant
        return 0.0
    if a == 0.0 and b < 1.0:  # 0 < b < 1: a^b rises vertically from 0
        return math.inf
    try:
        return b * a ** (b - 1.0)
    except OverflowError:  # b·a^(b-1) too large: ±inf with the sign it would have had
        negative = (b < 0.0) != (a < 0.0 and (b - 1.0) % 2.0 == 1.0)
        return -math.inf if negative else math.inf


def _dpow_dexp(a: float, out: float) -> float:
    """``∂(a^b)/∂b = a^b·log a`` given ``out = a^b``: ``0`` at ``a = 0``, ``nan`` for ``a < 0``."""
    if a > 0.0:
        return out * math.log(a)
    if a == 0.0:  # 0^b = 0 for every b > 0, so it does not change with b (PyTorch: 0 too)
        return 0.0
    return math.nan  # log of a negative base is not real


def _walk(root: Value) -> tuple[list[Value], list[Value]]:
    """The Values ``root`` depends on, itself included, as ``(results, leaves)``.

    ``results`` are the results of operations in topological order (each after
    the results it has as operands); ``leaves`` are the Values with no operands.
    An iterative depth-first search, so there is no recursion limit.  Each
    Value reached is stamped (``_visit``) with a token new to this walk: a
    cheaper "seen it" test than a set of the nodes.
    """
    results: list[Value] = []
    leaves: list[Value] = []
    token = object()
    stack: list[Value | None] = [root]  # Values to visit, and None markers
    pending: list[Value] = []  # results waiting for their operands, one per None marker
    push, pop = stack.append, stack.pop
    while stack:
        node = pop()
        if node is None:  # everything pushed above this marker is in order
            results.append(pending.pop())
            continue
        if node._visit is token:  # reached before along another path
            continue
        node._visit = token
        a = node._a
        if a is None:
            leaves.append(node)
            continue
        push(None)
        pending.append(node)
        if a._visit is not token:
            push(a)
        b = node._b
        if b is not None and b._visit is not token:
            push(b)
    return results, leaves
