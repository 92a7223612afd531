"""Files the page fetches once and caches: hover sprite sheets, map points, decoder weights; and the
pictures and GIFs it shows for download.

Each is written under the app's cache folder, named by its content (so a URL never changes meaning
and the browser may keep it), computed once per process, and served as a Gradio static file. Assets
are bounded by the checkpoints; downloads (one per seed, image, ...) are not, so they are kept to
``download_limit`` bytes, the least recently made or asked for removed first (and made again if asked).
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import threading
from pathlib import Path

import numpy as np
from PIL import Image

from explorer.core.entries import ModelEntry
from explorer.core.latent import map_coordinates
from explorer.core.store import Lineup
from explorer.views.images import png_bytes, sprite_sheet
from explorer.views.plots import map_points
from training.files import write_atomic

SPRITE_COLUMNS = 100
DOWNLOAD_LIMIT = 200 * 2**20


class Assets:
    """Writes and remembers the page's static files under ``folder``; downloads under ``folder/pictures``."""

    def __init__(self, folder: Path, download_limit: int = DOWNLOAD_LIMIT):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.downloads = self.folder / "pictures"
        self.download_limit = download_limit
        self._known: dict[tuple, object] = {}
        self._lock = threading.Lock()
        self._download_lock = threading.Lock()
        self._download_bytes = (
            sum(f.stat().st_size for f in self.downloads.glob("*/*") if f.is_file()) if self.downloads.is_dir() else 0
        )

    def download(self, data: bytes, name: str) -> Path:
        """``data`` as a file named ``name`` (what a download is called), in a folder named by its content."""
        path = self.downloads / hashlib.sha1(data).hexdigest()[:16] / name
        with self._download_lock:
            if path.exists():
                os.utime(path)  # asked for again: the last to be removed
                return path
            write_atomic(path, data)
            self._download_bytes += len(data)
            if self._download_bytes > self.download_limit:
                self._prune_downloads(keep=path.parent)
        return path

    def _prune_downloads(self, keep: Path) -> None:
        """Remove the oldest download folders until half the limit is used (never ``keep``)."""
        folders = []
        for folder in self.downloads.iterdir():
            try:
                files = [f.stat() for f in folder.iterdir()]
                folders.append((max((f.st_mtime for f in files), default=0), sum(f.st_size for f in files), folder))
            except OSError:  # removed meanwhile, or not a folder
                continue
        self._download_bytes = sum(size for _, size, _ in folders)
        for _, size, folder in sorted(folders, key=lambda f: f[0]):
            if self._download_bytes <= self.download_limit // 2:
                break
            if folder != keep:
                shutil.rmtree(folder, ignore_errors=True)
                self._download_bytes -= size

    def url(self, path: Path) -> str:
        return f"/gradio_api/file={path.resolve()}"

    def _write(self, stem: str, suffix: str, data: bytes) -> Path:
        path = self.folder / f"{stem}-{hashlib.sha1(data).hexdigest()[:12]}{suffix}"
        if not path.exists():
            write_atomic(path, data)
        return path

    def picture_path(self, picture: np.ndarray, stem: str) -> Path:
        """``picture`` (uint8) as a PNG asset named by its content (the Compare tab's grid: pictures the browser
        fetches once and caches, instead of a page value that the page copies with every update)."""
        return self._write(stem, ".png", png_bytes(picture))

    def binary_path(self, data: bytes, stem: str) -> Path:
        """``data`` as a .bin asset named by its content (numbers the page reads with a typed array)."""
        return self._write(stem, ".bin", data)

    def _once(self, key: tuple, make):
        """``make()`` -> (value, the file it wrote or None), run once per key, or again if the file was
        removed meanwhile (a cleaned cache folder must not leave the page fetching files that are gone)."""
        with self._lock:
            known = self._known.get(key)
            if known is None or (known[1] is not None and not known[1].exists()):
                known = self._known[key] = make()
            return known[0]

    def sprite(self, lineup: Lineup) -> dict:
        """The hover sprite sheet of the lineup's test images: {url, columns, w, h, zoom, caption}."""

        def make():
            images = lineup.images
            sheet = sprite_sheet(images.images, SPRITE_COLUMNS)
            # Named by the sheet's pixels, so a start that finds it written by an earlier one skips the PNG
            # encoding (0.2 s of the first page's 0.4 s on two cores).
            path = self.folder / f"sprite-{lineup.dataset}-{hashlib.sha1(sheet.tobytes()).hexdigest()[:12]}.png"
            if not path.exists():
                buffer = io.BytesIO()
                Image.fromarray(sheet).save(buffer, format="PNG")
                write_atomic(path, buffer.getvalue())
            _, _, h, w = images.images.shape
            return {
                "url": self.url(path),
                "columns": SPRITE_COLUMNS,
                "w": w,
                "h": h,
                "zoom": max(2, 112 // h),
                "caption": "test image" if images.originals else "reconstruction",
            }, path

        return self._once(("sprite", lineup.dataset, id(lineup.images), lineup.images.originals), make)

    def map_points(self, entry: ModelEntry, view: str, n: int | None = None) -> tuple[str, np.ndarray]:
        """(URL of the binary points of ``entry``'s map in ``view``, the positions (n, 2)): its first ``n``
        codes (all by default), so a lineup with a model that stored fewer shows the same images in every map."""
        n = len(entry.z) if n is None else min(n, len(entry.z))

        def make():
            xy = map_coordinates(entry.z, view, entry.latents)[:n]
            path = self._write(f"points-{entry.name}-{view}", ".bin", map_points(xy, entry.labels[:n]))
            return (self.url(path), xy.numpy()), path

        return self._once(("points", entry.name, id(entry), view, n), make)

    def decoder(self, entry: ModelEntry) -> tuple[str, list[dict]] | None:
        """(URL of the decoder's weights as little-endian float32, its ops) for in-page decoding, or None."""

        def make():
            exported = entry.decoder_ops()
            if exported is None:
                return None, None
            ops = [op for op, _ in exported]
            arrays = [t.detach().cpu().float().contiguous().numpy().ravel() for _, ts in exported for t in ts]
            data = np.concatenate(arrays).astype("<f4").tobytes()
            path = self._write(f"decoder-{entry.name}", ".bin", data)
            return (self.url(path), ops), path

        return self._once(("decoder", entry.name, id(entry)), make)
