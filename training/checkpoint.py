"""Checkpoints: a folder holding a JSON file beside safetensors files. Nothing is ever unpickled.

    checkpoints/mnist-vae-z2/
        checkpoint.json                   format, model config, training config, metrics, curves, ...
        weights-<sha256[:12]>.safetensors model state (float32 or float16)
        latents-<sha256[:12]>.safetensors test-set codes and labels, 2-D projections

Atomic writes: the data files are named by their content hash and written first (each to a
temporary file, fsync'd, then renamed); ``checkpoint.json`` is replaced last, in one rename, and is
the commit point. A run killed at any moment leaves either the old checkpoint or the new one, whole;
at worst an unreferenced data file or temporary file, removed by the next save.

Concurrent saves to one folder take turns: each holds an exclusive ``flock`` on the folder while it
writes, commits and removes what no longer belongs (data files the new ``checkpoint.json`` does not
name, temporary files of killed writers). Readers take no lock: they read ``checkpoint.json`` and the
files it names back to back, and when a newer save removed one of those files in between they read
``checkpoint.json`` again; so a reader gets the old checkpoint or the new one, whole.

Loading checks every field the app reads (:func:`load_metadata`), the SHA-256 of each file, and the
weights file's header (tensor names, dtypes, shapes) against the model the config describes, *before*
any model is built; the codes must be finite, (N, k) with N labels. Any failure is one
:class:`CheckpointError` naming the file and what to do.
"""

from __future__ import annotations

import hashlib
import json
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from .files import write_atomic
from .models import MODEL_CLASSES, LatentModel, ModelConfig, build_model
from .record import RETRAIN, CheckpointError, check_latents, check_record

try:
    import fcntl
except ImportError:  # Windows: saves are not serialised against each other
    fcntl = None

FORMAT = "latent-explorer-checkpoint"
FORMAT_VERSION = 1
META_FILE = "checkpoint.json"
MAX_META_BYTES = 16 << 20  # checkpoint.json (the zoo's are < 100 kB)
MAX_DATA_BYTES = 1 << 30  # one safetensors file
MAX_HEADER_BYTES = 1 << 20  # the JSON header of a safetensors file
READ_ATTEMPTS = 10  # reads of checkpoint.json while newer saves keep removing the files it named
FLOAT_DTYPES = {"F16", "BF16", "F32", "F64"}  # safetensors' names


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


# ---- writing -----------------------------------------------------------------------------------------


@contextmanager
def _save_lock(directory: Path):
    """An exclusive advisory lock on the folder itself (no lock file is left behind); released when the
    holder closes it or dies."""
    if fcntl is None:
        yield
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def save_checkpoint(
    directory: str | os.PathLike,
    model: LatentModel,
    meta: dict,
    latents: dict[str, torch.Tensor],
    weight_dtype: torch.dtype = torch.float32,
) -> Path:
    """Write ``model`` (weights cast to ``weight_dtype``), ``latents`` and ``meta`` (JSON-serialisable)
    to ``directory`` atomically. ``meta`` must hold the fields :func:`load_metadata` requires ('name',
    'dataset', 'metrics', 'training_seconds'); format fields and file names are added. Everything is
    checked as a load would check it *before* anything is written: a :class:`CheckpointError` leaves
    the folder as it was (or not created)."""
    directory = Path(directory)
    state = {k: (v.to(weight_dtype) if v.is_floating_point() else v) for k, v in model.state_dict().items()}
    if not all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point()):
        raise CheckpointError(f"{directory}: the model's weights contain NaN or infinity; nothing was saved")
    files = {}
    for role, tensors in (("weights", state), ("latents", latents)):
        data = st_save({k: v.detach().cpu().contiguous() for k, v in tensors.items()})
        digest = hashlib.sha256(data).hexdigest()
        files[role] = (f"{role}-{digest[:12]}.safetensors", digest, data)
    record = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        **meta,
        "model": model.config.to_dict(),
        "files": {role: name for role, (name, _, _) in files.items()},
        "sha256": {name: digest for name, digest, _ in files.values()},
    }
    check_record(record, directory)
    check_latents({k: v.detach().cpu() for k, v in latents.items()}, record, directory)
    try:
        text = json.dumps(record, indent=1, allow_nan=False).encode()
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"{directory}: the record is not JSON ({error}); nothing was saved") from None

    try:
        directory.mkdir(parents=True, exist_ok=True)
        with _save_lock(directory):
            # Temporary files of killed writers: a live writer holds the lock while its files exist.
            _remove_files(directory, (f".{META_FILE}.*.tmp", ".*.safetensors.*.tmp"))
            for name, _, data in files.values():
                write_atomic(directory / name, data)
            write_atomic(directory / META_FILE, text)
            _remove_files(directory, ("*.safetensors",), keep={name for name, _, _ in files.values()})
    except OSError as error:
        raise CheckpointError(f"{directory}: cannot write the checkpoint ({error.strerror or error})") from None
    return directory


