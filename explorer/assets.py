"""Files the page fetches once and caches: hover sprite sheets, map points, decoder weights.

Each is written under the app's cache folder, named by its content (so a URL never changes meaning
and the browser may keep it), computed once per process, and served as a Gradio static file.
"""

from __future__ import annotations

import hashlib
import io
import threading
from pathlib import Path

import numpy as np
from PIL import Image

from .entries import ModelEntry
from .images import sprite_sheet
from .latent import map_coordinates
from .plots import map_points
from .store import Lineup

SPRITE_COLUMNS = 100


class Assets:
    """Writes and remembers the page's static files under ``folder``."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._known: dict[tuple, object] = {}
        self._lock = threading.Lock()

    def url(self, path: Path) -> str:
        return f"/gradio_api/file={path.resolve()}"

    def _write(self, stem: str, suffix: str, data: bytes) -> Path:
        path = self.folder / f"{stem}-{hashlib.sha1(data).hexdigest()[:12]}{suffix}"
        if not path.exists():
            tmp = path.with_name(f".{path.name}.{threading.get_ident()}.tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
        return path

    def _once(self, key: tuple, make):
        with self._lock:
            if key not in self._known:
                self._known[key] = make()
            return self._known[key]

    def sprite(self, lineup: Lineup) -> dict:
        """The hover sprite sheet of the lineup's test images: {url, columns, w, h, zoom, caption}."""
        def make():
            images = lineup.images
            buffer = io.BytesIO()
            Image.fromarray(sprite_sheet(images.images, SPRITE_COLUMNS)).save(buffer, format="PNG")
            path = self._write(f"sprite-{lineup.dataset}", ".png", buffer.getvalue())
            _, _, h, w = images.images.shape
            return {"url": self.url(path), "columns": SPRITE_COLUMNS, "w": w, "h": h, "zoom": max(2, 112 // h),
                    "caption": "test image" if images.originals else "reconstruction"}
        return self._once(("sprite", lineup.dataset, id(lineup.images)), make)

    def map_points(self, entry: ModelEntry, view: str) -> tuple[str, np.ndarray]:
        """(URL of the binary points of ``entry``'s map in ``view``, the positions (N, 2))."""
        def make():
            xy = map_coordinates(entry.z, view, entry.latents)
            path = self._write(f"points-{entry.name}-{view}", ".bin", map_points(xy, entry.labels))
            return self.url(path), xy.numpy()
        return self._once(("points", entry.name, id(entry), view), make)

    def decoder(self, entry: ModelEntry) -> tuple[str, list[dict]] | None:
        """(URL of the decoder's weights as little-endian float32, its ops) for in-page decoding, or None."""
        def make():
            exported = entry.decoder_ops()
            if exported is None:
                return None
            ops = [op for op, _ in exported]
            arrays = [t.detach().cpu().float().contiguous().numpy().ravel() for _, ts in exported for t in ts]
            data = np.concatenate(arrays).astype("<f4").tobytes()
            return self.url(self._write(f"decoder-{entry.name}", ".bin", data)), ops
        return self._once(("decoder", entry.name, id(entry)), make)
