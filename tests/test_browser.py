"""End to end in headless Chromium (Debian's package, driven by Playwright) at a projector's 1280x720.

Each of the bugs a new user found has a test here that failed before its fix. Screenshots of every
tab go to $LATENT_EXPLORER_SCREENSHOTS (docs/screenshots for the README) or a temporary folder.
"""

from __future__ import annotations

import io
import math
import re

import numpy as np
import pytest
from browser import (
    LIVE,
    MAPS,
    MNIST,
    choose_dataset,
    choose_k,
    content_key,
    drag_slider,
    local_context,
    next_frames,
    open_page,
    pictures_loaded,
    pixels,
    pixels_from_page,
    src,
    tab,
    wait_for_maps,
    wait_for_src,
)
from helpers import live_pictures
from PIL import Image
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from explorer.core.entries import MAX_AXES


@pytest.fixture(scope="module")
def browser_context(live_app):
    with local_context() as context:
        yield context


@pytest.fixture(scope="module")
def page(browser_context, live_app):
    page = open_page(browser_context, live_app)
    yield page
    page.close()


def test_click_a_point_rings_it_in_every_map_above_the_points(page, client, shots):
    """Hidden marks: the ring must be drawn over the points, even in the densest region."""
    # The densest spot of the AE map: the test code with the most neighbours within a small radius.
    index = page.evaluate("""() => {
      const xy = document.querySelector('#le-maps .le-maps').leMaps.pointsOf('mnist-ae-z2');
      let best = 0, bestCount = -1;
      for (let i = 0; i < xy.length / 2; i += 37) { let c = 0;
        for (let j = 0; j < xy.length / 2; j++) { const dx = xy[2*i]-xy[2*j], dy = xy[2*i+1]-xy[2*j+1];
          if (dx*dx + dy*dy < 1.0) c++; }
        if (c > bestCount) { bestCount = c; best = i; } }
      return best; }""")
    x, y = page.evaluate(f"{MAPS}.pointOnScreen('mnist-ae-z2', {index})")
    page.mouse.move(x, y)
    page.wait_for_selector("#le-preview", state="visible", timeout=5000)  # hover shows the test image
    page.mouse.click(x, y)  # in a dense spot the click may land on a neighbour: that one is selected
    page.wait_for_function("document.querySelector('#le-index input').value !== '0'", timeout=5000)
    index = int(page.input_value("#le-index input"))
    x, y = page.evaluate(f"{MAPS}.pointOnScreen('mnist-ae-z2', {index})")
    marks = page.evaluate(f"{MAPS}.marks()")
    assert [len(m["selected"]) for m in marks] == [1, 1, 1]  # the same image ringed in all three maps
    page.mouse.move(5, 5)  # hover label and preview out of the way
    page.wait_for_selector("#le-preview", state="hidden", timeout=5000)
    next_frames(page)
    # The ring's black outline is visible on screen around the point (not hidden under the points).
    shot = np.asarray(Image.open(io.BytesIO(page.screenshot())).convert("L")).astype(int)
    Image.fromarray(shot[int(y) - 40 : int(y) + 40, int(x) - 40 : int(x) + 40].astype(np.uint8)).resize(
        (320, 320)
    ).save(shots / "ring-crop.png")
    yy, xx = np.mgrid[0 : shot.shape[0], 0 : shot.shape[1]]
    ring = np.abs(np.hypot(xx - x, yy - y) - 13) < 2.5
    assert (shot[ring] < 60).mean() > 0.6, "the selection ring is hidden under the points"
    expected = client.predict("mnist", 2, MNIST, index, api_name="/select")
    shown = wait_for_src(page, "#le-selection", contains=content_key(expected))
    assert np.array_equal(pixels_from_page(page, shown), pixels(expected))
    page.screenshot(path=str(shots / "latent-map-selected.png"))


