"""A scalar reverse-mode autodiff engine: :class:`Value`.

Each :class:`Value` holds one float (``data``), the derivative of the last output it was
backpropagated from (``grad``), and links to the one or two Values it was computed from.  Every
operation ``out = f(a, b)`` computes its result and, beside it, the local derivatives ``∂out/∂a`` and
``∂out/∂b``; :meth:`Value.backward` applies the chain rule ``a.grad += ∂out/∂a · out.grad`` over the
graph in reverse topological order, found without recursion.

The API is micrograd's (``data``, ``grad``, operators, ``relu``, ``backward``) plus ``exp``, ``log``,
``tanh``, ``sigmoid``, ``sqrt``, ``abs``, ``maximum``, ``minimum``, ``Value ** Value`` and Graphviz
export.  At the edges (±0, ±inf, NaN, ties) values and gradients are PyTorch's, except that a result
that is not a real number (``log`` of 0 or less, ``sqrt`` or a non-integer power of a negative, division
by 0) raises ``ValueError`` where PyTorch returns inf or NaN.  A selection (``relu`` at 0 and below,
the losing side of ``maximum``, ``x ** 0``) passes no gradient at all: 0, not NaN, from an infinite
upstream gradient.  Nothing of the tensor engine is imported: the two are written independently, so
that checking one against the other means something.

>>> a, b = Value(2.0), Value(-3.0)
>>> c = a * b + a ** 2            # c = ab + a²
>>> c.backward()
>>> a.grad, b.grad                # ∂c/∂a = b + 2a,  ∂c/∂b = a
(1.0, 2.0)

``<``, ``<=``, ``>``, ``>=`` compare ``data`` (with a Value or a number, either side) and give a ``bool`` as
floats do (False if a NaN is involved): no node, no gradient, as PyTorch's comparisons.  ``==`` and ``hash``
stay identity (as micrograd's), so Values are dict keys and set members; ``max``/``sorted`` return Values.

>>> a < b, 1 < a, a >= 2, Value(math.nan) > 0, a == Value(2.0)
(False, True, True, False, False)

Numbers are not nodes (``a + 1.0`` folds ``1.0`` into the local derivative).  Local derivatives are
taken when a result is computed: after changing a leaf's ``data``, rebuild the expression.
"""

from __future__ import annotations

import math
import threading
from numbers import Real
from typing import Union

from ._dot import check_rankdir, digraph

__all__ = ["Value", "sigmoid"]

Number = Union[int, float]  # noqa: UP007  (a plain Python or numpy real number, either side of an operator)

_new = object.__new__
_BACKWARD_LOCK = threading.Lock()  # one backward call at a time: a leaf's _da is that call's scratch sum
_SELECTED_OUT = None  # the local derivative of an operand a selection drops: no gradient flows at all


def _number(other: object) -> float | None:
    """``float(other)`` for a real number that is not a Value, else None (the operator returns NotImplemented)."""
    tp = type(other)
    if tp is float:
        return other  # type: ignore[return-value]
    if tp is int or isinstance(other, Real):
        return float(other)  # type: ignore[arg-type]
    return None


def _compared(other: object) -> float | None:
    """The number a comparison uses: a Value's ``data``, a real number as a float, else None (NotImplemented)."""
    return other.data if isinstance(other, Value) else _number(other)


