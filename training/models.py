"""One latent-model interface for PCA, the autoencoder, the denoising autoencoder, the (beta-)VAE and the
conditional VAE.

Every model maps images x (N, C, H, W) in [0, 1] to codes z (N, k) and back, given the labels y (N,) when it is
conditional (``model.conditional``; the others ignore y):

    z = model.encode(x, y)      # deterministic: a VAE returns its posterior mean
    x = model.decode(z, y)      # (N, C, H, W) in [0, 1]

A conditional model refuses to run without y (:class:`ConditionMissing`). VAEs add ``posterior(x, y) ->
DiagonalGaussian`` and ``sample(n, generator, y)``. A model is rebuilt from its :class:`ModelConfig` alone
(``build_model(config)``), and its state is plain tensors, so a checkpoint is a JSON config beside safetensors
weights. A new kind is a subclass here that changes only what differs, and its name in :data:`MODEL_CLASSES`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn

from .backbones import BACKBONES
from .checks import one_of, real_number, whole_number
from .objectives import DiagonalGaussian, negative_elbo, reconstruction_nll

MODEL_KINDS = ("pca", "ae", "dae", "vae", "cvae")
CORRUPTIONS = ("gaussian", "mask")
MAX_CLASSES = 1000
MAX_LATENT_DIM = 4096
MAX_HIDDEN_DIM = 1 << 24  # far beyond any useful net; training also bounds the parameter count
MAX_CHANNELS, MAX_IMAGE_SIDE = 16, 4096


@dataclass
class ModelConfig:
    """Everything needed to rebuild a model's architecture."""

    kind: str = "vae"  # pca | ae | vae
    image_shape: tuple[int, int, int] = (1, 28, 28)
    latent_dim: int = 2
    backbone: str = "mlp"  # mlp | conv (ignored by pca)
    hidden_dim: int = 400
    likelihood: str = "bernoulli"  # bernoulli | gaussian (the AE's loss too)
    gaussian_sigma: float = 0.1  # decoder std when likelihood == "gaussian"
    beta: float = 1.0  # KL weight; beta != 1 is a beta-VAE (Higgins et al. 2017)
    n_classes: int = 0  # a conditional model's labels (cvae; the dataset's classes)
    corruption: str = "gaussian"  # dae: gaussian (x + level * noise) | mask (a level of pixels to 0)
    corruption_level: float = 0.5  # dae: the noise's std, or the share of pixels masked

    def __post_init__(self):
        """Every field checked (a config may come from an edited JSON file); a ``ValueError`` names the field.
        The size limits only rule out absurd values: loading also checks each tensor against the weights file."""
        if not isinstance(self.image_shape, list | tuple) or len(self.image_shape) != 3:
            raise ValueError(f"image_shape must be [channels, height, width], got {self.image_shape!r}")
        c, h, w = self.image_shape
        self.image_shape = (
            whole_number(c, 1, MAX_CHANNELS, "image channels"),
            whole_number(h, 1, MAX_IMAGE_SIDE, "image height"),
            whole_number(w, 1, MAX_IMAGE_SIDE, "image width"),
        )
        one_of(self.kind, MODEL_KINDS, "model kind")
        whole_number(self.latent_dim, 1, MAX_LATENT_DIM, "latent_dim")
        one_of(self.backbone, tuple(BACKBONES), "backbone")
        whole_number(self.hidden_dim, 1, MAX_HIDDEN_DIM, "hidden_dim")
        one_of(self.likelihood, ("bernoulli", "gaussian"), "likelihood")
        self.gaussian_sigma = real_number(self.gaussian_sigma, 0.0, what="gaussian_sigma", above=True)
        self.beta = real_number(self.beta, 0.0, what="beta")
        whole_number(self.n_classes, 0, MAX_CLASSES, "n_classes")  # a training run sets it from its dataset
        one_of(self.corruption, CORRUPTIONS, "corruption")
        self.corruption_level = real_number(self.corruption_level, 0.0, 10.0, "corruption_level")

    def to_dict(self) -> dict:
        return asdict(self)


class ConditionMissing(ValueError):
    """A conditional model was asked to run without its labels."""


