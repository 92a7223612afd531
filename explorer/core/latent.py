"""Pure latent-space operations: tensors in, tensors out. No Gradio, no models, no I/O.

Shapes: a code is (k,), a batch of codes (n, k). Seeds make every random result repeatable.
"""

from __future__ import annotations

import math

import torch


def traverse(base: torch.Tensor, dim: int, values: torch.Tensor) -> torch.Tensor:
    """Copies of ``base`` (k,) with coordinate ``dim`` set to each of ``values`` (m,): (m, k)."""
    codes = base.expand(len(values), -1).clone()
    codes[:, dim] = values
    return codes


def sample_gaussian(
    n: int, latent_dim: int, seed: int, mean: torch.Tensor | None = None, std: torch.Tensor | None = None
) -> torch.Tensor:
    """n codes from N(mean, diag(std^2)) (default N(0, I)), drawn from a generator seeded with ``seed``."""
    generator = torch.Generator().manual_seed(int(seed))
    z = torch.randn(n, latent_dim, generator=generator)
    if std is not None:
        z = z * std
    if mean is not None:
        z = z + mean
    return z


def manifold_grid(n: int, low: float = 0.05, high: float = 0.95) -> torch.Tensor:
    """A regular n x n grid on the unit square mapped through the Gaussian inverse CDF, as in Kingma &
    Welling (2013), Fig. 4: (n * n, 2), row-major with z[1] decreasing down the rows (like a plot's
    y axis) and z[0] increasing along each row."""
    if n < 1 or not 0 < low < high < 1:
        raise ValueError("need n >= 1 and 0 < low < high < 1")
    q = torch.special.ndtri(torch.linspace(low, high, n, dtype=torch.float64)).float()
    y, x = torch.meshgrid(q.flip(0), q, indexing="ij")
    return torch.stack([x.reshape(-1), y.reshape(-1)], dim=1)


def lerp(a: torch.Tensor, b: torch.Tensor, steps: int) -> torch.Tensor:
    """Linear interpolation from a to b (both (k,)), endpoints included: (steps, k)."""
    t = torch.linspace(0, 1, steps, dtype=a.dtype)[:, None]
    return (1 - t) * a + t * b


def slerp(a: torch.Tensor, b: torch.Tensor, steps: int, eps: float = 1e-6) -> torch.Tensor:
    """Spherical interpolation (Shoemake 1985; White 2016, "Sampling Generative Networks"), endpoints
    included: (steps, k). Between codes of equal norm every point keeps that norm; for (nearly)
    parallel codes it falls back to :func:`lerp`."""
    a64, b64 = a.double(), b.double()
    cos = torch.dot(a64, b64) / (a64.norm() * b64.norm()).clamp_min(eps)
    omega = torch.arccos(cos.clamp(-1, 1))
    if omega.abs() < eps or math.isclose(float(omega), math.pi, abs_tol=eps):
        return lerp(a, b, steps)
    t = torch.linspace(0, 1, steps, dtype=torch.float64)[:, None]
    out = (torch.sin((1 - t) * omega) * a64 + torch.sin(t * omega) * b64) / torch.sin(omega)
    return out.to(a.dtype)


def dims_by_importance(scores: torch.Tensor, limit: int | None = None) -> list[int]:
    """Dimension indices sorted by decreasing ``scores`` (k,) (KL per dim, or code variance)."""
    order = torch.argsort(scores, descending=True, stable=True).tolist()
    return order[:limit] if limit else order


def project(
    z: torch.Tensor,
    view: str,
    views: dict[str, torch.Tensor],
    stored_z: torch.Tensor | None = None,
    neighbours: int = 10,
) -> torch.Tensor:
    """Place codes z (n, k) in a 2-D ``view`` of a model's latent map: (n, 2).

    'dims': the first two coordinates (a 1-D code gets y = 0). 'pca': the stored principal axes.
    'umap': UMAP has no stored inverse-free transform here, so a new code lands at the mean UMAP
    position of its ``neighbours`` nearest stored codes (``stored_z`` (N, k), ``views['view_umap']``).
    """
    if view == "dims":
        return z[:, :2] if z.shape[1] >= 2 else torch.cat([z, torch.zeros_like(z)], dim=1)
    if view == "pca":
        return (z - views["view_pca_mean"]) @ views["view_pca_components"].T
    if view == "umap":
        if stored_z is None:
            raise ValueError("the umap view needs the stored codes to place new points")
        nearest = torch.cdist(z, stored_z).topk(min(neighbours, len(stored_z)), largest=False).indices
        return views["view_umap"][nearest].mean(dim=1)
    raise ValueError(f"unknown view {view!r}; use dims, pca or umap")


def map_coordinates(stored_z: torch.Tensor, view: str, views: dict[str, torch.Tensor]) -> torch.Tensor:
    """The 2-D positions (N, 2) of the stored codes in ``view`` (precomputed for pca and umap)."""
    if view == "dims":
        return project(stored_z, "dims", views)
    key = f"view_{view}"
    if key not in views:
        raise ValueError(f"this model has no precomputed {view!r} view")
    return views[key]


