"""End to end in headless Chromium (Debian's package, driven by Playwright): click a point in the map,
drag a slider, draw a digit, and check that the pictures changed and equal what the API returns.

Screenshots of every panel go to $LATENT_EXPLORER_SCREENSHOTS (docs/screenshots for the README)
or to a temporary folder.
"""

from __future__ import annotations

import base64
import io
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from explorer.panels import MAX_AXES

CHROMIUM = "/usr/lib/chromium/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MODEL = ("mnist", 2, "mnist-vae-z2")

POINT_POSITION = """([model, index]) => {
  const gd = [...document.querySelectorAll('.js-plotly-plot')].find(g => g.layout?.meta?.model === model);
  const box = gd.querySelector('.nsewdrag').getBoundingClientRect();
  const full = gd._fullLayout;
  for (const t of gd._fullData) {
    if (t.name === 'selected' || !t.customdata) continue;
    const i = Array.prototype.indexOf.call(t.customdata, index);
    if (i >= 0) return [box.left + full.xaxis.d2p(t.x[i]), box.top + full.yaxis.d2p(t.y[i])];
  }
  return null;
}"""
RINGS = """() => [...document.querySelectorAll('.js-plotly-plot')].filter(g => g.layout?.meta?.model)
  .map(g => { const t = g._fullData.find(t => t.name === 'selected');
              return t && t.customdata ? Array.from(t.customdata) : []; })"""
STAR_COUNT = """() => [...document.querySelectorAll('.js-plotly-plot')].filter(g => g.layout?.meta?.model)
  .map(g => { const t = g._fullData.find(t => t.name === 'your image'); return t && t.x ? t.x.length : 0; })"""


@pytest.fixture(scope="module")
def shots() -> Path:
    folder = Path(os.environ.get("LATENT_EXPLORER_SCREENSHOTS") or tempfile.mkdtemp(prefix="shots-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def page(live_app):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (`apt-get install chromium`; .ci/run does)")
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="chromium-")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=ARGS, viewport={"width": 1500, "height": 1000})
        outside = []

        def only_local(route):
            if route.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
                return route.continue_()
            outside.append(route.request.url)
            return route.abort()

        context.route("**/*", only_local)
        page = context.new_page()
        page.goto(live_app)
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot .gl-container').length >= 3",
                               timeout=60_000)
        yield page
        context.close()
        assert not outside, f"the page tried to reach the network: {outside[:5]}"
    shutil.rmtree(profile, ignore_errors=True)


def _image_src(page, selector: str) -> str | None:
    return page.evaluate(f"() => document.querySelector('{selector} img')?.getAttribute('src') ?? null")


def _pixels_from_page(page, src: str) -> np.ndarray:
    if src.startswith("data:"):
        data = base64.b64decode(src.split(",", 1)[1])
    else:
        data = page.request.get(src if src.startswith("http") else page.url.rstrip("/") + "/" + src.lstrip("/")).body()
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"))


