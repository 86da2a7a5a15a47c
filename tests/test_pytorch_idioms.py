"""The everyday idioms beyond issue 20's list (ops/selection.py, ops/scan.py, ops/composites.py, creation, grad
modes, threads, utils.data): hand-computed values first, then the same calls under PyTorch (skipped without it),
comparing values, dtypes, shapes, indices and gradients."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_cnn as tg


# ---- oracles that need no PyTorch (hand values)
def test_hand_values() -> None:
    x = tg.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    assert x.topk(2, dim=1).values.tolist() == [[3.0, 2.0], [5.0, 4.0]]
    assert x.topk(1, dim=0, largest=False).indices.tolist() == [[1, 0, 0]]
    assert tg.sort(tg.tensor([2, 1, 2, 0]), descending=True).indices.tolist() == [0, 2, 1, 3]  # ties in order
    assert tg.argsort(tg.tensor([2, 1, 2, 0])).tolist() == [3, 1, 0, 2]
    assert x.gather(0, tg.tensor([[1, 1, 0]])).tolist() == [[0.0, 5.0, 2.0]]
    assert x.masked_fill(x > 2.5, 9.0).tolist() == [[9.0, 1.0, 2.0], [0.0, 9.0, 9.0]]
    assert x.flip(-1).tolist() == [[2.0, 1.0, 3.0], [4.0, 5.0, 0.0]]
    assert tg.tensor([1, 2]).repeat(2, 1).tolist() == [[1, 2], [1, 2]]
    assert [p.tolist() for p in tg.arange(5).split(2)] == [[0, 1], [2, 3], [4]]
    assert [p.numel() for p in tg.arange(6).chunk(4)] == [2, 2, 2]
    assert tg.tensor([1, 2, 3]).cumsum(0).tolist() == [1, 3, 6]
    assert tg.tensor([[1, 2], [3, 4]]).prod(0).tolist() == [3, 8]
    assert tg.tensor([-2.0, 0.0, 3.0]).sign().tolist() == [-1.0, 0.0, 1.0]
    assert tg.tensor([float("nan"), 1.0]).isnan().tolist() == [True, False]
    assert tg.tensor([4.0]).rsqrt().item() == 0.5 and tg.tensor([4]).reciprocal().item() == 0.25
    assert tg.eye(2).tolist() == [[1.0, 0.0], [0.0, 1.0]] and tg.linspace(-1, 1, 3).tolist() == [-1.0, 0.0, 1.0]


def test_gradients_by_hand() -> None:
    x = tg.tensor([1.0, 2.0, 0.0, 4.0], requires_grad=True)
    (x.cumsum(0) * tg.tensor([1.0, 10.0, 100.0, 1000.0])).sum().backward()
    assert x.grad.tolist() == [1111.0, 1110.0, 1100.0, 1000.0]  # Σ_{j≥i} g_j
    x.grad = None
    x.prod().backward()
    assert x.grad.tolist() == [0.0, 0.0, 8.0, 0.0]  # Π_{j≠i} x_j with one zero factor
    x.grad = None
    x.gather(0, tg.tensor([3, 3, 0])).sum().backward()  # repeated picks add up
    assert x.grad.tolist() == [1.0, 0.0, 0.0, 2.0]
    x.grad = None
    x.sign().sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 0.0]


def test_dtypes_and_creation() -> None:
    assert tg.tensor([True, False]).cumsum(0).dtype == np.int64
    assert tg.tensor([1, 2]).square().dtype == np.int64 and tg.tensor([1, 2]).rsqrt().dtype == np.float32
    x = tg.zeros(2, dtype=tg.float64)
    assert x.new_zeros(3).dtype == np.float64 and x.new_ones((1, 2)).shape == (1, 2)
    assert x.new_tensor([1, 2]).dtype == np.float64 and x.new_full((2,), 3).tolist() == [3.0, 3.0]
    assert x.contiguous() is x
    tg.manual_seed(0)
    a = tg.randint(2, 5, (100,))
    assert a.dtype == np.int64 and 2 <= int(a.min()) and int(a.max()) < 5
    assert sorted(tg.randperm(10).tolist()) == list(range(10)) and tg.randint(3, (2, 2)).shape == (2, 2)


def test_inference_mode_is_no_grad_and_restores() -> None:
    w = tg.tensor([1.0], requires_grad=True)
    with tg.inference_mode():
        assert not (w * 2).requires_grad
        with tg.inference_mode(False):
            assert (w * 2).requires_grad  # mode=False records again, as in PyTorch
    assert tg.is_grad_enabled()

    @tg.inference_mode()
    def f() -> bool:
        return (w * 2).requires_grad

    @tg.inference_mode
    def g() -> bool:
        return (w * 2).requires_grad

    @tg.inference_mode(False)
    def h() -> bool:
        return (w * 2).requires_grad

    assert not f() and not g() and tg.is_grad_enabled()
    with tg.no_grad():
        assert h()  # mode=False as a decorator records, as in PyTorch


def test_num_threads_round_trip() -> None:
    pytest.importorskip("threadpoolctl", reason="needs threadpoolctl (pip install threadpoolctl)")
    before = tg.get_num_threads()
    tg.set_num_threads(1)
    try:
        assert tg.get_num_threads() == 1
    finally:
        tg.set_num_threads(before)


def test_num_threads_without_threadpoolctl_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "threadpoolctl", None)
    with pytest.raises(RuntimeError, match="pip install threadpoolctl"):
        tg.get_num_threads()


def test_utils_data_is_torchs_import_path() -> None:
    from tinygrad_cnn.utils.data import DataLoader, Dataset, TensorDataset

    class Squares(Dataset):
        def __len__(self) -> int:
            return 5

        def __getitem__(self, i: int):
            return tg.tensor(float(i)), tg.tensor(i * i)

    assert DataLoader is tg.data.DataLoader and TensorDataset is tg.data.TensorDataset
    assert [y.tolist() for _, y in DataLoader(Squares(), batch_size=3)] == [[0, 1, 4], [9, 16]]


# ---- the same calls under PyTorch
torch_cases = [
    ("topk", lambda m, x: m.topk(x, 2, dim=1)),
    ("topk_smallest_dim0", lambda m, x: m.topk(x, 2, dim=0, largest=False)),
    ("sort", lambda m, x: m.sort(x, dim=-1)),
    ("sort_desc_dim0", lambda m, x: m.sort(x, dim=0, descending=True)),
    ("argsort", lambda m, x: m.argsort(x, dim=1, descending=True)),
    ("gather", lambda m, x: m.gather(x, 1, m.tensor([[0, 0, 3], [2, 1, 1], [3, 3, 3]]))),
    ("gather_neg", lambda m, x: m.gather(x, -2, m.tensor([[0, 2, 1, 1]]))),
    ("masked_fill", lambda m, x: x.masked_fill(x > 0.3, -1.5)),
    ("masked_fill_row", lambda m, x: x.masked_fill(m.tensor([True, False, True, False]), 0.0)),
    ("flip", lambda m, x: m.flip(x, (0, 1))),
    ("repeat", lambda m, x: x.repeat(2, 1, 3)),
    ("split", lambda m, x: m.split(x, 3, dim=1)),
    ("split_list", lambda m, x: m.split(x, [1, 2], dim=0)),
    ("chunk", lambda m, x: m.chunk(x, 3, dim=1)),
    ("cumsum", lambda m, x: m.cumsum(x, dim=-1)),
    ("cumsum0", lambda m, x: x.cumsum(0)),
    ("prod", lambda m, x: m.prod(x)),
    ("prod_dim", lambda m, x: x.prod(1, keepdim=True)),
    ("square", lambda m, x: m.square(x)),
    ("rsqrt", lambda m, x: m.rsqrt(x.abs() + 0.5)),
    ("reciprocal", lambda m, x: m.reciprocal(x + 3.0)),
    ("sign", lambda m, x: m.sign(x) * x),
    ("logsumexp", lambda m, x: m.logsumexp(x, dim=1)),
    ("logsumexp_all_keep", lambda m, x: x.logsumexp((0, 1), keepdim=True)),
    ("mm", lambda m, x: m.mm(x, x.t())),
    ("matmul", lambda m, x: x.matmul(x.t())),
    ("bmm", lambda m, x: m.bmm(x.reshape(1, 3, 4), x.reshape(1, 4, 3))),
]


def _outputs(out):
    if isinstance(out, tuple) and hasattr(out, "values"):
        return [out.values, out.indices]
    return list(out) if isinstance(out, tuple) else [out]


@pytest.mark.parametrize("name, call", torch_cases, ids=[c[0] for c in torch_cases])
def test_agrees_with_pytorch(name, call) -> None:
    torch = pytest.importorskip("torch", reason="needs PyTorch (pip install torch)")
    data = np.array([[0.9, -0.4, 0.1, 1.7], [-1.2, 0.5, 0.6, -0.3], [0.2, 0.8, -0.7, 1.1]])
    if name == "prod" or name == "prod_dim":
        data = data.copy()
        data[1, 2] = 0.0  # one zero factor: the gradient still is the product of the others
    ours_x = tg.tensor(data, dtype=tg.float64, requires_grad=True)
    theirs_x = torch.tensor(data, dtype=torch.float64, requires_grad=True)
    ours, theirs = _outputs(call(tg, ours_x)), _outputs(call(torch, theirs_x))
    assert len(ours) == len(theirs)
    weights = []
    for o, t in zip(ours, theirs):
        assert o.shape == tuple(t.shape), (o.shape, t.shape)
        assert str(o.dtype) == str(t.dtype).replace("torch.", ""), (o.dtype, t.dtype)
        np.testing.assert_allclose(o.data, t.detach().numpy(), rtol=1e-12, atol=1e-12)
        weights.append(np.arange(1.0, 1.0 + o.numel()).reshape(o.shape))
    ours_loss = sum(((o * tg.tensor(w, dtype=tg.float64)).sum() for o, w in zip(ours, weights)
                     if o.dtype.kind == "f"), tg.tensor(0.0, dtype=tg.float64))
    theirs_loss = sum((t * torch.tensor(w)).sum() for t, w in zip(theirs, weights) if t.dtype.is_floating_point)
    if not ours_loss.requires_grad:  # integer outputs only (argsort)
        return
    ours_loss.backward()
    theirs_loss.backward()
    np.testing.assert_allclose(ours_x.grad, theirs_x.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("make", [
    lambda m: m.eye(3, 2), lambda m: m.eye(2, dtype=m.float64), lambda m: m.linspace(0, 1, 6),
    lambda m: m.linspace(-2, 3, 1), lambda m: m.tensor([1, 2]).cumsum(0), lambda m: m.tensor([True, True]).cumsum(0),
    lambda m: m.tensor([[1, 2], [3, 4]]).prod(), lambda m: m.tensor([2, 3]).square(),
    lambda m: m.tensor([4]).rsqrt(), lambda m: m.tensor([-2, 0, 5]).sign(), lambda m: m.tensor([1, 2]).isnan(),
    lambda m: m.zeros(2, dtype=m.float64).new_tensor([1, 2]), lambda m: m.ones(1, dtype=m.int64).new_zeros(2, 3),
    lambda m: m.tensor([3, 1, 2]).sort().indices, lambda m: m.tensor([3, 1, 2]).topk(2).values,
    lambda m: m.tensor([1, 2, 3]).logsumexp(0), lambda m: m.tensor([[1, 2, 3]]).flip(1),
    lambda m: m.tensor(5.0).flip(0), lambda m: m.tensor(2.0).cumsum(0), lambda m: m.tensor(3.0).prod(0),
], ids=lambda f: "")
def test_creation_and_dtypes_agree_with_pytorch(make) -> None:
    torch = pytest.importorskip("torch", reason="needs PyTorch (pip install torch)")
    ours, theirs = make(tg), make(torch)
    assert ours.shape == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(np.asarray(ours.data, np.float64), theirs.double().numpy(), rtol=1e-6)


def test_random_draws_have_pytorchs_dtypes_and_ranges() -> None:
    torch = pytest.importorskip("torch", reason="needs PyTorch (pip install torch)")
    for ours, theirs in ((tg.randint(3, (4,)), torch.randint(3, (4,))), (tg.randperm(5), torch.randperm(5)),
                         (tg.randint(-2, 2, (3, 2)), torch.randint(-2, 2, (3, 2)))):
        assert ours.shape == tuple(theirs.shape) and str(ours.dtype) == str(theirs.dtype).replace("torch.", "")


def test_chunk_counts_agree_with_pytorch() -> None:
    torch = pytest.importorskip("torch", reason="needs PyTorch (pip install torch)")
    for n in range(0, 8):
        for chunks in range(1, 6):
            ours = [p.shape for p in tg.arange(n).chunk(chunks)]
            theirs = [tuple(p.shape) for p in torch.arange(n).chunk(chunks)]
            assert ours == theirs, (n, chunks)
