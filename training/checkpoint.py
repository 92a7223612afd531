"""Checkpoints: a folder holding a JSON file beside safetensors files. Nothing is ever unpickled.

    checkpoints/mnist-vae-z2/
        checkpoint.json                   format, model config, training config, metrics, curves, ...
        weights-<sha256[:12]>.safetensors model state (float32 or float16)
        latents-<sha256[:12]>.safetensors test-set codes and labels, 2-D projections

Atomic writes: the data files are named by their content hash and written first (each to a
temporary file, fsync'd, then renamed); ``checkpoint.json`` is replaced last, in one rename, and is
the commit point. A run killed at any moment leaves either the old checkpoint or the new one, whole;
at worst an unreferenced data file, removed by the next save.

Loading checks the format version, the SHA-256 of each file, and every tensor's name and shape
against the model the config describes; any failure is one :class:`CheckpointError` naming the file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from .models import LatentModel, ModelConfig, build_model

FORMAT = "latent-explorer-checkpoint"
FORMAT_VERSION = 1
META_FILE = "checkpoint.json"


class CheckpointError(ValueError):
    """A checkpoint that cannot be used: missing, truncated, corrupt, foreign or mismatched."""


@dataclass
class Checkpoint:
    """A loaded checkpoint. ``latents`` maps names to tensors: 'z' (N, k) posterior means of the test
    set, 'labels' (N,), and 2-D views 'view_pca' / 'view_umap' (N, 2) where k > 2."""

    path: Path
    meta: dict
    model: LatentModel | None = None
    latents: dict[str, torch.Tensor] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.meta["name"]


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_content_addressed(directory: Path, stem: str, tensors: dict[str, torch.Tensor]) -> tuple[str, str]:
    data = st_save({k: v.detach().cpu().contiguous() for k, v in tensors.items()})
    digest = hashlib.sha256(data).hexdigest()
    name = f"{stem}-{digest[:12]}.safetensors"
    if not (directory / name).exists():
        _write_atomic(directory / name, data)
    return name, digest


def save_checkpoint(directory: str | os.PathLike, model: LatentModel, meta: dict,
                    latents: dict[str, torch.Tensor], weight_dtype: torch.dtype = torch.float32) -> Path:
    """Write ``model`` (weights cast to ``weight_dtype``), ``latents`` and ``meta`` (JSON-serialisable)
    to ``directory`` atomically. ``meta`` must hold 'name'; format fields and file names are added."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    state = {k: (v.to(weight_dtype) if v.is_floating_point() else v) for k, v in model.state_dict().items()}
    weights, weights_sha = _write_content_addressed(directory, "weights", state)
    latents_name, latents_sha = _write_content_addressed(directory, "latents", latents)
    record = {"format": FORMAT, "format_version": FORMAT_VERSION, **meta,
              "model": model.config.to_dict(),
              "files": {"weights": weights, "latents": latents_name},
              "sha256": {weights: weights_sha, latents_name: latents_sha}}
    _write_atomic(directory / META_FILE, json.dumps(record, indent=1).encode())
    for stale in directory.glob("*.safetensors"):  # data files of replaced versions
        if stale.name not in (weights, latents_name):
            stale.unlink(missing_ok=True)
    return directory


def load_metadata(directory: str | os.PathLike) -> dict:
    """The checked contents of ``checkpoint.json``, without reading any tensors."""
    directory = Path(directory)
    if directory.name == META_FILE:
        directory = directory.parent
    path = directory / META_FILE
    if not path.is_file():
        raise CheckpointError(f"{path}: no checkpoint here (missing {META_FILE}); train one with `python -m training`")
    try:
        meta = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"{path}: not valid JSON ({error}); the file is corrupt, retrain or restore it") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a Latent Explorer checkpoint (format field missing or foreign)")
    if meta.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(f"{path}: format version {meta.get('format_version')} is not supported "
                              f"(this code reads version {FORMAT_VERSION}); retrain it")
    try:
        ModelConfig(**meta["model"])
        meta["files"]["weights"], meta["files"]["latents"]
    except (KeyError, TypeError, ValueError) as error:
        raise CheckpointError(f"{path}: invalid model config or file list ({error})") from None
    return meta


def _read_tensors(directory: Path, meta: dict, role: str) -> dict[str, torch.Tensor]:
    name = meta["files"][role]
    path = directory / name
    if Path(name).name != name or not path.is_file():
        raise CheckpointError(f"{path}: missing {role} file named in {META_FILE}")
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != meta.get("sha256", {}).get(name):
        raise CheckpointError(f"{path}: contents do not match the SHA-256 in {META_FILE} "
                              "(truncated or corrupt); retrain or restore the checkpoint")
    try:
        return st_load(data)
    except Exception as error:  # noqa: BLE001 -- safetensors raises its own SafetensorError
        raise CheckpointError(f"{path}: not a readable safetensors file ({error})") from None


def load_checkpoint(directory: str | os.PathLike, device: str | torch.device = "cpu",
                    with_latents: bool = True) -> Checkpoint:
    """Load and validate a checkpoint; the model is in eval mode, float32, on ``device``."""
    directory = Path(directory)
    if directory.name == META_FILE:
        directory = directory.parent
    meta = load_metadata(directory)
    model = build_model(meta["model"])
    state = _read_tensors(directory, meta, "weights")
    expected = model.state_dict()
    if set(state) != set(expected):
        missing, extra = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
        raise CheckpointError(f"{directory / meta['files']['weights']}: tensors do not match the config "
                              f"(missing {missing[:3]}, unexpected {extra[:3]})")
    for key, tensor in state.items():
        if tensor.shape != expected[key].shape:
            raise CheckpointError(f"{directory / meta['files']['weights']}: tensor {key!r} has shape "
                                  f"{tuple(tensor.shape)}, the config needs {tuple(expected[key].shape)}")
    model.load_state_dict({k: v.to(expected[k].dtype) for k, v in state.items()})
    model.to(device).eval()
    latents = {}
    if with_latents:
        latents = _read_tensors(directory, meta, "latents")
        z = latents.get("z")
        if z is None or z.ndim != 2 or z.shape[1] != model.latent_dim or len(latents.get("labels", [])) != len(z):
            raise CheckpointError(f"{directory / meta['files']['latents']}: latent codes missing or not "
                                  f"(N, {model.latent_dim}) with N labels")
    return Checkpoint(directory, meta, model, latents)


def list_checkpoints(root: str | os.PathLike = "checkpoints") -> list[Path]:
    """Folders under ``root`` that hold a checkpoint.json, sorted by name."""
    root = Path(root)
    return sorted(p.parent for p in root.glob(f"*/{META_FILE}"))
