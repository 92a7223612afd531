"""M MLP VAEs (``backbone="mlp"``: D -> H -> 2k encoder, k -> H -> D decoder) as one batched computation,
and :func:`fit`, the loop that trains them as ``train`` trains one (the contract: :mod:`training.sweep`).

The M nets are stacked along a leading model axis and run as four ``baddbmm`` calls per pass, so one
forward, one backward and one optimizer step train them all. The loss is the VAE's own, one definition
(:func:`training.objectives.negative_elbo`, which :meth:`training.models.VAE.loss` calls too): per-image means of
recon + kl_weight * beta * KL, one value per model; the noise enters q(z|x) through its one reparameterisation.

Why written-out batched matmuls rather than ``torch.func`` (``stack_module_state`` + ``functional_call``
+ ``vmap``): vmap needs every model to have the same shapes, so models of different latent sizes need the
padding below either way; and each model's reparameterisation noise must come from its own
``torch.Generator`` (that is what makes it train as ``train()`` would), which vmap's randomness modes do
not take. Written out, the net is a page of plain tensor code whose shapes can be read off, and ``baddbmm``
over the model axis runs about as fast per model as separate ``addmm`` calls on a 2-core CPU, while the
per-model Python, autograd, data and optimizer overhead goes (on a GPU, the launches: one per layer, not M).

Layout (M models; latent sizes k_m padded to K = max k_m; hidden size H; D pixels). Weights are stored
transposed, (M, in, out), so ``baddbmm(bias, x, weight)`` needs no transposed view and the backward pass
writes their gradients in place (with ``nn.Linear``'s (out, in) layout, bmm's backward copies each one):

    encoder.net.1  weight (M, D, H)   bias (M, H)
    encoder.net.3  weight (M, H, 2K)  bias (M, 2K)   outputs [0, k_m): mu; [K, K + k_m): logvar; others 0
    decoder.net.0  weight (M, K, H)   bias (M, H)    inputs [0, k_m) used; others 0
    decoder.net.2  weight (M, H, D)   bias (M, D)

Padding: mu and logvar are multiplied by the mask (M, K) (1 for a model's own dimensions, 0 beyond) and
the noise is 0 in padded dimensions, so a padded dimension has z = 0 and KL = 0 exactly, adds nothing to
the decoder's input, and every padded weight gets a gradient of exactly 0 (so Adam leaves it at 0).
"""

from __future__ import annotations

import math
import time

import torch

from .cuda_graphs import GraphedStep, capturable
from .models import VAE
from .objectives import DiagonalGaussian, active_units, negative_elbo, reconstruction_nll
from .train import NonFiniteLossError, TrainConfig, _device_name

KEYS = ("loss", "recon", "kl")
ENCODER_IN, ENCODER_OUT, DECODER_IN, DECODER_OUT = "encoder.net.1", "encoder.net.3", "decoder.net.0", "decoder.net.2"


class SweepCancelled(RuntimeError):
    """The sweep was cancelled through its ``cancel`` event; nothing was written."""


