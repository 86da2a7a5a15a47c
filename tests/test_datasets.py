"""tinygrad_cnn.datasets: the book's images, scikit-learn's digits, and the IDX reader (files written here)."""

import gzip
import struct
import sys

import numpy as np
import pytest

from tinygrad_cnn import datasets
from tinygrad_cnn.datasets import fashion_mnist, mnist, read_idx, to_images


def write_idx(path, array, type_code=0x08, magic=None, extra=b"", cut=0):
    """An IDX file: 00 00 type ndim, big-endian int32 dims, big-endian values; optionally broken."""
    dtype = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}[type_code]
    header = magic if magic is not None else bytes([0, 0, type_code, array.ndim])
    header += struct.pack(f">{array.ndim}I", *array.shape)
    raw = header + np.asarray(array, dtype=dtype).tobytes() + extra
    raw = raw[:len(raw) - cut] if cut else raw
    if str(path).endswith(".gz"):
        with gzip.open(path, "wb") as stream:
            stream.write(raw)
    else:
        path.write_bytes(raw)
    return path


def write_mnist(root, n=5, size=4, prefix="train", gz=False, labels=None):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(n, size, size), dtype=np.uint8)
    pixels[0, 0, 0], pixels[0, 0, 1] = 0, 255
    labels = np.arange(n) % 10 if labels is None else np.asarray(labels)
    suffix = ".gz" if gz else ""
    write_idx(root / f"{prefix}-images-idx3-ubyte{suffix}", pixels)
    write_idx(root / f"{prefix}-labels-idx1-ubyte{suffix}", labels.astype(np.uint8))
    return pixels, labels


def test_to_images_is_the_one_scaling():
    pixels = np.array([[[0, 8], [16, 4]]], dtype=np.uint8)  # (1, 2, 2)
    images = to_images(pixels, 16)
    assert images.shape == (1, 1, 2, 2) and images.dtype == np.float32
    np.testing.assert_array_equal(images[0, 0], [[0.0, 0.5], [1.0, 0.25]])
    assert to_images(pixels, 16, dtype=np.float64).dtype == np.float64
    with pytest.raises(ValueError, match="\\(N, H, W\\)"):
        to_images(np.zeros((2, 2)), 1)


def test_textbook_dataset_is_the_books_data():
    from tinygrad_cnn import textbook

    ds = datasets.textbook()
    images, targets = textbook.load_data()
    assert ds.images.shape == (96, 1, 6, 6) and ds.images.dtype == np.float32 and len(ds) == 96
    np.testing.assert_array_equal(ds.images[:, 0], images)
    np.testing.assert_array_equal(ds.labels, targets.argmax(axis=1))  # digit d -> class d - 1
    assert ds.classes == ("1", "2", "3") and ds[5][1] == ds.labels[5]


def test_digits_from_scikit_learn():
    sklearn = pytest.importorskip("sklearn.datasets")
    ds = datasets.digits()
    raw = sklearn.load_digits()
    assert ds.images.shape == (1797, 1, 8, 8) and ds.images.dtype == np.float32
    assert ds.images.min() == 0.0 and ds.images.max() == 1.0
    np.testing.assert_array_equal(ds.images[:, 0] * 16, raw.images)  # pixels 0..16 -> /16
    np.testing.assert_array_equal(ds.labels, raw.target)
    assert ds.labels.dtype == np.int64 and ds.classes == tuple("0123456789")


def test_digits_without_scikit_learn_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r"scikit-learn.*tinygrad_cnn\[digits\]"):
        datasets.digits()


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("train", [True, False])
def test_mnist_reads_plain_and_gzip_files(tmp_path, gz, train):
    pixels, labels = write_mnist(tmp_path, n=6, size=5, prefix="train" if train else "t10k", gz=gz)
    ds = mnist(tmp_path, train=train)
    assert ds.images.shape == (6, 1, 5, 5) and ds.images.dtype == np.float32 and ds.labels.dtype == np.int64
    np.testing.assert_array_equal(ds.images[:, 0], pixels / np.float32(255))
    assert ds.images[0, 0, 0, 0] == 0.0 and ds.images[0, 0, 0, 1] == 1.0
    np.testing.assert_array_equal(ds.labels, labels)


