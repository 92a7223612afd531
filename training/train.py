"""``train(config) -> Checkpoint``: the one training entry point used by the CLI, the zoo, the app and
the tests. Data sits on the training device as whole tensors; batches are index slices of a seeded
permutation, so an epoch costs only the model's arithmetic.
"""

from __future__ import annotations

import math
import platform
import random
import re
import time
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from .checkpoint import Checkpoint, save_checkpoint
from .checks import folder_name, one_of, real_number, whole_number
from .cuda_graphs import MATMULS, GraphedStep, capturable, matmul_precision
from .data import DATASETS, load_dataset
from .evaluate import evaluate, latent_views
from .models import PCA, VAE, ModelConfig, build_model
from .objectives import kl_weight

MAX_STEPS = 1 << 30  # epochs, batch size, subsets, cycles: anything larger is a typo
MAX_PARAMETERS = 500_000_000  # 2 GB of float32 weights (and again for gradients and each Adam moment)


@dataclass
class TrainConfig:
    """A training run: the dataset, the model to train (a :class:`ModelConfig`: its image shape and classes are the
    dataset's), and how to train it. Every field is checked when the config is made (a ``ValueError`` names it)."""

    dataset: str = "mnist"  # a name of training.data.DATASETS
    model: ModelConfig = field(default_factory=ModelConfig)
    kl_schedule: str = "constant"  # constant | linear | cyclical
    warmup_epochs: float = 0.0  # linear schedule: epochs to reach full KL weight
    kl_cycles: int = 4  # cyclical schedule: number of cycles
    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-3
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda
    train_subset: int | None = None  # first N training images (tests, quick looks)
    test_subset: int | None = None
    iw_samples: int = 0  # importance samples for the IW bound (0: skip)
    augment: str = "none"  # none | hflip (mirror a random half of each batch; for faces)
    umap: bool = True  # compute the UMAP view of latents when latent_dim > 2
    weight_dtype: str = "float32"  # float32 | float16 (the committed zoo uses float16)
    matmul: str = "float32"  # float32 | tf32 (CUDA matmuls in TensorFloat-32: faster, ~1e-3 relative error)
    cuda_graphs: bool = True  # on a CUDA device, the batched sweep's step replayed as one captured CUDA graph
    name: str | None = None  # checkpoint folder name; default "<dataset>-<kind>-z<k>"

    def __post_init__(self):
        """Check every field, so the CLI and ``train(config)`` refuse bad values before any work is done; the
        model's image shape and number of classes are set from the dataset."""
        one_of(self.dataset, tuple(DATASETS), "dataset")
        if isinstance(self.model, dict):
            self.model = ModelConfig(**self.model)
        if not isinstance(self.model, ModelConfig):
            raise ValueError(f"model must be a ModelConfig, got {self.model!r}")
        info = DATASETS[self.dataset]
        n_classes = info.n_classes if self.model.kind == "cvae" else 0
        if self.model.kind == "cvae" and not n_classes:
            raise ValueError(f"a conditional VAE needs labels that are classes; {self.dataset}'s are not")
        self.model = replace(self.model, image_shape=info.image_shape, n_classes=n_classes)
        for name in ("epochs", "batch_size", "kl_cycles"):
            whole_number(getattr(self, name), 1, MAX_STEPS, name)
        for name in ("train_subset", "test_subset"):
            if getattr(self, name) is not None:
                whole_number(getattr(self, name), 1, MAX_STEPS, name)
        whole_number(self.iw_samples, 0, 100_000, "iw_samples")
        whole_number(self.seed, 0, 2**32 - 1, "seed")  # numpy's limit
        self.lr = real_number(self.lr, 0.0, what="lr", above=True)
        self.warmup_epochs = real_number(self.warmup_epochs, 0.0, what="warmup_epochs")
        one_of(self.weight_dtype, ("float32", "float16"), "weight_dtype")
        one_of(self.matmul, MATMULS, "matmul")
        one_of(self.augment, ("none", "hflip"), "augment")
        kl_weight(self.kl_schedule, 0, 1)  # raises on an unknown schedule
        for name in ("umap", "cuda_graphs"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")
        if not isinstance(self.device, str) or not re.fullmatch(r"auto|cpu|mps|cuda(:\d+)?", self.device):
            raise ValueError(f"unknown device {self.device!r}; use auto, cpu or cuda (cuda:1 for a second GPU)")
        if self.name is not None:
            folder_name(self.name, "name")
        with torch.device("meta"):  # counts parameters without allocating them
            parameters = sum(p.numel() for p in build_model(self.model).state_dict().values())
        if parameters > MAX_PARAMETERS:
            raise ValueError(
                f"this model would have {parameters:.3g} parameters, more than {MAX_PARAMETERS:.3g}; "
                "lower --hidden-dim or --latent-dim"
            )

    @property
    def run_name(self) -> str:
        return self.name or f"{self.dataset}-{self.model.kind}-z{self.model.latent_dim}"

    @classmethod
    def from_record(cls, record: dict) -> TrainConfig:
        """The config a checkpoint's ``train`` record holds; records before the model was a config of its own
        held its fields beside the others (``model`` was the kind)."""
        record = dict(record)
        if not isinstance(record.get("model"), dict):
            model_fields = {f.name for f in fields(ModelConfig)} - {"kind"}
            model = {k: record.pop(k) for k in list(record) if k in model_fields}
            record["model"] = {"kind": record.pop("model", "vae"), **model}
        return cls(**record)


class CheckpointExistsError(ValueError):
    """The folder a run would write holds a checkpoint already; nothing was trained or written."""


def refuse_existing(folder: Path, flag: str = "--overwrite") -> None:
    """Raise :class:`CheckpointExistsError` if ``folder`` holds a checkpoint (or a sweep's summary)."""
    if (folder / "checkpoint.json").exists() or (folder / "sweep.json").exists():
        raise CheckpointExistsError(
            f"{folder} holds a checkpoint already (the committed zoo is read-only); train "
            f"under another --name or --out-dir, or pass {flag} to replace it"
        )


def seconds_taken(seconds: float) -> float:
    """A duration for the record: 3 significant digits, so a short run is never rounded to 0."""
    return float(f"{seconds:.3g}")


class NonFiniteLossError(RuntimeError):
    """Training diverged: a loss or a test metric became NaN or infinite. Nothing is saved."""


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--device cuda was asked for but no CUDA GPU is available; use --device auto or cpu")
    return torch.device(device)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def train(
    config: TrainConfig,
    out_dir: str | Path | None = "checkpoints",
    data_dir=None,
    download: bool | None = None,
    progress: bool = True,
    overwrite: bool = False,
) -> Checkpoint:
    """Train ``config``, evaluate on the test split and (unless ``out_dir`` is None) save
    ``out_dir/<run_name>``. Returns the checkpoint, model on the training device in eval mode.

    A checkpoint already in ``out_dir/<run_name>`` (the committed zoo's, say) is never replaced unless
    ``overwrite``: :class:`CheckpointExistsError` before any work is done. A loss or test metric that becomes
    NaN or infinite stops the run with :class:`NonFiniteLossError` before anything is written (an earlier
    checkpoint of the same name is left as it was)."""
    if out_dir is not None and not overwrite:
        refuse_existing(Path(out_dir) / config.run_name)
    seed_everything(config.seed)
    device = resolve_device(config.device)
    train_split, test_split, info = load_dataset(config.dataset, data_dir, download)
    train_split = train_split.subset(config.train_subset).to(device)
    test_split = test_split.subset(config.test_subset).to(device)
    model = build_model(config.model).to(device)

    started = time.perf_counter()
    with matmul_precision(config.matmul):
        if isinstance(model, PCA):
            model.fit(train_split.images)
            curves = {}
        else:
            curves = _fit(model, config, train_split, test_split, device, progress)
    seconds = time.perf_counter() - started

    checkpoint = finished_checkpoint(
        model, config, info, len(train_split), test_split, curves, seconds, device, out_dir
    )
    if out_dir is not None:
        save_checkpoint(
            checkpoint.path, model, checkpoint.meta, checkpoint.latents, getattr(torch, config.weight_dtype)
        )
    return checkpoint


def finished_checkpoint(
    model,
    config: TrainConfig,
    info,
    n_train: int,
    test_split,
    curves: dict,
    seconds: float,
    device: torch.device,
    out_dir: str | Path | None,
    evaluated: tuple[dict, torch.Tensor] | None = None,
) -> Checkpoint:
    """The checkpoint ``train`` saves for a trained ``model``, built but not written (``train`` and the sweep
    write it with :func:`save_checkpoint`): weights rounded to float16 when ``config`` asks for it, so the
    metrics describe what is saved; the test metrics and codes (N, k) (``evaluated``, when the caller has them:
    the sweep evaluates its models together) with their 2-D views; the record. A non-finite metric or code raises
    :class:`NonFiniteLossError`."""
    model.eval()
    if config.weight_dtype == "float16":  # evaluate exactly what is saved
        with torch.no_grad():
            for tensor in model.state_dict().values():
                if tensor.is_floating_point():
                    tensor.copy_(tensor.half().float())
    metrics, z = evaluated or evaluate(
        model, test_split, iw_samples=config.iw_samples if isinstance(model, VAE) else 0, seed=config.seed
    )
    z = z.cpu()
    bad = [k for k, v in metrics.items() if not all(map(math.isfinite, v if isinstance(v, list) else [v]))]
    if bad or not torch.isfinite(z).all():
        raise _diverged(f"the trained model gives non-finite {', '.join(bad) or 'codes'} on the test set", config)
    latents = {
        "z": z.float(),
        "labels": test_split.labels.cpu(),
        **latent_views(z, seed=config.seed, use_umap=config.umap),
    }
    meta = {
        "name": config.run_name,
        "train": asdict(config),
        "dataset": {
            "name": info.name,
            "label_name": info.label_name,
            "class_names": info.class_names,
            "n_train": n_train,
            "n_test": len(test_split),
        },
        "metrics": metrics,
        "curves": curves,
        "training_seconds": seconds_taken(seconds),
        "device": _device_name(device),
        "versions": {"torch": torch.__version__, "python": platform.python_version(), "numpy": np.__version__},
    }
    return Checkpoint(Path(out_dir or ".") / config.run_name, meta, model, latents)


class _KLWeight:
    """The KL weight of the current step: the number an eager step uses (as before), and a 0-d tensor refilled
    with it, which a captured CUDA graph reads (a number would be captured once, as a constant)."""

    def __init__(self, device: torch.device):
        self.value, self.tensor = 1.0, torch.ones((), device=device)

    def set(self, value: float) -> None:
        if value != self.value:
            self.value = value
            self.tensor.fill_(value)

    def now(self, device: torch.device):
        capturing = device.type == "cuda" and torch.cuda.is_current_stream_capturing()
        return self.tensor if capturing else self.value


def _training_step(model, config: TrainConfig, train_split, generator, keys, device):
    """(``step(batch)``: one optimizer step on the training images ``batch`` (B,) picks, returning [loss, recon
    (, kl)] per-image means, replayed as a CUDA graph on a CUDA device (:mod:`training.cuda_graphs`); the
    :class:`_KLWeight` the caller sets before each step). A conditional model's step checks its labels on the
    CPU, which a graph cannot hold: it runs eagerly."""
    graphs = capturable(device, config.cuda_graphs and not model.conditional)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, fused=True, **graphs)  # fused: ~15% faster
    weight = _KLWeight(device)
    images, labels = train_split.images, train_split.labels

    def step(batch: torch.Tensor) -> torch.Tensor:
        x, y = images[batch], labels[batch] if model.conditional else None
        if config.augment == "hflip":
            mirror = torch.rand(len(x), generator=generator, device=device) < 0.5
            x = torch.where(mirror[:, None, None, None], x.flip(-1), x)
        out = model.loss(x, y, kl_weight=weight.now(device), generator=generator)
        optimizer.zero_grad(set_to_none=True)
        out["loss"].backward()
        optimizer.step()
        return torch.stack([out[k].detach() for k in keys])

    shape = (min(config.batch_size, len(train_split)),)
    return GraphedStep(step, shape, device, [generator], enabled=bool(graphs)), weight


