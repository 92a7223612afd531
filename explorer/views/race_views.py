"""What the Watch them learn tab shows of a race (:mod:`training.race`): the spec ``static/race.js`` replays a
recording from, the frames of a race training now as the page receives them, and the race as one picture per frame
(the GIF). No Gradio here.

The codes are shown on their first two axes (races are k = 2)."""

from __future__ import annotations

import base64
import hashlib
import math

import numpy as np
import torch
from PIL import Image, ImageDraw

from explorer.views.images import gif_bytes, grid, hstack, png_bytes, scale, titled, vstack
from explorer.views.plots import PALETTE, many_colours
from training.race import Recording

RINGS = [round(math.sqrt(-2 * math.log(1 - p)), 4) for p in (0.68, 0.95)]  # 2-D N(0, I): radius holding p
SAMPLE_COLUMNS = 4


def view_extents(xy: torch.Tensor) -> torch.Tensor:
    """The half-width of the view of codes ``xy`` (..., N, 2): the 99th percentile of |coordinate|, at least 3 (the
    rings always fit), so a map shows where nearly all its codes are; one per leading index."""
    return xy.abs().flatten(-2).quantile(0.99, dim=-1).clamp(min=3.0)


def extents(recording: Recording) -> list[list[float]]:
    """Per frame and model, the half-width of the view (:func:`view_extents`)."""
    return view_extents(recording.codes[..., :2]).round(decimals=3).tolist()


def sample_sprite(recording: Recording, model: int) -> np.ndarray:
    """Every frame's grid of the model's decoded draws, one under another: uint8, tiles of equal height."""
    tiles = [grid(recording.samples[f, model].float() / 255, nrow=SAMPLE_COLUMNS) for f in range(len(recording.steps))]
    return np.concatenate(tiles, axis=0)


def race_spec(recording: Recording, assets, name: str) -> dict:
    """What ``static/race.js`` draws: the points file (float32 x, y per frame, model and image, then int32 labels),
        each model's label and sample sprite, the frames' steps, losses and view extents, the rings, the colours. Files
    are written with ``assets`` (the page's :class:`~explorer.page.assets.Assets`)."""
    frames, models, n, _ = recording.codes.shape
    xy = recording.codes[..., :2].contiguous().numpy().astype("<f4").tobytes()
    labels = recording.labels.numpy().astype("<i4").tobytes()
    key = hashlib.sha1(xy + recording.samples.numpy().tobytes()).hexdigest()[:12]
    points = assets.binary_path(xy + labels, f"race-{name}-{key}")
    palette, legend = class_palette(recording.meta["dataset"].get("class_names"))
    sprites = []
    for m in range(models):
        sprite = sample_sprite(recording, m)
        sprites.append((assets.url(assets.picture_path(sprite, f"race-{name}-m{m}")), sprite.shape[1], sprite.shape[0]))
    config = recording.meta["config"]
    per_epoch = math.ceil((config.get("train_subset") or 60_000) / config["batch_size"])
    return {
        "name": name,
        "points": assets.url(points),
        "frames": frames,
        "n": n,
        "models": [
            {"label": label, "sprite": url, "tile": [width, height // frames]}
            for label, (url, width, height) in zip(recording.meta["models"], sprites)
        ],
        "steps": recording.steps,
        "steps_per_epoch": per_epoch,
        "losses": [[None if not math.isfinite(v) else round(v, 2) for v in row] for row in recording.losses],
        "extents": extents(recording),
        "rings": RINGS,
        "palette": palette,
        "legend": legend,
    }


def frame_picture(recording: Recording, frame: int, palette: list[str], size: int = 260) -> np.ndarray:
    """Frame ``frame`` as one picture (for the GIF): each model's map (its codes as 3-px dots in their class's
    colour, the rings) above its decoded draws, under its name and loss; RGB uint8."""
    pictures = []
    colours = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in palette], np.uint8)
    for m, label in enumerate(recording.meta["models"]):
        canvas = np.full((size, size, 3), 255, np.uint8)
        xy = recording.codes[frame, m, :, :2].numpy()
        extent = float(view_extents(recording.codes[frame, m, :, :2]))
        unit = (size / 2 - 6) / extent
        px = np.clip((size / 2 + xy[:, 0] * unit).astype(int), 1, size - 2)
        py = np.clip((size / 2 - xy[:, 1] * unit).astype(int), 1, size - 2)
        colour = colours[recording.labels.numpy() % len(colours)]
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                canvas[py + dy, px + dx] = colour
        image = Image.fromarray(canvas)
        draw = ImageDraw.Draw(image)
        for r in RINGS:
            radius = r * unit
            box = (size / 2 - radius, size / 2 - radius, size / 2 + radius, size / 2 + radius)
            draw.ellipse(box, outline="white", width=5)
            draw.ellipse(box, outline="black", width=2)
        samples = scale(grid(recording.samples[frame, m].float() / 255, nrow=SAMPLE_COLUMNS), 2)
        loss = recording.losses[frame][m]
        title = label if not math.isfinite(loss) else f"{label}  loss {loss:.0f}"
        pictures.append(titled(vstack([np.asarray(image), samples]), title))
    step = recording.steps[frame]
    return titled(hstack(pictures), f"step {step} of {recording.steps[-1]}")


