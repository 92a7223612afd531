"""The layers a latent map can draw over its points (see ``LAYERS``), as plain data for the page script.

    {"images": [{"le": "holes" | "quality", "source": PNG data URL, "x", "y" (its top left corner),
                 "sizex", "sizey" (its size), "colour", "rising", "visible"}],
                                                  pictures in the map's units, hatched over the points
     "lines": {"prior": {"x", "y", "visible"},    the 1- and 2-sigma rings (null between rings)
               "samples": {"x", "y", "visible"}}} the sampling grid's codes, drawn as crosses

Every layer a map can draw is sent, each ``visible`` or not, so the page shows or hides one at once
(``explorer/page/static/map_canvas.js``): a picture shown or hidden redraws that map (~20 ms), a line only the
canvas of marks above its points.
"""

from __future__ import annotations

import base64
import io
import math

import numpy as np
import torch
from PIL import Image

from explorer.core.entries import ModelEntry
from explorer.core.latent import ellipse
from explorer.core.state import LAYERS  # noqa: F401 -- the layers' names and captions: the page's state

HOLES_RGB, QUALITY_RGB = (200, 0, 0), (80, 40, 160)  # hatched by the page, so unlike the points' flat colours
QUALITY_FROM = 0.3  # the decoder-quality layer's scale starts at this share of the grid's 95th-percentile error


def map_layers(entry: ModelEntry, view: str, shown: list[str], samples: torch.Tensor | None = None) -> dict:
    """``entry``'s layers that make sense in ``view`` (the dims view only), those in ``shown`` visible:
    the prior's rings on a map of the first two dimensions, the density images on a 2-D model's map, and
    ``samples`` (m, 2 in the map's view) wherever given. The decoder-quality image is sent once it is
    computed (the warm-up does it; about 5 s for a faces model) or when it is shown."""
    images, lines = [], {}
    if view == "dims":
        if entry.latent_dim == 2:
            _, std = entry.prior()
            holes = entry.prior_holes * (2 * math.pi * float(std[0] * std[1]))  # a share of the prior's peak
            images.append(_image(entry, "holes", shading(holes / 0.6), HOLES_RGB))
            if "quality" in shown or entry.has_decoder_quality:
                error = entry.decoder_quality
                scale = float(error.quantile(0.95)) or 1.0  # marked from a third of it: where decoding goes wrong,
                worst = (error / scale - QUALITY_FROM) / (1 - QUALITY_FROM)  # not every grey zone between classes
                images.append(_image(entry, "quality", shading(worst), QUALITY_RGB))
        mean, std = entry.prior()
        path = []
        for scale in (1.0, 2.0):
            path += ellipse(mean[:2], std[:2], scale).tolist() + [[None, None]]
        lines["prior"] = {"x": [_round(p[0]) for p in path], "y": [_round(p[1]) for p in path]}
    if samples is not None:
        lines["samples"] = {
            "x": [_round(v) for v in samples[:, 0].tolist()],
            "y": [_round(v) for v in samples[:, 1].tolist()],
        }
    for layer in [*images, *lines.values()]:
        layer["visible"] = False
    for image in images:
        image["visible"] = image["le"] in shown
    for name, line in lines.items():
        line["visible"] = name in shown
    return {"images": images, "lines": lines}


MARKED, LEAST_ALPHA, MOST_ALPHA = 0.1, 0.8, 0.95  # a layer's shading: where its value is at least MARKED (of its
# scale), at least LEAST_ALPHA opaque, so that a projector shows it: 3:1 contrast with the white plot at least


def shading(value: torch.Tensor) -> torch.Tensor:
    """Opacities for a layer's ``value`` (0 nothing, 1 its scale): none below :data:`MARKED`, then from
    :data:`LEAST_ALPHA` to :data:`MOST_ALPHA` (a haze would not show on a projector)."""
    value = value.clamp(0, 1)
    return torch.where(value < MARKED, torch.zeros_like(value), LEAST_ALPHA + (MOST_ALPHA - LEAST_ALPHA) * value)


def _round(value):
    return None if value is None else round(value, 4)


def _image(entry: ModelEntry, name: str, alpha: torch.Tensor, rgb: tuple[int, int, int]) -> dict:
    """A (64, 64) grid of opacities over ``entry.layer_grid`` as a picture placed in the map's units."""
    xs, ys = entry.layer_grid
    dx, dy = float(xs[1] - xs[0]), float(ys[1] - ys[0])
    pixels = np.zeros((*alpha.shape, 4), np.uint8)
    pixels[..., :3] = rgb
    pixels[..., 3] = (alpha.flip(0).numpy() * 255).round().astype(np.uint8)  # rows top (largest y) first
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGBA").save(buffer, format="PNG")
    source = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    return {
        "le": name,
        "colour": "#{:02x}{:02x}{:02x}".format(*rgb),  # the page hatches the picture in this colour
        "rising": name == "holes",  # holes: stripes rising to the right; decoder quality: falling
        "source": source,
        "x": float(xs[0]) - dx / 2,
        "y": float(ys[-1]) + dy / 2,
        "sizex": dx * len(xs),
        "sizey": dy * len(ys),
    }
