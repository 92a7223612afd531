"""Sweeps as the explorer sees them: a finished β × latent-size grid (``checkpoints/sweeps/<sweep>/``, written
by :func:`training.sweep.train_sweep`) and the checks on a request to train a new one. No Gradio here.

A sweep folder holds ordinary checkpoints ``<name>-b<beta>-z<k>/`` beside ``sweep.json``, the summary written
last (the sweep's commit point). :func:`read_sweep` checks the summary's fields the Compare tab reads; the
:class:`~explorer.store.Store` loads the checkpoints it names as model entries tagged with the sweep's name.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from explorer.core.inputs import InputError, whole_number
from training.data import DATASETS, resolve_data_dir
from training.models import ModelConfig
from training.sweep import MAX_MODELS, SUMMARY_FILE, SUMMARY_FORMAT, SweepConfig
from training.train import TrainConfig

SWEEPS = "sweeps"  # <checkpoints>/sweeps/<sweep>/: committed, or trained with the command line
PAGE_SWEEPS = "page-sweeps"  # <checkpoints>/page-sweeps/<sweep>/: trained from the page, kept within a budget
STAGING = ".partial"  # <folder>/.<sweep>.partial: a sweep being trained or saved (renamed when whole)
MAX_SUMMARY_BYTES = 16 << 20
METRICS = ("test_recon", "test_kl", "test_loss", "mse_per_pixel")  # numbers every model of a summary has
SWEEP_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,59}")


class SweepError(ValueError):
    """A sweep folder the explorer cannot show; the message names the file and what is wrong."""


@dataclass(eq=False)
class Sweep:
    """A finished sweep: ``summary`` is its ``sweep.json`` (layout in :func:`training.sweep.train_sweep`),
    checked; ``models`` its models' summaries in grid order (β-major), without the diverged ones."""

    name: str
    folder: Path
    summary: dict

    @property
    def dataset(self) -> str:
        return self.summary["dataset"]

    @property
    def betas(self) -> list[float]:
        return self.summary["betas"]

    @property
    def latent_dims(self) -> list[int]:
        return self.summary["latent_dims"]

    @property
    def models(self) -> list[dict]:
        return self.summary["models"]

    def model(self, beta: float, latent_dim: int) -> dict | None:
        """The summary of the model at (β, k), or None (diverged, or not in the grid)."""
        return next((m for m in self.models if m["beta"] == beta and m["latent_dim"] == latent_dim), None)

    def describe(self) -> str:
        """One line: the grid, the data and how long it trained."""
        s = self.summary
        return (
            f"{len(self.betas)} β × {len(self.latent_dims)} k = {len(self.models)} models, {s['epochs']} epochs on "
            f"{s['n_train']:,} {self.dataset} images (tested on {s['n_test']:,}), hidden layer "
            f"{self.hidden_dim}; trained in {s['training_seconds']:.0f} s on {s['device']}"
        )

    @property
    def hidden_dim(self):
        """The models' hidden layer, from the summary's settings (a SweepConfig; flat in sweeps before the
        configs were composed)."""
        settings = self.summary["settings"]
        model = settings.get("base", {}).get("model", {}) if isinstance(settings.get("base"), dict) else {}
        return model.get("hidden_dim", settings.get("hidden_dim", "?"))


def read_sweep(folder: str | Path) -> Sweep:
    """The sweep in ``folder``, its summary checked (every model named once, with the numbers the Compare
    tab draws). Raises :class:`SweepError` naming the file."""
    folder = Path(folder)
    path = folder / SUMMARY_FILE
    where = f"{path}"
    try:
        with path.open("rb") as f:
            data = f.read(MAX_SUMMARY_BYTES + 1)
    except FileNotFoundError:
        raise SweepError(
            f"{folder}: no {SUMMARY_FILE} (an unfinished sweep?); train it again or remove the folder"
        ) from None
    except OSError as error:
        raise SweepError(f"{where}: cannot be read ({error.strerror or error})") from None
    if len(data) > MAX_SUMMARY_BYTES:
        raise SweepError(f"{where}: larger than {MAX_SUMMARY_BYTES >> 20} MiB, too large for a sweep summary")
    try:
        summary = json.loads(data)
    except (ValueError, RecursionError) as error:
        raise SweepError(f"{where}: not valid JSON ({str(error)[:80]}); train the sweep again") from None
    if not isinstance(summary, dict) or summary.get("format") != SUMMARY_FORMAT:
        raise SweepError(f"{where}: not a Latent Explorer sweep summary (format field missing or foreign)")
    if summary.get("format_version") != 1:
        raise SweepError(
            f"{where}: format version {summary.get('format_version')!r} is not supported (this code reads version 1)"
        )
    _check_summary(summary, where)
    return Sweep(folder.name, folder, summary)