def test_torchvision_layout_and_fashion_classes(tmp_path):
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    write_mnist(raw, n=3, gz=True)
    ds = fashion_mnist(tmp_path)
    assert len(ds) == 3 and ds.classes[9] == "Ankle boot" and ds.name == "fashion-mnist"


def test_missing_file_says_which_and_where(tmp_path):
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((2, 3, 3), dtype=np.uint8))
    with pytest.raises(FileNotFoundError) as info:
        mnist(tmp_path)
    message = str(info.value)
    assert "train-labels-idx1-ubyte" in message and str(tmp_path) in message and ".gz" in message
    assert str(tmp_path / "MNIST" / "raw") in message
    with pytest.raises(FileNotFoundError, match="does not exist"):
        mnist(tmp_path / "nowhere")


def _broken(tmp_path, name, **kwargs):
    return write_idx(tmp_path / name, np.arange(24, dtype=np.uint8).reshape(2, 3, 4), **kwargs)


@pytest.mark.parametrize("name, kwargs, match", [
    ("cut.idx", {"cut": 5}, "truncated IDX file: dimensions \\(2, 3, 4\\) need 24 bytes of data, the file has 19"),
    ("extra.idx", {"extra": b"\0\0"}, "disagree with the file size"),
    ("magic.idx", {"magic": b"\x01\x00\x08\x03"}, "wrong magic number 0x01000803"),
    ("type.idx", {"magic": b"\x00\x00\x07\x03"}, "wrong magic number 0x00000703"),
    ("header.idx", {"cut": 30}, "shorter than its 16-byte header"),
    ("tiny.idx", {"cut": 37}, "shorter than the 4-byte magic number"),
    ("cut.idx.gz", {"cut": 1}, "truncated IDX file"),
])
def test_broken_files_raise_value_error_naming_the_file(tmp_path, name, kwargs, match):
    path = _broken(tmp_path, name, **kwargs)
    with pytest.raises(ValueError, match=match) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_corrupt_gzip_names_the_file(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    good = gzip.compress(b"\0\0\x08\x01" + struct.pack(">I", 3) + b"abc")
    path.write_bytes(good[:-6])  # the gzip stream itself is cut
    with pytest.raises(ValueError, match="gzip") as info:
        read_idx(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("type_code, values", [
    (0x09, np.array([-3, 0, 7], dtype=np.int8)),
    (0x0B, np.array([[-300, 2], [5, 30000]], dtype=np.int16)),
    (0x0C, np.array([1 << 20, -5], dtype=np.int32)),
    (0x0D, np.array([0.5, -1.25], dtype=np.float32)),
    (0x0E, np.array([[1e-300, 2.5]], dtype=np.float64)),
])
def test_read_idx_every_type_big_endian(tmp_path, type_code, values):
    out = read_idx(write_idx(tmp_path / "a.idx", values, type_code=type_code))
    np.testing.assert_array_equal(out, values)
    assert out.dtype.isnative and out.shape == values.shape


def test_images_and_labels_must_agree(tmp_path):
    write_mnist(tmp_path, n=4)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.arange(3, dtype=np.uint8))
    with pytest.raises(ValueError, match="3 labels for the 4 images"):
        mnist(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.array([0, 1, 2, 10], dtype=np.uint8))
    with pytest.raises(ValueError, match="labels must be in 0..9, found 10"):
        mnist(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros((4, 1), dtype=np.uint8))
    with pytest.raises(ValueError, match="expected unsigned-byte labels"):
        mnist(tmp_path)


def test_load_by_name(tmp_path):
    assert datasets.load("textbook").name == "textbook"
    with pytest.raises(ValueError, match="--data DIR"):
        datasets.load("mnist")
    with pytest.raises(ValueError, match="dataset must be one of"):
        datasets.load("cifar")
    write_mnist(tmp_path, n=2)
    assert len(datasets.load("mnist", tmp_path)) == 2
