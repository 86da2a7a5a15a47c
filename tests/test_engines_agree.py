"""The scalar engine and the tensor engine, written independently, agree on value and gradients.

Hypothesis draws small programs (a sequence of ops over earlier results); each program is run once
with ``Value``s and once with 0-d ``Tensor``s, and every leaf's gradient is compared. Inputs of
log, division and powers are passed through positive expressions so every program is defined.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_cnn import Tensor, Value

# each op: (name, arity, function applied identically to two Values or two 0-d Tensors)
_OPS = [
    ("add", 2, lambda a, b: a + b),
    ("sub", 2, lambda a, b: a - b),
    ("mul", 2, lambda a, b: a * b),
    ("div", 2, lambda a, b: a / (b * b + 1)),
    ("pow", 2, lambda a, b: (a * a + 0.5) ** b.tanh()),
    ("number_left", 1, lambda a: 2.0 - a + 3.0 * a - 1.5 / (a * a + 1) + 2.0 ** a.tanh()),
    ("neg", 1, lambda a: -a),
    ("exp", 1, lambda a: a.tanh().exp()),
    ("log", 1, lambda a: (a * a + 0.1).log()),
    ("tanh", 1, lambda a: a.tanh()),
    ("sigmoid", 1, lambda a: a.sigmoid()),
    ("relu", 1, lambda a: a.relu()),
    ("square", 1, lambda a: a**2),
]


@st.composite
def programs(draw):
    n_inputs = draw(st.integers(1, 3))
    inputs = draw(st.lists(
        st.floats(-2, 2).filter(lambda v: abs(v) > 1e-3), min_size=n_inputs, max_size=n_inputs))
    steps = []
    for position in range(draw(st.integers(1, 12))):
        available = n_inputs + position
        op = draw(st.integers(0, len(_OPS) - 1))
        args = [draw(st.integers(0, available - 1)) for _ in range(_OPS[op][1])]
        steps.append((op, args))
    return inputs, steps


def _run(leaves, steps):
    nodes = list(leaves)
    for op, args in steps:
        nodes.append(_OPS[op][2](*(nodes[i] for i in args)))
    # the output uses every node, so that diamonds and re-use are common
    out = nodes[0]
    for node in nodes[1:]:
        out = out + node
    return out


@given(programs())
def test_same_program_same_value_and_gradients(program):
    inputs, steps = program
    values = [Value(x) for x in inputs]
    tensors = [Tensor(np.float64(x), requires_grad=True) for x in inputs]
    out_value, out_tensor = _run(values, steps), _run(tensors, steps)
    assert out_tensor.shape == ()
    assert math.isclose(out_value.data, out_tensor.item(), rel_tol=1e-12, abs_tol=1e-12)
    out_value.backward()
    out_tensor.backward()
    for v, t in zip(values, tensors):
        expected = 0.0 if t.grad is None else float(t.grad)
        assert math.isclose(v.grad, expected, rel_tol=1e-10, abs_tol=1e-10), (v.grad, expected)


def test_textbook_neuron_in_both_engines():
    # one sigmoid neuron with squared error, eq. (3)-(4) in miniature
    w, x, b, t = 0.7, -1.2, 0.3, 1.0
    vw, vb = Value(w), Value(b)
    tw, tb = Tensor(w, requires_grad=True), Tensor(b, requires_grad=True)
    for (weight, bias) in ((vw, vb), (tw, tb)):
        a = (weight * x + bias).sigmoid()
        (0.5 * (t - a) ** 2).backward()
    z = w * x + b
    s = 1 / (1 + math.exp(-z))
    delta = (s - t) * s * (1 - s)  # eq. (17)
    assert vb.grad == pytest.approx(delta, rel=1e-12)
    assert float(tb.grad) == pytest.approx(delta, rel=1e-12)
    assert vw.grad == pytest.approx(delta * x, rel=1e-12)
    assert float(tw.grad) == pytest.approx(delta * x, rel=1e-12)