def _check_summary(summary: dict, where: str) -> None:
    def fail(what: str):
        return SweepError(f"{where}: {what}; train the sweep again")

    def number(value) -> bool:
        return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)

    if summary.get("dataset") not in DATASETS:
        raise fail(f"unknown dataset {summary.get('dataset')!r}")
    betas, dims = summary.get("betas"), summary.get("latent_dims")
    if not isinstance(betas, list) or not betas or not all(number(b) and b >= 0 for b in betas):
        raise fail("'betas' must be a list of numbers >= 0")
    if not isinstance(dims, list) or not dims or not all(isinstance(k, int) and k >= 1 for k in dims):
        raise fail("'latent_dims' must be a list of whole numbers >= 1")
    for key in ("epochs", "n_train", "n_test", "training_seconds"):
        if not number(summary.get(key)):
            raise fail(f"{key!r} must be a number")
    if not isinstance(summary.get("settings"), dict) or not isinstance(summary.get("device"), str):
        raise fail("'settings' and 'device' are missing")
    models = summary.get("models")
    if not isinstance(models, list) or not models:
        raise fail("'models' must list the sweep's models")
    names = set()
    for model in models:
        if not isinstance(model, dict) or not isinstance(model.get("name"), str) or model["name"] in names:
            raise fail("every model needs its own 'name'")
        names.add(model["name"])
        if model.get("beta") not in betas or model.get("latent_dim") not in dims:
            raise fail(f"model {model['name']!r}: 'beta' and 'latent_dim' must be values of the grid")
        if not all(number(model.get(key)) for key in METRICS):
            raise fail(f"model {model['name']!r}: {', '.join(METRICS)} must be numbers")
        if not isinstance(model.get("active_units"), int):
            raise fail(f"model {model['name']!r}: 'active_units' must be a whole number")
        kl = model.get("kl_per_dim")
        if not isinstance(kl, list) or len(kl) != model["latent_dim"] or not all(map(number, kl)):
            raise fail(f"model {model['name']!r}: 'kl_per_dim' must be {model['latent_dim']} numbers")
        curves = model.get("curves")
        if not isinstance(curves, dict) or not all(
            isinstance(v, list) and all(map(number, v)) for v in curves.values()
        ):
            raise fail(f"model {model['name']!r}: 'curves' must be lists of numbers")


def sweep_folders(root: Path) -> list[Path]:
    """The finished sweeps under the checkpoints folder ``root``: the command line's (and the committed one)
    first, then the page's, each sorted by name. A folder being trained (``.<name>.partial``) is not one."""
    return [
        p.parent
        for kind in (SWEEPS, PAGE_SWEEPS)
        for p in sorted((Path(root) / kind).glob(f"*/{SUMMARY_FILE}"))
        if not p.parent.name.startswith(".")
    ]


@contextmanager
def staging_folder(folder: Path, name: str):
    """``folder/.<name>.partial``, made empty and held (an exclusive ``flock``, released when the holder
    finishes or dies) while the caller trains into it; removed afterwards unless renamed meanwhile."""
    staging = folder / f".{name}{STAGING}"
    shutil.rmtree(staging, ignore_errors=True)  # left by a killed run of the same name
    staging.mkdir(parents=True)
    fd = os.open(staging, os.O_RDONLY)
    try:
        _lock(fd, blocking=True)
        yield staging
    finally:
        os.close(fd)
        shutil.rmtree(staging, ignore_errors=True)


def remove_stale_staging(folder: Path) -> list[str]:
    """Remove the ``.<name>.partial`` folders of ``folder`` that no live process holds (left by a sweep killed
    while it trained or saved); returns their names."""
    removed = []
    for staging in Path(folder).glob(f".*{STAGING}"):
        try:
            fd = os.open(staging, os.O_RDONLY)
        except OSError:
            continue
        try:
            if not _lock(fd, blocking=False):
                continue  # a live sweep trains into it
            shutil.rmtree(staging, ignore_errors=True)
            removed.append(staging.name)
        finally:
            os.close(fd)
    return removed


def _lock(fd: int, blocking: bool) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows: no locks; a staging folder is then removed only by its own run
        return blocking
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


def folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file())


def over_budget(folder: Path, budget_bytes: int, keep: str) -> list[Path]:
    """The finished sweeps of ``folder`` to remove, oldest first, so that what is left fits ``budget_bytes``;
    never ``keep`` (the sweep just made), so at least it stays."""
    sweeps = sorted(
        (p.parent for p in Path(folder).glob(f"*/{SUMMARY_FILE}") if not p.parent.name.startswith(".")),
        key=lambda p: (p / SUMMARY_FILE).stat().st_mtime,
    )
    sizes = {p: folder_bytes(p) for p in sweeps}
    total, removed = sum(sizes.values()), []
    for path in sweeps:
        if total <= budget_bytes:
            break
        if path.name != keep:
            removed.append(path)
            total -= sizes[path]
    return removed


# ---- a request to train a sweep --------------------------------------------------------------------------------

BETA_RANGE = (0.01, 100.0)
LATENT_RANGE = (1, 64)
MAX_EPOCHS = 50
WORK_LIMIT = {"cpu": 120, "cuda": 35 * 20}  # models x epochs one request may ask for, by device type


