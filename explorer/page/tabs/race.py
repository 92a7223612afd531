"""Watch them learn: a race recorded with ``python -m training race`` replayed. From one seed, the AE's codes fly
apart into far-flung islands while the VAE's are pulled into one round cloud inside the prior's rings, and what
each decodes from the same N(0, I) draws sharpens for the one and not the other. The page plays, pauses, speeds up
and scrubs the frames by itself (``static/race.js``); the server only hands it the recording, once.

The recording's codes are shown on their first two axes (races are recorded at k = 2 by default)."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image, ImageDraw

from explorer.page import components
from explorer.page.adapter import raw_values
from explorer.page.assets import Assets
from explorer.page.context import EXPORT, PRIVATE, QUICK, Page, refuse
from explorer.page.header import Header
from explorer.views.images import gif_bytes, grid, hstack, scale, titled, vstack
from explorer.views.plots import PALETTE, many_colours
from training.files import write_atomic
from training.race import FRAMES_FILE, RACE_FILE, Recording

TITLE = "Watch them learn"
LOOK = (
    "The same models trained side by side from one seed, recorded as they learned: each dot is a test image's "
    "code, the dashed rings hold 68% and 95% of N(0, I), and under each map what the model decodes from the same "
    "N(0, I) draws. Press **Play**: the AE's codes fly apart, the VAE's are pulled into the rings, and only the "
    "VAE's samples come to look like digits."
)
RINGS = [round(math.sqrt(-2 * math.log(1 - p)), 4) for p in (0.68, 0.95)]  # 2-D N(0, I): radius holding p
SAMPLE_COLUMNS = 4
NO_RACE = "No race is recorded here. Record one with: python -m training race --name my-race"


# ---- views: no Gradio ---------------------------------------------------------------------------------------------


def extents(recording: Recording) -> list[list[float]]:
    """Per frame and model, the half-width of the view: the 99th percentile of |coordinate|, at least 3 (the rings
    always fit), so a frame shows where nearly all its codes are."""
    xy = recording.codes[..., :2].abs().flatten(2)  # (F, M, 2N)
    return xy.quantile(0.99, dim=-1).clamp(min=3.0).round(decimals=3).tolist()


def sample_sprite(recording: Recording, model: int) -> np.ndarray:
    """Every frame's grid of the model's decoded draws, one under another: uint8, tiles of equal height."""
    tiles = [grid(recording.samples[f, model].float() / 255, nrow=SAMPLE_COLUMNS) for f in range(len(recording.steps))]
    return np.concatenate(tiles, axis=0)


def race_spec(recording: Recording, assets: Assets, name: str) -> dict:
    """What ``static/race.js`` draws: the points file (float32 x, y per frame, model and image, then int32 labels),
    each model's label and sample sprite, the frames' steps, losses and view extents, the rings, the colours."""
    frames, models, n, _ = recording.codes.shape
    xy = recording.codes[..., :2].contiguous().numpy().astype("<f4").tobytes()
    labels = recording.labels.numpy().astype("<i4").tobytes()
    key = hashlib.sha1(xy + recording.samples.numpy().tobytes()).hexdigest()[:12]
    points = assets.binary_path(xy + labels, f"race-{name}-{key}")
    class_names = recording.meta["dataset"].get("class_names") or []
    palette = PALETTE[: len(class_names)] if 0 < len(class_names) <= len(PALETTE) else many_colours(len(class_names))
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
        "palette": palette or ["#1f77b4"],
        "legend": [[c, palette[i]] for i, c in enumerate(class_names)] if len(class_names) <= 12 else [],
    }


def frame_picture(recording: Recording, frame: int, palette: list[str], size: int = 260) -> np.ndarray:
    """Frame ``frame`` as one picture (for the GIF): each model's map (its codes as 3-px dots in their class's
    colour, the rings) above its decoded draws, under its name and loss; RGB uint8."""
    pictures = []
    colours = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in palette], np.uint8)
    for m, label in enumerate(recording.meta["models"]):
        canvas = np.full((size, size, 3), 255, np.uint8)
        xy = recording.codes[frame, m, :, :2].numpy()
        extent = max(3.0, float(np.quantile(np.abs(xy), 0.99)))
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


# ---- layout and handlers ------------------------------------------------------------------------------------------


class Tab:
    def __init__(self, page: Page, header: Header):
        self.page, self.header = page, header
        races = list(page.store.race_folders())
        first = races[0] if races else None
        gr.Markdown(LOOK if races else NO_RACE, elem_classes="look")
        self.choice = raw_values(  # checked by self.recording, in the app's own words
            gr.Dropdown(races, value=first, label="Recorded race", elem_id="le-race-choice", visible=len(races) > 1)
        )
        self.view = components.race_view(self.spec(first) if first else None)
        with gr.Row():
            self.gif_button = gr.Button("Export the race as a GIF", size="md", scale=0, min_width=220)
            self.gif = gr.File(label="GIF", height=60, visible=False)

    def recording(self, name) -> Recording:
        """The race ``name`` (from the page or the API: checked here, with the app's own words)."""
        names = list(self.page.store.race_folders())
        if not isinstance(name, str) or name not in names:
            raise refuse(f"no race named {str(name)[:60]!r}; choose one of {', '.join(names) or 'none'}")
        try:
            return self.page.store.race(name)
        except ValueError as error:
            raise refuse(str(error)) from None

    def spec(self, name: str) -> dict | None:
        """The race's spec, kept in the cache folder beside the files it names: a start that finds it there reads
        a few kB instead of the recording (5 MB) and encoding its sprites (0.13 s of the start on two cores)."""
        folder = self.page.store.race_folders().get(name)
        if folder is None:
            return None
        stats = [(folder / f).stat() for f in (RACE_FILE, FRAMES_FILE)]
        key = hashlib.sha1(repr([(s.st_size, s.st_mtime_ns) for s in stats]).encode()).hexdigest()[:12]
        kept = self.page.assets.folder / f"race-{name}-{key}.json"
        try:
            spec = json.loads(kept.read_text())
            if all(Path(url.split("file=", 1)[1]).exists() for url in spec_files(spec)):
                return spec
        except (OSError, ValueError, KeyError, IndexError):
            pass  # not kept yet, or its files were cleaned away
        try:
            spec = race_spec(self.page.store.race(name), self.page.assets, name)
        except ValueError:  # damaged: named in the terminal (store.skipped) and left out of the page
            return None
        write_atomic(kept, json.dumps(spec).encode())
        return spec

    def show(self, name) -> dict:
        self.recording(name)  # an unknown or damaged race: the page says so
        return {self.view: self.spec(name)}

    def export_gif(self, name) -> dict:
        recording = self.recording(name)
        palette = (self.spec(name) or {}).get("palette") or ["#1f77b4"]
        path = self.page.assets.download(race_gif(recording, palette), f"race-{name}.gif")
        return {self.gif: gr.update(value=str(path), visible=True)}

    def wire(self) -> None:
        self.choice.input(self.show, [self.choice], [self.view], **PRIVATE, **QUICK)
        self.gif_button.click(self.export_gif, [self.choice], [self.gif], api_name="race_gif", **EXPORT)
