"""What each panel shows, as plain functions: models and indices in, pictures out. No Gradio here.

``models`` is always a lineup's list of :class:`~explorer.entries.ModelEntry`, in display order;
nothing here asks which kind a model is: each entry knows its own centre, slider unit, prior and
manifold box, and the class it draws (``drawn``: the page's choice for a conditional model, else a test image's
own label; :meth:`~explorer.core.entries.ModelEntry.class_of`). Pictures are RGB or grey uint8 arrays with their
titles drawn in.
"""

from __future__ import annotations

import numpy as np
import torch

from explorer.core import latent
from explorer.core.entries import GRID_AXES, TRAVERSAL_RANGE, ModelEntry, base_code, slider_code
from explorer.views.images import grid, panel, titled, to_uint8, vstack
from training.models import corrupt
from training.objectives import DiagonalGaussian

RECONSTRUCTION_TEXT_PX = 25  # the smallest text in the Reconstruction picture (its per-image errors)


def _mse(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return (a - b).pow(2).flatten(1).mean(1)


def _strip(
    x: torch.Tensor,
    caption: str,
    codes: list[torch.Tensor],
    models: list[ModelEntry],
    title: str | None,
    vertical: bool = False,
    classes: list[torch.Tensor | None] | None = None,
) -> np.ndarray:
    """Image x (1, C, H, W) beside (or above) each model's decoding of its code (1, k) (given its class, for a
    conditional model: ``classes``, one per model), with its MSE."""
    tiles, captions = [x], [caption]
    for i, (entry, code) in enumerate(zip(models, codes)):
        recon = entry.decode(code, classes[i] if classes else None)
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
    own = [entry.class_of(index) for entry in models]
    caption = f"#{index}" if originals else f"#{index} (decoded)"
    strip = _strip(x, caption, codes, models, "selected (MSE)", vertical=True, classes=own)
    rows = []
    for entry, y in zip(models, own):
        draws = posterior_draws(entry, x, entry.z[index], POSTERIOR_DRAWS, seed=index, y=y)
        if draws is not None:
            decoded = entry.decode(draws, None if y is None else y.expand(len(draws)))
            rows.append(("", decoded, [f"{entry.label} draw {i + 1}" for i in range(len(draws))]))
    if not rows:
        return strip
    draws = panel(rows, factor=4 if x.shape[-1] <= 32 else 2, title="q(z|x) draws", font_size=22)
    return vstack([strip, draws])


def posterior_draws(
    entry: ModelEntry, x: torch.Tensor, mean: torch.Tensor, n: int, seed: int, y: torch.Tensor | None = None
) -> torch.Tensor | None:
    """``n`` codes (n, k) drawn from ``entry``'s q(z|x) = N(mean, std(x)^2) for one image x (1, C, H, W) of class y
    (``mean`` (k,): its code as stored), or None for a model whose encoder is a point."""
    q = entry.posterior(x, y)
    if q is None:
        return None
    eps = torch.randn(n, entry.latent_dim, generator=torch.Generator().manual_seed(seed))
    return DiagonalGaussian(mean[None].float(), q.logvar).reparameterise(eps)


def decode_point(entry: ModelEntry, x: float, y: float, drawn: int | None = None) -> np.ndarray:
    """'What lives here?': the image a 2-D model decodes at the clicked map location (x, y)."""
    if entry.latent_dim != 2:
        raise ValueError("decoding a map location needs a model with a 2-D latent space")
    image = entry.decode(torch.tensor([[x, y]]), entry.class_of(None, drawn))
    return panel(
        [("", image, None)],
        factor=6 if entry.image_shape[-1] <= 32 else 3,
        title=f"{entry.label} at ({x:.2f}, {y:.2f})",
    )


def slider_image(entry: ModelEntry, index: int | None, offsets: list[float], drawn: int | None = None) -> np.ndarray:
    """The decoded image for the current slider positions, uint8 (H, W)."""
    return to_uint8(entry.decode(slider_code(entry, index, offsets)[None], entry.class_of(index, drawn))[0])


def traversal_figure(
    entry: ModelEntry, index: int | None, steps: int = 7, font_size: int = 19, drawn: int | None = None
) -> np.ndarray:
    """The β-VAE papers' traversal grid: one row per axis, moved −3 … +3 slider units from the start
    code, exactly as the sliders move it (the middle column, 0, is the start image). Rows are labelled
    with what ranks the axes (KL per dimension for a VAE)."""
    base, step = base_code(entry, index), entry.axis_scale()
    units = torch.linspace(-TRAVERSAL_RANGE, TRAVERSAL_RANGE, steps)
    rows = []
    for axis in entry.axes(GRID_AXES):
        codes = latent.traverse(base, axis, base[axis] + units * step[axis])
        captions = [f"{u:+.0f}" if u else "0" for u in units.tolist()] if not rows else None  # 0: the start
        decoded = entry.decode(codes, entry.class_of(index, drawn, len(codes)))
        rows.append((f"z{axis + 1}", decoded, captions))  # how much it is used: the KL bars, the sliders
    return panel(
        rows,
        factor=1 if entry.image_shape[1] > 32 else 2,
        title=f"{entry.label}{drawn_words(entry, index, drawn)}",  # what a row is: the text above the grids
        font_size=font_size,
    )


def sample_codes(entry: ModelEntry, n: int, seed: int) -> torch.Tensor:
    """The n * n codes of a sampling grid: draws from the model's sampling Gaussian (:meth:`ModelEntry.prior`)."""
    mean, std = entry.prior()
    return latent.sample_gaussian(n * n, entry.latent_dim, seed, mean, std)


def sample_grid(entry: ModelEntry, n: int, seed: int, drawn: int | None = None) -> np.ndarray:
    """n x n images decoded from the model's sampling Gaussian (:meth:`ModelEntry.prior`), one seed (of class
    ``drawn``, for a conditional model)."""
    z = sample_codes(entry, n, seed)
    title = f"{entry.label}: {entry.prior_caption}{drawn_words(entry, None, drawn)}"
    return titled(grid(entry.decode(z, entry.class_of(None, drawn, len(z))), nrow=n), title, factor=_zoom(entry, n))


def drawn_words(entry: ModelEntry, index: int | None, drawn: int | None) -> str:
    """ ", as a 3" for a conditional model (the class it draws), "" for the others."""
    y = entry.class_of(index, drawn)
    if y is None:
        return ""
    names = entry.class_names
    return f", as {names[int(y[0])] if int(y[0]) < len(names) else int(y[0])}"


def class_grid(entry: ModelEntry, index: int | None, rows: int = 4, seed: int = 0) -> np.ndarray:
    """A conditional model's point: the same code drawn as every class. A row per code (test image ``index``'s
    first, then draws from N(0, I)), a column per class: the style stays along a row, the class changes."""
    n_classes = entry.model.config.n_classes
    codes = latent.sample_gaussian(rows, entry.latent_dim, seed, *entry.prior())
    if index is not None:
        codes = torch.cat([entry.z[index : index + 1].float(), codes[: rows - 1]])
    z = codes.repeat_interleave(n_classes, 0)
    y = torch.arange(n_classes).repeat(len(codes))
    first = f"row 1: image #{index}'s code" if index is not None else "codes from N(0, I)"
    title = f"{entry.label}: a code per row ({first}), a class per column"
    return titled(grid(entry.decode(z, y), nrow=n_classes), title, factor=_zoom(entry, n_classes))


def manifold(entry: ModelEntry, n: int, drawn: int | None = None) -> np.ndarray:
    """Kingma & Welling's Fig. 4 for a 2-D model: a regular grid through the Gaussian inverse CDF,
    scaled onto the model's map (:meth:`ModelEntry.manifold_box`)."""
    if entry.latent_dim != 2:
        raise ValueError("the manifold grid needs a 2-D latent space")
    mean, std = entry.manifold_box()
    picture = grid(entry.decode(latent.manifold_grid(n) * std + mean, entry.class_of(None, drawn, n * n)), nrow=n)
    return titled(picture, f"{entry.label} manifold{drawn_words(entry, None, drawn)}", factor=_zoom(entry, n))


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
            codes = path(za, zb, steps)
            decoded = entry.decode(codes, entry.class_of(a, None, len(codes)))  # a conditional model: as a's class
            rows.append((f"{entry.label} {name}", torch.cat([ends[0], decoded, ends[1]]), None))
    return panel(
        rows, factor=2 if images.shape[-1] > 32 else 3, title=f"From test image #{a} to #{b} (originals at both ends)"
    )


def reconstructions(
    models: list[ModelEntry],
    images: torch.Tensor,
    indices: list[int],
    originals: bool,
    noise: tuple[str, float] = ("gaussian", 0.0),
    seed: int = 0,
    means: dict | None = None,
) -> np.ndarray:
    """Originals (first row) above each model's reconstructions, each captioned with its MSE. With ``noise``
    (corruption, level > 0: :func:`training.models.corrupt`, seeded), the models are given the corrupted images
    (second row) and their outputs are scored against the clean ones: each model as a denoiser. ``means`` (a dict)
    receives each model's mean error by its label."""
    x = images[indices]
    rows = [("original" if originals else "stored", x, None)]
    corruption, level = noise
    noisy = corrupt(x, corruption, level, torch.Generator().manual_seed(seed)) if level > 0 else None
    if noisy is not None:
        what = f"noise σ={level:g}" if corruption == "gaussian" else f"{level:.0%} masked"
        errors = _mse(noisy, x)
        rows.append((f"{what}  {float(errors.mean()):.4f}", noisy, [f"{e:.3f}" for e in errors.tolist()]))
    for entry in models:
        if noisy is None:
            recon = entry.decode(entry.z[indices], entry.own_classes(indices))
            errors = _mse(recon, x)
        else:
            recon, errors = latent.denoised(entry, x, noisy, indices)
        if means is not None:
            means[entry.label] = float(errors.mean())
        rows.append((f"{entry.label}  {float(errors.mean()):.4f}", recon, [f"{e:.3f}" for e in errors.tolist()]))
    title = (
        "Reconstructions (MSE per image)"
        if noisy is None
        else "Denoised: each model given the noisy row (MSE against the clean images)"
    )
    # Shown about 0.6 times its size beside the drawing pad at 1280x720: 26 px text is ~15 px there, so are captions.
    return panel(
        rows, factor=3 if images.shape[-1] <= 32 else 2, title=title, font_size=26, caption_size=RECONSTRUCTION_TEXT_PX
    )


def encode_yours(
    models: list[ModelEntry], x: torch.Tensor, caption: str = "your image", drawn: int | None = None
) -> tuple[list[torch.Tensor], np.ndarray]:
    """Encode a prepared image x (1, C, H, W) with every model (a conditional one as class ``drawn``): (codes (k,)
    in lineup order, picture of the input beside each reconstruction with its MSE)."""
    classes = [entry.class_of(None, drawn) for entry in models]
    codes = [entry.encode(x, y) for entry, y in zip(models, classes)]
    title = f"{caption[0].upper()}{caption[1:]}, encoded and decoded by each model"
    picture = _strip(x, caption, codes, models, title, classes=classes)
    return [z[0] for z in codes], picture