@dataclass(frozen=True)
class Limits:
    """What one request may ask of a device: its model-epochs (``work``) and, from its default grid, the
    training and test subsets every model of the app's sweeps uses."""

    device: str
    work: int
    train_subset: int | None
    test_subset: int | None


def limits_for(device_type: str, train_subset: int | None, test_subset: int | None) -> Limits:
    return Limits(device_type, WORK_LIMIT.get(device_type, WORK_LIMIT["cpu"]), train_subset, test_subset)


def check_request(dataset, betas, latent_dims, epochs, datasets: list[str], limits: Limits) -> tuple:
    """A request from the page or the API, checked: (dataset, betas, latent_dims, epochs) with betas sorted
    floats and latent sizes sorted ints, or :class:`InputError` with one short message that says what to do."""
    if dataset not in datasets:
        raise InputError(f"dataset must be one of {', '.join(datasets) or '(none on disk)'}, got {dataset!r}")
    betas = sorted(_values(betas, "β values", lambda v: _beta(v)))
    latent_dims = sorted(
        _values(latent_dims, "latent sizes", lambda v: whole_number(v, *LATENT_RANGE, "latent size k"))
    )
    epochs = whole_number(epochs, 1, MAX_EPOCHS, "epochs")
    models = len(betas) * len(latent_dims)
    if models > MAX_MODELS:
        raise InputError(f"{models} models is more than {MAX_MODELS}; choose fewer β values or latent sizes")
    if models * epochs > limits.work:
        raise InputError(
            f"{len(betas)} β × {len(latent_dims)} k = {models} models × {epochs} epochs is too much "
            f"for one sweep on this {limits.device.upper()} (at most {limits.work} model-epochs): "
            "choose fewer values or epochs"
        )
    return dataset, betas, latent_dims, epochs


def _values(values, what: str, check) -> list:
    """A non-empty list of distinct checked values (from a list, or from text such as "0.5, 1, 4")."""
    if isinstance(values, str):
        values = [v for v in re.split(r"[\s,;]+", values) if v]
    if not isinstance(values, list | tuple):
        raise InputError(f"{what} must be a list, got {values!r:.60}")
    if not values:
        raise InputError(f"choose at least one of the {what}")
    if len(values) > MAX_MODELS:
        raise InputError(f"{len(values)} {what} is too many; choose fewer")
    checked = [check(v) for v in values]
    if len(set(checked)) != len(checked):
        raise InputError(f"{what} must not repeat a value, got {values!r:.80}")
    return checked


def _beta(value) -> float:
    low, high = BETA_RANGE
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InputError(f"β must be a number between {low:g} and {high:g}, got {value!r:.40}")
    try:
        beta = float(value)
    except ValueError:
        raise InputError(f"β must be a number between {low:g} and {high:g}, got {value!r:.40}") from None
    if not math.isfinite(beta) or not low <= beta <= high:
        raise InputError(f"β must be a number between {low:g} and {high:g}, got {value!r:.40}")
    return float(f"{beta:.6g}")  # checkpoint names keep 6 significant digits


def sweep_config(
    dataset: str, betas: list[float], latent_dims: list[int], epochs: int, name: str, device: str, limits: Limits
) -> SweepConfig:
    """The :class:`SweepConfig` the app trains for a checked request: the device's default subsets, float16
    weights (what the committed sweep stores; evaluation uses the saved weights)."""
    base = TrainConfig(
        dataset=dataset,
        model=ModelConfig(kind="vae", backbone="mlp"),
        epochs=epochs,
        train_subset=limits.train_subset,
        test_subset=limits.test_subset,
        device=device,
        umap=False,
        weight_dtype="float16",
    )
    return SweepConfig(base, tuple(betas), tuple(latent_dims), name)


USED_NAMES = ".used-names"  # in the page's sweeps folder: every name given, so a removed sweep's is never reused


def free_name(folder: Path, dataset: str, taken: set[str], stem: str = "run") -> str:
    """A name for the app's next sweep (or, ``stem="race"``, race) of ``dataset``, never given before in ``folder``
    (a link to a model of a sweep removed for the disk budget must not open another model under its name), nor in
    ``taken``: mnist-run1, mnist-run2, ... (mnist-race1, ...)"""
    try:
        used = set((folder / USED_NAMES).read_text().split())
    except OSError:
        used = set()
    n = 1
    while (
        (name := f"{dataset}-{stem}{n}") in taken
        or name in used
        or (folder / name).exists()
        or (folder / f".{name}{STAGING}").exists()
    ):
        n += 1
    return name


def remember_name(folder: Path, name: str) -> None:
    """Add ``name`` to the names given in ``folder`` (see :func:`free_name`)."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / USED_NAMES).open("a") as names:
        names.write(f"{name}\n")


def trainable_datasets(known: list[str], data_dir) -> list[str]:
    """The datasets of ``known`` whose files are on disk, so a sweep can train on them (no downloads)."""
    root = resolve_data_dir(data_dir)
    return [d for d in known if d in DATASETS and all((root / f).exists() for f in DATASETS[d].expected_files)]