def race_gif(recording: Recording, palette: list[str], every: int = 1, size: int = 260) -> bytes:
    """The race as an animated GIF: every ``every``-th frame (and the last), the last held for two seconds."""
    chosen = sorted({*range(0, len(recording.steps), every), len(recording.steps) - 1})
    frames = [frame_picture(recording, f, palette, size) for f in chosen]
    return gif_bytes(frames + [frames[-1]] * 16, frame_ms=125 * every)


def spec_files(spec: dict) -> list[str]:
    """The URLs of the files a spec names (its points and each model's sprite)."""
    return [spec["points"], *(model["sprite"] for model in spec["models"])]


# ---- a race training now: its frames as the page receives them ---------------------------------------------------


def class_palette(class_names: list[str] | None) -> tuple[list[str], list]:
    """(a colour per class, the legend: [name, colour] pairs, none past 12 classes)."""
    class_names = class_names or []
    palette = PALETTE[: len(class_names)] if 0 < len(class_names) <= len(PALETTE) else many_colours(len(class_names))
    legend = [[c, palette[i]] for i, c in enumerate(class_names)] if len(class_names) <= 12 else []
    return palette or ["#1f77b4"], legend


def live_spec(job_id: int, config, class_names, point_labels: torch.Tensor, image_shape) -> dict:
    """What ``static/race.js`` needs before the first frame of the race ``config`` training now as job ``job_id``:
    the spec of a recording with no frames yet (the frames come with :func:`live_frames`); ``point_labels``: the
    classes of the test images whose codes the frames hold."""
    palette, legend = class_palette(class_names)
    tile = grid(torch.zeros(config.samples, *image_shape), nrow=SAMPLE_COLUMNS).shape
    return {
        "live": job_id,
        "name": config.name,
        "n": len(point_labels),
        "models": [{"label": label, "tile": [tile[1], tile[0]]} for label in config.labels()],
        "labels": base64.b64encode(point_labels.numpy().astype("<i4").tobytes()).decode(),
        "steps_per_epoch": math.ceil(config.train_subset / config.batch_size),
        "total_steps": config.total_steps(config.train_subset),
        "rings": RINGS,
        "palette": palette,
        "legend": legend,
        "first": 0,
        "frames": [],
        "done": False,
    }


def live_frames(spec: dict, first: int, frames: list[dict], done: bool, expected: int) -> dict:
    """``spec`` carrying ``frames`` (of :func:`training.race.run_race`), the ``first``-th on: each frame's step,
    losses, view extents, the codes' first two axes (float32, base64) and each model's decoded draws (a PNG)."""
    sent = []
    for frame in frames:
        xy = frame["codes"][..., :2].float()
        sent.append(
            {
                "step": frame["step"],
                "losses": [None if not math.isfinite(v) else round(v, 2) for v in frame["losses"]],
                "extent": view_extents(xy).round(decimals=3).tolist(),
                "xy": base64.b64encode(xy.contiguous().numpy().astype("<f4").tobytes()).decode(),
                "samples": [
                    "data:image/png;base64," + base64.b64encode(png_bytes(_draws(frame["samples"][m]))).decode()
                    for m in range(len(frame["samples"]))
                ],
                "kept": frame["kept"],
            }
        )
    return {**spec, "first": first, "frames": sent, "done": done, "expected": expected}


@torch.no_grad()
def spot_picture(model, x: float, y: float, latent_dim: int, n_classes: int) -> np.ndarray:
    """What ``model`` decodes at (x, y) (its other latent axes 0), 4x: one picture, or for a conditional model one per
    class in a grid of 5 columns, 2x."""
    device = next(model.parameters()).device
    z = torch.zeros(1, latent_dim, device=device)
    z[0, :2] = torch.tensor([x, y], device=device)
    if model.conditional:
        pictures = model.decode(z.repeat(n_classes, 1), torch.arange(n_classes, device=device))
        return scale(grid(pictures.clamp(0, 1), nrow=5), 2)
    return scale(grid(model.decode(z).clamp(0, 1), nrow=1, pad=0), 4)


def _draws(samples: torch.Tensor) -> np.ndarray:
    return grid(samples.float() / 255, nrow=SAMPLE_COLUMNS)
