"""Datasets as whole tensors: images (N, C, H, W) float32 in [0, 1] and labels (N,) int64.

Each dataset is one :class:`DatasetInfo` in :data:`DATASETS`: what it is (its image shape, channels included;
what its labels mean; its class names; the files it reads) and its loader. Adding a dataset is adding one entry;
a name that is not an entry is an error, never another dataset.

Everything is read once through the standard loaders (torchvision for MNIST and Fashion-MNIST,
scipy for Frey faces; Olivetti faces are downloaded by scikit-learn but read here without unpickling)
and then lives as plain tensors, so the training loop slices batches out of memory with no per-item
transforms.

The data directory is, in order: the ``data_dir`` argument (the CLI's ``--data-dir``), the
``LATENT_EXPLORER_DATA`` environment variable, or ``./data``. Missing files are downloaded with
the loaders' own download code unless ``download=False`` (or ``LATENT_EXPLORER_OFFLINE=1``);
when that is not possible a :class:`DatasetMissingError` names the directory and the files expected.
"""

from __future__ import annotations

import os
import pickle
import pickletools
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

DATA_ENV = "LATENT_EXPLORER_DATA"
OFFLINE_ENV = "LATENT_EXPLORER_OFFLINE"
FREY_URL = "https://cs.nyu.edu/~roweis/data/frey_rawface.mat"
FREY_MD5 = "5aeb024d42b8a6091f30e5eb18c8a48d"
OLIVETTI_FILE = "olivetti_py3.pkz"  # where scikit-learn's fetch_olivetti_faces keeps the faces
OLIVETTI_BYTES = 400 * 4096

MNIST_FILES = [f"{s}-{k}-idx{n}-ubyte" for s in ("train", "t10k") for k, n in (("images", 3), ("labels", 1))]
FASHION_CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]


class DatasetMissingError(RuntimeError):
    """The dataset's files are not in the data directory and could not be downloaded."""


@dataclass(frozen=True)
class DatasetInfo:
    """What a dataset is, and how to read it.

    ``load(root, allowed, with_train) -> (train or None, test)`` reads it from the data directory ``root``,
    downloading what is missing when ``allowed``, and skipping the training split where it can when not
    ``with_train``; it raises :class:`DatasetMissingError` when the files are not there."""

    name: str
    image_shape: tuple[int, int, int]  # (C, H, W)
    label_name: str  # what the label means: "digit", "person", "frame", ...
    class_names: list[str] | None  # None where labels are not classes (Frey: frame index)
    expected_files: list[str]  # relative to the data directory, for error messages
    load: Callable[[Path, bool, bool], tuple[Split | None, Split]] = field(repr=False, compare=False, default=None)
    noun: str = "image"  # what one image is, for the page's words ("draw a digit")
    upload_style: str = "face"  # how a picture from outside is made like the dataset's (explorer/views/images.py)

    @property
    def n_classes(self) -> int:
        """How many classes the labels name (0 where labels are not classes)."""
        return len(self.class_names) if self.class_names else 0


@dataclass
class Split:
    images: torch.Tensor  # (N, C, H, W) float32 in [0, 1]
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


def load_dataset(
    name: str, data_dir=None, download: bool | None = None, with_train: bool = True
) -> tuple[Split | None, Split, DatasetInfo]:
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
        train, test = info.load(root, allowed, with_train)
    except DatasetMissingError:
        raise
    except Exception as error:  # noqa: BLE001 -- the loaders raise many kinds (URLError, OSError...)
        raise _missing(info, root, allowed, error) from None
    return train, test, info


def _missing(info: DatasetInfo, root: Path, allowed: bool, cause=None) -> DatasetMissingError:
    files = ", ".join(info.expected_files)
    how = (
        "the download failed" + (f" ({type(cause).__name__}: {str(cause)[:120]})" if cause else "")
        if allowed
        else "downloads are off"
    )
    return DatasetMissingError(
        f"dataset '{info.name}' not found in {root.resolve()} and {how}. "
        f"Expected: {files}. Copy the files there, or point --data-dir / ${DATA_ENV} at a folder "
        f"that has them, or allow downloads when online."
    )