def test_clicking_empty_space_marks_it_and_decodes_it(page, client):
    corner = page.evaluate(f"""() => {{
      const box = {MAPS}.areaOnScreen('mnist-vae-z2'), x = box.left + box.width * 0.95, y = box.top + box.height * 0.05;
      const [zx, zy] = {MAPS}.toData('mnist-vae-z2', x, y);
      return {{x, y, zx, zy}};
    }}""")
    before = src(page, "#le-here")
    assert before, "'What lives here?' starts with a hint, not empty"
    page.mouse.click(corner["x"], corner["y"])
    page.wait_for_function(f"{MAPS}.marks()[2]['clicked spot'].length === 1", timeout=5000)
    spot = page.evaluate(f"{MAPS}.spot()")
    assert spot["model"] == "mnist-vae-z2"
    assert spot["x"] == pytest.approx(corner["zx"], abs=0.05) and spot["y"] == pytest.approx(corner["zy"], abs=0.05)
    expected = client.predict("mnist", 2, MNIST, spot["model"], spot["x"], spot["y"], api_name="/decode_at")
    shown = wait_for_src(page, "#le-here", contains=content_key(expected))
    assert np.array_equal(pixels_from_page(page, shown), pixels(expected))
    # The same picture beside the cross (at 1280x720 "What lives here?" is below the screen).
    page.wait_for_function(
        f"{MAPS}.marks()[2]['spot picture'] === new URL({shown!r}, location.href).href", timeout=5000
    )


def test_dragging_a_slider_ends_on_the_servers_exact_picture(page, client, shots):
    tab(page, "Traversal")
    page.wait_for_selector("#le-axis-0 input[type=range]")
    frames_before = page.evaluate(f"{LIVE}.state.frames")
    drag_slider(page, 0, [0.5 + 0.027 * s for s in range(1, 16)])
    page.wait_for_function("[...document.querySelectorAll('#le-live canvas')].every(c => c.hidden)", timeout=5000)
    value = float(page.input_value("#le-axis-0 input[type=number]"))
    assert value > 1.0
    index = int(page.input_value("#le-index input"))
    expected = live_pictures(
        client.predict("mnist", 2, MNIST, index, "selected", value, *[0.0] * (MAX_AXES - 1), api_name="/traverse")
    )
    for name in MNIST:
        src = page.evaluate(f"document.querySelector('#le-live figure[data-model=\"{name}\"] img').src")
        assert np.array_equal(pixels_from_page(page, src)[..., 0], expected[name]), name
    # During the drag the page decoded every model itself, at most 2 grey levels from the server.
    assert page.evaluate(f"{LIVE}.state.frames") - frames_before >= 3 * 10
    local = page.evaluate(f"Array.from({LIVE}.state.last['mnist-vae-z2'].pixels)")
    local = np.array(local, dtype=np.int16).reshape(28, 28, 4)[..., 0]
    assert np.abs(local - expected["mnist-vae-z2"].astype(np.int16)).max() <= 2
    page.screenshot(path=str(shots / "traversal.png"))


SAMPLE_LIVE = """() => {  // every visible live picture's pixel size, sampled each animation frame
  window.__leSeen = [];
  const sample = () => {
    document.querySelectorAll('#le-live figure').forEach(f => {
      const canvas = f.querySelector('canvas'), img = f.querySelector('img');
      const shown = canvas && !canvas.hidden ? [canvas.width, canvas.height] : [img.naturalWidth, img.naturalHeight];
      if (shown[0]) window.__leSeen.push(shown.join('x'));
    });
    if (window.__leSampling) requestAnimationFrame(sample);
  };
  window.__leSampling = true; requestAnimationFrame(sample);
}"""


