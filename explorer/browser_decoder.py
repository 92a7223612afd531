"""Decoding in the browser while a slider is dragged.

An MLP decoder is two small matrix products (k -> hidden -> pixels), so the page can run it itself at
every slider step with no server round trip. This module writes such a decoder's weights once as a
flat little-endian float32 file (served as a static file and cached by the browser) and describes
the current traversal (start code, axes, step sizes) as JSON for the page script
(``explorer/static/bridge.js``). Conv decoders are not sent: their sliders decode on the server.

File layout: W1 (hidden, k), b1 (hidden,), W2 (pixels, hidden), b2 (pixels,), row-major;
image = sigmoid(W2 relu(W1 z + b1) + b2) reshaped to (H, W).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from . import panels
from .store import ModelEntry


def is_browser_decodable(entry: ModelEntry) -> bool:
    return entry.kind in ("ae", "vae") and entry.model.config.backbone == "mlp"


def decoder_file(entry: ModelEntry, cache_dir: Path) -> Path:
    """The decoder's weights as one float32 file under ``cache_dir`` (written once, named by content)."""
    net = entry.model.decoder.net
    parts = [net[0].weight, net[0].bias, net[2].weight, net[2].bias]
    data = np.concatenate([p.detach().cpu().float().numpy().ravel() for p in parts]).astype("<f4").tobytes()
    path = cache_dir / f"decoder-{entry.name}-{hashlib.sha1(data).hexdigest()[:10]}.bin"
    if not path.exists():
        path.write_bytes(data)
    return path


def traversal_spec(entries: dict[str, ModelEntry], index: int | None, cache_dir: Path) -> dict:
    """What the page needs to decode the sliders itself: for each browser-decodable model
    ({'ae': ..., 'vae': ...}), its weights' URL and sizes, the start code, and per slider axis the
    latent dimension and step (one slider unit). Models that cannot be decoded in the page are left out."""
    spec = {}
    for kind, entry in entries.items():
        if entry is None or not is_browser_decodable(entry):
            continue
        _, height, width = entry.model.config.image_shape
        axes = panels.traversal_axes(entry)
        step = panels.axis_scale(entry)
        spec[kind] = {"url": f"/gradio_api/file={decoder_file(entry, cache_dir).resolve()}",
                      "k": entry.latent_dim, "hidden": entry.model.config.hidden_dim,
                      "height": height, "width": width,
                      "base": panels.base_code(entry, index).tolist(), "axes": axes,
                      "step": [float(step[a]) for a in axes], "range": panels.TRAVERSAL_RANGE}
    return spec
