"""What each panel of the app shows, as plain functions: models and indices in, pictures out.

No Gradio here: ``explorer/ui.py`` only lays these out and wires them to events, and the tests call
them directly. A "trio" is {'pca': entry, 'ae': entry, 'vae': entry} for one dataset and latent size;
kinds missing from the zoo are skipped.
"""

from __future__ import annotations

import numpy as np
import torch

from . import latent
from .images import grid, panel, titled, to_uint8
from .store import KIND_ORDER, ModelEntry

TRAVERSAL_RANGE = 3.0     # slider and grid span, in standard deviations
MAX_AXES = 8              # traversal sliders / grid rows shown for large latent sizes


def ordered(trio: dict[str, ModelEntry], kinds=KIND_ORDER) -> list[ModelEntry]:
    return [trio[k] for k in kinds if k in trio]


def _mse(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return (a - b).pow(2).flatten(1).mean(1)


def _strip(x: torch.Tensor, caption: str, codes: dict[str, torch.Tensor], trio, title: str) -> np.ndarray:
    """Image x (1, C, H, W) beside each model's decoding of its code (1, k), captioned with the MSE."""
    tiles, captions = [x], [caption]
    for entry in ordered(trio):
        recon = entry.decode(codes[entry.kind])
        tiles.append(recon)
        captions.append(f"{entry.label} {float(_mse(recon, x)):.4f}")
    return panel([("", torch.cat(tiles), captions)], factor=4, title=title)


def selection(trio, images: torch.Tensor, index: int, originals: bool) -> np.ndarray:
    """The selected test image beside each model's reconstruction, captioned with per-image MSE."""
    codes = {entry.kind: entry.z[index:index + 1] for entry in ordered(trio)}
    return _strip(images[index:index + 1], "original" if originals else "decoded", codes, trio,
                  f"Test image #{index} and its reconstructions (MSE)")


def decode_point(entry: ModelEntry, x: float, y: float) -> np.ndarray:
    """'What lives here?': the image a 2-D model decodes at the clicked map location (x, y)."""
    if entry.latent_dim != 2:
        raise ValueError("decoding a map location needs a model with a 2-D latent space")
    image = entry.decode(torch.tensor([[x, y]]))
    return panel([("", image, None)], factor=6, title=f"{entry.label} at ({x:.2f}, {y:.2f})")


def base_code(entry: ModelEntry, index: int | None) -> torch.Tensor:
    """Where a traversal starts: the code of test image ``index``, or (None) the centre of the
    model's latent space (the prior mean for a VAE, the mean code for an AE or PCA)."""
    if index is None:
        return torch.zeros(entry.latent_dim) if entry.kind == "vae" else entry.code_mean.clone()
    return entry.z[index].clone()


def axis_scale(entry: ModelEntry) -> torch.Tensor:
    """One slider unit per dimension (k,): the prior's std (1) for a VAE, the codes' std otherwise."""
    return torch.ones(entry.latent_dim) if entry.kind == "vae" else entry.code_std


def traversal_axes(entry: ModelEntry) -> list[int]:
    """The dimensions the sliders move, most important first (by KL per dim for a VAE)."""
    return entry.dim_order[:MAX_AXES]


def slider_code(entry: ModelEntry, index: int | None, offsets: list[float]) -> torch.Tensor:
    """The code for slider ``offsets`` (one per axis, in slider units) from the base code: (k,)."""
    z = base_code(entry, index)
    step = axis_scale(entry)
    for axis, offset in zip(traversal_axes(entry), offsets):
        z[axis] += float(offset) * step[axis]
    return z


def slider_image(entry: ModelEntry, index: int | None, offsets: list[float]) -> np.ndarray:
    """The decoded image for the current slider positions, uint8 (H, W)."""
    return to_uint8(entry.decode(slider_code(entry, index, offsets)[None])[0])


def traversal_figure(entry: ModelEntry, index: int | None, steps: int = 9) -> np.ndarray:
    """The beta-VAE papers' traversal grid: one row per axis, the axis set to values -3...3 (in slider
    units around the centre) with the other coordinates held at the base code. Rows are labelled
    with the dimension's KL (VAE) or code variance (AE, PCA)."""
    base = base_code(entry, index)
    centre, step = base_code(entry, None), axis_scale(entry)
    units = torch.linspace(-TRAVERSAL_RANGE, TRAVERSAL_RANGE, steps)
    rows = []
    for axis in traversal_axes(entry):
        codes = latent.traverse(base, axis, centre[axis] + units * step[axis])
        score = entry.importance[axis]
        label = f"z{axis + 1}  KL {score:.2f}" if entry.kind == "vae" else f"z{axis + 1}  var {score:.2g}"
        captions = [f"{u:+.1f}" for u in units.tolist()] if not rows else None
        rows.append((label, entry.decode(codes), captions))
    return panel(rows, factor=2 if entry.model.config.image_shape[1] > 32 else 3,
                 title=f"{entry.label} traversal grid (±{TRAVERSAL_RANGE:g} std around the centre)")


def sample_grid(entry: ModelEntry, n: int, seed: int) -> np.ndarray:
    """n x n images decoded from the model's sampling Gaussian (:meth:`ModelEntry.prior`), one seed."""
    mean, std = entry.prior()
    z = latent.sample_gaussian(n * n, entry.latent_dim, seed, mean, std)
    what = "Gaussian on its scores" if entry.kind == "pca" else "decoded N(0, I)"
    return titled(grid(entry.decode(z), nrow=n), f"{entry.label}: {what}", factor=_zoom(entry, n))


def manifold(entry: ModelEntry, n: int) -> np.ndarray:
    """Kingma & Welling's Fig. 4 for a 2-D model: a regular grid through the Gaussian inverse CDF,
    scaled by the model's sampling Gaussian (for an AE: its codes' mean and std, to cover its map)."""
    if entry.latent_dim != 2:
        raise ValueError("the manifold grid needs a 2-D latent space")
    mean, std = (entry.code_mean, entry.code_std) if entry.kind == "ae" else entry.prior()
    picture = grid(entry.decode(latent.manifold_grid(n) * std + mean), nrow=n)
    return titled(picture, f"{entry.label} manifold", factor=_zoom(entry, n))


def _zoom(entry: ModelEntry, n: int) -> int:
    """Scale so an n x n grid is about 480 pixels wide (crisp on a projector, small to send)."""
    return max(1, round(480 / (n * (entry.model.config.image_shape[2] + 2))))


def interpolation(trio, images: torch.Tensor, a: int, b: int, steps: int = 10) -> np.ndarray:
    """For each model a linear and a spherical strip from test image a to b, originals at both ends."""
    rows = []
    ends = images[a:a + 1], images[b:b + 1]
    for entry in ordered(trio):
        za, zb = entry.z[a], entry.z[b]
        for name, path in (("linear", latent.lerp), ("spherical", latent.slerp)):
            decoded = entry.decode(path(za, zb, steps))
            rows.append((f"{entry.label} {name}", torch.cat([ends[0], decoded, ends[1]]), None))
    return panel(rows, factor=2 if images.shape[-1] > 32 else 3,
                 title=f"From test image #{a} to #{b} (originals at both ends)")


def reconstructions(trio, images: torch.Tensor, indices: list[int], originals: bool) -> np.ndarray:
    """Originals (first row) above each model's reconstructions, each captioned with its MSE."""
    x = images[indices]
    rows = [("original" if originals else "stored", x, None)]
    for entry in ordered(trio):
        recon = entry.decode(entry.z[indices])
        errors = _mse(recon, x)
        rows.append((f"{entry.label}  {float(errors.mean()):.4f}", recon, [f"{e:.3f}" for e in errors.tolist()]))
    return panel(rows, factor=3 if images.shape[-1] <= 32 else 2, title="Reconstructions (MSE per image)")


def encode_yours(trio, x: torch.Tensor) -> tuple[dict[str, torch.Tensor], np.ndarray]:
    """Encode a prepared image x (1, C, H, W) with every model: ({kind: code (k,)}, picture of the
    input beside each reconstruction with its MSE)."""
    codes = {entry.kind: entry.encode(x) for entry in ordered(trio)}
    picture = _strip(x, "your image", codes, trio, "Your image, encoded and decoded")
    return {kind: z[0] for kind, z in codes.items()}, picture