class StackedVAE:
    """The MLP VAEs ``models`` as stacked leaf tensors on ``device`` (``params``, layout above), with
    ``latent_dims`` (M,) ints, ``mask`` (M, K) and ``beta`` (M,). The models must share the image shape,
    hidden size and likelihood; they are copied, not referenced."""

    def __init__(self, models: list[VAE], device: torch.device | str = "cpu"):
        first = models[0].config
        if any(type(m) is not VAE or m.config.backbone != "mlp" for m in models):  # not a subclass: a conditional
            raise ValueError("a stacked sweep trains unconditional MLP VAEs only (backbone='mlp')")  # VAE needs y
        shared = ("image_shape", "hidden_dim", "likelihood", "gaussian_sigma")
        if any(getattr(m.config, f) != getattr(first, f) for m in models for f in shared):
            raise ValueError(f"stacked models must share {', '.join(shared)}")
        self.image_shape, self.likelihood, self.sigma = first.image_shape, first.likelihood, first.gaussian_sigma
        self.latent_dims = [m.latent_dim for m in models]
        K = self.max_latent_dim = max(self.latent_dims)
        states = [m.state_dict() for m in models]
        stacked = {}
        for name, tensor in states[0].items():
            shape = list(tensor.shape)  # nn.Linear's (out, in) and (out,)
            if name.startswith(ENCODER_OUT):
                shape[0] = 2 * K
            elif name == f"{DECODER_IN}.weight":
                shape[1] = K
            stacked[name] = torch.zeros(len(models), *shape[::-1])
        for m, (state, k) in enumerate(zip(states, self.latent_dims)):
            for name, tensor in state.items():
                _put(_linear_layout(stacked[name]), name, m, k, tensor)
        self.params = {name: t.to(device).requires_grad_() for name, t in stacked.items()}
        dims = torch.arange(K)
        self.mask = (dims[None, :] < torch.tensor(self.latent_dims)[:, None]).float().to(device)  # (M, K)
        self.beta = torch.tensor([m.config.beta for m in models], dtype=torch.float32, device=device)  # (M,)

    def __len__(self) -> int:
        return len(self.latent_dims)

    def parameters(self) -> list[torch.Tensor]:
        return list(self.params.values())

    @torch.no_grad()
    def copy_to(self, m: int, model: VAE) -> VAE:
        """Write model ``m``'s weights (its own k dimensions, unpadded) into ``model`` and return it."""
        for name, tensor in model.state_dict().items():
            tensor.copy_(_take(_linear_layout(self.params[name].detach()), name, m, self.latent_dims[m]))
        return model

    def loss(self, x: torch.Tensor, noise: torch.Tensor, kl_weight: float = 1.0) -> dict[str, torch.Tensor]:
        """Per-model, per-image means for images x (M, B, C, H, W) (or (B, C, H, W), shared by every model)
        and reparameterisation noise (M, B, K), 0 beyond each model's k: {'loss', 'recon', 'kl'} each (M,),
        loss = recon + kl_weight * beta * KL, and 'kl_per_dim' (M, K). Sum 'loss' to train them all: each
        model's parameters get the gradient of its own loss."""
        q, flat = self.posterior(x)
        logits = self.decode_logits(q.reparameterise(noise))
        return negative_elbo(logits, flat, q, self.beta, kl_weight, self.likelihood, self.sigma)

    def posterior(self, x: torch.Tensor) -> tuple[DiagonalGaussian, torch.Tensor]:
        """(every model's q(z|x) for images x (M, B, C, H, W) or (B, C, H, W): (M, B, K), exactly 0 beyond each
        model's k; the images flattened, (M, B, D))."""
        p, M = self.params, len(self)
        flat = x.flatten(-3).expand(M, -1, -1)  # (M, B, D)
        h = torch.relu(torch.baddbmm(p[f"{ENCODER_IN}.bias"][:, None], flat, p[f"{ENCODER_IN}.weight"]))
        mu, logvar = torch.baddbmm(p[f"{ENCODER_OUT}.bias"][:, None], h, p[f"{ENCODER_OUT}.weight"]).chunk(2, -1)
        mask = self.mask[:, None]  # (M, 1, K)
        return DiagonalGaussian(mu * mask, logvar * mask), flat

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """Every model's decoder logits for codes z (M, B, K): (M, B, D)."""
        p = self.params
        h = torch.relu(torch.baddbmm(p[f"{DECODER_IN}.bias"][:, None], z, p[f"{DECODER_IN}.weight"]))
        return torch.baddbmm(p[f"{DECODER_OUT}.bias"][:, None], h, p[f"{DECODER_OUT}.weight"])

    @torch.no_grad()
    def round_to_half(self) -> None:
        """Round every weight to float16 and back, in place: what a checkpoint saved in float16 holds."""
        for tensor in self.params.values():
            tensor.copy_(tensor.half().float())


def _linear_layout(stacked: torch.Tensor) -> torch.Tensor:
    """A view of a stacked tensor in ``nn.Linear``'s layout: weights (M, out, in), biases (M, out)."""
    return stacked.mT if stacked.dim() == 3 else stacked


def _put(stacked: torch.Tensor, name: str, m: int, k: int, tensor: torch.Tensor) -> None:
    """Copy one model's ``tensor`` (latent size ``k``) into slot ``m`` of the ``stacked`` tensor ``name``."""
    if name.startswith(ENCODER_OUT):  # mu rows, then logvar rows: VAE.posterior's chunk(2)
        K = stacked.shape[1] // 2
        stacked[m, :k], stacked[m, K : K + k] = tensor[:k], tensor[k:]
    elif name == f"{DECODER_IN}.weight":
        stacked[m, :, :k] = tensor
    else:
        stacked[m] = tensor


