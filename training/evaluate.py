"""Test-set metrics and the stored latent codes, computed once at the end of training.

Metrics (all on the test split, per image unless said otherwise):
- ``mse_per_pixel``: mean squared error of decode(encode(x)), every model kind.
- ``test_recon``: -log p(x|z) summed over pixels (AE: at z = encode(x); VAE: at one z ~ q(z|x)).
- VAE only: ``test_kl``, ``test_loss`` = test_recon + test_kl (beta-free negative ELBO, the number the
  PyTorch example prints), ``kl_per_dim`` (k,), ``active_units`` (dimensions whose KL is above 0.1 nats:
  :func:`training.objectives.active_units`), and with ``iw_samples`` = S > 0, ``iw_nll``: the importance-weighted
  bound -log p(x) <= -E log (1/S) sum_s p(x, z_s) / q(z_s | x) (Burda et al. 2016), in nats.
- PCA: ``explained_variance_ratio`` (k,).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .data import Split
from .models import PCA, VAE, LatentModel
from .objectives import DiagonalGaussian, active_units, gaussian_log_density, reconstruction_nll


@torch.no_grad()
def evaluate(
    model: LatentModel, test: Split, iw_samples: int = 0, seed: int = 0, batch_size: int = 500
) -> tuple[dict, torch.Tensor]:
    """(a JSON-serialisable dict of the metrics above, the deterministic test codes (N, k))."""
    model.eval()
    device = test.images.device
    generator = torch.Generator(device).manual_seed(seed)
    n = len(test)
    sums = {"sq": 0.0, "recon": 0.0, "kl": 0.0, "iw": 0.0}
    kl_dims = torch.zeros(model.latent_dim, dtype=torch.float64, device=device)
    mus = []
    for i in range(0, n, batch_size):
        x = test.images[i : i + batch_size]
        y = test.labels[i : i + batch_size] if model.conditional else None
        z = model.encode(x, y)
        mus.append(z)
        sums["sq"] += float((model.decode(z, y) - x).pow(2).sum())
        if isinstance(model, VAE):
            q = model.posterior(x, y)
            sums["recon"] += float(decoder_nll(model, q.sample(generator), x, y).sum())
            per_dim = q.kl_per_dim()
            kl_dims += per_dim.double().sum(0)
            sums["kl"] += float(per_dim.sum())
            if iw_samples:
                sums["iw"] += float(iw_nll(model, x, y, q, iw_samples, generator).sum())
        elif not isinstance(model, PCA):
            sums["recon"] += float(decoder_nll(model, z, x, y).sum())
    codes = torch.cat(mus)
    pixels = math.prod(model.config.image_shape)
    metrics = {"mse_per_pixel": sums["sq"] / (n * pixels), "n_test": n}
    if isinstance(model, PCA):
        metrics["explained_variance_ratio"] = model.explained_variance_ratio_.tolist()
    else:
        metrics["test_recon"] = sums["recon"] / n
    if isinstance(model, VAE):
        metrics["test_kl"] = sums["kl"] / n
        metrics["test_loss"] = metrics["test_recon"] + metrics["test_kl"]
        metrics["kl_per_dim"] = (kl_dims / n).tolist()
        metrics["active_units"] = active_units(metrics["kl_per_dim"])
        if iw_samples:
            metrics["iw_nll"] = sums["iw"] / n
            metrics["iw_samples"] = iw_samples
    return metrics, codes


def decoder_nll(model, z, x, y=None):
    return reconstruction_nll(model.decode_logits(z, y), x, model.config.likelihood, model.config.gaussian_sigma)


def iw_nll(model: VAE, x, y, q: DiagonalGaussian, samples: int, generator, chunk: int = 50) -> torch.Tensor:
    """-log p(x) (-log p(x|y) for a conditional VAE) estimated with ``samples`` importance samples from q(z|x):
    (B,)."""
    log_w = []
    for start in range(0, samples, chunk):
        s = min(chunk, samples - start)
        z = q.sample(generator, samples=s)  # (s, B, k)
        log_px_z = -decoder_nll(model, z.flatten(0, 1), x.repeat(s, 1, 1, 1), None if y is None else y.repeat(s)).view(
            s, -1
        )
        log_pz = gaussian_log_density(z, torch.zeros_like(z), torch.zeros_like(z))
        log_qz = q.log_density(z)
        log_w.append(log_px_z + log_pz - log_qz)
    log_w = torch.cat(log_w)  # (S, B)
    return -(torch.logsumexp(log_w, 0) - math.log(samples))


def latent_views(z: torch.Tensor, seed: int = 0, use_umap: bool = True) -> dict[str, torch.Tensor]:
    """2-D views of codes z (N, k) for k > 2, computed once so the app plots instantly.

    'view_pca' (N, 2): z projected on its first two principal axes; the axes themselves are kept as
    'view_pca_mean' (k,) and 'view_pca_components' (2, k) so new codes can be placed in the same view.
    'view_umap' (N, 2): UMAP (McInnes et al. 2018) with a fixed random_state.
    """
    if z.shape[1] <= 2:
        return {}
    z64 = z.double().cpu()
    mean = z64.mean(0)
    _, _, vt = torch.linalg.svd(z64 - mean, full_matrices=False)
    views = {
        "view_pca": ((z64 - mean) @ vt[:2].T).float(),
        "view_pca_mean": mean.float(),
        "view_pca_components": vt[:2].float(),
    }
    if use_umap:
        import umap  # slow to import; only needed here

        reducer = umap.UMAP(n_components=2, random_state=seed, n_neighbors=15, min_dist=0.1, n_jobs=1)
        views["view_umap"] = torch.from_numpy(reducer.fit_transform(z.cpu().numpy()).astype(np.float32))
    return views
