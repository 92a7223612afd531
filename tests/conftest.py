"""Shared fixtures. Tests read real data from $LATENT_EXPLORER_DATA, else ../shared/data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("LATENT_EXPLORER_DATA", str(REPO.parent / "shared" / "data"))
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    path = Path(os.environ["LATENT_EXPLORER_DATA"])
    if not (path / "MNIST" / "raw").is_dir():
        pytest.fail(f"test data not found in {path}; set LATENT_EXPLORER_DATA to the shared data folder")
    return path


@pytest.fixture(scope="session")
def mnist(data_dir):
    from training import load_dataset

    return load_dataset("mnist", data_dir, download=False)