def _take(stacked: torch.Tensor, name: str, m: int, k: int) -> torch.Tensor:
    """Model ``m``'s tensor ``name`` (latent size ``k``) out of ``stacked``: the inverse of :func:`_put`."""
    if name.startswith(ENCODER_OUT):
        K = stacked.shape[1] // 2
        return torch.cat([stacked[m, :k], stacked[m, K : K + k]])
    if name == f"{DECODER_IN}.weight":
        return stacked[m, :, :k]
    return stacked[m]


def fit(
    stack: StackedVAE,
    runs: list[TrainConfig],
    train_split,
    test_split,
    device,
    emit,
    cancel,
    report_seconds: float,
    started: float,
) -> tuple[list[dict], dict[int, str]]:
    """Train ``stack`` (the models of ``runs``, in order) as ``train``'s ``_fit`` trains each alone: constant
    KL weight, no augmentation, the data already on ``device``. Sends "start", "train" and "epoch" events to
    ``emit`` (layouts in :mod:`training.sweep`); raises :class:`SweepCancelled` once ``cancel.is_set()``.
    Returns each model's curves (``train``'s keys) and {model index: why it diverged}."""
    run, names = runs[0], [r.run_name for r in runs]
    steps = Steps(stack, run, train_split, device)
    curves = [{f"{split}_{k}": [] for split in ("train", "test") for k in KEYS} | {"kl_weight": []} for _ in runs]
    diverged: dict[int, str] = {}
    emit(
        {
            "event": "start",
            "steps": steps.per_epoch * run.epochs,
            "steps_per_epoch": steps.per_epoch,
            "epochs": run.epochs,
            "device": _device_name(device),
            "models": [{"name": r.run_name, "beta": r.model.beta, "latent_dim": r.model.latent_dim} for r in runs],
        }
    )
    report = Reports(names, steps.per_epoch, report_seconds, started, emit, device)
    with steps:
        for epoch in range(1, run.epochs + 1):
            _epoch(steps, stack, runs, names, curves, diverged, epoch, train_split, test_split, emit, cancel, report)
    return curves, diverged


def _epoch(steps, stack, runs, names, curves, diverged, epoch, train_split, test_split, emit, cancel, report) -> None:
    """One epoch of :func:`fit`: its steps, its test losses, its "epoch" event."""
    run, started = runs[0], report.started
    sums, losses = steps.epoch(cancel, report)
    test = _test_losses(stack, steps.generators, steps.groups, steps.group_of_model, test_split, run.seed, cancel)
    _record_epoch(curves, diverged, epoch, sums / len(train_split), losses, test, run.lr)
    emit(
        {
            "event": "epoch",
            "epoch": epoch,
            "step": steps.done,
            "seconds": time.perf_counter() - started,
            "cuda_graphs": steps.graphed,  # whether the steps were replayed as a CUDA graph
            "models": [
                {"name": name, "diverged": diverged[m]}
                if m in diverged
                else {"name": name, **{k: v[-1] for k, v in curves[m].items() if k != "kl_weight"}}
                for m, name in enumerate(names)
            ],
        }
    )
    if len(diverged) == len(runs):
        raise NonFiniteLossError(f"every model of the sweep diverged; nothing was saved. {diverged[0]}")