def test_reset_brings_back_the_start_pictures(page):
    """Reset (all sliders, or one slider's ↺) must show the start image again, not the dragged one."""
    tab(page, "Traversal")
    figures = "[...document.querySelectorAll('#le-live figure img')].map(i => i.src)"
    page.get_by_role("button", name="Reset sliders to 0").click()
    page.wait_for_function("document.querySelector('#le-axis-0 input[type=range]').value === '0'", timeout=10_000)
    page.wait_for_function(
        f"{LIVE}.state.spec && [...document.querySelectorAll('#le-live figure')].every(f => "
        "f.querySelector('canvas').hidden && f.querySelector('img').complete && "
        "f.querySelector('img').naturalWidth)",
        timeout=10_000,
    )  # the server's start frame
    start = page.evaluate(figures)
    drag_slider(page, 0, [0.5 - 0.03 * s for s in range(1, 12)])
    page.wait_for_function(f"JSON.stringify({figures}) !== JSON.stringify({start!r})", timeout=10_000)
    page.wait_for_function("[...document.querySelectorAll('#le-live canvas')].every(c => c.hidden)", timeout=5000)
    page.get_by_role("button", name="Reset sliders to 0").click()
    page.wait_for_function(f"JSON.stringify({figures}) === JSON.stringify({start!r})", timeout=10_000)
    drag_slider(page, 0, [0.5 + 0.03 * s for s in range(1, 12)])
    page.wait_for_function("[...document.querySelectorAll('#le-live canvas')].every(c => c.hidden)", timeout=5000)
    page.locator("#le-axis-0 .reset-button").click()
    page.wait_for_function(f"JSON.stringify({figures}) === JSON.stringify({start!r})", timeout=10_000)


def test_no_mnist_frame_shows_during_a_faces_drag(page):
    """Stale frames: drag on MNIST, switch to faces, drag again: only 64x64 faces may ever show."""
    tab(page, "Traversal")
    drag_slider(page, 1, [0.5 + 0.03 * s for s in range(1, 10)])
    choose_dataset(page, "faces")  # straight after the drag, while MNIST frames may still be in flight
    wait_for_maps(page, "faces/")
    page.wait_for_function(
        "[...document.querySelectorAll('#le-live figure img')].every(i => i.naturalWidth === 64)", timeout=10_000
    )
    page.evaluate(SAMPLE_LIVE)
    drag_slider(page, 0, [0.5 - 0.03 * s for s in range(1, 14)])
    page.wait_for_function("[...document.querySelectorAll('#le-live canvas')].every(c => c.hidden)", timeout=10_000)
    next_frames(page, 10)  # the server's last frame drawn and sampled
    page.evaluate("window.__leSampling = false")
    seen = set(page.evaluate("window.__leSeen"))
    assert seen == {"64x64"}, f"frames of another dataset showed: {seen}"
    assert page.evaluate(f"{LIVE}.state.spec.models[0].height") == 64


def test_maps_fill_their_boxes_after_a_change_made_on_another_tab(page):
    """Clipped maps: change the dataset and k while another tab is open, then come back."""
    tab(page, "Sampling")
    choose_dataset(page, "mnist")
    wait_for_maps(page, "mnist/2/")  # drawn in the hidden tab; k chosen after the dataset's reply set it
    choose_k(page, 16)
    wait_for_maps(page, "mnist/16/")  # drawn in the hidden tab
    tab(page, "Latent map")
    widths = """() => [...document.querySelectorAll('#le-maps .le-map')]
      .map(d => [d.clientWidth, d.querySelector('.le-map-base').getBoundingClientRect().width])"""
    try:  # laid out again once the tab shows (asynchronously); before the fix they stayed clipped
        page.wait_for_function(f"({widths})().every(([box, drawn]) => Math.abs(box - drawn) <= 2)", timeout=5000)
    except PlaywrightTimeout:
        pass
    found = page.evaluate(widths)
    assert len(found) == 3
    for box, drawn in found:
        assert abs(box - drawn) <= 2, f"map drawn {drawn:.0f} px wide in a {box} px box"


def test_one_bad_value_only_affects_its_own_panel(page):
    tab(page, "Interpolation")
    end = page.get_by_label("to test image #")
    end.fill("99999")
    end.press("Enter")
    page.wait_for_selector(".toast-body", timeout=10_000)  # the panel says what is wrong
    choose_dataset(page, "faces")
    wait_for_maps(page, "faces/")
    tab(page, "Sampling")
    page.wait_for_function("document.querySelector('#le-samples img')?.src.includes('faces')", timeout=20_000)
    tab(page, "Traversal")
    page.wait_for_function(
        "[...document.querySelectorAll('#le-live figure img')].every(i => i.naturalWidth === 64)", timeout=10_000
    )
    errors = page.evaluate("""() => [...document.querySelectorAll('.error')].filter(e => e.offsetParent)
                                     .map(e => e.closest('[id]')?.id)""")
    assert errors in ([], [None]) or all(e in (None, "le-interpolation") for e in errors), errors
    tab(page, "Interpolation")
    end.fill("3")  # fixing the value brings the panel back
    end.press("Enter")
    page.wait_for_function("document.querySelector('#le-interpolation img')?.src.includes('faces-k')", timeout=20_000)


