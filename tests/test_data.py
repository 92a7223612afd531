import subprocess
import sys

import pytest
import torch

from training import DatasetMissingError, load_dataset


@pytest.mark.parametrize("name,n_train,n_test,shape", [
    ("mnist", 60000, 10000, (1, 28, 28)), ("fashion-mnist", 60000, 10000, (1, 28, 28)),
    ("faces", 320, 80, (1, 64, 64)), ("frey", 1768, 197, (1, 28, 20))])
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
    result = subprocess.run([sys.executable, "-m", "training", "train", "--data-dir", str(tmp_path),
                             "--no-download", "--epochs", "1"], capture_output=True, text=True)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "MNIST/raw/train-images-idx3-ubyte" in result.stderr


def test_test_split_alone_matches_the_full_load(data_dir, mnist):
    from training.data import load_test_split

    test, info = load_test_split("mnist", data_dir, download=False)
    assert torch.equal(test.images, mnist[1].images) and info.name == "mnist"