class Steps:
    """The training steps of one sweep: each model's batches and noise from its latent size's generator (see the
    module docstring), one fused Adam over the stacked tensors. On a CUDA device (unless ``run.cuda_graphs`` is
    False) a full batch's step is replayed as one captured CUDA graph (:class:`training.cuda_graphs.GraphedStep`;
    ``graphed`` says whether it is)."""

    def __init__(self, stack: StackedVAE, run: TrainConfig, train_split, device):
        self.stack, self.images, self.batch_size = stack, train_split.images, run.batch_size
        self.groups = sorted(set(stack.latent_dims))  # one generator per latent size
        self.group_of_model = torch.tensor([self.groups.index(k) for k in stack.latent_dims], device=device)  # (M,)
        self.generators = [torch.Generator(device).manual_seed(run.seed) for _ in self.groups]
        options = capturable(device, run.cuda_graphs)
        self.optimizer = torch.optim.Adam(stack.parameters(), lr=run.lr, fused=True, **options)
        self.n, self.per_epoch, self.done = len(train_split), math.ceil(len(train_split) / run.batch_size), 0
        shape = (len(stack), min(run.batch_size, self.n))
        self.graphed_step = GraphedStep(self.eager_step, shape, device, self.generators, bool(options))

    def __enter__(self) -> Steps:
        return self

    def __exit__(self, *exc) -> None:
        """Drop the captured graph (its memory pool) as training ends: the graph refers to this object's step,
        and this object to the graph, a cycle only the garbage collector would otherwise break."""
        self.graphed_step.graph = self.graphed_step.step = None

    @property
    def graphed(self) -> bool:
        return self.graphed_step.graphed

    def epoch(self, cancel, report) -> tuple[torch.Tensor, torch.Tensor]:
        """One epoch: (per-model sums of [loss, recon, kl] over its images (M, 3), each step's losses (S, M))."""
        device, count = self.images.device, len(self.stack)
        orders = torch.stack([torch.randperm(self.n, generator=g, device=device) for g in self.generators])  # (G, n)
        sums = torch.zeros(count, len(KEYS), device=device)
        losses = torch.empty(self.per_epoch, count, device=device)  # checked once per epoch: no sync per step
        for i in range(self.per_epoch):
            check_cancel(cancel, f"at step {self.done + 1}")
            index = orders[:, i * self.batch_size : (i + 1) * self.batch_size][self.group_of_model]  # (M, B)
            values = self.step(index)
            losses[i] = values[:, 0]
            sums += values * index.shape[1]
            self.done += 1
            report.step(values, self.done)
        return sums, losses

    def step(self, index: torch.Tensor) -> torch.Tensor:
        """One optimizer step on the images ``index`` (M, B) picks for each model: its [loss, recon, kl] (M, 3)."""
        return self.graphed_step(index)

    def eager_step(self, index: torch.Tensor) -> torch.Tensor:
        """:meth:`step`, run op by op (what a CUDA graph captures)."""
        stack = self.stack
        noise = _noise(self.generators, self.groups, self.group_of_model, index.shape[1], stack.max_latent_dim)
        out = stack.loss(self.images[index], noise)  # images (M, B, C, H, W)
        self.optimizer.zero_grad(set_to_none=True)
        out["loss"].sum().backward()  # each model's parameters get its own loss's gradient
        self.optimizer.step()
        return torch.stack([out[k].detach() for k in KEYS], 1)


class Reports:
    """Running means of the training losses, sent as a "train" event after the first step (so the page's curves
    start as soon as training does), then every ``seconds``."""

    def __init__(self, names, per_epoch: int, seconds: float, started: float, emit, device):
        self.names, self.per_epoch, self.seconds, self.started, self.emit = names, per_epoch, seconds, started, emit
        self.running, self.steps, self.last = torch.zeros(len(names), len(KEYS), device=device), 0, -math.inf

    def step(self, values: torch.Tensor, done: int) -> None:
        self.running += values
        self.steps += 1
        if time.perf_counter() - self.last < self.seconds:
            return
        means = (self.running / self.steps).tolist()
        self.emit(
            {
                "event": "train",
                "step": done,
                "epoch": done / self.per_epoch,
                "seconds": time.perf_counter() - self.started,
                "models": [json_finite({"name": name, **dict(zip(KEYS, row))}) for name, row in zip(self.names, means)],
            }
        )
        self.running.zero_()
        self.steps, self.last = 0, time.perf_counter()


def _record_epoch(
    curves, diverged: dict, epoch: int, train_means: torch.Tensor, losses: torch.Tensor, test, lr: float
) -> None:
    """Each model's epoch in its curves, or why it diverged (a non-finite step or test loss)."""
    for m, (finite, train_row, test_row) in enumerate(
        zip(torch.isfinite(losses).all(0).tolist(), train_means.tolist(), test)
    ):
        if m in diverged:
            continue
        if not finite:
            i = int((~torch.isfinite(losses[:, m])).nonzero()[0])
            diverged[m] = (
                f"training diverged: loss became {losses[i, m].item()} at epoch {epoch} step {i + 1} of "
                f"{len(losses)}; nothing was saved. Lower --lr (now {lr:g})"
            )
        elif not all(map(math.isfinite, test_row)):
            diverged[m] = f"training diverged: test loss became {test_row[0]} after epoch {epoch}"
        else:
            for k, train_value, test_value in zip(KEYS, train_row, test_row):
                curves[m][f"train_{k}"].append(train_value)
                curves[m][f"test_{k}"].append(test_value)
            curves[m]["kl_weight"].append(1.0)