def test_canvases_and_webgl_contexts_stay_flat_over_many_switches(browser_context, live_app):
    page = open_page(browser_context, live_app)
    canvases = page.evaluate("document.querySelectorAll('canvas').length")
    for i in range(8):
        choose_dataset(page, "faces" if i % 2 == 0 else "mnist")
        wait_for_maps(page, "faces/" if i % 2 == 0 else "mnist/")
    choose_dataset(page, "mnist")
    wait_for_maps(page, "mnist/2/")
    assert not [m for m in page.console_messages_seen if "Too many active WebGL contexts" in m]
    assert page.evaluate("document.querySelectorAll('canvas').length") == canvases
    page.close()


def test_draw_a_digit_without_picking_a_tool_and_find_it_in_the_maps(page, shots):
    choose_dataset(page, "mnist")
    wait_for_maps(page, "mnist/2/")
    tab(page, "Reconstruction")
    canvas = page.locator("#le-sketch canvas.le-paper")
    canvas.wait_for()
    next_frames(page)
    box = canvas.bounding_box()
    cx, cy, size = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, box["height"] * 0.35
    page.mouse.move(cx - size * 0.2, cy - size)  # a "7": top bar, then the diagonal stroke
    page.mouse.down()
    for t in np.linspace(0, 1, 12):
        page.mouse.move(cx - size * 0.2 + t * size * 0.9, cy - size)
    for t in np.linspace(0, 1, 16):
        page.mouse.move(cx + size * 0.7 - t * size * 0.8, cy - size + t * 2 * size)
    page.mouse.up()
    before = src(page, "#le-yours")
    page.get_by_role("button", name="Encode my drawing").click()
    wait_for_src(page, "#le-yours", other_than=before)  # the drawing, encoded
    page.screenshot(path=str(shots / "reconstruction.png"))
    tab(page, "Latent map")
    page.wait_for_function(f"{MAPS}.marks().every(m => m['your image'].length === 1)", timeout=10_000)


def test_k16_click_on_empty_space_explains_itself_and_hides_the_manifold(page):
    tab(page, "Latent map")
    choose_k(page, 16)
    wait_for_maps(page, "mnist/16/")
    before = src(page, "#le-here")
    box = page.evaluate(f"{MAPS}.areaOnScreen({MAPS}.models()[2])")
    page.mouse.click(box["left"] + box["width"] * 0.97, box["top"] + box["height"] * 0.03)
    wait_for_src(page, "#le-here", other_than=before)  # a click on a k = 16 map says what it is
    tab(page, "Sampling")
    page.wait_for_function("!document.querySelector('#le-manifolds')?.offsetParent", timeout=15_000)


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_every_tab_shows_its_main_pictures_without_scrolling(browser_context, live_app, shots, size):
    page = open_page(browser_context, live_app)
    page.set_viewport_size({"width": size[0], "height": size[1]})
    main = {
        "Latent map": "#le-maps",
        "Traversal": "#le-live",
        "Sampling": "#le-samples img",
        "Interpolation": "#le-interpolation img",
        "Reconstruction": "#le-reconstruction img",
        "Insights": "#le-curves",
    }
    for control in ("#le-dataset", "#le-k", "#le-models", "#le-index"):  # the header fits: nothing off-screen
        box = page.locator(control).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= size[0] + 1, f"{control} is off-screen: {box}"
    for name, selector in main.items():
        tab(page, name)
        page.wait_for_function(
            f"(() => {{ const e = document.querySelector('{selector}'); "
            "return e && e.getBoundingClientRect().height > 50 && "
            "(e.tagName !== 'IMG' || e.naturalWidth > 0); })()",
            timeout=20_000,
        )
        pictures_loaded(page)
        bottom = page.evaluate(f"document.querySelector('{selector}').getBoundingClientRect().bottom")
        assert bottom <= size[1] + 1, f"{name}: the main picture ends at {bottom:.0f} px, below the window"
        slug = name.lower().replace(" ", "-")
        page.screenshot(path=str(shots / f"{slug}-{size[0]}x{size[1]}.png"))
    page.close()


