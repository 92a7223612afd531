"""Datasets as whole tensors: images (N, 1, H, W) float32 in [0, 1] and labels (N,) int64.

Everything is read once through the standard loaders (torchvision for MNIST and Fashion-MNIST,
scikit-learn for Olivetti faces, scipy for Frey faces) and then lives as plain tensors, so the
training loop slices batches out of memory with no per-item transforms.

The data directory is, in order: the ``data_dir`` argument (the CLI's ``--data-dir``), the
``LATENT_EXPLORER_DATA`` environment variable, or ``./data``. Missing files are downloaded with
the loaders' own download code unless ``download=False`` (or ``LATENT_EXPLORER_OFFLINE=1``);
when that is not possible a :class:`DatasetMissingError` names the directory and the files expected.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

DATA_ENV = "LATENT_EXPLORER_DATA"
OFFLINE_ENV = "LATENT_EXPLORER_OFFLINE"
FREY_URL = "https://cs.nyu.edu/~roweis/data/frey_rawface.mat"
FREY_MD5 = "5aeb024d42b8a6091f30e5eb18c8a48d"

MNIST_FILES = [f"{s}-{k}-idx{n}-ubyte" for s in ("train", "t10k") for k, n in (("images", 3), ("labels", 1))]
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


class DatasetMissingError(RuntimeError):
    """The dataset's files are not in the data directory and could not be downloaded."""


@dataclass(frozen=True)
class DatasetInfo:
    """What a dataset is, without its pixels."""

    name: str
    image_shape: tuple[int, int, int]  # (C, H, W)
    label_name: str                    # what the label means: "digit", "person", "frame", ...
    class_names: list[str] | None      # None where labels are not classes (Frey: frame index)
    expected_files: list[str]          # relative to the data directory, for error messages


DATASETS: dict[str, DatasetInfo] = {
    "mnist": DatasetInfo("mnist", (1, 28, 28), "digit", [str(d) for d in range(10)],
                         [f"MNIST/raw/{f}" for f in MNIST_FILES]),
    "fashion-mnist": DatasetInfo("fashion-mnist", (1, 28, 28), "class", FASHION_CLASSES,
                                 [f"FashionMNIST/raw/{f}" for f in MNIST_FILES]),
    "faces": DatasetInfo("faces", (1, 64, 64), "person", [f"person {p}" for p in range(40)],
                         ["olivetti_py3.pkz"]),
    "frey": DatasetInfo("frey", (1, 28, 20), "frame", None, ["frey_rawface.mat"]),
}


@dataclass
class Split:
    images: torch.Tensor  # (N, 1, H, W) float32 in [0, 1]
    labels: torch.Tensor  # (N,) int64

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, n: int | None) -> Split:
        """The first ``n`` items (all of them when ``n`` is None)."""
        return self if n is None else Split(self.images[:n], self.labels[:n])

    def to(self, device) -> Split:
        return Split(self.images.to(device), self.labels.to(device))


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """The data directory: the argument, else $LATENT_EXPLORER_DATA, else ./data."""
    return Path(data_dir or os.environ.get(DATA_ENV) or "data").expanduser()


def download_allowed(download: bool | None) -> bool:
    if download is not None:
        return download
    return os.environ.get(OFFLINE_ENV, "").lower() not in ("1", "true", "yes")


def load_test_split(name: str, data_dir=None, download: bool | None = None) -> tuple[Split, DatasetInfo]:
    """Only the test split (what the app shows); for MNIST-like sets the training file is not read."""
    _, test, info = load_dataset(name, data_dir, download, with_train=False)
    return test, info