class Value:
    """A scalar that remembers how it was computed, so its gradient can be found.

    ``data`` is a real number (``int``, ``float``, ``bool`` or a numpy scalar), stored as a Python
    ``float``; ``grad`` is ``∂output/∂self`` after ``output.backward()`` and starts at ``0.0``.

    >>> Value("3")
    Traceback (most recent call last):
        ...
    TypeError: Value(data): expected a real number (int, float or numpy scalar), got '3' of type str
    """

    # A result keeps its operands _a, _b (None for one operand) and their local derivatives
    # _da, _db; a leaf has _a = None.  _op names the operation; _visit is scratch for graph walks.
    __slots__ = ("data", "grad", "_a", "_da", "_b", "_db", "_op", "_visit")

    def __init__(self, data: Number) -> None:
        if type(data) is not float:
            if (number := _number(data)) is None:
                raise TypeError(f"Value(data): expected a real number (int, float or numpy scalar), "
                                f"got {data!r} of type {type(data).__name__}")
            data = number
        self.data = data
        self.grad = 0.0
        self._a = None
        self._op = ""
        self._visit = None

    # binary: out = a ∘ b with a = self
    def __add__(self, other: Value | Number) -> Value:
        if isinstance(other, Value):  # the node built inline: a hot path
            out = _new(Value)
            out.data = self.data + other.data
            out.grad = 0.0
            out._a = self
            out._da = 1.0  # ∂(a+b)/∂a = 1
            out._b = other
            out._db = 1.0  # ∂(a+b)/∂b = 1
            out._op = "+"
            out._visit = None
            return out
        if (c := _number(other)) is None:
            return NotImplemented
        return _node(self.data + c, self, 1.0, "+")  # ∂(a+c)/∂a = 1

    __radd__ = __add__  # c + a = a + c

    def __sub__(self, other: Value | Number) -> Value:
        if isinstance(other, Value):
            # ∂(a-b)/∂a = 1,  ∂(a-b)/∂b = -1
            return _node(self.data - other.data, self, 1.0, "-", other, -1.0)
        if (c := _number(other)) is None:
            return NotImplemented
        return _node(self.data - c, self, 1.0, "-")  # ∂(a-c)/∂a = 1

    def __rsub__(self, other: Number) -> Value:
        if (c := _number(other)) is None:
            return NotImplemented
        return _node(c - self.data, self, -1.0, "-")  # ∂(c-a)/∂a = -1

    def __mul__(self, other: Value | Number) -> Value:
        if isinstance(other, Value):  # the node built inline: a hot path
            a, b = self.data, other.data
            out = _new(Value)
            out.data = a * b
            out.grad = 0.0
            out._a = self
            out._da = b  # ∂(ab)/∂a = b
            out._b = other
            out._db = a  # ∂(ab)/∂b = a
            out._op = "*"
            out._visit = None
            return out
        if (c := _number(other)) is None:
            return NotImplemented
        return _node(self.data * c, self, c, "*")  # ∂(ac)/∂a = c

    __rmul__ = __mul__  # c * a = a * c

    def mul_add(self, c: Number, addend: Value | Number) -> Value:
        """``self * c + addend`` for a number ``c``, as one node (a weighted sum's term in half the nodes).

        >>> w, z = Value(2.0), Value(1.0)
        >>> y = w.mul_add(3.0, z); y.backward(); (y.data, w.grad, z.grad)
        (7.0, 3.0, 1.0)
        """
        if type(c) is not float:
            if (k := _number(c)) is None:
                raise TypeError(f"Value.mul_add(c): expected a real number, got {type(c).__name__}")
            c = k
        if isinstance(addend, Value):  # ∂/∂self = c, ∂/∂addend = 1 (the node built inline: this is a hot path)
            out = _new(Value)
            out.data = self.data * c + addend.data
            out.grad = 0.0
            out._a = self
            out._da = c
            out._b = addend
            out._db = 1.0
            out._op = "*+"
            out._visit = None
            return out
        if (d := _number(addend)) is None:
            raise TypeError(f"Value.mul_add(addend): expected a Value or a real number, got {type(addend).__name__}")
        return _node(self.data * c + d, self, c, "*+")

    def __truediv__(self, other: Value | Number) -> Value:  # dividing by 0 raises ValueError
        if isinstance(other, Value):
            a, b = self.data, other.data
            if b == 0.0:
                raise ValueError(f"Value / Value: the divisor is 0 (dividend {a!r})")
            out = a / b
            # ∂(a/b)/∂a = 1/b,  ∂(a/b)/∂b = -a/b² = -(a/b)/b
            return _node(out, self, 1.0 / b, "/", other, -out / b)
        if (c := _number(other)) is None:
            return NotImplemented
        if c == 0.0:
            raise ValueError(f"Value / number: the divisor is 0 (dividend {self.data!r})")
        return _node(self.data / c, self, 1.0 / c, "/")  # ∂(a/c)/∂a = 1/c

    def __rtruediv__(self, other: Number) -> Value:
        if (c := _number(other)) is None:
            return NotImplemented
        if (b := self.data) == 0.0:
            raise ValueError(f"number / Value: the divisor is 0 (dividend {c!r})")
        out = c / b
        return _node(out, self, -out / b, "/")  # ∂(c/b)/∂b = -c/b² = -(c/b)/b

    def __pow__(self, other: Value | Number) -> Value:
        """``self ** other``; ``ValueError`` for a negative base to a non-integer power or 0 to a negative one.

        ``∂(a**b)/∂b = a**b · log a`` is ``0.0`` at ``a = 0`` and ``nan`` for ``a < 0``, as in PyTorch.

        >>> a, b = Value(2.0), Value(3.0)
        >>> c = a ** b; c.backward()
        >>> c.data, a.grad, b.grad == 8 * math.log(2)
        (8.0, 12.0, True)
        """
        if isinstance(other, Value):
            a, b = self.data, other.data
            out = _pow(a, b, "Value ** Value")
            # ∂(a^b)/∂a = b·a^(b-1),  ∂(a^b)/∂b = a^b·log a
            return _node(out, self, _dpow_dbase(a, b), "**", other, _dpow_dexp(a, out))
        if (c := _number(other)) is None:
            return NotImplemented
        a = self.data
        return _node(_pow(a, c, "Value ** number"), self, _dpow_dbase(a, c), "**")  # ∂(a^c)/∂a = c·a^(c-1)

    def __rpow__(self, other: Number) -> Value:
        if (c := _number(other)) is None:
            return NotImplemented
        out = _pow(c, self.data, "number ** Value")
        return _node(out, self, _dpow_dexp(c, out), "**")  # ∂(c^b)/∂b = c^b·log c

    def maximum(self, other: Value | Number) -> Value:
        """The larger of ``self`` and ``other``, as ``torch.maximum``: the gradient goes to the larger one,
        is split in half at a tie, and goes to both if either is NaN (the result is then NaN)."""
        return _extremum(self, other, True)

    def minimum(self, other: Value | Number) -> Value:  # as torch.minimum: ties split, NaN spreads
        return _extremum(self, other, False)

    # comparisons of data, as floats compare: a bool, no node, no gradient (== and hash stay identity)
    def __lt__(self, other: Value | Number) -> bool:
        return NotImplemented if (b := _compared(other)) is None else self.data < b

    def __le__(self, other: Value | Number) -> bool:
        return NotImplemented if (b := _compared(other)) is None else self.data <= b

    def __gt__(self, other: Value | Number) -> bool:  # also ``number < Value``, reflected
        return NotImplemented if (b := _compared(other)) is None else self.data > b

    def __ge__(self, other: Value | Number) -> bool:
        return NotImplemented if (b := _compared(other)) is None else self.data >= b

    # unary: out = f(a), local derivative f'(a)
    def __neg__(self) -> Value:
        return _node(-self.data, self, -1.0, "neg")  # ∂(-a)/∂a = -1

    def __abs__(self) -> Value:  # d|x|/dx = sign(x): 0 at ±0 and at NaN, as PyTorch's abs
        x = self.data
        return _node(abs(x), self, 1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0, "abs")

    abs = __abs__

    def exp(self) -> Value:  # overflows to inf like float arithmetic
        try:
            out = math.exp(self.data)
        except OverflowError:
            out = math.inf
        return _node(out, self, out, "exp")  # d(e^x)/dx = e^x

    def log(self) -> Value:
        """Natural logarithm; ``ValueError`` unless ``self.data > 0``."""
        if not (x := self.data) > 0.0:  # also catches nan
            raise ValueError(f"Value.log: expected data > 0, got {x!r}")
        return _node(math.log(x), self, 1.0 / x, "log")  # d(log x)/dx = 1/x

    def sqrt(self) -> Value:
        """Square root; ``ValueError`` for a negative number.  As in PyTorch, ``sqrt(±0) = ±0`` with derivative
        ``±inf``, ``sqrt(inf) = inf`` with derivative 0, and NaN passes through.

        >>> v = Value(4.0); w = v.sqrt(); w.backward(); (w.data, v.grad)
        (2.0, 0.25)
        """
        x = self.data
        if x < 0.0:
            raise ValueError(f"Value.sqrt: expected data >= 0, got {x!r}")
        if x == 0.0:  # ±0: the curve rises vertically; the sign of zero picks the side
            return _node(x, self, math.copysign(math.inf, x), "sqrt")
        out = math.sqrt(x)
        return _node(out, self, 0.5 / out, "sqrt")  # d√x/dx = 1/(2√x)

    def tanh(self) -> Value:
        t = math.tanh(self.data)
        return _node(t, self, 1.0 - t * t, "tanh")  # d(tanh x)/dx = 1 - tanh² x

    def sigmoid(self) -> Value:  # 1 / (1 + e^-x), without overflow
        s = sigmoid(self.data)
        return _node(s, self, s * (1.0 - s), "sigmoid")  # dσ/dx = σ(1 - σ)

    def relu(self) -> Value:
        """``max(0, self)``, as PyTorch's ``relu``: derivative 1 above 0 and for NaN; at 0 and below the
        input is not selected, so no gradient reaches it (0 even from an infinite upstream gradient).

        >>> v = Value(-1.0); w = v.relu().sqrt(); w.backward(); (w.data, v.grad)
        (0.0, 0.0)
        """
        x = self.data
        if x <= 0.0:
            return _node(0.0 if x < 0.0 else x, self, _SELECTED_OUT, "relu")  # relu(-0.0) = -0.0, as PyTorch
        return _node(x, self, 1.0, "relu")  # nan passes through, as in PyTorch

    def backward(self) -> None:
        """Set ``grad`` of every Value this one depends on to ``∂self/∂node``.

        Results of operations have their ``grad`` recomputed on every call (``self.grad`` becomes 1.0).  Leaves
        (Values you made) accumulate, as in PyTorch: a call sums its gradient of each leaf apart (in the leaf's
        otherwise unused ``_da`` slot), then adds the sum to ``leaf.grad``, so two calls give exactly twice the
        gradient; ``leaf.grad`` is never reset, and calls run one at a time (a lock), so calls in several
        threads on graphs that share Values add up exactly.  No recursion: chains of millions of nodes work.

        >>> x = Value(3.0); y = x * x
        >>> y.backward(); y.backward(); x.grad   # 6 from each call
        12.0
        """
        with _BACKWARD_LOCK:
            if self._a is None:  # a leaf: ∂self/∂self = 1, accumulated
                self.grad += 1.0
                return
            _backpropagate(self)

    def __repr__(self) -> str:
        return f"Value(data={self.data!r}, grad={self.grad!r})"

    def to_dot(self, rankdir: str = "TB") -> str:
        """The graph as Graphviz DOT text (``dot -Tsvg graph.dot -o graph.svg`` draws it).

        A box per Value (operation or ``leaf``, ``data``, ``grad``); an edge per operand, labelled with
        ``∂result/∂operand`` (``-`` where a selection passes none); ``rankdir``: TB, LR, BT or RL.

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
        rankdir = check_rankdir(rankdir, "Value.to_dot")
        results, leaves = _walk(self)
        order = leaves + results
        name = {id(node): f"n{i}" for i, node in enumerate(order)}
        nodes = [(name[id(node)], f"{node._op or 'leaf'}\ndata={node.data:.6g}\ngrad={node.grad:.6g}")
                 for node in order]
        edges = [(name[id(operand)], name[id(node)], "-" if d is None else f"{d:.6g}")
                 for node in results
                 for operand, d in ((node._a, node._da), (node._b, getattr(node, "_db", None))) if operand is not None]
        return digraph("Value", rankdir, nodes, edges)


def _node(data: float, a: Value, da: float | None, op: str, b: Value | None = None, db: float | None = None) -> Value:
    """A new result ``out = f(a)`` or ``f(a, b)`` with ``∂out/∂a = da``, ``∂out/∂b = db`` (``data`` a float)."""
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


def sigmoid(x: float) -> float:
    """σ(x) = 1 / (1 + e^-x) of a float, as a float, without overflow: bit for bit what ``Value(x).sigmoid()``
    holds (to choose by σ's numbers before building Values).

    >>> sigmoid(0.0), sigmoid(-1000.0) == 0.0, sigmoid(2.0) == Value(2.0).sigmoid().data
    (0.5, True, True)
    """
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)  # e^x / (1 + e^x): the same number, and e^x cannot overflow here
    return e / (1.0 + e)


def _extremum(a: Value, other: Value | Number, larger: bool) -> Value:
    """``maximum`` (``larger``) or ``minimum`` of a Value and a Value or number, with PyTorch's gradients."""
    op = "maximum" if larger else "minimum"
    if (b := other.data if isinstance(other, Value) else _number(other)) is None:
        raise TypeError(f"Value.{op}(other): expected a Value or a real number, got {type(other).__name__}")
    x = a.data
    if math.isnan(x) or math.isnan(b):  # NaN spreads, and both operands get the full gradient (as torch.maximum)
        out, da, db = math.nan, 1.0, 1.0
    elif x == b:  # a tie: half each; the value is b's, as the tensor engine's (0.0 vs −0.0 keeps b's sign)
        out, da, db = b, 0.5, 0.5
    elif (x > b) == larger:  # a wins; b is not selected
        out, da, db = x, 1.0, _SELECTED_OUT
    else:
        out, da, db = b, _SELECTED_OUT, 1.0
    if isinstance(other, Value):
        return _node(out, a, da, op, other, db)
    return _node(out, a, da, op)


def _pow(a: float, b: float, what: str) -> float:
    """``a ** b`` on the reals, or ``ValueError`` (naming ``what``) where it is not defined there."""
    if a < 0.0 and not b.is_integer():
        raise ValueError(f"{what}: a negative base {a!r} to the non-integer power {b!r} is not a real number")
    if a == 0.0 and b < 0.0:
        raise ValueError(f"{what}: 0 to the negative power {b!r} is undefined (division by zero)")
    try:
        return a**b
    except OverflowError:  # |a^b| too large for a float: ±inf, like float arithmetic
        return -math.inf if a < 0.0 and b % 2.0 == 1.0 else math.inf


def _dpow_dbase(a: float, b: float) -> float | None:
    """``∂(a^b)/∂a = b·a^(b-1)``, with its limits where ``a^(b-1)`` is not finite."""
    if b == 0.0:  # a^0 = 1 is constant: no gradient reaches a (PyTorch: 0 even from inf)
        return _SELECTED_OUT
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


def _backpropagate(root: Value) -> None:
    """The tape: the results ``root`` depends on in topological order (:func:`_walk`), then one reverse sweep
    of the chain rule ``∂root/∂a += ∂node/∂a · ∂root/∂node``, then each leaf's sum added to its ``grad``."""
    results, leaves = _walk(root)  # results with operands first; leaves with _da = 0.0
    for node in results:
        node.grad = 0.0
    root.grad = 1.0  # ∂root/∂root
    for node in reversed(results):  # every result before its operands
        g = node.grad
        a = node._a
        d = node._da
        if d is not None:  # a selection that dropped a adds nothing
            if a._a is None:
                a._da += d * g  # a leaf: this call's sum, kept apart from a.grad
            else:
                a.grad += d * g
        b = node._b
        if b is not None:
            d = node._db
            if d is not None:
                if b._a is None:
                    b._da += d * g
                else:
                    b.grad += d * g
    for leaf in leaves:
        leaf.grad += leaf._da


def _walk(root: Value) -> tuple[list[Value], list[Value]]:
    """``(results, leaves)`` that ``root`` depends on: each result after its operands, each leaf once
    (with its scratch ``_da`` set to 0.0).  An iterative depth-first search; every Value reached is
    stamped (``_visit``) with a token new to this walk, a cheaper "seen" test than a set."""
    if root._a is None:
        root._da = 0.0
        return [], [root]
    results: list[Value] = []
    leaves: list[Value] = []
    token = object()
    stack: list[Value | None] = [root]  # results to visit, and None markers
    pending: list[Value] = []  # results waiting for their operands, one per None marker
    push, pop, done, wait, leaf = stack.append, stack.pop, results.append, pending.append, leaves.append
    while stack:
        node = pop()
        if node is None:  # everything pushed above this marker is in order
            done(pending.pop())
            continue
        if node._visit is token:  # reached before along another path
            continue
        node._visit = token
        push(None)
        wait(node)
        a = node._a
        if a._visit is not token:
            if a._a is None:  # a leaf: listed once, its scratch sum zeroed
                a._visit = token
                a._da = 0.0
                leaf(a)
            else:
                push(a)
        b = node._b
        if b is not None and b._visit is not token:
            if b._a is None:
                b._visit = token
                b._da = 0.0
                leaf(b)
            else:
                push(b)
    return results, leaves