def test_upload_a_pdf_then_a_white_digit_on_transparency(page, shots, tmp_path):
    """Through the page's upload box: a PDF named .png (past the browser's own file-type check) gets the
    app's message; then a white digit on a transparent background is encoded and starred in every map."""
    choose_dataset(page, "mnist")
    wait_for_maps(page, "mnist/2/")
    tab(page, "Reconstruction")
    wait_for_src(page, "#le-reconstruction", contains="mnist-k2")  # the lineup's refresh is over
    page.wait_for_function("!document.querySelector('#le-yours img')?.getAttribute('src')")  # it clears "yours"
    before = src(page, "#le-yours")
    (tmp_path / "notes.png").write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    page.locator("#le-upload input[type=file]").set_input_files(str(tmp_path / "notes.png"))
    page.locator(".toast-body", has_text="not a picture this app reads").wait_for(timeout=15_000)
    page.screenshot(path=str(shots / "upload-pdf-1280x720.png"))
    assert src(page, "#le-yours") == before
    page.get_by_role("button", name="Remove Image").click()
    digit = np.zeros((200, 200, 4), np.uint8)
    digit[40:160, 90:110] = 255  # a white "1", everything else transparent
    Image.fromarray(digit).save(tmp_path / "one.png")
    page.locator("#le-upload input[type=file]").set_input_files(str(tmp_path / "one.png"))
    shown = wait_for_src(page, "#le-yours", other_than=before)  # the upload, encoded
    page.screenshot(path=str(shots / "upload-transparent-1280x720.png"))
    yours = pixels_from_page(page, shown)
    assert yours.mean() < 128  # white ink on black, as MNIST: not a blank white square
    tab(page, "Latent map")
    page.wait_for_function(f"{MAPS}.marks().every(m => m['your image'].length === 1)", timeout=10_000)


def test_map_layers_toggle_and_a_vae_point_shows_its_posterior(page, shots):
    """The prior's circles are on by default; prior holes and decoder nonsense toggle on and off; clicking a
    point draws the VAE's q(z|x) ellipses around it (the AE and PCA have none); the VAE's KL bars show."""
    tab(page, "Latent map")
    choose_dataset(page, "mnist")
    wait_for_maps(page, "mnist/2/")
    page.wait_for_function(f"{MAPS}.layers().every(l => l.join() === 'prior,samples')", timeout=20_000)
    page.wait_for_selector(".toast-body", state="detached", timeout=20_000)  # earlier tests' messages gone
    before = page.evaluate(f"{MAPS}.samplesOf('mnist-ae-z2')")
    assert len(before) == 64  # the 8 x 8 sampling grid drawn at load, where its codes land
    tab(page, "Sampling")
    page.get_by_role("button", name="New seed").click()
    page.wait_for_function(f"{MAPS}.samplesOf('mnist-ae-z2').join() !== {before!r}.join()", timeout=20_000)
    tab(page, "Latent map")
    for text, name in (("prior holes", "holes"), ("decoder nonsense", "quality")):
        page.locator("#le-layers label", has_text=text).click()
        page.wait_for_function(f"{MAPS}.layers().every(l => l.includes('{name}'))", timeout=30_000)
        shot = {"holes": "prior-holes", "quality": "decoder-quality"}[name]
        page.screenshot(path=str(shots / f"layer-{shot}-1280x720.png"))
        page.locator("#le-layers label", has_text=text).click()
        page.wait_for_function(f"{MAPS}.layers().every(l => !l.includes('{name}'))", timeout=30_000)
    x, y = page.evaluate(f"{MAPS}.pointOnScreen('mnist-vae-z2', 42)")
    page.mouse.click(x, y)
    page.wait_for_function(f"{MAPS}.marks()[2]['posterior'].length > 10", timeout=20_000)
    marks = page.evaluate(f"{MAPS}.marks()")
    assert [len(m["posterior"]) for m in marks[:2]] == [0, 0] and marks[2]["selected"]
    tab(page, "Traversal")  # beside the sliders: each VAE's KL per axis, the active ones counted
    page.locator("#le-kl", has_text="VAE: 2 of 2 active").wait_for(timeout=10_000)


