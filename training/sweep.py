"""``train_sweep(config) -> SweepResult``: a grid of beta-VAEs (betas x latent sizes, MLP D-H-k) trained as
one batched computation (:mod:`training.batched`), then saved as ordinary checkpoints beside one summary.

Each model trains as ``train(config.runs()[i])`` would alone, within float tolerance:

- init: ``seed_everything(seed)`` then ``build_model``, per model, as ``train`` does (so the models of one
  latent size start from the same weights, as separate runs from one seed do);
- noise and batches: ``train`` draws each epoch's ``randperm`` and then each step's noise (B, k) from one
  ``torch.Generator`` seeded with ``seed``. Models of the same k would draw identical numbers from their
  own generators, so one generator per latent size serves them; models of different k use their
  generators up differently, so from epoch 2 on their batches differ: each model's batch is gathered
  with its own group's indices, still one gather;
- ``Adam(lr, fused=True)`` over the stacked tensors: Adam is elementwise, so it is M separate Adams;
- the per-epoch test losses draw from fresh generators, as ``train``'s do; the final evaluation and the
  record are ``train``'s own (:func:`training.train.finished_checkpoint`).

Writing: nothing is written until every model is trained and evaluated. Then each model is saved with
:func:`save_checkpoint` (atomic: its ``checkpoint.json`` is its commit point) as ``out_dir/<name>-b<beta>-z<k>``,
and the summary ``out_dir/sweep.json`` is written last, the sweep's commit point. A cancel (``cancel.set()``,
honoured between steps, test batches and evaluations) raises :class:`SweepCancelled` and writes nothing.

A model whose loss or test metrics become NaN or infinite is dropped (listed under ``diverged`` in the
summary, not saved); the others go on. If every model diverges, :class:`NonFiniteLossError` is raised.

Progress: ``progress(event)`` receives dicts (JSON-serialisable; a non-finite value is None):

    {"event": "start", "steps": T, "steps_per_epoch": S, "epochs": E, "device": str,
     "models": [{"name", "beta", "latent_dim"}, ...]}
    {"event": "train", "step": s, "epoch": s / S, "seconds": since start,
     "models": [{"name", "loss", "recon", "kl"}, ...]}      means over the steps since the last event
    {"event": "epoch", "epoch": e, "step": s, "seconds": since start, "cuda_graphs": bool (steps replayed),
     "models": [{"name", "train_loss", "train_recon", "train_kl", "test_loss", "test_recon", "test_kl"}
                or {"name", "diverged": message}, ...]}
    {"event": "evaluated", "name": str, "index": i, "count": M, "metrics": {...}}

"train" events come after the first step, then every ``report_seconds`` (checked between steps); "epoch" events
after each epoch.
"""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from .batched import StackedVAE, SweepCancelled, check_cancel, evaluate_all, fit, json_finite
from .checkpoint import Checkpoint, save_checkpoint
from .checks import folder_name, real_number, whole_number
from .cuda_graphs import matmul_precision
from .data import load_dataset
from .files import write_atomic
from .models import MAX_LATENT_DIM, build_model
from .train import (
    NonFiniteLossError,
    TrainConfig,
    _device_name,
    finished_checkpoint,
    refuse_existing,
    resolve_device,
    seconds_taken,
    seed_everything,
)

__all__ = ["Grid", "SweepCancelled", "SweepConfig", "SweepResult", "default_grid", "train_sweep"]

SUMMARY_FILE = "sweep.json"
SUMMARY_FORMAT = "latent-explorer-sweep"
MAX_MODELS = 100
FULL_BETAS = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
FULL_LATENT_DIMS = (2, 4, 8, 16, 32)


