import os
import pickle
import shutil
import subprocess
import sys
import zlib

import joblib
import numpy as np
import pytest
import torch

from training import DatasetMissingError, load_dataset
from training.data import olivetti_faces


@pytest.mark.parametrize(
    "name,n_train,n_test,shape",
    [
        ("mnist", 60000, 10000, (1, 28, 28)),
        ("fashion-mnist", 60000, 10000, (1, 28, 28)),
        ("faces", 320, 80, (1, 64, 64)),
        ("frey", 1768, 197, (1, 28, 20)),
    ],
)
def test_datasets_load_as_tensors(data_dir, name, n_train, n_test, shape):
    train, test, info = load_dataset(name, data_dir, download=False)
    assert (len(train), len(test)) == (n_train, n_test)
    assert train.images.shape[1:] == shape == info.image_shape
    assert train.images.dtype == torch.float32 and 0 <= float(train.images.min()) and float(train.images.max()) <= 1
    assert train.labels.dtype == torch.int64


def test_faces_split_keeps_every_person_in_both_splits(data_dir):
    train, test, _ = load_dataset("faces", data_dir, download=False)
    assert torch.equal(torch.bincount(train.labels), torch.full((40,), 8))
    assert torch.equal(torch.bincount(test.labels), torch.full((40,), 2))
    again, _, _ = load_dataset("faces", data_dir, download=False)
    assert torch.equal(train.images, again.images)  # the split is fixed


@pytest.mark.parametrize("name", ["mnist", "faces", "frey"])
def test_missing_dataset_offline_names_folder_and_files(tmp_path, name):
    with pytest.raises(DatasetMissingError) as info:
        load_dataset(name, tmp_path, download=False)
    message = str(info.value)
    assert str(tmp_path) in message and "Expected:" in message and "--data-dir" in message


def test_cli_reports_missing_dataset_without_traceback(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "training",
            "train",
            "--data-dir",
            str(tmp_path),
            "--no-download",
            "--epochs",
            "1",
            "--out-dir",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "MNIST/raw/train-images-idx3-ubyte" in result.stderr


def test_test_split_alone_matches_the_full_load(data_dir, mnist):
    from training.data import load_test_split

    test, info = load_test_split("mnist", data_dir, download=False)
    assert torch.equal(test.images, mnist[1].images) and info.name == "mnist"


def test_olivetti_reader_matches_scikit_learn_without_unpickling(data_dir, monkeypatch):
    from sklearn.datasets import fetch_olivetti_faces

    bunch = fetch_olivetti_faces(data_home=str(data_dir), download_if_missing=False)  # the one unpickling here
    monkeypatch.setattr(joblib, "load", lambda *a, **k: pytest.fail("the faces were unpickled"))
    images, labels = olivetti_faces(data_dir, allowed=False)
    assert torch.equal(images, torch.from_numpy(bunch.images).unsqueeze(1))
    assert torch.equal(labels, torch.from_numpy(bunch.target)) and labels.dtype == torch.int64


class _Exploit:
    def __reduce__(self):
        return os.system, ("touch pwned",)


@pytest.mark.parametrize(
    "damage,why",
    [
        (lambda good: good[: len(good) // 2], "truncated"),
        (lambda good: b"not zlib at all", "error"),
        (lambda good: good + b"junk", "followed by other data"),
    ],
)
def test_a_damaged_olivetti_file_says_to_delete_it(tmp_path, data_dir, damage, why):
    (tmp_path / "olivetti_py3.pkz").write_bytes(damage((data_dir / "olivetti_py3.pkz").read_bytes()))
    with pytest.raises(DatasetMissingError, match=why) as info:
        load_dataset("faces", tmp_path, download=False)
    assert "delete it so that it is downloaded again" in str(info.value)


def test_a_foreign_pickle_in_the_olivetti_file_is_refused_and_never_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "olivetti_py3.pkz").write_bytes(zlib.compress(pickle.dumps(_Exploit())))
    with pytest.raises(DatasetMissingError, match="delete it"):
        load_dataset("faces", tmp_path, download=False)
    assert not (tmp_path / "pwned").exists()


def test_another_array_in_the_olivetti_file_is_refused(tmp_path):
    path = tmp_path / "olivetti_py3.pkz"
    joblib.dump(np.zeros((10, 4096), np.uint8), path, compress=6)
    with pytest.raises(DatasetMissingError, match=r"not one \(400, 4096\) uint8 array"):
        load_dataset("faces", tmp_path, download=False)
    joblib.dump(np.zeros((400, 4096), np.uint8), path, compress=6)
    raw = zlib.decompress(path.read_bytes())
    path.write_bytes(zlib.compress(raw[:-1] + b"\0."))  # one byte more than the header announces
    with pytest.raises(DatasetMissingError, match="bytes where the array needs"):
        load_dataset("faces", tmp_path, download=False)


def test_a_missing_olivetti_file_is_fetched_by_scikit_learn_then_read_safely(tmp_path, data_dir, monkeypatch):
    import sklearn.datasets

    calls = []

    def fetch(data_home, download_if_missing):  # scikit-learn downloads a .mat and writes the pkz
        calls.append(download_if_missing)
        shutil.copy(data_dir / "olivetti_py3.pkz", data_home)

    monkeypatch.setattr(sklearn.datasets, "fetch_olivetti_faces", fetch)
    train, _, _ = load_dataset("faces", tmp_path / "new", download=True)
    assert calls == [True] and torch.equal(train.images, load_dataset("faces", data_dir, download=False)[0].images)
    load_dataset("faces", tmp_path / "new", download=True)
    assert calls == [True]  # present now: read, not fetched again
