"""The Compare tab's results grid: a row per β, a column per latent size, one cell per model with its samples
from N(0, I), reconstructions of the same test images, map and KL per dimension (the page shows one of them at
a time, switching without asking the server), and its active dimensions. HTML; no Gradio here.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Callable

import numpy as np
import torch
from PIL import Image, ImageDraw

from explorer.core.entries import ModelEntry
from explorer.core.latent import sample_gaussian
from explorer.core.sweeps import Sweep
from explorer.views.images import grid, png_bytes
from explorer.views.plots import PALETTE, many_colours
from explorer.views.sweep_views import active_units, beta_colour
from training.objectives import ACTIVE_KL

MAP_SPAN = 4.0  # the cells' maps show at least [-4, 4]^2 (prior standard deviations)
CELL_IMAGES = (1, 3)  # rows, columns of the samples and reconstructions in a cell: 3 fit at 28 px or more at 1280
SAMPLE_SEED = 0  # the same N(0, I) draws in every cell of a latent size
MODES = {"samples": "samples", "recon": "reconstructions", "map": "maps", "kl": "KL/dim"}


def data_url(picture: np.ndarray, stem: str = "") -> str:
    """``picture`` (uint8) inlined as a PNG data URL (the grid's default way to show a picture)."""
    return "data:image/png;base64," + base64.b64encode(png_bytes(picture)).decode()


def cell_samples(entry: ModelEntry) -> np.ndarray:
    """Decoded draws from N(0, I), the same seed in every cell (so the same draws for one k)."""
    rows, columns = CELL_IMAGES
    z = sample_gaussian(rows * columns, entry.latent_dim, SAMPLE_SEED)
    return grid(entry.decode(z), nrow=columns, pad=1)


def cell_reconstructions(entry: ModelEntry, count: int) -> np.ndarray:
    """The first ``count`` test images as the model decodes their codes (posterior means)."""
    return grid(entry.decode(entry.z[:count]), nrow=CELL_IMAGES[1], pad=1)


def cell_map(entry: ModelEntry, size: int = 160) -> np.ndarray:
    """The test codes on the model's two most-used dimensions (by KL; k = 2: both), coloured by label, with the
    prior's 1σ and 2σ circles, in a box of at least [-4, 4]^2 prior standard deviations, widened to hold 99.5%
    of the codes (so a small β's spread shows as small circles): RGB (size, size, 3)."""
    dims = entry.axes(2)
    xy = entry.z[:, dims].float() if len(dims) == 2 else torch.cat([entry.z[:, :1], torch.zeros(len(entry.z), 1)], 1)
    span = max(MAP_SPAN, math.ceil(float(xy.abs().quantile(0.995))))
    scale = (size - 4) / (2 * span)  # pixels per prior standard deviation
    centre = size / 2
    picture = np.full((size, size, 3), 255, np.uint8)
    inside = (xy.abs() <= span).all(1).numpy()
    pixels = (xy.numpy()[inside] * scale + centre).astype(int).clip(0, size - 3)
    labels = entry.labels.numpy()[inside]
    classes = entry.meta["dataset"].get("class_names") or []
    colours = PALETTE if len(classes) <= len(PALETTE) else many_colours(len(classes))
    rgb = np.array([[int(c[j : j + 2], 16) for j in (1, 3, 5)] for c in colours], np.uint8)
    order = np.random.default_rng(0).permutation(len(pixels))  # no class always drawn on top
    colour = rgb[labels[order] % len(rgb)] if classes else np.full((len(order), 3), (31, 119, 180), np.uint8)
    x, y = pixels[order, 0], size - 3 - pixels[order, 1]  # y up
    for dx in (0, 1, 2):
        for dy in (0, 1, 2):
            picture[y + dy, x + dx] = colour
    canvas = Image.fromarray(picture)
    draw = ImageDraw.Draw(canvas)
    for sigma in (1, 2):  # above the points, as on the Latent map
        r = sigma * scale
        draw.ellipse([centre - r, centre - r, centre + r, centre + r], outline="#222222", width=2)
    return np.asarray(canvas)


def cell_kl_svg(kl_per_dim: list[float], top: float) -> str:
    """KL per dimension, most-used first, as bars on a shared scale (``top`` nats: the sweep's largest);
    dimensions under :data:`ACTIVE_KL` pale."""
    values = sorted(kl_per_dim, reverse=True)
    width, height = 100, 50
    bar = width / max(len(values), 1)
    bars = []
    for i, v in enumerate(values):
        h = max(v / top * (height - 2), 0.6)
        fill = "#3b3b98" if v > ACTIVE_KL else "#c9c9c9"
        bars.append(
            f'<rect x="{i * bar + bar * 0.1:.2f}" y="{height - h:.2f}" width="{bar * 0.8:.2f}" '
            f'height="{h:.2f}" fill="{fill}"/>'
        )
    return (
        f'<svg class="m-kl" viewBox="0 0 {width} {height}" preserveAspectRatio="none">'
        f'<line x1="0" y1="{height}" x2="{width}" y2="{height}" stroke="#888" stroke-width="1"/>'
        f"{''.join(bars)}</svg>"
    )


def results_grid(
    sweep: Sweep,
    entries: dict[str, ModelEntry],
    originals: torch.Tensor,
    mode: str = "samples",
    url: Callable[[np.ndarray, str], str] = data_url,
) -> str:
    """The grid: a row per β, a column per latent size; every cell holds the model's samples, reconstructions
    of ``originals`` (the first test images, (n, C, H, W)), map and KL bars (``mode`` says which is shown; the
    page switches without asking again), its active dimensions, and its name (a click opens it). ``url(picture,
    stem)`` is where each picture is (default: inlined; the app serves them as files)."""
    count = CELL_IMAGES[0] * CELL_IMAGES[1]
    top = max((max(m["kl_per_dim"]) for m in sweep.models), default=1.0) or 1.0
    originals_picture = url(grid(originals[:count], nrow=CELL_IMAGES[1], pad=1), f"{sweep.name}-originals")
    head = ['<div class="le-sg-corner">click to open</div>']
    head += [f'<div class="le-sg-col">k = {k}</div>' for k in sweep.latent_dims]
    rows = ['<div class="le-sg-row m-recon">test images</div>']
    rows += [
        f'<div class="le-sg-cell le-sg-originals m-recon"><img src="{originals_picture}" alt="test images">'
        '<span class="le-sg-active"></span></div>'  # the badges' room, so the pictures line up
        for _ in sweep.latent_dims
    ]
    for b in sweep.betas:
        rows.append(f'<div class="le-sg-row"><i style="background:{beta_colour(b)}"></i>β = {b:g}</div>')
        for k in sweep.latent_dims:
            m = sweep.model(b, k)
            entry = entries.get(m["name"]) if m else None
            if entry is None:
                rows.append('<div class="le-sg-cell le-sg-missing">diverged</div>')
                continue
            active = active_units(m)
            tip = html.escape(
                f"β = {b:g}, k = {k}: MSE/pixel {m['mse_per_pixel']:.4f}, rate {m['test_kl']:.1f} nats, "
                f"distortion {m['test_recon']:.1f} nats, {active} of {k} dims active. "
                "Click to open it in the other tabs."
            )
            rows.append(
                f'<div class="le-sg-cell" data-model="{html.escape(entry.name)}" title="{tip}">'
                f'<img class="m-samples" src="{url(cell_samples(entry), f"{entry.name}-samples")}" '
                f'alt="β = {b:g}, k = {k}: samples">'
                f'<img class="m-recon" src="{url(cell_reconstructions(entry, count), f"{entry.name}-recon")}" '
                f'alt="β = {b:g}, k = {k}: reconstructions">'
                f'<img class="m-map" src="{url(cell_map(entry), f"{entry.name}-map")}" alt="β = {b:g}, k = {k}: map">'
                f"{cell_kl_svg(m['kl_per_dim'], top)}"
                f'<span class="le-sg-active{" partial" if active < k else ""}">{active}/{k}</span></div>'
            )
    style = (
        f"grid-template-columns: max-content repeat({len(sweep.latent_dims)}, minmax(0, 1fr)); "
        "grid-template-rows: auto; grid-auto-rows: minmax(0, 1fr);"
    )  # the test images' row: in recon mode
    return (
        f'<div class="le-sg" data-mode="{html.escape(mode)}" data-sweep="{html.escape(sweep.name)}">'
        f'<div class="le-sg-grid" style="{style}">{"".join(head + rows)}</div></div>'
    )