@dataclass
class SweepConfig:
    """A grid of MLP beta-VAEs on one dataset: every beta in ``betas`` with every k in ``latent_dims``, each model
    trained as ``base`` says (a :class:`TrainConfig` of an MLP VAE: its model's beta and latent size are the
    grid's)."""

    base: TrainConfig = field(default_factory=lambda: TrainConfig(epochs=5, umap=False))  # UMAP views are slow
    betas: tuple[float, ...] = FULL_BETAS
    latent_dims: tuple[int, ...] = FULL_LATENT_DIMS
    name: str | None = None  # checkpoint names "<name>-b<beta>-z<k>"; default "<dataset>-vae"

    def __post_init__(self):
        """Check the grid and build every model's ``TrainConfig`` (which checks the rest); a ``ValueError``
        names the field."""
        if isinstance(self.base, dict):
            self.base = TrainConfig.from_record(self.base)
        if not isinstance(self.base, TrainConfig):
            raise ValueError(f"base must be a TrainConfig, got {self.base!r}")
        if self.base.model.kind != "vae" or self.base.model.backbone != "mlp":
            raise ValueError("a sweep trains unconditional MLP VAEs: its base model must be kind 'vae', backbone 'mlp'")
        for name, check in (
            ("betas", lambda b: real_number(b, 0.0, what="beta")),
            ("latent_dims", lambda k: whole_number(k, 1, MAX_LATENT_DIM, "latent_dim")),
        ):
            values = getattr(self, name)
            if not isinstance(values, list | tuple) or not values:
                raise ValueError(f"{name} must be a non-empty list, got {values!r}")
            values = tuple(map(check, values))
            if len(set(values)) != len(values):
                raise ValueError(f"{name} must not repeat a value, got {list(values)}")
            setattr(self, name, values)
        if len(self.betas) * len(self.latent_dims) > MAX_MODELS:
            raise ValueError(
                f"betas x latent_dims is {len(self.betas) * len(self.latent_dims)} models, "
                f"more than {MAX_MODELS}; sweep fewer values"
            )
        if self.name is not None:
            folder_name(self.name, "name")
        names = [run.run_name for run in self.runs()]
        if len(set(names)) != len(names):
            raise ValueError(
                f"betas {list(self.betas)} give repeated checkpoint names; use betas that differ "
                "in their first 6 significant digits"
            )

    @property
    def sweep_name(self) -> str:
        return self.name or f"{self.base.dataset}-vae"

    @property
    def dataset(self) -> str:
        return self.base.dataset

    @property
    def epochs(self) -> int:
        return self.base.epochs

    def runs(self) -> list[TrainConfig]:
        """One ``TrainConfig`` per model, beta-major (all k of the first beta first): the ``train`` config
        that trains that model alone to the same weights."""
        return [
            replace(
                self.base,
                model=replace(self.base.model, beta=beta, latent_dim=k),
                name=f"{self.sweep_name}-b{beta:g}-z{k}",
            )
            for beta in self.betas
            for k in self.latent_dims
        ]


@dataclass(frozen=True)
class Grid:
    """A default grid for a device; ``note`` says in one line what was shrunk ("" when nothing was)."""

    betas: tuple[float, ...]
    latent_dims: tuple[int, ...]
    epochs: int
    train_subset: int | None
    test_subset: int | None
    note: str

    def config(self, base: TrainConfig | None = None, name: str | None = None) -> SweepConfig:
        """A :class:`SweepConfig` of this grid over ``base`` (its epochs and subsets are the grid's)."""
        base = replace(
            base or SweepConfig.__dataclass_fields__["base"].default_factory(),
            epochs=self.epochs,
            train_subset=self.train_subset,
            test_subset=self.test_subset,
        )
        return SweepConfig(base, self.betas, self.latent_dims, name)