def test_a_dragged_box_zooms_one_map_and_a_double_click_shows_every_point_again(page):
    """The maps are drawn by the page (no plotly): a box dragged on one map zooms it alone; a dot there is hovered
    and clicked where it is drawn; a double-click shows every point again."""
    tab(page, "Latent map")
    choose_dataset(page, "mnist")
    wait_for_maps(page, "mnist/2/")
    model = "mnist-ae-z2"
    whole, box = page.evaluate(f"[{MAPS}.view('{model}'), {MAPS}.areaOnScreen('{model}')]")
    start = (box["left"] + box["width"] * 0.25, box["top"] + box["height"] * 0.25)
    end = (box["left"] + box["width"] * 0.5, box["top"] + box["height"] * 0.5)
    corners = page.evaluate(
        f"[{MAPS}.toData('{model}', {start[0]}, {start[1]}), {MAPS}.toData('{model}', {end[0]}, {end[1]})]"
    )
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=6)
    page.mouse.up()
    page.wait_for_function(f"{MAPS}.zoomed().join() === 'false,true,false'", timeout=5000)
    view = page.evaluate(f"{MAPS}.view('{model}')")
    (x0, y1), (x1, y0) = corners  # the box has the axes' shape: the view is the box
    assert view["x"] == pytest.approx([x0, x1], rel=1e-3, abs=1e-3) and view["y"] == pytest.approx([y0, y1], abs=1e-3)
    # A dot inside the zoomed view, hovered and clicked where the page says it is drawn.
    index = page.evaluate(f"""() => {{
      const xy = {MAPS}.pointsOf('{model}'), v = {MAPS}.view('{model}');
      const cx = (v.x[0] + v.x[1]) / 2, cy = (v.y[0] + v.y[1]) / 2;
      let best = -1, bestD = Infinity;
      for (let i = 0; i < xy.length / 2; i++) {{
        const d = (xy[2 * i] - cx) ** 2 + (xy[2 * i + 1] - cy) ** 2;
        if (d < bestD) {{ best = i; bestD = d; }}
      }}
      return best; }}""")
    x, y = page.evaluate(f"{MAPS}.pointOnScreen('{model}', {index})")
    assert box["left"] < x < box["left"] + box["width"] and box["top"] < y < box["top"] + box["height"]
    page.mouse.move(x, y)
    page.wait_for_selector("#le-preview", state="visible", timeout=5000)
    caption = page.inner_text("#le-preview span")
    assert re.fullmatch(r"digit \d · #\d+", caption), caption
    page.mouse.click(x, y)  # the dot under the pointer (a neighbour drawn on top of it may win)
    page.wait_for_function(
        f"{MAPS}.marks()[1].selected.length === 1 && document.querySelector('#le-index input').value !== '0'",
        timeout=5000,
    )
    chosen = int(page.input_value("#le-index input"))
    assert caption.endswith(f"#{chosen}")  # the dot the preview showed is the one selected
    cx, cy = page.evaluate(f"{MAPS}.pointOnScreen('{model}', {chosen})")
    assert math.hypot(cx - x, cy - y) <= 7  # within the dot's reach of the click
    # A double-click zooms out and selects nothing, even on a dot (zoomed in, a click waits out a second one).
    other = page.evaluate(f"{MAPS}.pointOnScreen('{model}', {index})")
    page.mouse.dblclick(*other)
    page.wait_for_function(f"{MAPS}.zoomed().every(z => !z)", timeout=5000)
    again = page.evaluate(f"{MAPS}.view('{model}')")
    assert again["x"] == pytest.approx(whole["x"], abs=1e-6) and again["y"] == pytest.approx(whole["y"], abs=1e-6)
    page.wait_for_function(f"!{MAPS}.clicksWaiting()", timeout=5000)  # no click left to act
    assert page.evaluate(f"{MAPS}.marks()[1].selected") == [
        pytest.approx(page.evaluate(f"{MAPS}.pointsOf('{model}')")[2 * chosen])
    ]
    assert int(page.input_value("#le-index input")) == chosen and page.evaluate(f"{MAPS}.spot()") is None


