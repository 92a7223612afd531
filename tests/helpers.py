"""Helpers several test files share (not a test module): small configs, and reading what the app returns."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
from PIL import Image

from training import ModelConfig, TrainConfig
from training.sweep import SweepConfig

GENERIC = "has not enabled verbose error reporting"  # what a crash inside Gradio says instead of a message
CHECKPOINTS = Path(__file__).resolve().parents[1] / "checkpoints"


def zoo_root(root: Path, sweeps: tuple[str, ...] = (), races: bool = False) -> Path:
    """``root`` made a checkpoints folder for an app of a test's own: the committed zoo linked in (never what a run
    of the app left beside it), the ``sweeps`` named and the committed races if asked; what the app writes there
    (a sweep or race trained from the page) stays out of the repository."""
    for folder in CHECKPOINTS.iterdir():
        if (folder / "checkpoint.json").is_file():
            (root / folder.name).symlink_to(folder)
    if sweeps:
        (root / "sweeps").mkdir()
        for name in sweeps:
            (root / "sweeps" / name).symlink_to(CHECKPOINTS / "sweeps" / name)
    if races:
        (root / "races").symlink_to(CHECKPOINTS / "races")
    return root


def small_sweep(betas, latent_dims, epochs, name=None, **train) -> SweepConfig:
    """A sweep of small MLP VAEs on a few hundred MNIST images (3 steps per epoch, the last of 44)."""
    base = TrainConfig(
        model=ModelConfig(kind="vae", hidden_dim=32),
        epochs=epochs,
        train_subset=300,
        test_subset=100,
        device="cpu",
        umap=False,
        **train,
    )
    return SweepConfig(base, betas, latent_dims, name)


def grey(path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("L"))


def rgb(path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def live_pictures(value: dict) -> dict[str, np.ndarray]:
    """The pictures of the live traversal value ({"frame": {"pictures": {name: PNG data URL}}}, or the frame
    itself), grey (H, W) uint8, by model name in lineup order."""
    frame = value["frame"] if "frame" in value else value
    pictures = {}
    for name, url in frame["pictures"].items():
        head, data = url.split(",", 1)
        assert head == "data:image/png;base64", head
        pictures[name] = grey(io.BytesIO(base64.b64decode(data)))
    return pictures