def default_grid(device: str | torch.device = "auto") -> Grid:
    """On a CUDA GPU the full grid: 7 betas x 5 latent sizes, 5 epochs on all of MNIST (35 models).
    Elsewhere a grid that trains in under 2 minutes on a 2-core CPU: 4 betas (0.25, 1, 4, 8) x 3 latent sizes
    (2, 8, 32), 5 epochs on the first 10,000 training images, tested on the first 2,000 test images."""
    TrainConfig(device=str(device))  # every run's check of the device name, and its message
    if resolve_device(str(device)).type == "cuda":
        return Grid(FULL_BETAS, FULL_LATENT_DIMS, 5, None, None, "")
    return Grid(
        (0.25, 1.0, 4.0, 8.0),
        (2, 8, 32),
        5,
        10_000,
        2_000,
        "CPU grid: 4 betas x 3 latent sizes on 10,000 training and 2,000 test images (on a GPU: 7 x 5 on all 60,000)",
    )


@dataclass
class SweepResult:
    """What ``train_sweep`` made: the summary (layout in :func:`train_sweep`), its path (None when nothing
    was written) and the saved models' checkpoints, in grid order without the diverged ones."""

    summary: dict
    path: Path | None
    checkpoints: list[Checkpoint]


def train_sweep(
    config: SweepConfig,
    out_dir: str | Path | None,
    data_dir=None,
    download: bool | None = None,
    progress: Callable[[dict], None] | None = None,
    cancel=None,
    report_seconds: float = 1.0,
    overwrite: bool = False,
) -> SweepResult:
    """Train, evaluate and (unless ``out_dir`` is None) save every model of ``config`` (see the module
    docstring for the contract), then its summary ``out_dir/sweep.json`` (layout: :func:`_summary`). ``cancel``
    is anything with ``is_set()`` (a ``threading.Event``). A sweep already in ``out_dir`` is replaced only when
    ``overwrite``."""
    started = time.perf_counter()
    if out_dir is not None and not overwrite:
        refuse_existing(Path(out_dir))
    device = resolve_device(config.base.device)
    runs = config.runs()
    train_split, test_split, info = load_dataset(config.dataset, data_dir, download)
    train_split = train_split.subset(config.base.train_subset).to(device)
    test_split = test_split.subset(config.base.test_subset).to(device)
    models = []
    for run in runs:
        seed_everything(run.seed)
        models.append(build_model(run.model))
    stack = StackedVAE(models, device)
    emit = progress or (lambda event: None)

    fit_started = time.perf_counter()
    with matmul_precision(config.base.matmul):
        curves, diverged = fit(stack, runs, train_split, test_split, device, emit, cancel, report_seconds, started)
    training_seconds = time.perf_counter() - fit_started
    data = (info, len(train_split), test_split)
    finished = _evaluate(stack, models, runs, data, curves, diverged, training_seconds, config, out_dir, emit, cancel)
    check_cancel(cancel, "before saving")

    for _, checkpoint, _ in finished if out_dir is not None else ():
        save_checkpoint(
            checkpoint.path,
            checkpoint.model,
            checkpoint.meta,
            checkpoint.latents,
            getattr(torch, config.base.weight_dtype),
        )
    summary = _summary(
        config,
        runs,
        finished,
        diverged,
        (len(train_split), len(test_split)),
        device,
        training_seconds,
        time.perf_counter() - started,
    )
    path = None
    if out_dir is not None:
        path = Path(out_dir) / SUMMARY_FILE
        write_atomic(path, json.dumps(summary, indent=1, allow_nan=False).encode())
    return SweepResult(summary, path, [checkpoint for _, checkpoint, _ in finished])