def ellipse(center: torch.Tensor, std: torch.Tensor, scale: float = 1.0, points: int = 64) -> torch.Tensor:
    """The axis-aligned ellipse ``center`` ± ``scale`` * ``std`` (both (2,)) as a closed path (points + 1, 2):
    a diagonal Gaussian's ``scale``-sigma contour (a VAE posterior's std is exp(logvar / 2))."""
    angles = torch.linspace(0, 2 * math.pi, points + 1, dtype=torch.float64)
    circle = torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)
    return (center.double() + scale * std.double() * circle).float()


def density_grid(box: tuple[float, float, float, float], size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Cell centres of a ``size`` x ``size`` grid over box = (x0, x1, y0, y1): xs (size,), ys (size,)."""
    x0, x1, y0, y1 = box
    xs = x0 + (torch.arange(size, dtype=torch.float64) + 0.5) * (x1 - x0) / size
    ys = y0 + (torch.arange(size, dtype=torch.float64) + 0.5) * (y1 - y0) / size
    return xs, ys


def prior_holes(
    codes: torch.Tensor,
    mean: torch.Tensor,
    std: torch.Tensor,
    xs: torch.Tensor,
    ys: torch.Tensor,
    bandwidth: float | None = None,
) -> torch.Tensor:
    """Where the prior has mass and the codes have none, on the evenly spaced grid ``xs`` x ``ys``:
    (len(ys), len(xs)), max(p(z) − q(z), 0) with p the prior N(mean, diag std²) and q a Gaussian kernel
    density of ``codes`` (N, 2) (the aggregate posterior, as the test set sees it); zero wherever the codes
    are at least as dense as the prior. q is the codes' histogram on the grid smoothed by the kernel
    (bandwidth: Scott's rule per dimension unless given), milliseconds for any N."""
    codes = codes.double()
    h = codes.std(0) * len(codes) ** (-1 / 6) if bandwidth is None else torch.full((2,), float(bandwidth))
    dx, dy = float(xs[1] - xs[0]), float(ys[1] - ys[0])
    col = ((codes[:, 0] - (xs[0] - dx / 2)) / dx).floor().long()
    row = ((codes[:, 1] - (ys[0] - dy / 2)) / dy).floor().long()
    inside = (col >= 0) & (col < len(xs)) & (row >= 0) & (row < len(ys))
    counts = torch.zeros(len(ys) * len(xs), dtype=torch.float64)
    counts.index_add_(0, row[inside] * len(xs) + col[inside], torch.ones(int(inside.sum()), dtype=torch.float64))
    q = counts.reshape(len(ys), len(xs)) / (len(codes) * dx * dy)
    for axis, (spacing, width) in enumerate(((dy, float(h[1])), (dx, float(h[0])))):
        sigma = max(width / spacing, 1e-3)  # in cells
        radius = int(math.ceil(4 * sigma))
        offsets = torch.arange(-radius, radius + 1, dtype=torch.float64)
        kernel = torch.exp(-0.5 * (offsets / sigma) ** 2)
        kernel /= kernel.sum()
        moved = q.movedim(axis, -1)
        padded = torch.nn.functional.pad(moved[:, None, :], (radius, radius))  # mass beyond the grid: none
        q = torch.nn.functional.conv1d(padded, kernel[None, None]).squeeze(1).movedim(-1, axis)
    gy, gx = torch.meshgrid(ys.double(), xs.double(), indexing="ij")
    u = torch.stack([gx, gy], dim=-1) - mean.double()
    u = u / std.double()
    p = torch.exp(-0.5 * (u * u).sum(-1)) / (2 * math.pi * float(std.double().prod()))
    return (p - q).clamp_min(0).float()


def cycle_error(encode, decode, z: torch.Tensor, y: torch.Tensor | None = None, batch: int = 1024) -> torch.Tensor:
    """‖encode(decode(z)) − z‖ per code (n,): near 0 where the decoder draws something the encoder puts
    back at z (the decoder "makes sense" there), large in the holes between the data. ``encode(x, y)`` and
    ``decode(z, y)`` take the classes y (n,) of a conditional model (None for the others)."""
    parts = z.split(batch)
    classes = y.split(batch) if y is not None else [None] * len(parts)
    return torch.cat([(encode(decode(part, c), c) - part).norm(dim=1) for part, c in zip(parts, classes)])


def nearest_index(points: torch.Tensor, queries: torch.Tensor, batch: int = 1024) -> torch.Tensor:
    """For each query (m, d), the index of the nearest of ``points`` (n, d)."""
    return torch.cat([torch.cdist(part.float(), points.float()).argmin(1) for part in queries.split(batch)])


def sample_indices(n_images: int, seed: int, count: int) -> list[int]:
    """``count`` test image indices drawn by ``seed`` from ``n_images`` (the Reconstruction tab's row)."""
    return torch.randperm(n_images, generator=torch.Generator().manual_seed(seed))[:count].tolist()


def denoised(entry, x: torch.Tensor, given: torch.Tensor, indices) -> tuple[torch.Tensor, torch.Tensor]:
    """``entry`` (a model entry) given the images ``given`` (x corrupted, or x itself) of test images ``indices``:
    (its outputs, each one's mean squared error against the clean x (n,))."""
    y = entry.own_classes(indices)
    recon = entry.decode(entry.encode(given, y), y)
    return recon, (recon - x).pow(2).flatten(1).mean(1)
