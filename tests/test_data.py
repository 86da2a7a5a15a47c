"""tinygrad_cnn.data: TensorDataset, Subset, random_split and DataLoader (batching, shuffling, resuming)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn
from tinygrad_cnn import Tensor
from tinygrad_cnn.data import DataLoader, Subset, TensorDataset, random_split


def _dataset(n=10):
    x = np.arange(n * 4, dtype=np.float32).reshape(n, 1, 2, 2)  # example i has x[i, 0, 0, 0] == 4 i
    return TensorDataset(x, np.arange(n))


def _order(loader):
    """The example indices of one epoch, in the order the loader gave them."""
    return [int(i) for _, y in loader for i in y.data]


def test_tensor_dataset_rows_and_errors():
    ds = _dataset(5)
    x, y = ds[3]
    assert x.shape == (1, 2, 2) and x[0, 0, 0] == 12 and y == 3
    assert len(ds) == 5 and len(TensorDataset(Tensor(np.zeros((2, 3))))) == 2
    with pytest.raises(ValueError, match="same length"):
        TensorDataset(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()
    with pytest.raises(TypeError, match="arrays\\[1\\]"):
        TensorDataset(np.zeros(3), "abc")


def test_batches_in_order_cover_everything_once():
    loader = DataLoader(_dataset(10), batch_size=4)
    batches = list(loader)
    assert [len(y) for _, y in batches] == [4, 4, 2] and len(loader) == 3
    assert _order(loader) == list(range(10))
    x, y = batches[1]
    assert isinstance(x, Tensor) and x.dtype == np.float32 and x.shape == (4, 1, 2, 2)
    assert y.dtype == np.int64 and not x.requires_grad
    np.testing.assert_array_equal(x.data[:, 0, 0, 0], 4 * y.data)  # inputs and labels stay paired


def test_drop_last():
    loader = DataLoader(_dataset(10), batch_size=4, drop_last=True)
    assert len(loader) == 2 and [len(y) for _, y in loader] == [4, 4]
    assert len(DataLoader(_dataset(8), batch_size=4, drop_last=True)) == 2
    assert len(DataLoader(_dataset(3), batch_size=4, drop_last=True)) == 0 and list(
        DataLoader(_dataset(3), batch_size=4, drop_last=True)) == []


def test_shuffle_is_a_permutation_new_each_epoch_and_reproducible():
    loader = DataLoader(_dataset(50), batch_size=7, shuffle=True, seed=3)
    first, second = _order(loader), _order(loader)
    assert sorted(first) == list(range(50)) and sorted(second) == list(range(50))
    assert first != second  # a new order every epoch
    again = DataLoader(_dataset(50), batch_size=7, shuffle=True, seed=3)
    assert _order(again) == first and _order(again) == second  # the same sequence of epochs
    assert _order(DataLoader(_dataset(50), batch_size=7, shuffle=True, seed=4)) != first


def test_shuffle_with_a_generator_and_with_the_global_seed():
    rng = np.random.default_rng(5)
    expected = np.random.default_rng(5).permutation(20).tolist()  # the loader draws one permutation per epoch
    assert _order(DataLoader(_dataset(20), batch_size=6, shuffle=True, generator=rng)) == expected
    tinygrad_cnn.manual_seed(11)
    a = _order(DataLoader(_dataset(20), batch_size=6, shuffle=True))
    tinygrad_cnn.manual_seed(11)
    assert _order(DataLoader(_dataset(20), batch_size=6, shuffle=True)) == a
    with pytest.raises(ValueError, match="seed or generator"):
        DataLoader(_dataset(), shuffle=True, seed=1, generator=rng)


def test_state_dict_resumes_the_epoch_order():
    loader = DataLoader(_dataset(30), batch_size=5, shuffle=True, seed=0)
    _order(loader)
    state = loader.state_dict()
    expected = [_order(loader), _order(loader)]
    fresh = DataLoader(_dataset(30), batch_size=5, shuffle=True, seed=123)
    fresh.load_state_dict(state)
    assert [_order(fresh), _order(fresh)] == expected
    with pytest.raises(ValueError, match="generator"):
        fresh.load_state_dict({"nope": 1})


def test_transform_applies_to_the_inputs_only():
    loader = DataLoader(_dataset(6), batch_size=3, transform=lambda x: x + 0.5)
    x, y = next(iter(loader))
    np.testing.assert_array_equal(x.data[:, 0, 0, 0], 4 * y.data + 0.5)
    plain = DataLoader(np.arange(6.0), batch_size=4, transform=lambda x: -x)
    assert [b.data.tolist() for b in plain] == [[-0.0, -1.0, -2.0, -3.0], [-4.0, -5.0]]
    with pytest.raises(TypeError, match="transform"):
        DataLoader(_dataset(), transform=3)


def test_arrays_tuples_and_any_dataset_object():
    x, y = np.arange(12.0).reshape(6, 2), np.arange(6) % 2
    batches = list(DataLoader((x, y), batch_size=4))  # a tuple of arrays is a TensorDataset
    np.testing.assert_array_equal(batches[0][0].data, x[:4])

    class Squares:  # a map-style dataset: __len__ + __getitem__, examples (input, label, name)
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.array([i, i * i], dtype=np.float64), i % 2, f"ex{i}"

    xb, yb, names = next(iter(DataLoader(Squares(), batch_size=3)))
    np.testing.assert_array_equal(xb.data, [[0, 0], [1, 1], [2, 4]])
    np.testing.assert_array_equal(yb.data, [0, 1, 0])
    assert list(names) == ["ex0", "ex1", "ex2"]  # strings stay a numpy array
    with pytest.raises(TypeError, match="dataset"):
        DataLoader(42)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"batch_size": 0}, ValueError, "batch_size must be at least 1"),
    ({"batch_size": 2.0}, TypeError, "batch_size must be an int"),
    ({"shuffle": 1}, TypeError, "shuffle must be True or False"),
    ({"drop_last": "no"}, TypeError, "drop_last"),
    ({"seed": -1, "shuffle": True}, ValueError, "seed must be non-negative"),
])
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        DataLoader(_dataset(), **kwargs)


def test_subset_and_nested_subsets():
    ds = _dataset(10)
    sub = Subset(ds, [9, 2, 5, -1])
    assert len(sub) == 4 and sub[0][1] == 9 and sub[3][1] == 9
    inner = Subset(sub, [2, 1])
    assert [inner[i][1] for i in range(2)] == [5, 2]
    assert _order(DataLoader(inner, batch_size=8)) == [5, 2]
    with pytest.raises(ValueError, match="indices must be in"):
        Subset(ds, [10])
    with pytest.raises(TypeError, match="ints"):
        Subset(ds, [0.5])


def test_random_split_counts_fractions_and_reproducibility():
    ds = _dataset(10)
    a, b = random_split(ds, [7, 3], seed=0)
    assert (len(a), len(b)) == (7, 3)
    assert sorted(np.concatenate([a.indices, b.indices]).tolist()) == list(range(10))  # disjoint, complete
    a2, _ = random_split(ds, [7, 3], seed=0)
    np.testing.assert_array_equal(a.indices, a2.indices)
    assert not np.array_equal(random_split(ds, [7, 3], seed=1)[0].indices, a.indices)
    # fractions: floor(f n) each, the remainder one by one from the first (PyTorch's rule): 3+1, 3, 3
    assert [len(s) for s in random_split(ds, [0.33, 0.33, 0.34], seed=0)] == [4, 3, 3]
    with pytest.raises(ValueError, match="add up to 9"):
        random_split(ds, [5, 4])
    with pytest.raises(ValueError, match="add up to 1"):
        random_split(ds, [0.5, 0.4])
    with pytest.raises(TypeError, match="lengths"):
        random_split(ds, ["a"])


def test_random_split_lengths_match_torch():
    torch = pytest.importorskip("torch")
    for n, fractions in ((10, [0.33, 0.33, 0.34]), (17, [0.8, 0.2]), (7, [0.3, 0.3, 0.4]), (101, [0.25] * 4)):
        ours = [len(s) for s in random_split(np.arange(n), fractions, seed=0)]
        theirs = [len(s) for s in torch.utils.data.random_split(range(n), fractions)]
        assert ours == theirs, (n, fractions)


@given(n=st.integers(0, 60), batch_size=st.integers(1, 20), shuffle=st.booleans(), drop_last=st.booleans(),
       seed=st.integers(0, 2**32 - 1))
def test_every_example_once_per_epoch_property(n, batch_size, shuffle, drop_last, seed):
    loader = DataLoader(_dataset(n) if n else TensorDataset(np.zeros((0, 1)), np.zeros(0, dtype=np.int64)),
                        batch_size=batch_size, shuffle=shuffle, drop_last=drop_last, seed=seed)
    sizes = [len(y) for _, y in loader]
    order = _order(loader)
    assert len(sizes) == len(loader)
    assert all(size == batch_size for size in sizes[:-1]) and (not sizes or 0 < sizes[-1] <= batch_size)
    assert len(set(order)) == len(order) and set(order) <= set(range(n))
    assert len(order) == (n // batch_size * batch_size if drop_last else n)
    if not shuffle and not drop_last:
        assert order == list(range(n))


@given(n=st.integers(0, 200), fractions=st.lists(st.integers(1, 10), min_size=1, max_size=5), seed=st.integers(0, 99))
def test_random_split_partitions_property(n, fractions, seed):
    total = sum(fractions)
    parts = random_split(np.arange(n), [f / total for f in fractions], seed=seed)
    sizes = [len(p) for p in parts]
    assert sum(sizes) == n and max(sizes) - min(sizes) <= max(n, 1)
    # floor(f n) each, plus at most one from the remainder
    assert all(int(np.floor(f / total * n)) <= s <= int(np.floor(f / total * n)) + 1 for f, s in zip(fractions, sizes))
    assert sorted(np.concatenate([p.indices for p in parts]).tolist()) == list(range(n))