def test_a_wobble_is_a_click_and_zooming_deep_never_hangs_the_page(page):
    """A press that moves a few pixels selects, not zooms; a press released off the map leaves no box following
    the pointer; twenty small boxes in a row (a view a hundred-billionth as wide) keep the page answering."""
    tab(page, "Latent map")
    model = "mnist-vae-z2"
    x, y = page.evaluate(f"{MAPS}.pointOnScreen('{model}', 11)")
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 5, y + 1, steps=3)
    page.mouse.up()
    page.wait_for_function("document.querySelector('#le-index input').value !== '0'", timeout=5000)
    assert page.evaluate(f"{MAPS}.zoomed()") == [False, False, False]
    box = page.evaluate(f"{MAPS}.areaOnScreen('{model}')")
    page.mouse.move(box["left"] + 20, box["top"] + 3)
    page.mouse.down()
    page.mouse.move(box["left"] + 20, box["top"] - 60, steps=4)  # off the map, above it
    page.mouse.up()
    page.mouse.move(box["left"] + box["width"] / 2, box["top"] + box["height"] / 2, steps=4)
    assert page.evaluate(
        "[...document.querySelectorAll('.le-map-zoom')].every(z => getComputedStyle(z).display === 'none')"
    )
    for _ in range(20):
        box = page.evaluate(f"{MAPS}.areaOnScreen('{model}')")
        cx, cy = box["left"] + box["width"] * 0.4, box["top"] + box["height"] * 0.4
        page.mouse.move(cx, cy)
        page.mouse.down()
        page.mouse.move(cx + 30, cy + 30, steps=4)
        page.mouse.up()
        next_frames(page)
    view = page.evaluate(f"{MAPS}.view('{model}')")
    assert 0 < view["x"][1] - view["x"][0] and page.evaluate(f"{MAPS}.zoomed()")[2]
    page.get_by_role("button", name="all points").click()
    page.wait_for_function(f"{MAPS}.zoomed().every(z => !z)", timeout=5000)


def test_a_map_is_used_with_the_keyboard_alone(page):
    """Tab reaches a map; the arrows move its cursor (the dot under it previewed), Enter selects the dot there or
    decodes the spot, + zooms around the cursor and 0 shows every point again."""
    tab(page, "Latent map")
    choose_dataset(page, "mnist")
    wait_for_maps(page, "mnist/2/")
    page.locator("#le-layers input").last.focus()
    for _ in range(8):  # from the last layer switch to the first map, in a few Tabs
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('le-map-top')"):
            break
    assert page.evaluate("document.activeElement.getAttribute('aria-roledescription')") == "latent map"
    before = page.input_value("#le-index input")
    page.keyboard.press("ArrowUp")  # the middle of the PCA map is full of dots: one is under the cursor
    page.wait_for_selector("#le-preview", state="visible", timeout=5000)
    caption = page.inner_text("#le-preview span")
    page.keyboard.press("Enter")
    page.wait_for_function(f"document.querySelector('#le-index input').value !== {before!r}", timeout=5000)
    assert caption.endswith(f"#{page.input_value('#le-index input')}")  # the dot previewed is the one selected
    page.keyboard.press("+")
    page.wait_for_function(f"{MAPS}.zoomed()[0]", timeout=5000)
    page.keyboard.press("0")
    page.wait_for_function(f"!{MAPS}.zoomed()[0]", timeout=5000)
    for _ in range(12):  # to the map's corner, where there is no dot: Enter decodes the spot
        page.keyboard.press("Shift+ArrowUp")
        page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Enter")
    page.wait_for_function(f"{MAPS}.marks()[0]['clicked spot'].length === 1", timeout=5000)
    page.keyboard.press("Shift+Tab")  # focus leaves the maps: the preview goes
    page.wait_for_selector("#le-preview", state="hidden", timeout=5000)