class LatentModel(nn.Module):
    """The shared interface. Subclasses set ``kind`` and implement encode / decode; y (N,) holds the labels a
    conditional model needs (``conditional``) and the others ignore."""

    kind = "base"
    conditional = False

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config

    @property
    def latent_dim(self) -> int:
        return self.config.latent_dim

    def condition(self, y: torch.Tensor | None, n: int) -> torch.Tensor | None:
        """The condition the networks take for labels ``y`` of ``n`` images: None for an unconditional model, the
        one-hot labels (n, n_classes) for a conditional one, which refuses to run without them."""
        if not self.conditional:
            return None
        if y is None:
            raise ConditionMissing(
                f"this {self.kind.upper()} is conditional: give it the labels y (one per image, "
                f"0 to {self.config.n_classes - 1}) with the images or codes"
            )
        y = torch.as_tensor(y, device=self.device).long().reshape(-1)
        if len(y) == 1 and n > 1:
            y = y.expand(n)
        if len(y) != n or bool(((y < 0) | (y >= self.config.n_classes)).any()):
            raise ConditionMissing(f"the labels y must be {n} classes from 0 to {self.config.n_classes - 1}")
        return nn.functional.one_hot(y, self.config.n_classes).float()

    @property
    def device(self) -> torch.device:
        return next(self.buffers(), next(self.parameters(), torch.empty(0))).device

    def encode(self, x: torch.Tensor, y=None) -> torch.Tensor:  # (N, C, H, W) -> (N, k)
        raise NotImplementedError

    def decode(self, z: torch.Tensor, y=None) -> torch.Tensor:  # (N, k) -> (N, C, H, W) in [0, 1]
        raise NotImplementedError

    def reconstruct(self, x: torch.Tensor, y=None) -> torch.Tensor:
        return self.decode(self.encode(x, y), y)

    def export_decoder(self) -> list[tuple[dict, list[torch.Tensor]]]:
        """``decode`` as plain ops for another runtime (format: ``training/backbones.py``), ending in
        {"op": "sigmoid"} or {"op": "clamp01"}; the input is the code (k,), followed by the one-hot label for a
        conditional model; the output is the image (C, H, W) flattened."""
        raise NotImplementedError


class PCA(LatentModel):
    """Exact PCA by SVD of the centred training data (as scikit-learn's ``svd_solver='full'``).

    Buffers: ``mean_`` (D,), ``components_`` (k, D) with rows of unit norm, ``explained_variance_`` (k,),
    ``explained_variance_ratio_`` (k,). ``encode`` gives the scores (x - mean) V^T; ``decode`` clamps
    the linear reconstruction to [0, 1] (``inverse_transform`` does not).
    """

    kind = "pca"

    def __init__(self, config: ModelConfig):
        super().__init__(config)
        d, k = math.prod(config.image_shape), config.latent_dim
        self.register_buffer("mean_", torch.zeros(d))
        self.register_buffer("components_", torch.zeros(k, d))
        self.register_buffer("explained_variance_", torch.zeros(k))
        self.register_buffer("explained_variance_ratio_", torch.zeros(k))

    @torch.no_grad()
    def fit(self, x: torch.Tensor) -> PCA:
        """Fit on x (N, C, H, W); k must be <= min(N, D)."""
        flat = x.flatten(1).double()
        n, d = flat.shape
        k = self.latent_dim
        if k > min(n, d):
            raise ValueError(f"PCA with {k} components needs at least {k} samples and pixels (got {n}, {d})")
        mean = flat.mean(0)
        _, s, vt = torch.linalg.svd(flat - mean, full_matrices=False)
        # Deterministic sign, as scikit-learn's svd_flip(u_based_decision=False): largest |v| positive.
        signs = torch.sign(vt[torch.arange(len(vt)), vt.abs().argmax(1)])
        vt = vt * signs[:, None]
        var = s.pow(2) / (n - 1)
        self.mean_.copy_(mean.float())
        self.components_.copy_(vt[:k].float())
        self.explained_variance_.copy_(var[:k].float())
        self.explained_variance_ratio_.copy_((var[:k] / var.sum()).float())
        return self

    def encode(self, x, y=None):
        return (x.flatten(1) - self.mean_) @ self.components_.T

    def inverse_transform(self, z):  # (N, k) -> (N, C, H, W), unclamped
        return (z @ self.components_ + self.mean_).view(-1, *self.config.image_shape)

    def decode(self, z, y=None):
        return self.inverse_transform(z).clamp(0.0, 1.0)

    def export_decoder(self):
        d, k = self.components_.shape[1], self.latent_dim
        return [({"op": "linear", "in": k, "out": d}, [self.components_.T, self.mean_]), ({"op": "clamp01"}, [])]


