"""Turning tensors into pictures and pictures into model inputs.

- Grids are laid out as torchvision's ``make_grid`` lays them out (tests/test_images.py checks that they agree),
  without importing torchvision: its import pulls in torch._dynamo, 1.6 s of the first page after a cold start
  on two cores. Every output is uint8 (H, W) or (H, W, 3) numpy, ready for ``gr.Image`` (the page scales small
  images up with ``image-rendering: pixelated``).
- :func:`prepare_upload` converts any image (RGB, RGBA, drawn strokes, photos) the way the dataset
  was made: MNIST-style digits are cropped to their ink, fitted into a 20x20 box and centred by
  centre of mass in 28x28 (LeCun et al. 1998); faces are centre-cropped and resized.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from explorer.core.uploads import ImageInputError, flatten

GRID_PAD = 2


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """(C, H, W) or (H, W) float in [0, 1] -> (H, W) or (H, W, 3) uint8."""
    array = images.detach().cpu().clamp(0, 1).mul(255).round().to(torch.uint8)
    if array.ndim == 3:
        array = array[0] if array.shape[0] == 1 else array.permute(1, 2, 0)
    return array.numpy()


def grid(images: torch.Tensor, nrow: int, pad: int = GRID_PAD, pad_value: float = 1.0) -> np.ndarray:
    """(N, C, H, W) in [0, 1] -> one uint8 picture, ``nrow`` images per row, white gutters: grey (H, W) for grey
    images, RGB (H, W, 3) for colour ones. Rows of ``nrow`` (fewer when there are fewer images), the last one
    left-aligned, as ``torchvision.utils.make_grid`` (which returns a single image as it is, with no gutter)."""
    n, channels, height, width = images.shape
    if n == 1:
        return to_uint8(images[0].detach().cpu())
    columns = max(1, min(nrow, n))
    rows = -(-n // columns)
    sheet = torch.full((channels, rows * (height + pad) + pad, columns * (width + pad) + pad), float(pad_value))
    for i, image in enumerate(images.detach().cpu()):
        top, left = (i // columns) * (height + pad) + pad, (i % columns) * (width + pad) + pad
        sheet[:, top : top + height, left : left + width] = image
    return to_uint8(sheet)


def scale(picture: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour upscaling of a uint8 picture (for exports and labelled figures)."""
    return picture.repeat(factor, axis=0).repeat(factor, axis=1)


FONT_FILE = Path(__file__).parent / "fonts" / "DejaVuSans.ttf"  # shipped: has Greek (β), same everywhere


@functools.cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_FILE), size)


TITLE_HEIGHT = 34