def _fit(model, config: TrainConfig, train_split, test_split, device, progress: bool) -> dict:
    generator = torch.Generator(device).manual_seed(config.seed)
    n = len(train_split)
    steps_per_epoch = math.ceil(n / config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    warmup_steps = int(config.warmup_epochs * steps_per_epoch)
    keys = ("loss", "recon", "kl") if isinstance(model, VAE) else ("loss", "recon")
    curves = {f"{split}_{k}": [] for split in ("train", "test") for k in keys}
    curves["kl_weight"] = []
    train_step, weight_now = _training_step(model, config, train_split, generator, keys, device)
    step = 0
    bar = tqdm(total=total_steps, disable=not progress, desc=config.run_name, unit="step", mininterval=0.5)
    try:
        for epoch in range(1, config.epochs + 1):
            model.train()
            order = torch.randperm(n, generator=generator, device=device)
            sums = torch.zeros(len(keys), device=device)
            losses = torch.empty(steps_per_epoch, device=device)  # checked once per epoch: no sync per step
            weight = 1.0
            for i in range(steps_per_epoch):
                batch = order[i * config.batch_size : (i + 1) * config.batch_size]
                weight = kl_weight(config.kl_schedule, step, total_steps, warmup_steps, config.kl_cycles)
                weight_now.set(weight)
                values = train_step(batch)
                losses[i] = values[0]
                sums += values * len(batch)
                step += 1
                bar.update()
                if step % 50 == 0 and progress:
                    bar.set_postfix({k: f"{v:.2f}" for k, v in zip(keys, values.tolist())} | {"kl_w": f"{weight:.2f}"})
            bad = (~torch.isfinite(losses)).nonzero()
            if len(bad):
                i = int(bad[0])
                raise _diverged(
                    f"loss became {losses[i].item()} at epoch {epoch} step {i + 1} of {steps_per_epoch}", config
                )
            for k, total in zip(keys, (sums / n).tolist()):
                curves[f"train_{k}"].append(total)
            for k, value in _test_losses(model, test_split, keys, config.seed).items():
                if not math.isfinite(value):
                    raise _diverged(f"test {k} became {value} after epoch {epoch}", config)
                curves[f"test_{k}"].append(value)
            curves["kl_weight"].append(weight)
    finally:  # a diverged run raises: the bar is closed either way
        bar.close()
    return curves


@torch.no_grad()
def _test_losses(model, test_split, keys, seed: int, batch_size: int = 1000) -> dict:
    """Per-image test losses with beta = 1 (the negative ELBO for a VAE), at a fixed seed."""
    model.eval()
    generator = torch.Generator(test_split.images.device).manual_seed(seed)
    sums = dict.fromkeys(keys, 0.0)
    for i in range(0, len(test_split), batch_size):
        x, y = (
            test_split.images[i : i + batch_size],
            test_split.labels[i : i + batch_size] if model.conditional else None,
        )
        out = model.loss(x, y, generator=generator)
        if "kl" in out:
            out["loss"] = out["recon"] + out["kl"]
        for k in keys:
            sums[k] += float(out[k]) * len(x)
    return {k: v / len(test_split) for k, v in sums.items()}


def _diverged(what: str, config: TrainConfig) -> NonFiniteLossError:
    return NonFiniteLossError(
        f"training diverged: {what}; nothing was saved. Lower --lr (now {config.lr:g}) and train again"
    )


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"
