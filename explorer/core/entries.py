"""One loaded model and every rule that depends on its kind: the only module that knows PCA, AE, DAE, VAE and CVAE.

A :class:`ModelEntry` is a checkpoint plus what the explorer derives from it once (code statistics,
axis order). Each kind is a small subclass that changes only what differs: its label, the centre and
unit of its sliders, the Gaussian it is sampled from, the box of its manifold grid, how its axes are
ranked, and which class a conditional model draws (:meth:`ModelEntry.class_of`: every caller of decode and
encode passes it, and an unconditional model ignores it). Everything else in ``explorer/`` works on any entry. A
new kind is a subclass here, one line in :data:`ENTRY_TYPES`, and its model in ``training/models.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar

import torch

from explorer.core.latent import cycle_error, density_grid, dims_by_importance, nearest_index, prior_holes
from training.objectives import DiagonalGaussian

TRAVERSAL_RANGE = 3.0  # slider and grid span, in slider units (standard deviations)
MAX_AXES = 16  # traversal sliders: one per axis up to this many (a 16-D model's unused axes are its last)
GRID_AXES = 8  # rows of a traversal grid: the most-used axes


@dataclass(eq=False)  # entries are compared and hashed by identity
class ModelEntry:
    """One loaded checkpoint. ``z`` (N, k) are the test set's codes, aligned with the dataset's test images.
    ``sweep`` names the sweep (``checkpoints/sweeps/<sweep>/``) it belongs to; None for the zoo's models."""

    name: str
    meta: dict
    model: torch.nn.Module
    latents: dict[str, torch.Tensor]
    sweep: str | None = None

    kind_label: ClassVar[str] = "model"
    rank: ClassVar[int] = 9  # position in a lineup, and the offline decoder's preference
    conditional: ClassVar[bool] = False  # decodes and encodes given a class (training.models.LatentModel)
    anomaly_scores: ClassVar[tuple[str, ...]] = ("recon",)  # how it scores an image (explorer.core.anomaly)
    importance_name: ClassVar[str] = "variance"  # what ranks the axes
    prior_caption: ClassVar[str] = "decoded N(0, I)"

    # ---- identity -----------------------------------------------------------------------------------
    @property
    def dataset(self) -> str:
        return self.meta["dataset"]["name"]

    @property
    def latent_dim(self) -> int:
        return self.meta["model"]["latent_dim"]

    @property
    def beta(self) -> float:
        return self.meta["model"].get("beta", 1.0)

    @property
    def label(self) -> str:
        """The kind's name, and the sweep's for a model of a sweep (the zoo has a "VAE β=4" too)."""
        return f"{self.kind_name} · {self.sweep}" if self.sweep else self.kind_name

    @property
    def kind_name(self) -> str:
        return self.kind_label

    @property
    def is_default(self) -> bool:
        """Shown when a dataset and latent size are first picked (variants and sweeps are added by hand)."""
        return self.sweep is None

    def sort_key(self) -> tuple:
        """The zoo first (PCA, AE, VAE, variants by β), then each sweep's models by β."""
        return (self.sweep is not None, self.sweep or "", self.rank, not self.is_default, self.beta, self.name)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.model.config.image_shape)

    @property
    def class_names(self) -> list[str]:
        return list(self.meta["dataset"].get("class_names") or [])

    def class_of(self, index: int | None = None, drawn: int | None = None, n: int = 1) -> torch.Tensor | None:
        """The class (n,) a conditional model draws: ``drawn`` (the page's choice) when given, else test image
        ``index``'s own label, else the first class; None for an unconditional model (it takes no class)."""
        if not self.conditional:
            return None
        if drawn is not None:
            label = int(drawn)
        elif index is not None:
            label = int(self.labels[index])
        else:
            label = 0
        return torch.full((n,), label, dtype=torch.long)

    def own_classes(self, indices) -> torch.Tensor | None:
        """The labels of test images ``indices`` (a conditional model reconstructs each with its own), or None."""
        return self.labels[indices].reshape(-1) if self.conditional else None

    # ---- codes ----------------------------------------------------------------------------------------
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
        """Per-dimension score that ranks the axes (k,): the codes' variance here."""
        return self.z.var(0)

    @cached_property
    def dim_order(self) -> list[int]:
        """Dimensions, most important first."""
        return dims_by_importance(self.importance)

    def axes(self, limit: int) -> list[int]:
        """The dimensions the first ``limit`` traversal sliders move."""
        return self.dim_order[:limit]

    def describe_axis(self, dim: int) -> str:
        score = float(self.importance[dim])
        return f"z{dim + 1} ({self.importance_name} {score:.2g})"

    @property
    def views(self) -> list[str]:
        """2-D views of the latent map available for this model."""
        if self.latent_dim <= 2:
            return ["dims"]
        return ["dims"] + [v for v in ("pca", "umap") if f"view_{v}" in self.latents]

    # ---- kind rules -----------------------------------------------------------------------------------
    def centre(self) -> torch.Tensor:
        """The middle of the latent space (k,), where a traversal "from the centre" starts."""
        return self.code_mean.clone()

    def axis_scale(self) -> torch.Tensor:
        """One slider unit per dimension (k,)."""
        return self.code_std

    def prior(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean, std), each (k,), of the Gaussian this model's samples are drawn from: N(0, I) for the
        AE and the VAE alike (the lesson: only the VAE was trained to make that work)."""
        k = self.latent_dim
        return torch.zeros(k), torch.ones(k)

    def manifold_box(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean, std) that scale Kingma & Welling's manifold grid onto this model's map."""
        return self.prior()

    def posterior(self, x: torch.Tensor, y: torch.Tensor | None = None) -> DiagonalGaussian | None:
        """q(z|x) (mean and logvar (n, k)) for images x (of classes y), or None for a model whose encoder is a
        point."""
        return None

    # ---- map layers (2-D models; computed once) ---------------------------------------------------------
    @cached_property
    def layer_grid(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Cell centres (xs, ys) of the grid the map layers are drawn on: the codes' box and the prior's
        2.5-sigma box together, 64 x 64."""
        mean, std = self.prior()
        low = torch.minimum(self.z[:, :2].min(0).values, mean[:2] - 2.5 * std[:2])
        high = torch.maximum(self.z[:, :2].max(0).values, mean[:2] + 2.5 * std[:2])
        return density_grid((float(low[0]), float(high[0]), float(low[1]), float(high[1])), 64)

    @cached_property
    def prior_holes(self) -> torch.Tensor:
        """(64, 64) over :attr:`layer_grid`: prior mass where the test codes have none (2-D models)."""
        mean, std = self.prior()
        xs, ys = self.layer_grid
        return prior_holes(self.z[:, :2], mean[:2], std[:2], xs, ys)

    @property
    def has_decoder_quality(self) -> bool:
        """Whether :attr:`decoder_quality` is computed already."""
        return "decoder_quality" in self.__dict__

    @cached_property
    def decoder_quality(self) -> torch.Tensor:
        """(64, 64) over :attr:`layer_grid`: the cycle error ‖encode(decode(z)) − z‖ (2-D models)."""
        xs, ys = self.layer_grid
        gy, gx = torch.meshgrid(ys.float(), xs.float(), indexing="ij")
        z = torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)
        y = self.own_classes(nearest_index(self.z[:, :2], z)) if self.conditional else None  # the class there
        return cycle_error(self.encode, self.decode, z, y).reshape(len(ys), len(xs))

    # ---- computation ------------------------------------------------------------------------------------
    @torch.no_grad()
    def decode(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """(n, k) -> (n, C, H, W) in [0, 1]; ``y`` the classes a conditional model draws (see :meth:`class_of`)."""
        return self.model.decode(z.float(), y)

    @torch.no_grad()
    def encode(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """(n, C, H, W) -> (n, k), deterministic (a VAE's posterior mean); ``y`` as for :meth:`decode`."""
        return self.model.encode(x, y)

    def decoder_ops(self):
        """``decode`` as plain ops for the page to run (``training.models.LatentModel.export_decoder``),
        or None where the model cannot export itself."""
        try:
            return self.model.export_decoder()
        except (NotImplementedError, TypeError):
            return None


class PCAEntry(ModelEntry):
    kind_label = "PCA"
    rank = 0
    prior_caption = "Gaussian on its scores"

    def prior(self):
        """PCA's scores are Gaussian with the explained variances: N(0, diag λ)."""
        return torch.zeros(self.latent_dim), self.model.explained_variance_.sqrt()


class AEEntry(ModelEntry):
    kind_label = "AE"
    rank = 1

    def manifold_box(self):
        """N(0, I) covers a small patch of an AE's map: span its codes instead."""
        return self.code_mean, self.code_std


class DAEEntry(AEEntry):
    """A denoising autoencoder: an AE trained on corrupted images (its sliders, prior and box are the AE's)."""

    kind_label = "DAE"
    rank = 2

    @property
    def is_default(self) -> bool:
        return False  # added by hand, or by a lesson (the default lineup is PCA, AE, VAE)

    @property
    def kind_name(self) -> str:
        model = self.meta["model"]
        return f"DAE σ={model['corruption_level']:g}" if model["corruption"] == "gaussian" else "DAE masked"


class VAEEntry(ModelEntry):
    kind_label = "VAE"
    rank = 3
    importance_name = "KL"
    anomaly_scores = ("recon", "elbo", "iw")

    @property
    def kind_name(self) -> str:
        return f"VAE β={self.beta:g}" if self.beta != 1 or self.sweep else "VAE"

    @property
    def is_default(self) -> bool:
        return self.beta == 1 and self.sweep is None

    @cached_property
    def importance(self) -> torch.Tensor:
        """KL(q(z|x) ‖ p(z)) per dimension, averaged over the test set (k,): 0 for an unused axis."""
        if "kl_per_dim" in self.meta["metrics"]:
            return torch.tensor(self.meta["metrics"]["kl_per_dim"])
        return self.z.var(0)

    def centre(self):
        return torch.zeros(self.latent_dim)  # the prior's mean

    @torch.no_grad()
    def posterior(self, x, y=None):
        return self.model.posterior(x, y)

    def axis_scale(self):
        return torch.ones(self.latent_dim)  # the prior's std


class CVAEEntry(VAEEntry):
    """A conditional VAE: its encoder and decoder are given the class, so its code holds only the style."""

    kind_label = "CVAE"
    rank = 4
    conditional = True

    @property
    def kind_name(self) -> str:
        return f"CVAE β={self.beta:g}" if self.beta != 1 else "CVAE"

    @property
    def is_default(self) -> bool:
        return False  # added by hand, or by a lesson


# ---- the traversal's slider rule (the page runs it as the first op of a decoder: explorer.page.assets) ----

# ---- the traversal's slider rule --------------------------------------------------------------------------------


def base_code(entry: ModelEntry, index: int | None) -> torch.Tensor:
    """Where a traversal starts (k,): the code of test image ``index``, or (None) the model's centre."""
    return entry.centre() if index is None else entry.z[index].clone()


def slider_map(
    entry: ModelEntry, index: int | None, n_sliders: int = MAX_AXES, drawn: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """The traversal's rule as an affine map (the page runs it as a linear op: no rule restated in its script):
    the decoder's input for slider values ``s`` (n_sliders,) is ``base + s @ basis``, base (k,) the start code (test
    image ``index``, or the model's centre) and basis (n_sliders, k): slider i moves the model's i-th most-used axis
    by its slider unit (:meth:`ModelEntry.axis_scale`) per step, so all sliders at 0 give the start image itself;
    sliders past the model's k move nothing. A conditional model's input goes on with the one-hot class it draws
    (``drawn``, else the start image's own: :meth:`ModelEntry.class_of`), which the sliders never move."""
    base = base_code(entry, index)
    basis = torch.zeros(n_sliders, entry.latent_dim)
    step = entry.axis_scale()
    for i, axis in enumerate(entry.axes(n_sliders)):
        basis[i, axis] = step[axis]
    y = entry.class_of(index, drawn)
    if y is None:
        return base, basis
    one_hot = torch.nn.functional.one_hot(y[0], entry.model.config.n_classes).float()
    return torch.cat([base, one_hot]), torch.cat([basis, torch.zeros(n_sliders, len(one_hot))], 1)


def slider_code(entry: ModelEntry, index: int | None, offsets: list[float]) -> torch.Tensor:
    """The code (k,) for slider ``offsets`` (see :func:`slider_map`)."""
    base, basis = slider_map(entry, index, len(offsets))
    code = base + torch.tensor([float(o) for o in offsets], dtype=basis.dtype) @ basis
    return code[: entry.latent_dim]


ENTRY_TYPES: dict[str, type[ModelEntry]] = {
    "pca": PCAEntry,
    "ae": AEEntry,
    "dae": DAEEntry,
    "vae": VAEEntry,
    "cvae": CVAEEntry,
}


def make_entry(name: str, meta: dict, model, latents: dict, sweep: str | None = None) -> ModelEntry:
    kind = meta["model"]["kind"]
    if kind not in ENTRY_TYPES:
        raise ValueError(f"the explorer has no rules for model kind {kind!r}")
    return ENTRY_TYPES[kind](name, meta, model, latents, sweep)