def _pixels(path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def _wait_for_new_src(page, selector: str, old: str | None, timeout: float = 20) -> str:
    deadline = time.time() + timeout
    while time.time() < deadline:
        src = _image_src(page, selector)
        if src and src != old:
            return src
        time.sleep(0.1)
    raise AssertionError(f"{selector} did not update")


def _settle(page, selector: str, quiet: float = 1.0, timeout: float = 20) -> str:
    """The image's src once it has stopped changing for ``quiet`` seconds."""
    src, since, deadline = _image_src(page, selector), time.time(), time.time() + timeout
    while time.time() < deadline:
        time.sleep(0.1)
        now = _image_src(page, selector)
        if now != src:
            src, since = now, time.time()
        elif time.time() - since >= quiet:
            return src
    raise AssertionError(f"{selector} kept changing")


def test_click_a_point_selects_it_everywhere(page, client, shots):
    page.screenshot(path=str(shots / "latent-map.png"))
    before = _settle(page, "#le-selection")
    x, y = page.evaluate(POINT_POSITION, ["vae", 123])
    page.mouse.move(x, y)
    page.wait_for_selector("#le-preview", state="visible", timeout=5000)  # hover shows the test image
    page.mouse.click(x, y)
    page.wait_for_function("document.querySelector('#le-index input').value !== '0'", timeout=10_000)
    index = int(page.input_value("#le-index input"))
    assert page.evaluate(RINGS) == [[index]] * 3  # the same image is ringed in all three maps
    src = _wait_for_new_src(page, "#le-selection", before)
    src = _settle(page, "#le-selection")
    expected = client.predict(*MODEL, index, "selected", 1, 10, api_name="/select")[0]
    assert np.array_equal(_pixels_from_page(page, src), _pixels(expected))
    page.screenshot(path=str(shots / "latent-map-selected.png"))


EMPTY_CORNER = """() => {
  const gd = [...document.querySelectorAll('.js-plotly-plot')].find(g => g.layout?.meta?.model === 'vae');
  const box = gd.querySelector('.nsewdrag').getBoundingClientRect();
  const px = box.width * 0.97, py = box.height * 0.03;  // top-right corner of the plot area
  return {x: box.left + px, y: box.top + py, zx: gd._fullLayout.xaxis.p2d(px), zy: gd._fullLayout.yaxis.p2d(py)};
}"""


def test_clicking_empty_space_decodes_that_location(page, client):
    import json

    corner = page.evaluate(EMPTY_CORNER)
    before = _image_src(page, "#le-here")
    page.mouse.click(corner["x"], corner["y"])
    src = _settle(page, "#le-here") if _wait_for_new_src(page, "#le-here", before) else None
    sent = json.loads(page.input_value("#le-event textarea"))  # exactly what the page asked for
    assert sent["kind"] == "space" and sent["model"] == "vae"
    assert sent["x"] == pytest.approx(corner["zx"], abs=0.05) and sent["y"] == pytest.approx(corner["zy"], abs=0.05)
    _, expected = client.predict(json.dumps(sent), *MODEL, 0, api_name="/map_event")
    assert np.array_equal(_pixels_from_page(page, src), _pixels(expected))


def test_dragging_a_slider_redraws_and_ends_on_the_slider_value(page, client, shots):
    from test_app_api import live_pictures

    page.get_by_role("tab", name="Traversal").click()
    page.wait_for_selector("#le-axis-0 input[type=range]")
    vae_picture = "#le-live figure[data-kind=vae]"
    start = _settle(page, vae_picture)
    index = int(page.input_value("#le-index input"))
    box = page.locator("#le-axis-0 input[type=range]").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] / 2, y)
    page.mouse.down()
    for step in range(1, 16):  # a real drag: many input events
        page.mouse.move(box["x"] + box["width"] * (0.5 + 0.027 * step), y)
        time.sleep(0.03)
    page.mouse.up()
    final = _settle(page, vae_picture)
    assert final != start
    value = float(page.input_value("#le-axis-0 input[type=number]"))
    assert value > 1.0
    expected = live_pictures(client.predict(*MODEL, index, "selected", value, *[0.0] * (MAX_AXES - 1),
                                            api_name="/traverse"))
    assert np.array_equal(_pixels_from_page(page, final)[..., 0], expected["vae"])  # no stale frame
    ae_src = _image_src(page, "#le-live figure[data-kind=ae]")
    assert np.array_equal(_pixels_from_page(page, ae_src)[..., 0], expected["ae"])
    # During the drag the page decoded every step itself, and its last frame is the server's picture.
    assert page.evaluate("window.__leLocalFrames") >= 10
    local = np.array(page.evaluate("Array.from(window.__leLastLocal.vae.pixels)"), dtype=np.int16)
    assert np.abs(local.reshape(28, 28, 4)[..., 0] - expected["vae"].astype(np.int16)).max() <= 2
    page.wait_for_function("!document.querySelector('#le-live canvas.le-local')", timeout=5000)  # server's shown
    page.screenshot(path=str(shots / "traversal.png"), full_page=True)


def test_draw_a_digit_and_find_it_in_the_maps(page, client, shots):
    page.get_by_role("tab", name="Reconstruction").click()
    canvas = page.locator("#le-sketch canvas").last
    canvas.wait_for()
    draw_tool = page.locator("#le-sketch button[aria-label='Brush'], #le-sketch button[title='Brush']")
    if draw_tool.count():
        draw_tool.first.click()
    box = canvas.bounding_box()
    cx, cy, size = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, box["height"] * 0.35
    page.mouse.move(cx - size * 0.2, cy - size)  # a "7": top bar, then the diagonal stroke
    page.mouse.down()
    for t in np.linspace(0, 1, 12):
        page.mouse.move(cx - size * 0.2 + t * size * 0.9, cy - size)
    for t in np.linspace(0, 1, 16):
        page.mouse.move(cx + size * 0.7 - t * size * 0.8, cy - size + t * 2 * size)
    page.mouse.up()
    before = _image_src(page, "#le-yours")
    page.get_by_role("button", name="Encode my drawing / upload").click()
    _wait_for_new_src(page, "#le-yours", before)
    picture = _pixels_from_page(page, _settle(page, "#le-yours"))
    assert picture.shape[0] > 28 * 4
    page.wait_for_function(f"({STAR_COUNT})().every(n => n === 1)", timeout=10_000)
    page.screenshot(path=str(shots / "reconstruction.png"), full_page=True)


@pytest.mark.parametrize("tab,name,pictures", [("Sampling", "sampling", 6), ("Interpolation", "interpolation", 1),
                                               ("Insights", "insights", 2)])
def test_every_other_panel_renders(page, shots, tab, name, pictures):
    page.get_by_role("tab", name=tab).click()
    visible = ("() => [...document.querySelectorAll('.pixelated img, .js-plotly-plot')]"
               ".filter(e => e.offsetParent && (e.tagName !== 'IMG' || e.naturalWidth > 0)).length")
    page.wait_for_function(f"({visible})() >= {pictures}", timeout=20_000)
    time.sleep(1)
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def test_switching_to_faces_redraws_every_map(page, shots):
    page.get_by_role("tab", name="Latent map").click()
    page.locator("input[role=listbox], .wrap-inner input").first.click()
    page.get_by_role("option", name="faces").click()
    counts = ("() => [...document.querySelectorAll('.js-plotly-plot')].filter(g => g.layout?.meta?.model)"
              ".map(g => g._fullData.filter(t => t.name !== 'selected' && t.name !== 'your image')"
              ".reduce((n, t) => n + (t.x ? t.x.length : 0), 0))")
    page.wait_for_function(f"({counts})().length === 3 && ({counts})().every(n => n === 80)", timeout=30_000)
    _settle(page, "#le-selection")
    page.screenshot(path=str(shots / "faces.png"))
