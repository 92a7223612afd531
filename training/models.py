"""One latent-model interface for PCA, the autoencoder and the (beta-)VAE.

Every model maps images x (N, C, H, W) in [0, 1] to codes z (N, k) and back:

    z = model.encode(x)      # deterministic: the VAE returns its posterior mean
    x = model.decode(z)      # (N, C, H, W) in [0, 1]

Only the VAE adds ``posterior(x) -> (mu, logvar)`` and ``sample(n, generator)``. A model is rebuilt
from its :class:`ModelConfig` alone (``build_model(config)``), and its state is plain tensors, so a
checkpoint is a JSON config beside safetensors weights.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn

from .backbones import BACKBONES
from .checks import one_of, real_number, whole_number
from .objectives import DiagonalGaussian, reconstruction_nll

MODEL_KINDS = ("pca", "ae", "vae")
MAX_LATENT_DIM = 4096
MAX_HIDDEN_DIM = 1 << 24  # far beyond any useful net; training also bounds the parameter count
MAX_CHANNELS, MAX_IMAGE_SIDE = 16, 4096


@dataclass
class ModelConfig:
    """Everything needed to rebuild a model's architecture."""

    kind: str = "vae"                      # pca | ae | vae
    image_shape: tuple[int, int, int] = (1, 28, 28)
    latent_dim: int = 2
    backbone: str = "mlp"                  # mlp | conv (ignored by pca)
    hidden_dim: int = 400
    likelihood: str = "bernoulli"          # bernoulli | gaussian (the AE's loss too)
    gaussian_sigma: float = 0.1            # decoder std when likelihood == "gaussian"
    beta: float = 1.0                      # KL weight; beta != 1 is a beta-VAE (Higgins et al. 2017)

    def __post_init__(self):
        """Every field checked (a config may come from an edited JSON file); a ``ValueError`` names the field.
        The size limits only rule out absurd values: loading also checks each tensor against the weights file."""
        if not isinstance(self.image_shape, list | tuple) or len(self.image_shape) != 3:
            raise ValueError(f"image_shape must be [channels, height, width], got {self.image_shape!r}")
        c, h, w = self.image_shape
        self.image_shape = (whole_number("image channels", c, 1, MAX_CHANNELS),
                            whole_number("image height", h, 1, MAX_IMAGE_SIDE),
                            whole_number("image width", w, 1, MAX_IMAGE_SIDE))
        one_of("model kind", self.kind, MODEL_KINDS)
        whole_number("latent_dim", self.latent_dim, 1, MAX_LATENT_DIM)
        one_of("backbone", self.backbone, tuple(BACKBONES))
        whole_number("hidden_dim", self.hidden_dim, 1, MAX_HIDDEN_DIM)
        one_of("likelihood", self.likelihood, ("bernoulli", "gaussian"))
        self.gaussian_sigma = real_number("gaussian_sigma", self.gaussian_sigma, 0.0, above=True)
        self.beta = real_number("beta", self.beta, 0.0)

    def to_dict(self) -> dict:
        return asdict(self)


class LatentModel(nn.Module):
    """The shared interface. Subclasses set ``kind`` and implement encode / decode."""

    kind = "base"

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config

    @property
    def latent_dim(self) -> int:
        return self.config.latent_dim

    def encode(self, x: torch.Tensor) -> torch.Tensor:  # (N, C, H, W) -> (N, k)
        raise NotImplementedError

    def decode(self, z: torch.Tensor) -> torch.Tensor:  # (N, k) -> (N, C, H, W) in [0, 1]
        raise NotImplementedError

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    def export_decoder(self) -> list[tuple[dict, list[torch.Tensor]]]:
        """``decode`` as plain ops for another runtime (format: ``training/backbones.py``), ending in
        {"op": "sigmoid"} or {"op": "clamp01"}; the output is the image (C, H, W) flattened."""
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

    def encode(self, x):
        return (x.flatten(1) - self.mean_) @ self.components_.T

    def inverse_transform(self, z):  # (N, k) -> (N, C, H, W), unclamped
        return (z @ self.components_ + self.mean_).view(-1, *self.config.image_shape)

    def decode(self, z):
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
        self.encoder = enc(config.image_shape, config.hidden_dim, self.encoder_outputs())
        self.decoder = dec(config.image_shape, config.hidden_dim, config.latent_dim)

    def encoder_outputs(self) -> int:
        return self.config.latent_dim

    def encode(self, x):
        return self.encoder(x)

    def decode_logits(self, z):
        return self.decoder(z)

    def decode(self, z):
        return torch.sigmoid(self.decoder(z))

    def export_decoder(self):
        return [*self.decoder.export(), ({"op": "sigmoid"}, [])]

    def loss(self, x, kl_weight: float = 1.0, generator=None) -> dict[str, torch.Tensor]:
        """Per-image means: {'loss', 'recon'} (recon = -log p(x|z) summed over pixels)."""
        recon = reconstruction_nll(self.decode_logits(self.encode(x)), x,
                                   self.config.likelihood, self.config.gaussian_sigma).mean()
        return {"loss": recon, "recon": recon}


class VAE(Autoencoder):
    """Gaussian encoder q(z|x) = N(mu, diag exp(logvar)), prior N(0, I), reparameterised sampling.

    The loss is the negative ELBO, recon + beta * KL (Kingma & Welling 2013; Higgins et al. 2017).
    """

    kind = "vae"

    def encoder_outputs(self) -> int:
        return 2 * self.config.latent_dim

    def posterior(self, x) -> DiagonalGaussian:
        """q(z|x) with mean and logvar each (N, k); unpacks as ``mu, logvar``."""
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return DiagonalGaussian(mu, logvar)

    def encode(self, x):
        return self.posterior(x)[0]

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n images decoded from z ~ N(0, I)."""
        device = next(self.parameters()).device
        z = torch.randn(n, self.latent_dim, generator=generator, device=device)
        return self.decode(z)

    def loss(self, x, kl_weight: float = 1.0, generator=None) -> dict[str, torch.Tensor]:
        """Per-image means: {'loss', 'recon', 'kl', 'kl_per_dim' (k,)}; loss = recon + kl_weight*beta*kl."""
        q = self.posterior(x)
        recon = reconstruction_nll(self.decode_logits(q.sample(generator)), x, self.config.likelihood,
                                   self.config.gaussian_sigma).mean()
        per_dim = q.kl_per_dim().mean(0)
        kl = per_dim.sum()
        return {"loss": recon + kl_weight * self.config.beta * kl, "recon": recon, "kl": kl,
                "kl_per_dim": per_dim}


MODEL_CLASSES = {"pca": PCA, "ae": Autoencoder, "vae": VAE}


def build_model(config: ModelConfig | dict) -> LatentModel:
    """A fresh (untrained) model for ``config``."""
    if isinstance(config, dict):
        config = ModelConfig(**config)
    return MODEL_CLASSES[config.kind](config)
