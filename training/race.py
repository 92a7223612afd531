"""A race: a few latent models trained side by side from one seed, with what each has learned recorded as it learns.

Every ``every`` steps (and before the first, and after the last) a *frame* is kept for each model: the codes of a
fixed set of test images (their posterior means, as the maps show them), the pictures it decodes from the same
fixed N(0, I) draws, and its mean training loss since the frame before. Played back, the frames show the AE's codes
flying apart into islands while the VAE's are pulled into one round cloud inside the prior's rings, and the
samples from N(0, I) sharpening for the one and not the other (``explorer/page/tabs/race.py``).

The models see the same batches in the same order; each draws its own noise from a generator of its own seeded
alike. A recording is a folder (never a pickle):

    race.json              what was raced (the config, each model's label), the frames' steps and losses
    frames.safetensors     codes (F, M, N, k) float32, samples (F, M, S, C, H, W) uint8, labels (N,), indices (N,)

    python -m training race --name mnist-ae-vae [--kinds ae vae vae --betas 1 1 4 --epochs 3]
"""

from __future__ import annotations

import json
import math
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from .checks import folder_name, one_of, real_number, whole_number
from .data import DATASETS, load_dataset
from .files import write_atomic
from .models import ModelConfig, build_model
from .train import CheckpointExistsError, resolve_device, seed_everything

RACE_FILE, FRAMES_FILE = "race.json", "frames.safetensors"
FORMAT = "latent-explorer-race"
KINDS = ("ae", "dae", "vae", "cvae")
MAX_FRAMES, MAX_POINTS, MAX_MODELS = 400, 5000, 6
AGAIN = "record it again with python -m training race"


@dataclass
class RaceConfig:
    """Which models race (``kinds`` with their ``betas``, one each), on what, and how often a frame is kept."""

    dataset: str = "mnist"
    kinds: tuple[str, ...] = ("ae", "vae", "vae")
    betas: tuple[float, ...] = (1.0, 1.0, 4.0)  # each model's beta (an AE's is unused)
    latent_dim: int = 2
    hidden_dim: int = 256
    epochs: int = 3
    batch_size: int = 128
    lr: float = 1e-3
    seed: int = 0
    train_subset: int | None = 20_000
    points: int = 2000  # test images whose codes each frame keeps
    samples: int = 16  # N(0, I) draws each frame decodes
    every: int = 8  # steps between frames
    name: str = "race"

    def __post_init__(self):
        one_of(self.dataset, tuple(DATASETS), "dataset")
        self.kinds, self.betas = tuple(self.kinds), tuple(float(b) for b in self.betas)
        if not 1 <= len(self.kinds) <= MAX_MODELS or len(self.betas) != len(self.kinds):
            raise ValueError(f"kinds and betas must be 1 to {MAX_MODELS} values each, as many betas as kinds")
        for kind in self.kinds:
            one_of(kind, KINDS, "kind")
        for beta in self.betas:
            real_number(beta, 0.0, 1000.0, "beta")
        whole_number(self.latent_dim, 1, 64, "latent_dim")
        for name in ("hidden_dim", "epochs", "batch_size", "samples", "every"):
            whole_number(getattr(self, name), 1, 100_000, name)
        whole_number(self.points, 1, MAX_POINTS, "points")
        self.lr = real_number(self.lr, 0.0, what="lr", above=True)
        folder_name(self.name, "name")

    def model_configs(self) -> list[ModelConfig]:
        info = DATASETS[self.dataset]
        return [
            ModelConfig(
                kind=k,
                image_shape=info.image_shape,
                latent_dim=self.latent_dim,
                hidden_dim=self.hidden_dim,
                beta=b,
                n_classes=info.n_classes if k == "cvae" else 0,
            )
            for k, b in zip(self.kinds, self.betas)
        ]

    def total_steps(self, n_train: int) -> int:
        """Training steps in the whole race over ``n_train`` images (a frame is kept every ``every``, and after
        the last)."""
        return math.ceil(n_train / self.batch_size) * self.epochs

    def labels(self) -> list[str]:
        """Each model's name on the page: "AE", "VAE", "β-VAE (β = 4)"."""
        out = []
        for kind, beta in zip(self.kinds, self.betas):
            if kind in ("vae", "cvae") and beta != 1:
                out.append(f"β-{kind.upper()} (β = {beta:g})")
            else:
                out.append(kind.upper())
        return out