def _remove_files(directory: Path, patterns: tuple[str, ...], keep: set[str] = frozenset()) -> None:
    for pattern in patterns:
        for path in directory.glob(pattern):
            if path.name not in keep:
                path.unlink(missing_ok=True)


# ---- reading -----------------------------------------------------------------------------------------


def _folder(directory: str | os.PathLike) -> Path:
    directory = Path(directory)
    return directory.parent if directory.name == META_FILE else directory


def _read(path: Path, limit: int) -> bytes:
    """The bytes of ``path`` (at most ``limit``). A missing file raises ``FileNotFoundError`` (the caller
    knows what that means); any other failure to read is a :class:`CheckpointError`."""
    try:
        with path.open("rb") as f:
            data = f.read(limit + 1)
    except NotADirectoryError as error:  # the folder itself is gone or is a file
        raise FileNotFoundError(error.errno, error.strerror, error.filename) from None
    except FileNotFoundError:
        raise
    except OSError as error:
        raise CheckpointError(f"{path}: cannot be read ({error.strerror or error}); check the file") from None
    if len(data) > limit:
        raise CheckpointError(f"{path}: larger than {limit >> 20} MiB, too large for a checkpoint file; {RETRAIN}")
    return data


def load_metadata(directory: str | os.PathLike) -> dict:
    """The checked contents of ``checkpoint.json``, without reading any tensors: every field that
    loading, the app and the report read is present with the right type (see
    :func:`training.record.check_record`); ``model`` is normalised to all of :class:`ModelConfig`'s fields."""
    path = _folder(directory) / META_FILE
    try:
        data = _read(path, MAX_META_BYTES)
    except FileNotFoundError:
        raise CheckpointError(
            f"{path}: no checkpoint here (missing {META_FILE}); train one with `python -m training`"
        ) from None
    try:
        meta = json.loads(data)
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise CheckpointError(f"{path}: not valid JSON ({str(error)[:100]}); the file is corrupt, {RETRAIN}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a Latent Explorer checkpoint (format field missing or foreign)")
    if meta.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{path}: format version {meta.get('format_version')!r} is not supported "
            f"(this code reads version {FORMAT_VERSION}); retrain it"
        )
    check_record(meta, path)
    return meta


def _verified(directory: Path, meta: dict, role: str, data: bytes) -> Path:
    """The path of the ``role`` file, once its bytes ``data`` match the SHA-256 in ``meta``."""
    path = directory / meta["files"][role]
    if hashlib.sha256(data).hexdigest() != meta["sha256"][path.name]:
        raise CheckpointError(
            f"{path}: contents do not match the SHA-256 in {META_FILE} (truncated or corrupt); {RETRAIN}"
        )
    return path


def _header(path: Path, data: bytes) -> dict[str, tuple[str, tuple[int, ...]]]:
    """{tensor name: (dtype, shape)} from a safetensors header: a little-endian u64 length, then JSON."""
    size = int.from_bytes(data[:8], "little") if len(data) >= 8 else -1
    bad = CheckpointError(f"{path}: not a readable safetensors file (bad header); {RETRAIN}")
    if not 2 <= size <= min(MAX_HEADER_BYTES, len(data) - 8):
        raise bad
    try:
        header = json.loads(data[8 : 8 + size])
        header.pop("__metadata__", None)
        tensors = {name: (entry["dtype"], tuple(entry["shape"])) for name, entry in header.items()}
    except (ValueError, RecursionError, AttributeError, TypeError, KeyError):
        raise bad from None
    if not all(
        isinstance(dtype, str) and all(isinstance(s, int) and s >= 0 for s in shape)
        for dtype, shape in tensors.values()
    ):
        raise bad
    return tensors


