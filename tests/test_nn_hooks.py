"""Module hooks (``nn/hooks.py``): forward pre-hooks, forward hooks and full backward hooks, PyTorch's semantics.

The oracles are hand-derived values of small linear maps (numpy); the same scenario is replayed under PyTorch
where it is installed.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import Tensor, nn


def _linear(weight, bias):
    layer = nn.Linear(len(weight[0]), len(weight), dtype=np.float64)
    layer.load_state_dict({"weight": np.array(weight, dtype=np.float64), "bias": np.array(bias, dtype=np.float64)})
    return layer


def test_forward_pre_hook_and_forward_hook_replace_args_and_output_and_are_removable():
    layer, calls = _linear([[1.0, 2.0]], [0.5]), []
    pre = layer.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
    post = layer.register_forward_hook(lambda m, args, out: calls.append((args[0].tolist(), out.tolist())) or out + 1)
    x = Tensor([[1.0, 1.0]])
    assert layer(x).tolist() == [[1.0 * 2 + 2.0 * 2 + 0.5 + 1]]  # (2, 2)·w + b, then + 1
    assert calls == [([[2.0, 2.0]], [[6.5]])]  # the forward hook sees the replaced args and the raw output
    pre.remove()
    post.remove()
    post.remove()  # twice is harmless
    assert layer(x).tolist() == [[3.5]] and len(calls) == 1
    with layer.register_forward_hook(lambda m, a, o: o * 0):
        assert layer(x).tolist() == [[0.0]]
    assert layer(x).tolist() == [[3.5]]  # the context manager removed it


def test_hooks_run_in_registration_order_and_prepend_goes_first():
    layer, order = nn.Identity(), []
    layer.register_forward_hook(lambda m, a, o: order.append("first"))
    layer.register_forward_hook(lambda m, a, o: order.append("second"))
    layer.register_forward_hook(lambda m, a, o: order.append("prepended"), prepend=True)
    layer(Tensor([1.0]))
    assert order == ["prepended", "first", "second"]


def test_full_backward_hook_sees_this_modules_gradients_and_can_replace_grad_input():
    # y = w·x + b with w = (1, 2); L = 3·y + (x₀ + x₁) (x is read outside the layer too)
    layer, seen = _linear([[1.0, 2.0]], [0.0]), []
    layer.register_full_backward_hook(lambda m, gi, go: seen.append((gi[0].tolist(), go[0].tolist())))
    x = Tensor([[1.0, 1.0]], requires_grad=True)
    (3 * layer(x) + x.sum()).sum().backward()
    assert seen == [([[3.0, 6.0]], [[3.0]])]  # grad_input = 3·w: the layer's share, not x's total gradient
    np.testing.assert_array_equal(x.grad, [[4.0, 7.0]])
    layer.register_full_backward_hook(lambda m, gi, go: (gi[0] * 0,))
    x.grad = None
    (3 * layer(x) + x.sum()).sum().backward()
    np.testing.assert_array_equal(x.grad, [[1.0, 1.0]])  # the layer's share replaced by 0


def test_full_backward_hook_runs_with_no_input_requiring_grad_and_leaves_parameter_grads_alone():
    layer, seen = _linear([[1.0, 2.0]], [0.0]), []
    layer.register_full_backward_hook(lambda m, gi, go: seen.append((gi, go[0].tolist())))
    (layer(Tensor([[1.0, 1.0]])) * 5).sum().backward()
    assert seen == [((None,), [[5.0]])]
    np.testing.assert_array_equal(layer.weight.grad, [[5.0, 5.0]])


def test_bad_hooks_are_refused():
    layer = nn.Identity()
    with pytest.raises(TypeError, match="register_forward_hook: hook must be callable, got int"):
        layer.register_forward_hook(3)
    linear = _linear([[1.0]], [0.0])
    linear.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    with pytest.raises(ValueError, match="tuple of 1 gradients"):
        linear(Tensor([[1.0]], requires_grad=True)).sum().backward()


def test_hooks_agree_with_pytorch():
    torch = pytest.importorskip("torch", reason="needs PyTorch (pip install torch)")

    def scenario(lib, module_nn, grad_of):
        lib.manual_seed(0)
        model = module_nn.Sequential(module_nn.Linear(3, 4), module_nn.Tanh(), module_nn.Linear(4, 2))
        state = {k: np.linspace(-0.5, 0.5, int(np.prod(v.shape))).reshape(v.shape).astype(np.float32)
                 for k, v in model.state_dict().items()}
        model.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
        log = []
        model[1].register_full_backward_hook(lambda m, gi, go: log.append((grad_of(gi[0]), grad_of(go[0]))))
        model[0].register_full_backward_hook(lambda m, gi, go: log.append(gi[0] is None))
        model[2].register_full_backward_hook(lambda m, gi, go: tuple(g * 2 for g in gi))
        model[0].register_forward_pre_hook(lambda m, args: (args[0] * 2,))
        model[2].register_forward_hook(lambda m, args, out: out + 1)
        y = model(lib.tensor([[1.0, 2.0, 3.0]]))
        y.sum().backward()
        return [grad_of(y)] + log + [grad_of(model[0].weight.grad)]

    ours = scenario(tg, nn, lambda t: np.asarray(t.data if isinstance(t, Tensor) else t))
    with pytest.warns(UserWarning):  # PyTorch warns that no input of the first layer requires grad
        theirs = scenario(torch, torch.nn, lambda t: t.detach().numpy())
    for a, b in zip(ours, theirs):
        if isinstance(a, bool):
            assert a == b
        else:
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)  # float32 both
