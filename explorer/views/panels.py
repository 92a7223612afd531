"""What each panel shows, as plain functions: models and indices in, pictures out. No Gradio here.

``models`` is always a lineup's list of :class:`~explorer.entries.ModelEntry`, in display order;
nothing here asks which kind a model is: each entry knows its own centre, slider unit, prior and
manifold box. Pictures are RGB or grey uint8 arrays with their titles drawn in.
"""

from __future__ import annotations

import numpy as np
import torch

from explorer.core import latent
from explorer.core.entries import GRID_AXES, TRAVERSAL_RANGE, ModelEntry, base_code, slider_code
from explorer.views.images import grid, panel, titled, to_uint8, vstack
from training.objectives import DiagonalGaussian


def _mse(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return (a - b).pow(2).flatten(1).mean(1)


def _strip(
    x: torch.Tensor,
    caption: str,
    codes: list[torch.Tensor],
    models: list[ModelEntry],
    title: str | None,
    vertical: bool = False,
) -> np.ndarray:
    """Image x (1, C, H, W) beside (or above) each model's decoding of its code (1, k), with its MSE."""
    tiles, captions = [x], [caption]
    for entry, code in zip(models, codes):
        recon = entry.decode(code)
        tiles.append(recon)
        captions.append(f"{entry.label} {float(_mse(recon, x)):.4f}")
    if vertical:  # a narrow column: two pictures a row, captions under them, so the text stays large
        images = torch.cat(tiles)
        rows = [("", images[i : i + 2], captions[i : i + 2]) for i in range(0, len(images), 2)]
        return panel(rows, factor=4 if x.shape[-1] <= 32 else 2, title=title, font_size=22)
    return panel([("", torch.cat(tiles), captions)], factor=4 if x.shape[-1] <= 32 else 2, title=title)


POSTERIOR_DRAWS = 2  # decoded draws from a VAE's q(z|x) under the selected image


def selection(models: list[ModelEntry], images: torch.Tensor, index: int, originals: bool) -> np.ndarray:
    """A column: the selected test image, then each model's reconstruction labelled with its MSE, then for
    each model with a posterior, draws from q(z|x) decoded: what it thinks this image could be. The draws
    are seeded by ``index``, so the same selection shows the same draws."""
    x = images[index : index + 1]
    codes = [entry.z[index : index + 1] for entry in models]
    strip = _strip(
        x, f"#{index}" if originals else f"#{index} (decoded)", codes, models, "selected (MSE)", vertical=True
    )
    rows = []
    for entry in models:
        draws = posterior_draws(entry, x, entry.z[index], POSTERIOR_DRAWS, seed=index)
        if draws is not None:
            rows.append(("", entry.decode(draws), [f"{entry.label} draw {i + 1}" for i in range(len(draws))]))
    if not rows:
        return strip
    draws = panel(rows, factor=4 if x.shape[-1] <= 32 else 2, title="q(z|x) draws", font_size=22)
    return vstack([strip, draws])


def posterior_draws(entry: ModelEntry, x: torch.Tensor, mean: torch.Tensor, n: int, seed: int) -> torch.Tensor | None:
    """``n`` codes (n, k) drawn from ``entry``'s q(z|x) = N(mean, std(x)^2) for one image x (1, C, H, W) (``mean``
    (k,): its code as stored), or None for a model whose encoder is a point."""
    q = entry.posterior(x)
    if q is None:
        return None
    eps = torch.randn(n, entry.latent_dim, generator=torch.Generator().manual_seed(seed))
    return DiagonalGaussian(mean[None].float(), q.logvar).reparameterise(eps)


def decode_point(entry: ModelEntry, x: float, y: float) -> np.ndarray:
    """'What lives here?': the image a 2-D model decodes at the clicked map location (x, y)."""
    if entry.latent_dim != 2:
        raise ValueError("decoding a map location needs a model with a 2-D latent space")
    image = entry.decode(torch.tensor([[x, y]]))
    return panel(
        [("", image, None)],
        factor=6 if entry.image_shape[-1] <= 32 else 3,
        title=f"{entry.label} at ({x:.2f}, {y:.2f})",
    )


def slider_image(entry: ModelEntry, index: int | None, offsets: list[float]) -> np.ndarray:
    """The decoded image for the current slider positions, uint8 (H, W)."""
    return to_uint8(entry.decode(slider_code(entry, index, offsets)[None])[0])


def traversal_figure(entry: ModelEntry, index: int | None, steps: int = 7, font_size: int = 19) -> np.ndarray:
    """The β-VAE papers' traversal grid: one row per axis, moved −3 … +3 slider units from the start
    code, exactly as the sliders move it (the middle column, 0, is the start image). Rows are labelled
    with what ranks the axes (KL per dimension for a VAE)."""
    base, step = base_code(entry, index), entry.axis_scale()
    units = torch.linspace(-TRAVERSAL_RANGE, TRAVERSAL_RANGE, steps)
    rows = []
    for axis in entry.axes(GRID_AXES):
        codes = latent.traverse(base, axis, base[axis] + units * step[axis])
        captions = [f"{u:+.0f}" if u else "0" for u in units.tolist()] if not rows else None  # 0: the start
        rows.append((f"z{axis + 1}", entry.decode(codes), captions))  # how much it is used: the KL bars, the sliders
    return panel(
        rows,
        factor=1 if entry.image_shape[1] > 32 else 2,
        title=entry.label,  # what a row is: the text above the grids
        font_size=font_size,
    )


def sample_codes(entry: ModelEntry, n: int, seed: int) -> torch.Tensor:
    """The n * n codes of a sampling grid: draws from the model's sampling Gaussian (:meth:`ModelEntry.prior`)."""
    mean, std = entry.prior()
    return latent.sample_gaussian(n * n, entry.latent_dim, seed, mean, std)


def sample_grid(entry: ModelEntry, n: int, seed: int) -> np.ndarray:
    """n x n images decoded from the model's sampling Gaussian (:meth:`ModelEntry.prior`), one seed."""
    z = sample_codes(entry, n, seed)
    return titled(grid(entry.decode(z), nrow=n), f"{entry.label}: {entry.prior_caption}", factor=_zoom(entry, n))


def manifold(entry: ModelEntry, n: int) -> np.ndarray:
    """Kingma & Welling's Fig. 4 for a 2-D model: a regular grid through the Gaussian inverse CDF,
    scaled onto the model's map (:meth:`ModelEntry.manifold_box`)."""
    if entry.latent_dim != 2:
        raise ValueError("the manifold grid needs a 2-D latent space")
    mean, std = entry.manifold_box()
    picture = grid(entry.decode(latent.manifold_grid(n) * std + mean), nrow=n)
    return titled(picture, f"{entry.label} manifold", factor=_zoom(entry, n))


def _zoom(entry: ModelEntry, n: int) -> int:
    """Scale so an n x n grid is about 480 pixels wide (crisp on a projector, small to send)."""
    return max(1, round(480 / (n * (entry.image_shape[2] + 2))))


def interpolation(models: list[ModelEntry], images: torch.Tensor, a: int, b: int, steps: int = 10) -> np.ndarray:
    """For each model a linear and a spherical strip from test image a to b, originals at both ends."""
    rows = []
    ends = images[a : a + 1], images[b : b + 1]
    for entry in models:
        za, zb = entry.z[a], entry.z[b]
        for name, path in (("linear", latent.lerp), ("spherical", latent.slerp)):
            decoded = entry.decode(path(za, zb, steps))
            rows.append((f"{entry.label} {name}", torch.cat([ends[0], decoded, ends[1]]), None))
    return panel(
        rows, factor=2 if images.shape[-1] > 32 else 3, title=f"From test image #{a} to #{b} (originals at both ends)"
    )


def reconstructions(models: list[ModelEntry], images: torch.Tensor, indices: list[int], originals: bool) -> np.ndarray:
    """Originals (first row) above each model's reconstructions, each captioned with its MSE."""
    x = images[indices]
    rows = [("original" if originals else "stored", x, None)]
    for entry in models:
        recon = entry.decode(entry.z[indices])
        errors = _mse(recon, x)
        rows.append((f"{entry.label}  {float(errors.mean()):.4f}", recon, [f"{e:.3f}" for e in errors.tolist()]))
    return panel(rows, factor=3 if images.shape[-1] <= 32 else 2, title="Reconstructions (MSE per image)")


def encode_yours(
    models: list[ModelEntry], x: torch.Tensor, caption: str = "your image"
) -> tuple[list[torch.Tensor], np.ndarray]:
    """Encode a prepared image x (1, C, H, W) with every model: (codes (k,) in lineup order, picture of
    the input beside each reconstruction with its MSE)."""
    codes = [entry.encode(x) for entry in models]
    picture = _strip(x, caption, codes, models, f"{caption[0].upper()}{caption[1:]}, encoded and decoded by each model")
    return [z[0] for z in codes], picture
