"""Shared fixtures. Tests read real data from $LATENT_EXPLORER_DATA, else ../shared/data."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("LATENT_EXPLORER_DATA", str(REPO.parent / "shared" / "data"))
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def shots() -> Path:
    """Where browser tests save screenshots: $LATENT_EXPLORER_SCREENSHOTS (docs/screenshots for the README),
    else a temporary folder."""
    folder = Path(os.environ.get("LATENT_EXPLORER_SCREENSHOTS") or tempfile.mkdtemp(prefix="shots-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


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


@pytest.fixture(scope="session")
def tiny_zoo(tmp_path_factory, data_dir):
    """PCA, AE and VAE on an MNIST subset at k=2 and k=3 (one short epoch; real data, real code paths)."""
    from training import ModelConfig, TrainConfig, train

    root = tmp_path_factory.mktemp("zoo")
    for model in ("pca", "ae", "vae"):
        for k in (2, 3):
            train(
                TrainConfig(
                    model=ModelConfig(kind=model, latent_dim=k, hidden_dim=64),
                    epochs=1,
                    train_subset=3000,
                    test_subset=300,
                    umap=False,
                    device="cpu",
                ),
                root,
                data_dir,
                download=False,
                progress=False,
            )
    train(
        TrainConfig(
            model=ModelConfig(kind="vae", latent_dim=2, hidden_dim=64, beta=4.0),
            epochs=1,
            name="mnist-vae-z2-beta4",
            train_subset=3000,
            test_subset=300,
            umap=False,
            device="cpu",
        ),
        root,
        data_dir,
        download=False,
        progress=False,
    )
    return root


@pytest.fixture(scope="session")
def zoo(data_dir):
    """The committed checkpoints, loaded as the app loads them (to say what the app's pictures must be)."""
    from explorer.core.store import Store

    return Store.load(REPO / "checkpoints", data_dir)


@pytest.fixture
def store(tiny_zoo, data_dir):
    """The tiny zoo loaded as the app loads it (real test images from the data folder)."""
    from explorer.core.store import Store

    return Store.load(tiny_zoo, data_dir)


@pytest.fixture
def assets(tmp_path):
    """The page's static files, written under a fresh folder."""
    from explorer.page.assets import Assets

    return Assets(tmp_path / "assets")


@pytest.fixture(scope="session")
def live_demo(data_dir):
    """The real app over the committed checkpoints, served on a free 127.0.0.1 port (its Blocks)."""
    import app

    demo, launch_kwargs = app.create_app(REPO / "checkpoints", data_dir)
    demo.launch(server_name="127.0.0.1", server_port=None, prevent_thread_lock=True, quiet=True, **launch_kwargs)
    yield demo
    demo.close()


@pytest.fixture(scope="session")
def live_app(live_demo):
    """The address of :func:`live_demo`."""
    return live_demo.local_url.rstrip("/")


@pytest.fixture(scope="session")
def client(live_app):
    from gradio_client import Client

    return Client(live_app, analytics_enabled=False, verbose=False)
