"""The models and test images the app shows, loaded once at start-up and shared read-only.

A :class:`ModelEntry` is one checkpoint plus what the app derives from it once (code statistics,
dimension order). :class:`Store` groups entries by dataset and latent size, and holds each dataset's
test images: the real ones when the dataset is on disk, else the VAE's decoded reconstructions of
the stored codes (``images_are_originals`` says which), so the app also runs offline from the
checkpoints alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import torch

from training import CheckpointError, DatasetMissingError, list_checkpoints, load_checkpoint
from training.data import DATASETS, load_test_split

from .latent import dims_by_importance

log = logging.getLogger(__name__)
KIND_ORDER = ("pca", "ae", "vae")
KIND_LABEL = {"pca": "PCA", "ae": "AE", "vae": "VAE"}


@dataclass
class ModelEntry:
    """One loaded checkpoint. ``z`` (N, k) are the test set's codes, aligned with the dataset's test images."""

    name: str
    meta: dict
    model: torch.nn.Module
    latents: dict[str, torch.Tensor]

    @property
    def kind(self) -> str:
        return self.meta["model"]["kind"]

    @property
    def dataset(self) -> str:
        return self.meta["dataset"]["name"]

    @property
    def latent_dim(self) -> int:
        return self.meta["model"]["latent_dim"]

    @property
    def beta(self) -> float:
        return self.meta["model"]["beta"]

    @property
    def label(self) -> str:
        beta = f" β={self.beta:g}" if self.kind == "vae" and self.beta != 1 else ""
        return f"{KIND_LABEL[self.kind]}{beta}"

    @property
    def z(self) -> torch.Tensor:
        return self.latents["z"]

    @property
    def labels(self) -> torch.Tensor:
        return self.latents["labels"]

    @cached_property
    def code_mean(self) -> torch.Tensor:  # (k,)
        return self.z.mean(0)

    @cached_property
    def code_std(self) -> torch.Tensor:  # (k,)
        return self.z.std(0).clamp_min(1e-6)

    @cached_property
    def importance(self) -> torch.Tensor:
        """Per-dimension score: KL per dim for a VAE, the codes' variance otherwise. (k,)"""
        if "kl_per_dim" in self.meta["metrics"]:
            return torch.tensor(self.meta["metrics"]["kl_per_dim"])
        return self.z.var(0)

    @cached_property
    def dim_order(self) -> list[int]:
        return dims_by_importance(self.importance)

    def prior(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean, std) of the Gaussian this model is sampled from: N(0, I) for AE and VAE (the lesson:
        only the VAE was trained to make that work), N(0, explained variance) for PCA's scores."""
        k = self.latent_dim
        if self.kind == "pca":
            return torch.zeros(k), self.model.explained_variance_.sqrt()
        return torch.zeros(k), torch.ones(k)

    @property
    def views(self) -> list[str]:
        """2-D views of the latent map available for this model."""
        if self.latent_dim <= 2:
            return ["dims"]
        return ["dims"] + [v for v in ("pca", "umap") if f"view_{v}" in self.latents]

    @torch.no_grad()
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.model.decode(z.float())

    @torch.no_grad()
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.encode(x)


@dataclass
class DatasetImages:
    images: torch.Tensor           # (N, C, H, W) in [0, 1], aligned with every entry's z
    labels: torch.Tensor           # (N,)
    originals: bool                # False: decoded reconstructions (dataset missing)
    message: str = ""


@dataclass
class Store:
    """All checkpoints under ``root``; ``errors`` lists the ones that could not be loaded, and why."""

    root: Path
    data_dir: Path | None = None
    device: str = "cpu"
    entries: dict[str, ModelEntry] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    _images: dict[str, DatasetImages] = field(default_factory=dict)

    @classmethod
    def load(cls, root: str | Path = "checkpoints", data_dir=None, device: str = "cpu") -> Store:
        store = cls(Path(root), Path(data_dir) if data_dir else None, device)
        for path in list_checkpoints(root):
            try:
                checkpoint = load_checkpoint(path, device)
            except CheckpointError as error:
                log.warning("skipping checkpoint: %s", error)
                store.errors.append(str(error))
                continue
            store.entries[checkpoint.name] = ModelEntry(checkpoint.name, checkpoint.meta, checkpoint.model,
                                                        checkpoint.latents)
        return store

    def datasets(self) -> list[str]:
        names = {e.dataset for e in self.entries.values()}
        return [d for d in DATASETS if d in names]

    def latent_dims(self, dataset: str) -> list[int]:
        return sorted({e.latent_dim for e in self.entries.values() if e.dataset == dataset})

    def models(self, dataset: str, latent_dim: int) -> list[ModelEntry]:
        """Entries for (dataset, latent_dim): PCA, AE, VAE first, then the beta variants by beta."""
        found = [e for e in self.entries.values() if e.dataset == dataset and e.latent_dim == latent_dim]
        return sorted(found, key=lambda e: (KIND_ORDER.index(e.kind), e.beta != 1, e.beta))

    def trio(self, dataset: str, latent_dim: int, vae_name: str | None = None) -> dict[str, ModelEntry]:
        """{'pca': ..., 'ae': ..., 'vae': ...} for the pair, with the VAE named ``vae_name`` if given
        (a beta variant). Kinds without a checkpoint are absent."""
        trio: dict[str, ModelEntry] = {}
        for entry in self.models(dataset, latent_dim):
            if entry.kind == "vae" and vae_name and entry.name != vae_name:
                continue
            trio.setdefault(entry.kind, entry)
        return trio

    def images(self, dataset: str) -> DatasetImages:
        """The test images every entry of ``dataset`` encoded, loaded once."""
        if dataset not in self._images:
            self._images[dataset] = self._load_images(dataset)
        return self._images[dataset]

    def _load_images(self, dataset: str) -> DatasetImages:
        entries = [e for e in self.entries.values() if e.dataset == dataset]
        n = len(entries[0].z)
        try:
            test, _ = load_test_split(dataset, self.data_dir, download=False)
            if len(test) >= n and all(torch.equal(test.labels[:n], e.labels) for e in entries):
                return DatasetImages(test.images[:n], test.labels[:n], True)
            message = f"the {dataset} test set on disk does not match the checkpoints"
        except DatasetMissingError as error:
            message = str(error)
        # Offline: show what the best available decoder makes of the stored codes, labelled as such.
        best = max(entries, key=lambda e: (e.kind != "pca", e.kind == "vae", e.latent_dim))
        images = torch.cat([best.decode(best.z[i:i + 1000]) for i in range(0, n, 1000)]).cpu()
        return DatasetImages(images, best.labels, False,
                             f"Showing {best.label} reconstructions of the stored codes, not the original "
                             f"images: {message}")