def _deserialize(path: Path, data: bytes) -> dict[str, torch.Tensor]:
    try:
        return st_load(data)
    except Exception as error:  # noqa: BLE001 -- safetensors raises its own SafetensorError
        raise CheckpointError(f"{path}: not a readable safetensors file ({error}); {RETRAIN}") from None


def _load_weights(path: Path, data: bytes, meta: dict) -> LatentModel:
    """The model, its weights checked against the config through the file's header before it is built."""
    config = ModelConfig(**meta["model"])
    with torch.device("meta"):  # shapes only: no memory, whatever sizes the config claims
        expected = {k: tuple(v.shape) for k, v in MODEL_CLASSES[config.kind](config).state_dict().items()}
    found = _header(path, data)
    if set(found) != set(expected):
        missing, extra = sorted(set(expected) - set(found)), sorted(set(found) - set(expected))
        raise CheckpointError(
            f"{path}: tensors do not match the config in {META_FILE} "
            f"(missing {missing[:3]}, unexpected {extra[:3]}); {RETRAIN}"
        )
    for key, (dtype, shape) in found.items():
        if shape != expected[key]:
            raise CheckpointError(
                f"{path}: tensor {key!r} has shape {shape}, the config in {META_FILE} needs {expected[key]}; {RETRAIN}"
            )
        if dtype not in FLOAT_DTYPES:
            raise CheckpointError(f"{path}: tensor {key!r} is {dtype}, not floating point; {RETRAIN}")
    state = _deserialize(path, data)
    if not all(torch.isfinite(v).all() for v in state.values()):
        raise CheckpointError(f"{path}: the weights contain NaN or infinity; {RETRAIN}")
    model = build_model(config)
    expected_state = model.state_dict()
    model.load_state_dict({k: v.to(expected_state[k].dtype) for k, v in state.items()})
    return model


def _read_version(directory: Path, roles: tuple[str, ...]) -> tuple[dict, dict[str, bytes]]:
    """``checkpoint.json`` and the bytes of the ``roles`` files it names, read back to back so that they
    belong to one version. A file removed by a newer save in between means reading ``checkpoint.json``
    again (up to ``READ_ATTEMPTS`` times)."""
    for _ in range(READ_ATTEMPTS):
        meta = load_metadata(directory)
        try:
            return meta, {role: _read(directory / meta["files"][role], MAX_DATA_BYTES) for role in roles}
        except FileNotFoundError as error:
            missing = error.filename or directory
    raise CheckpointError(f"{missing}: file named in {META_FILE} is missing; {RETRAIN}")


def load_checkpoint(
    directory: str | os.PathLike, device: str | torch.device = "cpu", with_latents: bool = True
) -> Checkpoint:
    """Load and validate a checkpoint; the model is in eval mode, float32, on ``device``. Raises
    :class:`CheckpointError` (and nothing else about the files) when it cannot be used."""
    directory = _folder(directory)
    meta, data = _read_version(directory, ("weights", "latents") if with_latents else ("weights",))
    model = _load_weights(_verified(directory, meta, "weights", data["weights"]), data["weights"], meta)
    latents = {}
    if with_latents:
        path = _verified(directory, meta, "latents", data["latents"])
        latents = _deserialize(path, data["latents"])
        check_latents(latents, meta, path)
    return Checkpoint(directory, meta, model.to(device).eval(), latents)


def list_checkpoints(root: str | os.PathLike = "checkpoints") -> list[Path]:
    """Folders under ``root`` that hold a checkpoint.json, sorted by name."""
    root = Path(root)
    return sorted(p.parent for p in root.glob(f"*/{META_FILE}"))