def _noise(generators, groups: list[int], group_of_model, batch: int, max_latent_dim: int) -> torch.Tensor:
    """Reparameterisation noise (M, B, K): for each latent size k, the (B, k) draw ``VAE.loss`` would make
    from that size's generator, 0 in the padded dimensions."""
    device = group_of_model.device
    noise = torch.zeros(len(groups), batch, max_latent_dim, device=device)
    for g, (generator, k) in enumerate(zip(generators, groups)):
        noise[g, :, :k] = torch.randn(batch, k, generator=generator, device=device)
    return noise[group_of_model]


@torch.no_grad()
def _test_losses(
    stack: StackedVAE, generators, groups, group_of_model, test_split, seed: int, cancel, batch_size: int = 1000
) -> list[list[float]]:
    """Per model, per-image test [loss, recon, kl] with beta = 1 (the negative ELBO), at a fixed seed: what
    ``train``'s ``_test_losses`` gives each model alone. The training generators are left as they are."""
    fresh = [torch.Generator(g.device).manual_seed(seed) for g in generators]
    sums = torch.zeros(len(stack), len(KEYS), dtype=torch.float64, device=group_of_model.device)
    for i in range(0, len(test_split), batch_size):
        check_cancel(cancel, "while testing")
        x = test_split.images[i : i + batch_size]
        out = stack.loss(x, _noise(fresh, groups, group_of_model, len(x), stack.max_latent_dim))
        sums += torch.stack([out["recon"] + out["kl"], out["recon"], out["kl"]], 1).double() * len(x)
    return (sums / len(test_split)).tolist()


@torch.no_grad()
def evaluate_all(stack: StackedVAE, test_split, seed: int, batch_size: int = 500) -> list[tuple[dict, torch.Tensor]]:
    """Each model's (metrics, test codes (N, k)) as :func:`training.evaluate.evaluate` gives them for that model
    alone (without the IW bound), in one pass over the test split for all M: a sampled z from a fresh generator
    per latent size seeded with ``seed`` (each model alone would draw the same), sums in float64."""
    device, (M, K), n = stack.mask.device, stack.mask.shape, len(test_split)
    groups = sorted(set(stack.latent_dims))
    group_of_model = torch.tensor([groups.index(k) for k in stack.latent_dims], device=device)
    fresh = [torch.Generator(device).manual_seed(seed) for _ in groups]
    sq, recon = torch.zeros(M, dtype=torch.float64, device=device), torch.zeros(M, dtype=torch.float64, device=device)
    kl_dims, codes = torch.zeros(M, K, dtype=torch.float64, device=device), []
    for i in range(0, n, batch_size):
        x = test_split.images[i : i + batch_size]
        q, flat = stack.posterior(x)
        codes.append(q.mean)
        sq += (torch.sigmoid(stack.decode_logits(q.mean)) - flat).pow(2).sum((1, 2)).double()
        logits = stack.decode_logits(q.reparameterise(_noise(fresh, groups, group_of_model, len(x), K)))
        nll = reconstruction_nll(logits.flatten(0, 1), flat.flatten(0, 1), stack.likelihood, stack.sigma)
        recon += nll.view(M, -1).sum(1).double()
        kl_dims += q.kl_per_dim().double().sum(1)
    codes, pixels = torch.cat(codes, 1), flat.shape[-1]
    out = []
    for m, k in enumerate(stack.latent_dims):
        per_dim = (kl_dims[m, :k] / n).tolist()
        metrics = {"mse_per_pixel": sq[m].item() / (n * pixels), "n_test": n, "test_recon": recon[m].item() / n}
        metrics["test_kl"] = kl_dims[m, :k].sum().item() / n
        metrics["test_loss"] = metrics["test_recon"] + metrics["test_kl"]
        metrics |= {"kl_per_dim": per_dim, "active_units": active_units(per_dim)}
        out.append((metrics, codes[m, :, :k]))
    return out


def check_cancel(cancel, where: str) -> None:
    """Raise :class:`SweepCancelled` if ``cancel`` (anything with ``is_set()``, or None) is set."""
    if cancel is not None and cancel.is_set():
        raise SweepCancelled(f"sweep cancelled {where}; nothing was written")


def json_finite(values: dict) -> dict:
    """``values`` with every non-finite number replaced by None (JSON has no NaN)."""

    def clean(v):
        if isinstance(v, float) and not math.isfinite(v):
            return None
        return [clean(u) for u in v] if isinstance(v, list) else v

    return {k: clean(v) for k, v in values.items()}