def load_dataset(name: str, data_dir=None, download: bool | None = None,
                 with_train: bool = True) -> tuple[Split | None, Split, DatasetInfo]:
    """Load ``name`` as (train, test, info).

    ``with_train=False`` skips reading the training split where the format allows (train is None).
    Splits: MNIST and Fashion-MNIST use the standard 60k/10k split. Faces (Olivetti, 40 people x 10)
    use a fixed seeded split of 8 train / 2 test images within each person. Frey (1965 frames) keeps
    every 10th frame for test; its labels are frame indices.
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    info = DATASETS[name]
    root = resolve_data_dir(data_dir)
    allowed = download_allowed(download)
    try:
        if name in ("mnist", "fashion-mnist"):
            train, test = _load_torchvision(name, root, allowed, with_train)
        elif name == "faces":
            train, test = _load_olivetti(root, allowed)
        else:
            train, test = _load_frey(root, allowed)
    except DatasetMissingError:
        raise
    except Exception as error:  # noqa: BLE001 -- the loaders raise many kinds (URLError, OSError...)
        raise _missing(info, root, allowed, error) from None
    return train, test, info


def _missing(info: DatasetInfo, root: Path, allowed: bool, cause=None) -> DatasetMissingError:
    files = ", ".join(info.expected_files)
    how = ("the download failed" + (f" ({type(cause).__name__}: {str(cause)[:120]})" if cause else "")
           if allowed else "downloads are off")
    return DatasetMissingError(
        f"dataset '{info.name}' not found in {root.resolve()} and {how}. "
        f"Expected: {files}. Copy the files there, or point --data-dir / ${DATA_ENV} at a folder "
        f"that has them, or allow downloads when online."
    )


def _load_torchvision(name: str, root: Path, allowed: bool, with_train: bool = True) -> tuple[Split | None, Split]:
    from torchvision import datasets

    cls = datasets.MNIST if name == "mnist" else datasets.FashionMNIST
    info = DATASETS[name]
    if not allowed and not all((root / f).exists() for f in info.expected_files):
        raise _missing(info, root, allowed)
    splits = []
    for train in (True, False):
        if train and not with_train:
            splits.append(None)
            continue
        ds = cls(root=str(root), train=train, download=allowed)
        images = ds.data.unsqueeze(1).float().div_(255.0)  # (N, 1, 28, 28)
        splits.append(Split(images, ds.targets.long()))
    return splits[0], splits[1]


def _load_olivetti(root: Path, allowed: bool) -> tuple[Split, Split]:
    from sklearn.datasets import fetch_olivetti_faces

    if not allowed and not (root / "olivetti_py3.pkz").exists():
        raise _missing(DATASETS["faces"], root, allowed)
    root.mkdir(parents=True, exist_ok=True)
    bunch = fetch_olivetti_faces(data_home=str(root), download_if_missing=allowed)
    images = torch.from_numpy(np.ascontiguousarray(bunch.images, dtype=np.float32)).unsqueeze(1)
    labels = torch.from_numpy(bunch.target.astype(np.int64))
    rng = np.random.default_rng(0)
    train_idx, test_idx = [], []
    for person in range(40):
        idx = rng.permutation(np.flatnonzero(bunch.target == person))
        train_idx.extend(idx[:8])
        test_idx.extend(idx[8:])
    train_idx, test_idx = torch.tensor(sorted(train_idx)), torch.tensor(sorted(test_idx))
    return Split(images[train_idx], labels[train_idx]), Split(images[test_idx], labels[test_idx])


def _load_frey(root: Path, allowed: bool) -> tuple[Split, Split]:
    from scipy.io import loadmat

    path = root / "frey_rawface.mat"
    if not path.exists():
        if not allowed:
            raise _missing(DATASETS["frey"], root, allowed)
        from torchvision.datasets.utils import download_url

        download_url(FREY_URL, str(root), md5=FREY_MD5)
    frames = loadmat(str(path))["ff"].T.reshape(-1, 1, 28, 20)  # (1965, 1, 28, 20) uint8
    images = torch.from_numpy(frames.astype(np.float32) / 255.0)
    labels = torch.arange(len(images))
    is_test = labels % 10 == 0
    return Split(images[~is_test], labels[~is_test]), Split(images[is_test], labels[is_test])