class RaceCancelled(RuntimeError):
    """A race stopped between two steps by its ``cancel`` event; nothing was written."""


@dataclass
class Recording:
    """A race's frames: ``codes`` (F, M, N, k), ``samples`` (F, M, S, C, H, W) uint8, ``steps`` (F,) and ``losses``
    (F, M: the mean training loss over the steps since the frame before, NaN for the first), ``labels`` and
    ``indices`` (N,) of the test images; ``meta`` holds the config, the models' labels, the dataset's class names."""

    codes: torch.Tensor
    samples: torch.Tensor
    steps: list[int]
    losses: list[list[float]]
    labels: torch.Tensor
    indices: torch.Tensor
    meta: dict = field(default_factory=dict)


def run_race(
    config: RaceConfig,
    data_dir=None,
    download: bool | None = None,
    device: str = "cpu",
    progress=None,
    on_frame=None,
    cancel=None,
):
    """Train the race and record it: (the :class:`Recording`, the trained models). ``progress(frame, frames)`` is
    called after each frame is kept, ``on_frame(frame)`` with the frame itself (a dict: ``codes`` (M, N, k),
    ``samples`` (M, S, C, H, W) uint8, ``step``, ``losses``). ``cancel`` (anything with ``is_set()``) stops it
    between two steps with :class:`RaceCancelled`."""
    device = resolve_device(device)
    train_split, test_split, info = load_dataset(config.dataset, data_dir, download)
    train_split = train_split.subset(config.train_subset).to(device)
    indices = race_indices(config, len(test_split))
    points = test_split.images[indices].to(device), test_split.labels[indices].to(device)
    models, optimizers, noise = _start(config, device)
    draws = race_draws(config, info.n_classes, device)
    total = config.total_steps(len(train_split))
    frames, running, since = [], torch.zeros(len(models), device=device), 0
    started = time.perf_counter()

    def keep(step: int) -> None:
        frames.append(_frame(models, points, draws, step, (running / since).tolist() if since else None))
        if on_frame:
            on_frame(frames[-1])
        if progress:
            progress(len(frames), frame_count(config, total))

    keep(0)
    for step, losses in _train(config, train_split, models, optimizers, noise, cancel):
        running, since = running + losses, since + 1
        if step % config.every == 0 or step == total:
            keep(step)
            running, since = torch.zeros(len(models), device=device), 0
    meta = {
        "format": FORMAT,
        "config": _jsonable(asdict(config)),
        "models": config.labels(),
        "device": device.type,  # a replay (pause and poke) runs there: generators differ between devices
        "dataset": {"name": info.name, "class_names": info.class_names, "label_name": info.label_name},
        "seconds": round(time.perf_counter() - started, 1),
    }
    return _recording(frames, test_split.labels[indices].cpu(), indices, meta), models