class Autoencoder(LatentModel):
    """Deterministic encoder and decoder, trained on the reconstruction loss alone."""

    kind = "ae"

    def __init__(self, config: ModelConfig):
        super().__init__(config)
        enc, dec = BACKBONES[config.backbone]
        extra = config.n_classes if self.conditional else 0
        self.encoder = enc(config.image_shape, config.hidden_dim, self.encoder_outputs(), extra)
        self.decoder = dec(config.image_shape, config.hidden_dim, config.latent_dim, extra)

    def encoder_outputs(self) -> int:
        return self.config.latent_dim

    def encode(self, x, y=None):
        return self.encoder(x, self.condition(y, len(x)))

    def decode_logits(self, z, y=None):
        return self.decoder(z, self.condition(y, len(z)))

    def decode(self, z, y=None):
        return torch.sigmoid(self.decode_logits(z, y))

    def export_decoder(self):
        return [*self.decoder.export(), ({"op": "sigmoid"}, [])]

    def inputs(self, x: torch.Tensor, generator=None) -> torch.Tensor:
        """What the encoder sees in training: the images themselves (a denoising AE corrupts them)."""
        return x

    def loss(self, x, y=None, kl_weight: float = 1.0, generator=None) -> dict[str, torch.Tensor]:
        """Per-image means: {'loss', 'recon'} (recon = -log p(x|z) of the clean x, summed over pixels)."""
        recon = reconstruction_nll(
            self.decode_logits(self.encode(self.inputs(x, generator), y), y),
            x,
            self.config.likelihood,
            self.config.gaussian_sigma,
        ).mean()
        return {"loss": recon, "recon": recon}


class DenoisingAutoencoder(Autoencoder):
    """An autoencoder trained to reconstruct clean images from corrupted ones (Vincent et al. 2008): the
    bottleneck keeps the signal and drops the noise. ``config.corruption``: "gaussian" adds N(0, level²) noise
    (clamped to [0, 1]), "mask" sets a ``level`` share of the pixels to 0. Encoding and decoding are the AE's."""

    kind = "dae"

    def inputs(self, x, generator=None):
        return corrupt(x, self.config.corruption, self.config.corruption_level, generator)


def corrupt(x: torch.Tensor, corruption: str, level: float, generator=None) -> torch.Tensor:
    """Images x (N, C, H, W) in [0, 1] corrupted: "gaussian" x + level * noise, clamped to [0, 1]; "mask" each
    pixel set to 0 with probability ``level``. Noise from ``generator``, so a seed repeats it."""
    if corruption == "gaussian":
        return (x + level * torch.randn(x.shape, generator=generator, device=x.device)).clamp(0, 1)
    if corruption == "mask":
        keep = torch.rand(x.shape, generator=generator, device=x.device) >= level
        return x * keep
    raise ValueError(f"unknown corruption {corruption!r}; use {' or '.join(CORRUPTIONS)}")


class VAE(Autoencoder):
    """Gaussian encoder q(z|x) = N(mu, diag exp(logvar)), prior N(0, I), reparameterised sampling.

    The loss is the negative ELBO, recon + beta * KL (Kingma & Welling 2013; Higgins et al. 2017):
    :func:`training.objectives.negative_elbo`, shared with the batched sweep.
    """

    kind = "vae"

    def encoder_outputs(self) -> int:
        return 2 * self.config.latent_dim

    def posterior(self, x, y=None) -> DiagonalGaussian:
        """q(z|x) with mean and logvar each (N, k); unpacks as ``mu, logvar``."""
        mu, logvar = self.encoder(x, self.condition(y, len(x))).chunk(2, dim=1)
        return DiagonalGaussian(mu, logvar)

    def encode(self, x, y=None):
        return self.posterior(x, y).mean

    def sample(self, n: int, generator: torch.Generator | None = None, y=None) -> torch.Tensor:
        """n images decoded from z ~ N(0, I) (of the labels y, for a conditional VAE)."""
        z = torch.randn(n, self.latent_dim, generator=generator, device=self.device)
        return self.decode(z, y)

    def loss(self, x, y=None, kl_weight: float = 1.0, generator=None) -> dict[str, torch.Tensor]:
        """Per-image means: {'loss', 'recon', 'kl', 'kl_per_dim' (k,)}; loss = recon + kl_weight*beta*kl."""
        q = self.posterior(x, y)
        logits = self.decode_logits(q.sample(generator), y)
        return negative_elbo(
            logits.flatten(1),
            x.flatten(1),
            q,
            self.config.beta,
            kl_weight,
            self.config.likelihood,
            self.config.gaussian_sigma,
        )


class ConditionalVAE(VAE):
    """A VAE whose encoder and decoder are also given the label (Sohn et al. 2015): the code need not hold the
    class, only the style. Pick a class, and any code draws that class in its style."""

    kind = "cvae"
    conditional = True

    def __init__(self, config: ModelConfig):
        if config.n_classes < 2:
            raise ValueError("a conditional VAE needs n_classes >= 2 (its dataset's classes)")
        super().__init__(config)


MODEL_CLASSES = {"pca": PCA, "ae": Autoencoder, "dae": DenoisingAutoencoder, "vae": VAE, "cvae": ConditionalVAE}


def build_model(config: ModelConfig | dict) -> LatentModel:
    """A fresh (untrained) model for ``config``."""
    if isinstance(config, dict):
        config = ModelConfig(**config)
    return MODEL_CLASSES[config.kind](config)
