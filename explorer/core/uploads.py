"""Pictures that come from outside (an upload, a file sent over the API, the drawing pad's PNG) read
safely: every limit is checked before the pixels are decoded, and the result is small.

- at most :data:`MAX_BYTES` bytes (Gradio's upload route refuses larger files before they are stored);
- a known picture format (PNG, JPEG, GIF, WebP, BMP, TIFF); anything else (a PDF, a text file) is
  refused by what it is;
- at most :data:`MAX_PIXELS` pixels, read from the header before decoding (a 140 KB PNG can hold
  12000x12000 pixels: 576 MB decoded); JPEGs are decoded at a reduced scale where they allow it;
- the first frame of an animation, turned upright by its EXIF orientation, shrunk to at most
  :data:`MAX_SIDE` pixels a side;
- transparency flattened onto the background the content stands out from: a white digit drawn on a
  transparent canvas goes onto black, dark strokes onto white.

:func:`read_picture` returns a PIL image in mode "L" or "RGB", or raises :class:`ImageInputError`.
"""

from __future__ import annotations

import base64
import io
import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError


class ImageInputError(ValueError):
    """An uploaded or drawn image the app cannot use; the message says what to do."""


def flatten(image: Image.Image) -> Image.Image:
    """An "L" or "RGB" image: transparent parts filled with black where the visible content is light
    (a white digit on a transparent canvas), with white otherwise (dark strokes, a cut-out photo)."""
    if image.mode in ("L", "RGB") and "transparency" not in image.info:
        return image
    has_alpha = image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info
    if not has_alpha:
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    alpha = np.asarray(rgba.getchannel("A"), dtype=np.float32) / 255
    if alpha.sum() < 1:
        raise ImageInputError(
            "No drawing found: the picture is fully transparent. Draw on the pad, "
            "or upload a picture with visible content."
        )
    light = np.asarray(rgba.convert("L"), dtype=np.float32) / 255
    background = "black" if (light * alpha).sum() / alpha.sum() > 0.5 else "white"
    return Image.alpha_composite(Image.new("RGBA", rgba.size, background), rgba).convert("RGB")


MAX_BYTES = 10 * 2**20
MAX_PIXELS = 25_000_000
MAX_SIDE = 1024
FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "BMP", "TIFF")
WHAT_TO_DO = "upload a PNG, JPEG, GIF or WebP picture"
DATA_URL_PREFIX = "data:image/"
# PIL warns from 89 million pixels; the limit here is lower and checked first (a filter set once: the
# warnings module's context managers are not thread-safe, and uploads are read two at a time).
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


def upload_payload(payload) -> str | bytes:
    """What an upload component's value holds: a file path or the bytes of a data URL, or
    :class:`ImageInputError`. ``payload`` is Gradio's FileData / ImageData, a dict of the same shape (API),
    or a str."""
    if payload is None:
        raise ImageInputError(f"No picture received: {WHAT_TO_DO}.")
    if isinstance(payload, dict):
        path, url = payload.get("path"), payload.get("url")
    else:
        path, url = getattr(payload, "path", payload), getattr(payload, "url", None)
    for text in (url, path):
        if isinstance(text, str) and text.startswith(DATA_URL_PREFIX):
            return data_url_bytes(text)
    if not isinstance(path, str) or not path:
        raise ImageInputError(f"No picture received: {WHAT_TO_DO}.")
    return path


def data_url_bytes(data_url) -> bytes:
    """The bytes of a base64 ``data:image/...`` URL, or :class:`ImageInputError`."""
    if not isinstance(data_url, str) or not data_url.startswith(DATA_URL_PREFIX) or ";base64," not in data_url:
        raise ImageInputError(f"No picture received: {WHAT_TO_DO}.")
    if len(data_url) > MAX_BYTES * 4 // 3 + 100:
        raise ImageInputError(f"That picture is larger than {MAX_BYTES // 2**20} MB; use a smaller one.")
    try:
        return base64.b64decode(data_url.split(",", 1)[1], validate=True)
    except ValueError:
        raise ImageInputError(f"That picture's data is damaged; {WHAT_TO_DO}.") from None


def read_picture(source: str | os.PathLike | bytes) -> Image.Image:
    """The picture in a file or in bytes, checked and prepared (see the module docstring)."""
    size = len(source) if isinstance(source, bytes) else _file_size(source)
    if size > MAX_BYTES:
        raise ImageInputError(
            f"That file is {size / 2**20:.0f} MB; pictures up to {MAX_BYTES // 2**20} MB "
            "can be read. Use a smaller one."
        )
    if size == 0:
        raise ImageInputError(f"That file is empty; {WHAT_TO_DO}.")
    stream = None
    try:
        stream = io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")  # noqa: SIM115
        return _decode(stream)
    except ImageInputError:
        raise
    except Image.DecompressionBombError:  # PIL's own limit (179 million pixels), checked in Image.open
        raise ImageInputError(
            f"That picture has over {MAX_PIXELS // 1_000_000} million pixels; use a smaller one."
        ) from None
    except UnidentifiedImageError:
        raise ImageInputError(f"That file is not a picture this app reads; {WHAT_TO_DO}.") from None
    except FileNotFoundError:
        raise ImageInputError(f"The uploaded file is gone; upload it again ({WHAT_TO_DO}).") from None
    except (OSError, ValueError, SyntaxError, EOFError):  # truncated or damaged data
        raise ImageInputError(f"That picture is damaged or cut short; {WHAT_TO_DO}.") from None
    finally:
        if stream is not None:
            stream.close()


def _file_size(path) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:
        raise ImageInputError(f"The uploaded file is gone; upload it again ({WHAT_TO_DO}).") from None


def _decode(stream) -> Image.Image:
    image = Image.open(stream, formats=FORMATS)  # reads the header only
    width, height = image.size
    if width * height > MAX_PIXELS:
        if image.format == "JPEG":  # decoded at 1/2, 1/4 or 1/8 scale: never the full size
            image.draft("RGB", (MAX_SIDE, MAX_SIDE))
            width, height = image.size
        if width * height > MAX_PIXELS:
            raise ImageInputError(
                f"That picture is {image.size[0]}x{image.size[1]} pixels; pictures up to "
                f"{MAX_PIXELS // 1_000_000} million pixels can be read. Use a smaller one."
            )
    if min(width, height) < 2:
        raise ImageInputError(f"That picture is {width}x{height} pixels: too small to read; {WHAT_TO_DO}.")
    image.seek(0)  # the first frame of an animation
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)  # palette images: nearest, by PIL's rule
    image = ImageOps.exif_transpose(image)  # after shrinking: no full-size copy
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):  # 16- or 32-bit greys: to 8 bits, full range
        values = np.asarray(image, dtype=np.float32)
        low, high = float(values.min()), float(values.max())
        image = Image.fromarray(((values - low) * (255 / max(high - low, 1e-6))).astype(np.uint8))
    return flatten(image)