def race_draws(config: RaceConfig, n_classes: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    """The N(0, I) draws each frame decodes, and the class a conditional model decodes each as (draw i: class i mod
    the classes; an unconditional model ignores it)."""
    draws = torch.randn(config.samples, config.latent_dim, generator=torch.Generator().manual_seed(config.seed))
    return draws.to(device), (torch.arange(config.samples) % max(n_classes, 1)).to(device)


def race_indices(config: RaceConfig, n_test: int) -> torch.Tensor:
    """Which of the ``n_test`` test images a race's frames hold the codes of (fixed by its seed)."""
    return torch.randperm(n_test, generator=torch.Generator().manual_seed(config.seed))[: config.points]


def frame_count(config: RaceConfig, total_steps: int) -> int:
    """How many frames a race of ``total_steps`` keeps: before the first step, every ``every``, after the last."""
    return total_steps // config.every + 1 + (total_steps % config.every != 0)


def _train(config: RaceConfig, train_split, models, optimizers, noise, cancel=None):
    """Train every model on the same batches in the same order; yield (the step just taken, each model's loss on
    its batch, still on the device: nothing waits for it)."""
    device = train_split.images.device
    order_generator = torch.Generator(device).manual_seed(config.seed)
    per_epoch, step = math.ceil(len(train_split) / config.batch_size), 0
    for _ in range(config.epochs):
        order = torch.randperm(len(train_split), generator=order_generator, device=device)
        for i in range(per_epoch):
            if cancel is not None and cancel.is_set():
                raise RaceCancelled(f"race cancelled at step {step}; nothing was written")
            batch = order[i * config.batch_size : (i + 1) * config.batch_size]
            x, y = train_split.images[batch], train_split.labels[batch]
            losses = []
            for m, (model, optimizer) in enumerate(zip(models, optimizers)):
                model.train()
                out = model.loss(x, y, generator=noise[m])  # y: the class, for a conditional model
                optimizer.zero_grad(set_to_none=True)
                out["loss"].backward()
                optimizer.step()
                losses.append(out["loss"].detach())
            step += 1
            yield step, torch.stack(losses)


def replay(config: RaceConfig, model: int, step: int, data_dir=None, device: str = "cpu", train_split=None):
    """The race's ``model``-th model as it was at ``step``, trained again alone from the race's seed: the models of
    a race share nothing but their batches (each is built after seeding, and draws its noise from a generator of
    its own), so alone it learns exactly as it did beside the others, on the device the race trained on.
    ``train_split``: the race's training images, if already at hand (else read from ``data_dir``)."""
    alone = RaceConfig(**{**asdict(config), "kinds": (config.kinds[model],), "betas": (config.betas[model],)})
    device = resolve_device(device)
    if train_split is None:
        train_split, _, _ = load_dataset(config.dataset, data_dir, download=False)
    train_split = train_split.subset(config.train_subset).to(device)
    whole_number(step, 0, alone.total_steps(len(train_split)), "step")
    models, optimizers, noise = _start(alone, device)
    if step > 0:
        for taken, _ in _train(alone, train_split, models, optimizers, noise):
            if taken == step:
                break
    return models[0].eval()


_SEEDING = threading.Lock()  # a replay (in a request thread) and a race starting (in the training thread) seed alike


def _start(config: RaceConfig, device: torch.device) -> tuple[list, list, list]:
    """(the models, each built from the same seed as far as its kind allows; their optimizers; their noise's
    generators, seeded alike). The seeding and building hold a lock, and leave torch's global generator as it was."""
    models = []
    for model_config in config.model_configs():
        with _SEEDING, torch.random.fork_rng(devices=[]):
            seed_everything(config.seed)
            models.append(build_model(model_config).to(device))
    optimizers = [torch.optim.Adam(m.parameters(), lr=config.lr) for m in models]
    return models, optimizers, [torch.Generator(device).manual_seed(config.seed + 1) for _ in models]


def _recording(frames: list[dict], labels: torch.Tensor, indices: torch.Tensor, meta: dict) -> Recording:
    return Recording(
        codes=torch.stack([f["codes"] for f in frames]),
        samples=torch.stack([f["samples"] for f in frames]),
        steps=[f["step"] for f in frames],
        losses=[f["losses"] for f in frames],
        labels=labels,
        indices=indices,
        meta=meta,
    )


@torch.no_grad()
def _frame(models, points, draws, step: int, losses) -> dict:
    """What every model has learned at ``step``: codes of ``points`` (images, labels) (M, N, k), decoded ``draws``
    (codes, classes) (M, S, C, H, W)."""
    codes, samples = [], []
    for model in models:
        model.eval()
        codes.append(model.encode(*points).float().cpu())
        samples.append(model.decode(*draws).clamp(0, 1).mul(255).round().to(torch.uint8).cpu())
    nan = [float("nan")] * len(models)
    return {"codes": torch.stack(codes), "samples": torch.stack(samples), "step": step, "losses": losses or nan}


def encode_points(model, recording: Recording, data_dir=None) -> torch.Tensor:
    """The codes ``model`` gives the recording's test images now (N, k): what a frame holds for it."""
    _, test_split, _ = load_dataset(recording.meta["config"]["dataset"], data_dir, with_train=False)
    device = next(model.parameters()).device
    with torch.no_grad():
        model.eval()
        points = test_split.images[recording.indices].to(device), test_split.labels[recording.indices].to(device)
        return model.encode(*points).float().cpu()


def save_race(recording: Recording, folder: str | Path, overwrite: bool = False) -> Path:
    """Write ``recording`` into ``folder`` (the frames first, race.json last); a recording already there is
    replaced only when ``overwrite``."""
    folder = Path(folder)
    if (folder / RACE_FILE).exists() and not overwrite:
        raise CheckpointExistsError(f"{folder} holds a race already; record under another --name, or pass --overwrite")
    tensors = {
        "codes": recording.codes.contiguous(),
        "samples": recording.samples.contiguous(),
        "labels": recording.labels.to(torch.int64).contiguous(),
        "indices": recording.indices.to(torch.int64).contiguous(),
    }
    write_atomic(folder / FRAMES_FILE, st_save(tensors))
    meta = {
        **recording.meta,
        "steps": recording.steps,
        "losses": [[_finite(v) for v in row] for row in recording.losses],
    }
    write_atomic(folder / RACE_FILE, json.dumps(meta, indent=1, allow_nan=False).encode())
    return folder


def load_race(folder: str | Path) -> Recording:
    """The recording in ``folder``, checked; a ``ValueError`` names the file and what to do."""
    folder = Path(folder)
    try:
        meta = json.loads((folder / RACE_FILE).read_text())
        tensors = st_load((folder / FRAMES_FILE).read_bytes())
    except (OSError, ValueError, UnicodeDecodeError, SafetensorError) as error:
        raise ValueError(
            f"{folder}: not a readable race ({error}); record it again with python -m training race"
        ) from None
    try:
        if meta.get("format") != FORMAT:
            raise ValueError(f"format is {meta.get('format')!r}, not {FORMAT!r}")
        config = RaceConfig(**meta["config"])
        codes, samples, labels = tensors["codes"], tensors["samples"], tensors["labels"]
        frames, models, n, k = codes.shape
        if not 1 <= frames <= MAX_FRAMES or models != len(config.kinds) or k != config.latent_dim or n > MAX_POINTS:
            raise ValueError(f"codes of shape {tuple(codes.shape)} do not fit the race's config")
        if samples.shape[:2] != (frames, models) or samples.dtype != torch.uint8 or labels.shape != (n,):
            raise ValueError("the samples or labels do not fit the codes")
        if len(meta["steps"]) != frames or len(meta["losses"]) != frames or not torch.isfinite(codes).all():
            raise ValueError("steps, losses or codes do not fit the frames (or codes are not finite)")
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{folder}: a damaged race ({error}); {AGAIN}") from None
    losses = [[float("nan") if v is None else v for v in row] for row in meta["losses"]]
    return Recording(codes, samples, meta["steps"], losses, labels, tensors["indices"], meta)


def race_folders(root: str | Path) -> list[Path]:
    """Every folder under ``root`` holding a race."""
    root = Path(root)
    return sorted(p.parent for p in root.glob(f"*/{RACE_FILE}")) if root.is_dir() else []


def _finite(value: float):
    return value if math.isfinite(value) else None


def _jsonable(values: dict) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}