def titled(picture: np.ndarray, title: str, factor: int = 1) -> np.ndarray:
    """``picture`` scaled up ``factor`` times under a white band holding ``title``: RGB uint8."""
    body = Image.fromarray(scale(picture, factor) if factor > 1 else picture).convert("RGB")
    size = max(18, body.width // 24)  # wide pictures are shown shrunk: keep the title readable
    lines = title.count("\n") + 1
    band = max(TITLE_HEIGHT, int(size * 1.3 * lines + size * 0.5))
    canvas = Image.new("RGB", (max(body.width, 10), body.height + band), "white")
    canvas.paste(body, (0, band))
    ImageDraw.Draw(canvas).multiline_text((6, band // 2), title, fill="#111", font=_font(size), anchor="lm")
    return np.asarray(canvas)


def panel(
    rows: list[tuple[str, torch.Tensor, list[str] | None]],
    factor: int = 3,
    title: str | None = None,
    gap: int = 6,
    font_size: int = 19,
    caption_size: int | None = None,
) -> np.ndarray:
    """Rows of images with a label on the left of each row and optional captions under each image.

    ``rows``: (label, images (n, C, H, W) in [0, 1], captions (n strings) or None). Images are scaled
    up ``factor`` times (nearest neighbour, crisp pixels); ``title`` goes in a band on top; text is
    ``font_size`` px (captions ``caption_size``, by default a little smaller; the title as large, at least 20 px).
    Returns RGB uint8 (H, W, 3).
    """
    caption_size = caption_size or font_size - 3
    font, small, heading = _font(font_size), _font(caption_size), _font(max(20, font_size))
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    label_width = max(int(measure.textlength(label, font=font)) for label, _, _ in rows)
    label_width = label_width + 16 if label_width else gap
    _, _, h, w = rows[0][1].shape
    tile_h, tile_w = h * factor, w * factor
    caption_h = max(font_size, caption_size) + 4 if any(c for _, _, c in rows) else 0
    widest_caption = max((measure.textlength(c, font=small) for _, _, cs in rows for c in (cs or []) if c), default=0)
    tile_w_slot = max(tile_w, int(widest_caption) + 4)
    title_height = max(TITLE_HEIGHT, int(heading.size * 1.6))
    top_band = title_height if title else 0
    n_cols = max(len(images) for _, images, _ in rows)
    width = label_width + n_cols * (tile_w_slot + gap)
    if title:  # never clip the title
        width = max(width, int(measure.textlength(title, font=heading)) + 12)
    height = top_band + len(rows) * (tile_h + caption_h + gap) + gap
    canvas = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(canvas)
    if title:
        draw.text((6, title_height // 2), title, fill="#111", font=heading, anchor="lm")
    for r, (label, images, captions) in enumerate(rows):
        top = top_band + gap + r * (tile_h + caption_h + gap)
        draw.text((8, top + tile_h / 2), label, fill="black", font=font, anchor="lm")
        for c, image in enumerate(images):
            slot = label_width + c * (tile_w_slot + gap)
            left = slot + (tile_w_slot - tile_w) // 2
            tile = Image.fromarray(scale(to_uint8(image), factor)).convert("RGB")
            canvas.paste(tile, (left, top))
            if captions and c < len(captions) and captions[c]:
                draw.text((slot + tile_w_slot / 2, top + tile_h + 2), captions[c], fill="#222", font=small, anchor="mt")
    return np.asarray(canvas)


def hstack(pictures: list[np.ndarray], gap: int = 16) -> np.ndarray:
    """Pictures (grey or RGB uint8) side by side on white, top-aligned: RGB uint8."""
    return _stack(pictures, gap, axis=1)


def vstack(pictures: list[np.ndarray], gap: int = 8) -> np.ndarray:
    """Pictures (grey or RGB uint8) one above the other on white, left-aligned: RGB uint8."""
    return _stack(pictures, gap, axis=0)


def _stack(pictures: list[np.ndarray], gap: int, axis: int) -> np.ndarray:
    rgb = [np.repeat(p[..., None], 3, axis=2) if p.ndim == 2 else p for p in pictures]
    across = 1 - axis
    shape = [0, 0, 3]
    shape[axis] = sum(p.shape[axis] for p in rgb) + gap * (len(rgb) - 1)
    shape[across] = max(p.shape[across] for p in rgb)
    canvas = np.full(shape, 255, np.uint8)
    start = 0
    for p in rgb:
        where = [slice(0, p.shape[0]), slice(0, p.shape[1])]
        where[axis] = slice(start, start + p.shape[axis])
        canvas[tuple(where)] = p
        start += p.shape[axis] + gap
    return canvas


def png_bytes(picture: np.ndarray) -> bytes:
    """A uint8 picture as a PNG, fast: grey when the picture is (a third of the data to compress), and
    zlib level 1 (measured on an 8x8 sampling grid of three models: 7 ms instead of 38 ms, 109 KB not 131)."""
    if picture.ndim == 3 and picture.shape[2] == 3 and (picture[..., :1] == picture[..., 1:]).all():
        picture = picture[..., 0]
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def gif_bytes(frames: list[np.ndarray], frame_ms: int = 80) -> bytes:
    """An endlessly looping animated GIF of uint8 frames."""
    images = [Image.fromarray(f).convert("P", palette=Image.Palette.ADAPTIVE) for f in frames]
    buffer = io.BytesIO()
    images[0].save(
        buffer, format="GIF", save_all=True, append_images=images[1:], duration=frame_ms, loop=0, optimize=False
    )
    return buffer.getvalue()


def sprite_sheet(images: torch.Tensor, columns: int = 100) -> np.ndarray:
    """All images (N, C, H, W) tiled without gutters, ``columns`` per row: tile i sits at
    (i % columns, i // columns); grey or RGB as the images are. Used for hover previews with no server round trip."""
    n, c, h, w = images.shape
    rows = -(-n // columns)
    sheet = torch.ones(rows * columns, c, h, w)
    sheet[:n] = images.cpu()
    sheet = sheet.view(rows, columns, c, h, w).permute(2, 0, 3, 1, 4).reshape(c, rows * h, columns * w)
    return to_uint8(sheet)


def prepare_upload(
    picture, image_shape: tuple[int, int, int], style: str, done: list[str] | None = None
) -> torch.Tensor:
    """Any picture (numpy HxW, HxWx3 or HxWx4, or a PIL image) -> a model input (1, C, H, W) in [0, 1].

    ``style`` is 'digit' (MNIST-like: light ink on black, fitted in 20x20, centred by mass),
    'object' (Fashion-MNIST: fitted in the whole frame) or 'face' (centre-crop and resize). What was done to the
    picture is appended to ``done`` in a few words each ("made grey", "resized to 64×64"), for the page to say.
    Raises :class:`ImageInputError` for empty or unreadable input.
    """
    done = [] if done is None else done
    if picture is None:
        raise ImageInputError("No image: draw something or upload a picture first.")
    try:
        image = picture if isinstance(picture, Image.Image) else Image.fromarray(np.asarray(picture))
    except (TypeError, ValueError) as error:
        raise ImageInputError(f"Could not read that picture ({error}); upload a PNG or JPEG.") from None
    channels, height, width = image_shape
    image = flatten(image)
    if channels == 3:  # a colour dataset: the picture keeps its colours
        rgb = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
        if rgb.size == 0 or min(rgb.shape[:2]) < 2:
            raise ImageInputError("That picture is empty; upload a real image.")
        return _fit_colour(rgb, height, width, done)
    if image.mode != "L":  # flattened: "L" or "RGB"
        done.append("made grey")
    gray = np.asarray(image.convert("L"), dtype=np.float32) / 255.0
    if gray.size == 0 or min(gray.shape) < 2:
        raise ImageInputError("That picture is empty; upload a real image.")
    if style == "face":
        if gray.shape[0] * width != gray.shape[1] * height:
            done.append("cropped to its centre")
        done.append(f"resized to {width}×{height}")
        return _fit_face(gray, height, width)
    if gray.mean() > 0.5:  # dark ink on light paper -> the datasets' light-on-dark
        gray = 1.0 - gray
        done.append("turned light on dark")
    return _fit_ink(gray, height, width, style, done)


def _fit_ink(gray: np.ndarray, height: int, width: int, style: str, done: list[str]) -> torch.Tensor:
    """Light ink on dark (H, W) cropped to its ink and fitted as the dataset was made (see :func:`prepare_upload`)."""
    ink = gray > 0.2
    if ink.sum() < 4:
        raise ImageInputError("No drawing found: draw a digit (or upload a picture with clear contrast).")
    rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
    crop = gray[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    box = round(min(height, width) * 20 / 28) if style == "digit" else min(height, width)
    factor = box / max(crop.shape)
    size = (max(1, round(crop.shape[1] * factor)), max(1, round(crop.shape[0] * factor)))
    small = (
        np.asarray(
            Image.fromarray((crop * 255).astype(np.uint8)).resize(size, Image.Resampling.LANCZOS), dtype=np.float32
        )
        / 255.0
    )
    canvas = np.zeros((height, width), dtype=np.float32)
    done.append(f"cropped to its ink, fitted in {box}×{box}" + (f" of {width}×{height}" if box != width else ""))
    if style == "digit":  # centre of mass at the centre, as MNIST was made
        ys, xs = np.indices(small.shape)
        mass = small.sum()
        top = int(round(height / 2 - (ys * small).sum() / mass))
        left = int(round(width / 2 - (xs * small).sum() / mass))
    else:
        top, left = (height - small.shape[0]) // 2, (width - small.shape[1]) // 2
    top = min(max(top, 0), height - small.shape[0])
    left = min(max(left, 0), width - small.shape[1])
    canvas[top : top + small.shape[0], left : left + small.shape[1]] = small
    return torch.from_numpy(canvas)[None, None]


def _fit_colour(rgb: np.ndarray, height: int, width: int, done: list[str]) -> torch.Tensor:
    """An RGB picture (h, w, 3) centre-cropped to the target aspect ratio and resized: (1, 3, height, width)."""
    if rgb.shape[0] * width != rgb.shape[1] * height:
        done.append("cropped to its centre")
    done.append(f"resized to {width}×{height}")
    channels = [_fit_face(rgb[..., i], height, width) for i in range(3)]
    return torch.cat(channels, dim=1)


def _fit_face(gray: np.ndarray, height: int, width: int) -> torch.Tensor:
    """Centre-crop to the target aspect ratio, then resize (faces are light-on-dark photos as given)."""
    h, w = gray.shape
    target = width / height
    if w / h > target:
        new_w = int(round(h * target))
        gray = gray[:, (w - new_w) // 2 : (w - new_w) // 2 + new_w]
    else:
        new_h = int(round(w / target))
        gray = gray[(h - new_h) // 2 : (h - new_h) // 2 + new_h]
    resized = Image.fromarray((gray * 255).astype(np.uint8)).resize((width, height), Image.Resampling.LANCZOS)
    return torch.from_numpy(np.asarray(resized, dtype=np.float32) / 255.0)[None, None]
