"""Helpers the browser tests share (not a test module): a Chromium context that may reach only 127.0.0.1, the page's
controls, and waits on conditions in the page (never a fixed sleep).

Debian's chromium driven by the Python playwright package (never a downloaded browser): see
``../shared/GRADIO_NOTES.md``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

CHROMIUM = "/usr/lib/chromium/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MNIST = ["mnist-pca-z2", "mnist-ae-z2", "mnist-vae-z2"]
MAPS = "document.querySelector('#le-maps .le-maps').leMaps"
LIVE = "document.querySelector('#le-live .le-live').leLive"
TOASTS = "[...document.querySelectorAll('[data-testid=toast-text]')].map(t => t.innerText).join('\\n')"
PROJECTOR = {"width": 1280, "height": 720}


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (`bash scripts/test` does)")


@contextmanager
def local_context(viewport: dict | None = None, **options):
    """A Chromium context (1280x720 unless ``viewport`` says otherwise; ``options`` such as ``has_touch``) with a
    profile of its own that may reach only 127.0.0.1: any other request is refused, and fails the test when the
    context closes."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="chromium-")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=ARGS, viewport=viewport or PROJECTOR, **options
        )
        outside = []

        def only_local(route):
            if route.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
                return route.continue_()
            outside.append(route.request.url)
            return route.abort()

        context.route("**/*", only_local)
        yield context
        context.close()
        assert not outside, f"the page tried to reach the network: {outside[:5]}"
    shutil.rmtree(profile, ignore_errors=True)


def open_page(context, url: str, maps: str = "mnist/2/"):
    """A new page at ``url``, once the maps of a lineup whose key starts with ``maps`` are drawn; its console
    messages collect in ``page.console_messages_seen``."""
    page = context.new_page()
    page.console_messages_seen = []
    page.on("console", lambda m: page.console_messages_seen.append(m.text))
    page.goto(url)
    wait_for_maps(page, maps)
    return page


def wait_for_maps(page, key_prefix: str, timeout: float = 30_000):
    """Until the maps of a lineup whose key starts with ``key_prefix`` are drawn."""
    drawn = "document.querySelector('#le-maps .le-maps')?.dataset.drawn || ''"
    page.wait_for_function(f"({drawn}).startsWith('{key_prefix}')", timeout=timeout)


def choose_dataset(page, name: str):
    page.locator("#le-dataset input").click()
    page.get_by_role("option", name=name, exact=True).click()


def choose_k(page, k: int):
    page.locator("#le-k label", has_text=str(k)).click()


def tab(page, name: str):
    page.get_by_role("tab", name=name).click()


def src(page, selector: str) -> str | None:
    """The src of the picture in ``selector`` (None when it shows none)."""
    return page.evaluate(f"() => document.querySelector('{selector} img')?.getAttribute('src') ?? null")


def wait_for_src(
    page, selector: str, contains: str | None = None, other_than: str | None = None, timeout: float = 20_000
) -> str:
    """The src of the picture in ``selector`` once it holds ``contains`` (a picture file's content folder: the
    server's pictures are stored by their hash) or differs from ``other_than``."""
    get = f"document.querySelector('{selector} img')?.getAttribute('src') || ''"
    condition = (
        f"({get}).includes({json.dumps(contains)})"
        if contains is not None
        else f"(s => s && s !== {json.dumps(other_than)})({get})"
    )
    page.wait_for_function(condition, timeout=timeout)
    return src(page, selector)


def content_key(path: str) -> str:
    """What names the picture in file ``path`` (one the API returned, say) among the app's downloads, which are
    stored by content: its folder ``pictures/<sha1[:16]>/`` (explorer.page.assets.Assets.download)."""
    return hashlib.sha1(Path(path).read_bytes()).hexdigest()[:16]


def next_frames(page, frames: int = 2) -> None:
    """Until the page has drawn ``frames`` more animation frames (what it does between two input events)."""
    page.evaluate(
        f"() => new Promise(done => {{ let n = {frames}; const tick = () => --n ? "
        "requestAnimationFrame(tick) : done(); requestAnimationFrame(tick); })"
    )


def pictures_loaded(page) -> None:
    """Until every visible picture has loaded and the page has drawn two more frames (before a screenshot)."""
    page.wait_for_function("[...document.images].filter(i => i.offsetParent).every(i => i.complete)", timeout=20_000)
    next_frames(page)


def drag_slider(page, axis: int, fractions):
    """Drag slider ``axis`` through ``fractions`` of its width, one animation frame apart (as a hand would)."""
    slider = page.locator(f"#le-axis-{axis} input[type=range]")
    slider.scroll_into_view_if_needed()
    box = slider.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] / 2, y)
    page.mouse.down()
    for f in fractions:
        page.mouse.move(box["x"] + box["width"] * f, y)
        next_frames(page)
    page.mouse.up()


def pixels_from_page(page, source: str) -> np.ndarray:
    if source.startswith("data:"):
        data = base64.b64decode(source.split(",", 1)[1])
    else:
        url = source if source.startswith("http") else page.url.split("?")[0].rstrip("/") + "/" + source.lstrip("/")
        data = page.request.get(url).body()
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"))


def pixels(path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))
