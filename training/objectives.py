"""Loss terms and KL schedules, as pure functions on tensors.

References:
- Kingma & Welling (2013), "Auto-Encoding Variational Bayes", Appendix B: closed-form
  KL(N(mu, sigma^2) || N(0, I)) = -1/2 * sum(1 + log sigma^2 - mu^2 - sigma^2).
- Higgins et al. (2017), beta-VAE: the KL term weighted by beta.
- Bowman et al. (2016): linear KL warm-up. Fu et al. (2019), "Cyclical Annealing Schedule":
  the weight rises linearly for the first ``ratio`` of each of ``cycles`` cycles, then stays at 1.
- Burda et al. (2016), "Importance Weighted Autoencoders": the k-sample bound and active units.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F

LOG_2PI = math.log(2 * math.pi)


def kl_per_dim(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, 1)) for each image and dimension: (N, k) -> (N, k), nats."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)


def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Total KL per image: (N, k) -> (N,), nats."""
    return kl_per_dim(mu, logvar).sum(dim=1)


def reconstruction_nll(logits: torch.Tensor, x: torch.Tensor, likelihood: str, sigma: float = 0.1) -> torch.Tensor:
    """-log p(x | z) per image, summed over pixels: logits and x (N, ...) -> (N,).

    ``bernoulli``: binary cross-entropy with x in [0, 1] as the target (as in Kingma & Welling and the
    PyTorch example). ``gaussian``: N(x; sigmoid(logits), sigma^2 I), including the normalising constant.
    """
    if likelihood == "bernoulli":
        return F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
    if likelihood == "gaussian":
        sq = (torch.sigmoid(logits) - x).pow(2).flatten(1)
        return 0.5 * (sq / sigma**2 + LOG_2PI + 2 * math.log(sigma)).sum(1)
    raise ValueError(f"unknown likelihood {likelihood!r}; use 'bernoulli' or 'gaussian'")


def kl_weight(
    schedule: str, step: int, total_steps: int, warmup_steps: int = 0, cycles: int = 4, ratio: float = 0.5
) -> float:
    """The multiplier in [0, 1] applied to beta * KL at optimisation ``step`` (0-based).

    constant: 1. linear: step / warmup_steps, capped at 1. cyclical: ``cycles`` cycles over
    ``total_steps``; in each, the weight rises linearly over the first ``ratio`` of the cycle, then is 1.
    """
    if schedule == "constant":
        return 1.0
    if schedule == "linear":
        return 1.0 if warmup_steps <= 0 else min(1.0, step / warmup_steps)
    if schedule == "cyclical":
        period = max(1, math.ceil(total_steps / cycles))
        tau = (step % period) / period
        return min(1.0, tau / ratio)
    raise ValueError(f"unknown KL schedule {schedule!r}; use constant, linear or cyclical")


def gaussian_log_density(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """log N(z; mu, exp(logvar)) summed over the last dimension."""
    return -0.5 * (LOG_2PI + logvar + (z - mu).pow(2) / logvar.exp()).sum(-1)


ACTIVE_KL = 0.1  # nats


def active_units(kl_per_dim) -> int:
    """The project's one rule for an *active* latent dimension (every view, the checkpoints and the sweeps use
    it): its KL(q(z|x) ‖ p(z)), averaged over the test set, is above :data:`ACTIVE_KL` nats; an inactive
    dimension tells the decoder (almost) nothing, its slider changes (almost) nothing. ``kl_per_dim``: (k,)
    numbers. (Burda et al.'s Var_x(mu) > 0.01 counts dimensions that carry a few hundredths of a nat as active
    after short training: 30 of 32 against 21 by KL for the committed sweep's beta = 1, k = 32.)"""
    return int(sum(float(v) > ACTIVE_KL for v in kl_per_dim))


def negative_elbo(
    logits: torch.Tensor, x: torch.Tensor, q: DiagonalGaussian, beta, kl_weight: float, likelihood: str, sigma: float
) -> dict[str, torch.Tensor]:
    """The (beta-)VAE's loss, one definition for one model and for many trained as one (:mod:`training.batched`).

    ``logits`` and ``x`` (*lead, D) are images flattened, ``q`` holds (*lead, k); the last lead dimension is the
    batch (lead = (B,) for one model, (M, B) for M stacked models). Returns per-image means over the batch:
    'recon' (-log p(x|z), *lead[:-1]), 'kl' (*lead[:-1]), 'kl_per_dim' (*lead[:-1], k), and 'loss' =
    recon + kl_weight * beta * kl (beta a number, or one per model). Kingma & Welling (2013); Higgins et al.
    (2017) for beta."""
    recon = (
        reconstruction_nll(logits.reshape(-1, logits.shape[-1]), x.reshape(-1, x.shape[-1]), likelihood, sigma)
        .view(logits.shape[:-1])
        .mean(-1)
    )
    per_dim = q.kl_per_dim().mean(-2)
    kl = per_dim.sum(-1)
    return {"loss": recon + kl_weight * beta * kl, "recon": recon, "kl": kl, "kl_per_dim": per_dim}


class DiagonalGaussian(NamedTuple):
    """N(mean, diag exp(logvar)), the VAE's q(z|x); ``mean`` and ``logvar`` are (..., k).

    The one place a latent Gaussian is sampled (cf. diffusers' ``DiagonalGaussianDistribution``).
    Unpacks as ``mean, logvar = q``.
    """

    mean: torch.Tensor
    logvar: torch.Tensor

    @property
    def std(self) -> torch.Tensor:
        return (0.5 * self.logvar).exp()

    def mode(self) -> torch.Tensor:
        return self.mean

    def sample(self, generator: torch.Generator | None = None, samples: int | None = None) -> torch.Tensor:
        """Reparameterised draws, mean + eps * std: (..., k), or (samples, ..., k) when ``samples`` is given."""
        shape = self.mean.shape if samples is None else (samples, *self.mean.shape)
        return self.reparameterise(torch.randn(shape, generator=generator, device=self.mean.device))

    def reparameterise(self, eps: torch.Tensor) -> torch.Tensor:
        """The draw for standard normal noise ``eps`` (broadcast against the mean): mean + eps * std. The one place
        the project moves noise into q(z|x) (Kingma & Welling 2013, eq. 10)."""
        return self.mean + eps * self.std

    def kl_per_dim(self) -> torch.Tensor:
        """KL(q || N(0, I)) per dimension, (..., k), nats."""
        return kl_per_dim(self.mean, self.logvar)

    def log_density(self, z: torch.Tensor) -> torch.Tensor:
        """log q(z), summed over the last dimension."""
        return gaussian_log_density(z, self.mean, self.logvar)
