"""What a checkpoint must hold to be used: the checks that saving and loading share.

:func:`check_record` checks the fields of ``checkpoint.json`` that loading, the app and the report
read; :func:`check_latents` checks the stored test-set codes. Each failure is one
:class:`CheckpointError` that names the file (or folder), the field and what to do.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import torch

from .checks import folder_name
from .models import ModelConfig

RETRAIN = "retrain or restore the checkpoint"
INT_DTYPES = {torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64}


class CheckpointError(ValueError):
    """A checkpoint that cannot be used: missing, truncated, corrupt, foreign or mismatched."""


def _get(record: dict, path: str, kinds, what: str, where):
    """The value at the dotted ``path`` of ``record``, checked to be one of ``kinds`` (never a bool)."""
    value, keys = record, path.split(".")
    for i, key in enumerate(keys):
        if not isinstance(value, dict):
            raise CheckpointError(f"{where}: {'.'.join(keys[:i])!r} must be an object, got {value!r:.60}; {RETRAIN}")
        if key not in value:
            raise CheckpointError(f"{where}: missing {path!r}; the file is incomplete, {RETRAIN}")
        value = value[key]
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise CheckpointError(f"{where}: {path!r} must be {what}, got {value!r:.60}; {RETRAIN}")
    return value


def _numbers(values, label: str, where, length: int | None = None) -> None:
    """``values`` is a list of finite numbers (of ``length`` when given)."""
    if not isinstance(values, list) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in values
    ):
        raise CheckpointError(f"{where}: {label!r} must be finite numbers, got {values!r:.60}; {RETRAIN}")
    if length is not None and len(values) != length:
        raise CheckpointError(f"{where}: {label!r} has {len(values)} values, the model has {length}; {RETRAIN}")


def check_record(meta: dict, where) -> None:
    """Check the fields of a checkpoint record that loading, the app and the report read, and normalise
    'model' to a full :class:`ModelConfig`: 'name' (a plain folder name), 'model', 'files' and 'sha256',
    'dataset' ('name', optional 'label_name' and 'class_names'), 'metrics' ('mse_per_pixel', optional
    losses and per-dimension lists), optional 'curves' (lists of numbers) and 'training_seconds'."""
    try:
        folder_name(_get(meta, "name", str, "a string", where), "name")
        model = ModelConfig(**_get(meta, "model", dict, "an object", where))
    except CheckpointError:
        raise
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"{where}: invalid name or model config ({error}); {RETRAIN}") from None
    meta["model"] = model.to_dict()
    hashes = _get(meta, "sha256", dict, "an object", where)
    for role in ("weights", "latents"):
        name = _get(meta, f"files.{role}", str, "a file name", where)
        if Path(name).name != name or name.startswith(".") or not name.endswith(".safetensors"):
            raise CheckpointError(f"{where}: files.{role} {name!r} is not a .safetensors file in the folder")
        if not re.fullmatch("[0-9a-f]{64}", str(hashes.get(name))):
            raise CheckpointError(f"{where}: 'sha256' has no SHA-256 hex digest for {name}; {RETRAIN}")

    dataset = _get(meta, "dataset", dict, "an object", where)
    _get(meta, "dataset.name", str, "a string", where)
    if "label_name" in dataset:
        _get(meta, "dataset.label_name", str, "a string", where)
    classes = dataset.get("class_names")
    if classes is not None and not (isinstance(classes, list) and classes and all(isinstance(c, str) for c in classes)):
        raise CheckpointError(f"{where}: 'dataset.class_names' must be null or a list of strings; {RETRAIN}")

    metrics = _get(meta, "metrics", dict, "an object", where)
    for key in ("mse_per_pixel", "test_recon", "test_kl", "test_loss", "iw_nll"):
        if key in metrics or key == "mse_per_pixel":
            _numbers([_get(meta, f"metrics.{key}", (int, float), "a number", where)], f"metrics.{key}", where)
    for key in ("kl_per_dim", "explained_variance_ratio"):
        if key in metrics:
            _numbers(metrics[key], f"metrics.{key}", where, model.latent_dim)
    for key in ("active_units", "n_test", "iw_samples"):
        if key in metrics or key == "iw_samples" and "iw_nll" in metrics:
            _get(meta, f"metrics.{key}", int, "a whole number", where)

    curves = meta.get("curves")
    if curves is not None:
        _get(meta, "curves", dict, "an object", where)
        needed = (["test_recon"] if curves else []) + (["test_loss"] if "test_kl" in curves else [])
        for key in [*curves, *needed]:
            _numbers(curves.get(key), f"curves.{key}", where)
    _numbers([_get(meta, "training_seconds", (int, float), "a number", where)], "training_seconds", where)


def check_latents(latents: dict[str, torch.Tensor], meta: dict, where) -> None:
    """Codes 'z' (N, k) finite floats with N >= 1, 'labels' (N,) integers >= 0 (below the number of
    classes where the dataset has classes), and where present 'view_pca' / 'view_umap' (N, 2),
    'view_pca_mean' (k,), 'view_pca_components' (2, k), all finite."""
    k = meta["model"]["latent_dim"]
    z, labels = latents.get("z"), latents.get("labels")
    n = len(z) if isinstance(z, torch.Tensor) and z.ndim == 2 else 0
    if n == 0 or z.shape[1] != k or not z.is_floating_point():
        raise CheckpointError(f"{where}: latent codes 'z' missing or not (N, {k}) floats with N >= 1; {RETRAIN}")
    if not isinstance(labels, torch.Tensor) or labels.shape != (n,) or labels.dtype not in INT_DTYPES:
        raise CheckpointError(f"{where}: 'labels' missing or not {n} integers, one per code; {RETRAIN}")
    classes = meta["dataset"].get("class_names")
    if labels.min() < 0 or classes and labels.max() >= len(classes):
        raise CheckpointError(f"{where}: 'labels' outside 0..{len(classes) - 1 if classes else 'max'}; {RETRAIN}")
    views = {"view_pca": (n, 2), "view_umap": (n, 2), "view_pca_mean": (k,), "view_pca_components": (2, k)}
    for key, shape in {"z": (n, k), **views}.items():
        if key not in latents:
            continue
        tensor = latents[key]
        if tuple(tensor.shape) != shape or not tensor.is_floating_point():
            raise CheckpointError(f"{where}: {key!r} is not {shape} floats; {RETRAIN}")
        if not torch.isfinite(tensor).all():
            raise CheckpointError(f"{where}: {key!r} contains NaN or infinity; {RETRAIN}")
