"""Event handlers: the app's inputs (dropdown values, slider positions, seeds, indices) to outputs.

Each handler takes plain values and returns plain values (pictures as uint8 arrays, plotly figures,
text), so the same functions serve the page and the HTTP API. Input from a person or an API call is
validated here and refused with a short message (``gr.Error`` in the UI layer) rather than crashing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from . import panels
from .browser_decoder import traversal_spec
from .images import png_bytes, prepare_upload, save_gif, sprite_sheet
from .latent import map_coordinates, project
from .plots import explained_variance, latent_map, loss_curves
from .store import Store

SPRITE_COLUMNS = 100


class InputError(ValueError):
    """A value from the page or the API that the app cannot use; the message says what to do."""


@dataclass
class Handlers:
    store: Store
    cache_dir: Path
    browser_decoding: bool = True  # let the page decode MLP sliders itself (see browser_decoder.py)
    _sprites: dict = field(default_factory=dict)

    # ---- model choice -------------------------------------------------------------------------
    def trio(self, dataset: str, latent_dim, vae: str | None = None) -> dict:
        if dataset not in self.store.datasets():
            raise InputError(f"unknown dataset {dataset!r}; choose one of {', '.join(self.store.datasets())}")
        try:
            latent_dim = int(latent_dim)
        except (TypeError, ValueError):
            raise InputError(f"latent size must be a number, got {latent_dim!r}") from None
        if latent_dim not in self.store.latent_dims(dataset):
            raise InputError(f"no {dataset} models with latent size {latent_dim}; "
                             f"available: {self.store.latent_dims(dataset)}")
        trio = self.store.trio(dataset, latent_dim, vae or None)
        if vae and "vae" not in trio:
            raise InputError(f"no VAE named {vae!r} for {dataset} at latent size {latent_dim}")
        return trio

    def vae_choices(self, dataset: str, latent_dim) -> list[tuple[str, str]]:
        return [(e.label, e.name) for e in self.store.models(dataset, int(latent_dim)) if e.kind == "vae"]

    def status(self, dataset: str, latent_dim, vae: str | None) -> str:
        trio = self.trio(dataset, latent_dim, vae)
        images = self.store.images(dataset)
        names = " · ".join(f"`{e.name}`" for e in panels.ordered(trio))
        text = f"**Models:** {names}  ·  decoding on **{self.store.device}**"
        if not images.originals:
            text += f"\n\n⚠️ **Offline:** {images.message}"
        return text

    def _index(self, dataset: str, index) -> int:
        return _bounded_int(index, 0, len(self.store.images(dataset).labels) - 1, "image index")

    def _start(self, dataset: str, index) -> int | None:
        """Where a traversal starts: a test image's index, or None (the centre) for None or -1."""
        if index is None or _bounded_int(index, -1, 2**31 - 1, "image index") < 0:
            return None
        return self._index(dataset, index)

    # ---- latent maps ----------------------------------------------------------------------------
    def sprite(self, dataset: str) -> dict:
        """The hover sprite sheet of ``dataset``'s test images (written once, cached on disk by content)."""
        if dataset not in self._sprites:
            self._sprites[dataset] = self._write_sprite(dataset)
        return self._sprites[dataset]

    def _write_sprite(self, dataset: str) -> dict:
        images = self.store.images(dataset)
        key = hashlib.sha1(images.images[:, :, ::4, ::4].numpy().tobytes()).hexdigest()[:10]
        path = self.cache_dir / f"sprite-{dataset}-{key}.png"
        if not path.exists():
            Image.fromarray(sprite_sheet(images.images, SPRITE_COLUMNS)).save(path)
        _, _, h, w = images.images.shape
        return {"url": f"/gradio_api/file={path.resolve()}", "columns": SPRITE_COLUMNS, "w": w, "h": h,
                "zoom": max(2, 112 // h), "caption": "test image" if images.originals else "reconstruction"}

    def maps(self, dataset, latent_dim, vae, view: str = "dims", selected=None, yours: dict | None = None):
        """The PCA, AE and VAE latent maps (plotly figures; None where a kind is missing)."""
        trio = self.trio(dataset, latent_dim, vae)
        info = next(iter(trio.values())).meta["dataset"]
        sprite = self.sprite(dataset)
        figures = []
        for kind in ("pca", "ae", "vae"):
            entry = trio.get(kind)
            if entry is None:
                figures.append(None)
                continue
            chosen = view if view in entry.views else "dims"
            xy = map_coordinates(entry.z, chosen, entry.latents)
            mine = None
            if yours and kind in yours:
                code = torch.tensor(yours[kind])[None]
                mine = project(code, chosen, entry.latents, entry.z)[0]
            figure = latent_map(entry, xy, chosen, info["class_names"], info["label_name"],
                                selected=None if selected is None else int(selected), yours=mine)
            figure.layout.meta = {**figure.layout.meta, "sprite": sprite}
            figures.append(figure)
        return figures

    def select(self, dataset, latent_dim, vae, index) -> np.ndarray:
        """The selected test image beside each model's reconstruction."""
        trio = self.trio(dataset, latent_dim, vae)
        images = self.store.images(dataset)
        return panels.selection(trio, images.images, self._index(dataset, index), images.originals)

    def decode_at(self, dataset, latent_dim, vae, kind: str, x: float, y: float) -> np.ndarray:
        entry = self.trio(dataset, latent_dim, vae).get(kind)
        if entry is None or entry.latent_dim != 2:
            raise InputError("clicking empty space decodes only on 2-D models; pick latent size 2")
        if not (np.isfinite(x) and np.isfinite(y)) or max(abs(x), abs(y)) > 1e4:
            raise InputError("that location is out of range")
        return panels.decode_point(entry, float(x), float(y))

    @staticmethod
    def parse_event(text: str) -> dict | None:
        """The bridge script's JSON event, or None for anything else (cleared box, junk)."""
        try:
            event = json.loads(text) if text else None
        except json.JSONDecodeError:
            return None
        return event if isinstance(event, dict) and event.get("kind") in ("point", "space") else None

    # ---- traversal --------------------------------------------------------------------------------
    def slider_labels(self, dataset, latent_dim, vae) -> list[str]:
        trio = self.trio(dataset, latent_dim, vae)
        ae, model = trio.get("ae"), trio.get("vae")
        labels = []
        for i in range(min(latent_dim_of(trio), panels.MAX_AXES)):
            parts = []
            if model:
                d = panels.traversal_axes(model)[i]
                parts.append(f"VAE z{d + 1} (KL {model.importance[d]:.2f})")
            if ae:
                parts.append(f"AE z{panels.traversal_axes(ae)[i] + 1}")
            labels.append(f"axis {i + 1}: " + " · ".join(parts))
        return labels

    def traverse(self, dataset, latent_dim, vae, index, offsets: list[float]):
        """(AE image, VAE image) for slider ``offsets`` from the selected image's codes (index) or from
        the centre (index None / -1)."""
        trio = self.trio(dataset, latent_dim, vae)
        start = self._start(dataset, index)
        offsets = [float(np.clip(o, -panels.TRAVERSAL_RANGE, panels.TRAVERSAL_RANGE)) for o in offsets]
        return tuple(panels.slider_image(trio[k], start, offsets) if k in trio else None for k in ("ae", "vae"))

    def decoder_spec(self, dataset, latent_dim, vae, index) -> str:
        """JSON for the page to decode the sliders itself (MLP decoders only; '' when none can)."""
        trio = self.trio(dataset, latent_dim, vae)
        if not self.browser_decoding:
            return ""
        start = self._start(dataset, index)
        spec = traversal_spec({k: trio.get(k) for k in ("ae", "vae")}, start, self.cache_dir)
        return json.dumps(spec) if spec else ""

    def live(self, dataset, latent_dim, vae, index, offsets: list[float]) -> str:
        """The live traversal panel: AE and VAE pictures as inline PNGs in one HTML fragment (one update,
        no extra image fetch per slider step). ``data-kind`` marks each picture for the page script."""
        figures = []
        for kind, picture in zip(("ae", "vae"), self.traverse(dataset, latent_dim, vae, index, offsets)):
            if picture is None:
                continue
            height, width = picture.shape[:2]
            data = base64.b64encode(png_bytes(picture)).decode()
            figures.append(f'<figure data-kind="{kind}"><figcaption>{kind.upper()}</figcaption>'
                           f'<div class="le-frame" style="aspect-ratio: {width} / {height}">'
                           f'<img data-kind="{kind}" alt="{kind.upper()} decoded" src="data:image/png;base64,{data}">'
                           "</div></figure>")
        return f'<div class="le-live">{"".join(figures)}</div>'

    def traversal_grids(self, dataset, latent_dim, vae, index):
        trio = self.trio(dataset, latent_dim, vae)
        start = self._start(dataset, index)
        return tuple(panels.traversal_figure(trio[k], start) if k in trio else None for k in ("ae", "vae"))

    def traversal_gif(self, dataset, latent_dim, vae, index) -> str:
        """An animated GIF sweeping each axis -3 -> 3 -> -3 for AE and VAE side by side; returns its path."""
        trio = self.trio(dataset, latent_dim, vae)
        start = self._start(dataset, index)
        models = [trio[k] for k in ("ae", "vae") if k in trio]
        r = panels.TRAVERSAL_RANGE
        sweep = np.concatenate([np.linspace(0, r, 8, endpoint=False), np.linspace(r, -r, 16, endpoint=False),
                                np.linspace(-r, 0, 8, endpoint=False)])  # 0 -> r -> -r -> 0, no repeats
        frames = []
        for axis in range(min(models[0].latent_dim, 4)):
            for value in sweep:
                offsets = [0.0] * panels.MAX_AXES
                offsets[axis] = float(value)
                tiles = [panels.slider_image(m, start, offsets) for m in models]
                gap = np.full((tiles[0].shape[0], 2), 255, np.uint8)
                frames.append(np.kron(np.hstack([tiles[0], gap, *tiles[1:]]), np.ones((4, 4), np.uint8)))
        path = Path(tempfile.mkdtemp(dir=self.cache_dir)) / f"traversal-{dataset}-z{latent_dim}.gif"
        return str(save_gif(frames, path))

    # ---- sampling, interpolation, reconstruction ---------------------------------------------------
    def samples(self, dataset, latent_dim, vae, n, seed):
        trio = self.trio(dataset, latent_dim, vae)
        n, seed = _bounded_int(n, 2, 16, "grid size"), _bounded_int(seed, 0, 2**31 - 1, "seed")
        return tuple(panels.sample_grid(trio[k], n, seed) if k in trio else None for k in ("pca", "ae", "vae"))

    def manifolds(self, dataset, latent_dim, vae, n):
        trio = self.trio(dataset, latent_dim, vae)
        n = _bounded_int(n, 2, 30, "manifold size")
        return tuple(panels.manifold(trio[k], n) if k in trio and trio[k].latent_dim == 2 else None
                     for k in ("pca", "ae", "vae"))

    def interpolate(self, dataset, latent_dim, vae, a, b, steps):
        trio = self.trio(dataset, latent_dim, vae)
        a, b = self._index(dataset, a), self._index(dataset, b)
        return panels.interpolation(trio, self.store.images(dataset).images, a, b,
                                    _bounded_int(steps, 2, 20, "steps"))

    def reconstruct(self, dataset, latent_dim, vae, seed, count: int = 8):
        trio = self.trio(dataset, latent_dim, vae)
        images = self.store.images(dataset)
        generator = torch.Generator().manual_seed(_bounded_int(seed, 0, 2**31 - 1, "seed"))
        indices = torch.randperm(len(images.labels), generator=generator)[:count].tolist()
        return panels.reconstructions(trio, images.images, indices, images.originals)

    def encode_image(self, dataset, latent_dim, vae, picture):
        """Encode a drawn or uploaded picture: ({kind: code list}, picture of input and reconstructions)."""
        trio = self.trio(dataset, latent_dim, vae)
        entry = next(iter(trio.values()))
        style = {"mnist": "digit", "fashion-mnist": "object"}.get(dataset, "face")
        x = prepare_upload(picture, tuple(entry.model.config.image_shape), style)
        codes, figure = panels.encode_yours(trio, x)
        return {k: v.tolist() for k, v in codes.items()}, figure

    # ---- insights -----------------------------------------------------------------------------------
    def insights(self, dataset, latent_dim, vae):
        trio = self.trio(dataset, latent_dim, vae)
        models = self.store.models(dataset, int(latent_dim))
        rows = []
        for e in models:
            m = e.meta["metrics"]
            rows.append([e.name, e.label, e.latent_dim, f"{m['mse_per_pixel']:.4f}",
                         f"{m['test_loss']:.2f}" if "test_loss" in m else "–",
                         f"{m['iw_nll']:.2f}" if "iw_nll" in m else "–",
                         f"{m['active_units']} / {e.latent_dim}" if "active_units" in m else "–",
                         f"{e.meta['training_seconds']:.0f}"])
        pcas = [e for e in self.store.models(dataset, max(self.store.latent_dims(dataset))) if e.kind == "pca"]
        return loss_curves(panels.ordered(trio)), explained_variance(pcas[0] if pcas else None), rows


METRIC_HEADERS = ["checkpoint", "model", "k", "test MSE/pixel", "test loss (nats)", "IW bound (nats)",
                  "active units", "train s"]


def latent_dim_of(trio: dict) -> int:
    return next(iter(trio.values())).latent_dim


def _bounded_int(value, low: int, high: int, what: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be a whole number, got {value!r}") from None
    if not low <= number <= high:
        raise InputError(f"{what} {number} is out of range: it must be between {low} and {high}")
    return number