def _evaluate(
    stack, models, runs, data, curves, diverged, training_seconds, config, out_dir, emit, cancel
) -> list[tuple[int, Checkpoint, float]]:
    """Each trained model's checkpoint, built (not written) as ``train`` builds it: [(model index, checkpoint,
    seconds: its share of the training time and of the evaluation)]. Every model is evaluated in one pass
    (:func:`training.batched.evaluate_all`; one by one when the IW bound is asked for). A model whose test metrics
    are not finite joins ``diverged``; if none is left, :class:`NonFiniteLossError`."""
    info, n_train, test_split = data
    device = test_split.images.device
    check_cancel(cancel, "before evaluating every model")
    evaluation_started = time.perf_counter()
    if config.base.weight_dtype == "float16":  # evaluate exactly what is saved
        stack.round_to_half()
    together = evaluate_all(stack, test_split, config.base.seed) if not config.base.iw_samples else [None] * len(runs)
    shared_seconds = (time.perf_counter() - evaluation_started) / len(runs)
    finished = []
    for m, run in enumerate(runs):
        if m in diverged:
            continue
        check_cancel(cancel, "before evaluating every model")
        evaluation_started = time.perf_counter()
        model = stack.copy_to(m, models[m]).to(device)  # the trained weights, in the model train() builds
        try:
            checkpoint = finished_checkpoint(
                model,
                run,
                info,
                n_train,
                test_split,
                curves[m],
                training_seconds / len(runs),
                device,
                out_dir,
                together[m],
            )
        except NonFiniteLossError as error:
            diverged[m] = str(error)
            continue
        checkpoint.meta["sweep"] = {
            "name": config.sweep_name,
            "models": len(runs),
            "training_seconds": seconds_taken(training_seconds),
        }
        seconds = training_seconds / len(runs) + shared_seconds + time.perf_counter() - evaluation_started
        finished.append((m, checkpoint, seconds))
        emit(
            {
                "event": "evaluated",
                "name": run.run_name,
                "index": m,
                "count": len(runs),
                "metrics": json_finite(checkpoint.meta["metrics"]),
            }
        )
    if not finished:
        raise NonFiniteLossError(f"every model of the sweep diverged; nothing was saved. {diverged[0]}")
    return finished


def _summary(
    config: SweepConfig,
    runs,
    finished,
    diverged: dict,
    sizes: tuple[int, int],
    device,
    training_seconds: float,
    wall_seconds: float,
) -> dict:
    """The sweep's summary (``sweep.json``): {"format", "format_version", "name", "dataset", "betas",
    "latent_dims", "epochs", "settings" (the whole SweepConfig), "n_train", "n_test", "device", "training_seconds"
    (the batched loop), "wall_seconds" (data loading to the last checkpoint written), "versions", "models":
    [{"name" (= its checkpoint folder), "beta", "latent_dim", "test_recon", "test_kl", "test_loss",
    "mse_per_pixel", "active_units", "kl_per_dim" (k,), "curves" (as in its checkpoint), "seconds" (its share of
    the training time plus its own evaluation)}], "diverged": [{"name", "beta", "latent_dim", "error"}]}."""
    return {
        "format": SUMMARY_FORMAT,
        "format_version": 1,
        "name": config.sweep_name,
        "dataset": config.dataset,
        "betas": list(config.betas),
        "latent_dims": list(config.latent_dims),
        "epochs": config.epochs,
        "settings": asdict(config),
        "n_train": sizes[0],
        "n_test": sizes[1],
        "device": _device_name(device),
        "training_seconds": seconds_taken(training_seconds),
        "wall_seconds": seconds_taken(wall_seconds),
        "versions": {"torch": torch.__version__, "python": platform.python_version(), "numpy": np.__version__},
        "models": [_model_summary(runs[m], checkpoint.meta, seconds) for m, checkpoint, seconds in finished],
        "diverged": [
            {
                "name": runs[m].run_name,
                "beta": runs[m].model.beta,
                "latent_dim": runs[m].model.latent_dim,
                "error": error,
            }
            for m, error in sorted(diverged.items())
        ],
    }


def _model_summary(run: TrainConfig, meta: dict, seconds: float) -> dict:
    metrics = meta["metrics"]
    return {
        "name": run.run_name,
        "beta": run.model.beta,
        "latent_dim": run.model.latent_dim,
        **{
            k: metrics[k] for k in ("test_recon", "test_kl", "test_loss", "mse_per_pixel", "active_units", "kl_per_dim")
        },
        "curves": meta["curves"],
        "seconds": seconds_taken(seconds),
    }