def _torchvision(name: str, class_name: str):
    """A loader of the torchvision dataset ``class_name`` (MNIST-like: 60k/10k, 28x28 grey)."""

    def load(root: Path, allowed: bool, with_train: bool = True) -> tuple[Split | None, Split]:
        return _load_torchvision(name, class_name, root, allowed, with_train)

    return load


def _load_torchvision(
    name: str, class_name: str, root: Path, allowed: bool, with_train: bool = True
) -> tuple[Split | None, Split]:
    from torchvision import datasets

    cls = getattr(datasets, class_name)
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


def _load_olivetti(root: Path, allowed: bool, with_train: bool = True) -> tuple[Split, Split]:
    images, labels = olivetti_faces(root, allowed)
    rng = np.random.default_rng(0)
    train_idx, test_idx = [], []
    for person in range(40):
        idx = rng.permutation(np.flatnonzero(labels.numpy() == person))
        train_idx.extend(idx[:8])
        test_idx.extend(idx[8:])
    train_idx, test_idx = torch.tensor(sorted(train_idx)), torch.tensor(sorted(test_idx))
    return Split(images[train_idx], labels[train_idx]), Split(images[test_idx], labels[test_idx])


def olivetti_faces(root: Path, allowed: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """All 400 faces as scikit-learn's ``fetch_olivetti_faces`` gives them (same values, same order), without
    unpickling: images (400, 1, 64, 64) float32 in [0, 1] and labels (400,) int64, person i at 10i..10i+9.
    A missing file is downloaded by scikit-learn (which writes it from a .mat file) when ``allowed``."""
    path = root / OLIVETTI_FILE
    if not path.exists():
        if not allowed:
            raise _missing(DATASETS["faces"], root, allowed)
        from sklearn.datasets import fetch_olivetti_faces

        root.mkdir(parents=True, exist_ok=True)
        fetch_olivetti_faces(data_home=str(root), download_if_missing=True)
    faces = np.float32(read_olivetti_pkz(path))  # then exactly as fetch_olivetti_faces does
    faces = faces - faces.min()
    faces /= faces.max()
    faces = np.ascontiguousarray(faces.reshape(400, 64, 64).transpose(0, 2, 1))
    return torch.from_numpy(faces).unsqueeze(1), torch.arange(400) // 10


def read_olivetti_pkz(path: Path) -> np.ndarray:
    """The (400, 4096) uint8 array in scikit-learn's ``olivetti_py3.pkz``, read without unpickling.

    The file is a zlib-compressed joblib pickle of one ``NumpyArrayWrapper``: pickle opcodes that
    describe the array (class, shape, order, dtype), then, right after the wrapper's BUILD opcode, a
    padding-length byte, that many padding bytes, the raw array bytes, and the STOP opcode. The opcodes
    are parsed (``pickletools.genops``) and interpreted here as plain data, never executed. Anything
    else raises :class:`DatasetMissingError` saying to delete the file so that it is downloaded again.
    """

    def refuse(why: str) -> DatasetMissingError:
        return DatasetMissingError(
            f"{path} is not scikit-learn's Olivetti faces file ({why}); delete it so "
            f"that it is downloaded again, or copy a good {OLIVETTI_FILE} there"
        )

    try:
        with path.open("rb") as f:
            compressed = f.read(16 << 20)
        inflater = zlib.decompressobj()
        data = inflater.decompress(compressed, OLIVETTI_BYTES + 4096)
    except (OSError, zlib.error) as error:
        raise refuse(f"{type(error).__name__}: {error}") from None
    if not inflater.eof or inflater.unused_data:
        raise refuse("truncated, too large or followed by other data")
    try:
        wrapper, end = _pickled_wrapper(data)
        state = wrapper["state"]
        ok = (
            wrapper["class"] == ("global", "joblib.numpy_pickle", "NumpyArrayWrapper")
            and state["subclass"] == ("global", "numpy", "ndarray")
            and state["dtype"]["class"] == ("global", "numpy", "dtype")
            and state["dtype"]["args"][0] == "u1"
            and state["shape"] == (400, 4096)
            and state["order"] == "C"
        )
        if ok and state.get("numpy_array_alignment_bytes") is not None:  # joblib >= 1.2 pads to align the array
            end += 1 + data[end]
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as error:
        raise refuse(f"unexpected pickle contents: {error}") from None
    if not ok:
        raise refuse("not one (400, 4096) uint8 array")
    if len(data) != end + OLIVETTI_BYTES + 1 or data[-1:] != pickle.STOP:
        raise refuse(f"{len(data)} bytes where the array needs {end + OLIVETTI_BYTES + 1}")
    return np.frombuffer(data, np.uint8, OLIVETTI_BYTES, end).reshape(400, 4096)


def _pickled_wrapper(data: bytes) -> tuple[dict, int]:
    """Interpret the opcodes of a joblib pickle as plain data up to the BUILD that completes the top object:
    (that object, the offset after its BUILD). Globals become ('global', module, name) and objects
    {'class', 'args', 'state'} dicts; an opcode outside the few joblib writes raises ``ValueError``."""
    stack, marks, memo = [], [], []
    for op, arg, pos in pickletools.genops(data):
        name = op.name
        if name in ("SHORT_BINUNICODE", "BINUNICODE", "BININT", "BININT1", "BININT2"):
            stack.append(arg)
        elif name in ("NONE", "NEWTRUE", "NEWFALSE", "EMPTY_TUPLE", "EMPTY_DICT"):
            stack.append({"NONE": None, "NEWTRUE": True, "NEWFALSE": False, "EMPTY_TUPLE": ()}.get(name, {}))
        elif name == "MEMOIZE":
            memo.append(stack[-1])
        elif name == "BINGET":
            stack.append(memo[arg])
        elif name == "MARK":
            marks.append(len(stack))
        elif name in ("TUPLE", "SETITEMS"):
            start = marks.pop()
            items = stack[start:]
            del stack[start:]
            if name == "TUPLE":
                stack.append(tuple(items))
            else:
                stack[-1].update(zip(items[::2], items[1::2]))
        elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
            n = int(name[-1])
            items = tuple(stack[-n:])
            del stack[-n:]
            stack.append(items)
        elif name == "STACK_GLOBAL":
            stack[-2:] = [("global", *stack[-2:])]
        elif name in ("NEWOBJ", "REDUCE"):
            stack[-2:] = [{"class": stack[-2], "args": stack[-1]}]
        elif name == "BUILD":
            state = stack.pop()
            stack[-1]["state"] = state
            if len(stack) == 1 and not marks:
                return stack[0], pos + 1
        elif name not in ("PROTO", "FRAME"):
            raise ValueError(f"opcode {name} at byte {pos}")
    raise ValueError("no array data")


def _load_frey(root: Path, allowed: bool, with_train: bool = True) -> tuple[Split, Split]:
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


DATASETS: dict[str, DatasetInfo] = {
    "mnist": DatasetInfo(
        "mnist",
        (1, 28, 28),
        "digit",
        [str(d) for d in range(10)],
        [f"MNIST/raw/{f}" for f in MNIST_FILES],
        _torchvision("mnist", "MNIST"),
        "digit",
        "digit",
    ),
    "fashion-mnist": DatasetInfo(
        "fashion-mnist",
        (1, 28, 28),
        "class",
        FASHION_CLASSES,
        [f"FashionMNIST/raw/{f}" for f in MNIST_FILES],
        _torchvision("fashion-mnist", "FashionMNIST"),
        "piece of clothing",
        "object",
    ),
    "faces": DatasetInfo(
        "faces", (1, 64, 64), "person", [f"person {p}" for p in range(40)], [OLIVETTI_FILE], _load_olivetti, "face"
    ),
    "frey": DatasetInfo("frey", (1, 28, 20), "frame", None, ["frey_rawface.mat"], _load_frey, "face"),
}
