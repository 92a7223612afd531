"""The page as a class sees it (#16), in headless Chromium: phones and tablets, never a blank wait, the keyboard
alone and axe-core, legible text and pictures at 1280x720, and the words that follow the dataset.

Screenshots of every tab at 390x844 and 768x1024, and of the Compare grid at 1280x720, go to ``shots``
($LATENT_EXPLORER_SCREENSHOTS: docs/screenshots for the README).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from browser import (
    LIVE,
    MAPS,
    choose_dataset,
    choose_k,
    drag_slider,
    local_context,
    next_frames,
    open_page,
    wait_for_maps,
)

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 768, "height": 1024}
TABS = [
    "Latent map",
    "Traversal",
    "Sampling",
    "Interpolation",
    "Reconstruction",
    "Insights",
    "Watch them learn",
    "Compare β × k",
]
SLUGS = dict(
    zip(TABS, ["latent-map", "traversal", "sampling", "interpolation", "reconstruction", "insights", "race", "compare"])
)
REPO = Path(__file__).resolve().parents[1]


def show_tab(page, name: str) -> None:
    """Select tab ``name``, from the "…" menu where the width hides it."""
    button = page.get_by_role("tab", name=name)
    if button.count() and button.is_visible():
        button.click()
    else:  # in the "More tabs" menu
        page.get_by_role("button", name="More tabs").click()
        page.locator("#le-tabs .overflow-dropdown button", has_text=name).click()
    page.wait_for_function(
        f"[...document.querySelectorAll('#le-tabs [role=tab][aria-selected=true]')]"
        f".some(t => t.textContent.trim() === {name!r})"
    )


def box(page, selector: str) -> dict:
    return page.evaluate(
        f"(() => {{ const b = document.querySelector({selector!r}).getBoundingClientRect(); "
        "return {left: b.left, right: b.right, top: b.top, bottom: b.bottom, width: b.width, height: b.height}; })()"
    )


def touch(page, points: list[tuple[float, float]]) -> None:
    """One finger down at the first point, moved through the rest, lifted (real touch events, via CDP)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send(
        "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": points[0][0], "y": points[0][1]}]}
    )
    for x, y in points[1:]:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
        next_frames(page, 1)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


# ---- 2. a page for every screen -------------------------------------------------------------------------------------
@pytest.mark.parametrize("viewport", [PHONE, TABLET], ids=["phone-390", "tablet-768"])
def test_narrow_screens_get_one_column_with_every_control_reachable(live_app, shots, viewport):
    """One column: nothing wider than the screen, every header control inside it, the maps stacked and at least
    300 px wide; a screenshot of every tab."""
    with local_context(viewport, has_touch=True, is_mobile=True) as context:
        page = open_page(context, live_app)
        width = viewport["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
        for control in ("#le-dataset", "#le-k", "#le-models", "#le-index", "#le-lesson-choice", "#le-copy"):
            edges = box(page, control)
            assert 0 <= edges["left"] and edges["right"] <= width, (control, edges)
        maps = page.evaluate(
            "[...document.querySelectorAll('#le-maps .le-map')].map(m => { const b = m.getBoundingClientRect(); "
            "return [b.left, b.top, b.width]; })"
        )
        assert len(maps) == 3 and all(w >= 300 for _, _, w in maps), maps
        assert len({round(left) for left, _, _ in maps}) == 1 and maps[0][1] < maps[1][1] < maps[2][1]  # stacked
        for name in TABS:
            show_tab(page, name)
            next_frames(page, 3)
            assert page.evaluate("document.documentElement.scrollWidth") <= width, name
            page.screenshot(path=str(shots / f"{SLUGS[name]}-{width}x{viewport['height']}.png"))


def test_on_a_phone_the_pictures_stay_in_view_while_a_slider_is_dragged_by_touch(live_app):
    with local_context(PHONE, has_touch=True, is_mobile=True) as context:
        page = open_page(context, f"{live_app}/?tab=traversal&k=16", maps="mnist/16/")
        page.wait_for_function(f"{LIVE}.state.spec && document.querySelectorAll('#le-live figure img').length === 3")
        slider = page.locator("#le-axis-7 input[type=range]")
        slider.scroll_into_view_if_needed()
        track = slider.bounding_box()
        assert track["y"] > 300  # far below where the pictures start
        before = page.evaluate("[...document.querySelectorAll('#le-live figure')].map(f => f.innerHTML).join()")
        y = track["y"] + track["height"] / 2
        touch(page, [(track["x"] + track["width"] * (0.5 + 0.04 * i), y) for i in range(10)])
        page.wait_for_function("Number(document.querySelector('#le-axis-7 input[type=range]').value) > 0.5")
        for figure in page.evaluate(
            "[...document.querySelectorAll('#le-live figure')].map(f => { const b = f.getBoundingClientRect(); "
            "return [b.top, b.bottom]; })"
        ):
            assert 0 <= figure[0] and figure[1] <= PHONE["height"], figure  # in view, above the slider
        assert page.evaluate("[...document.querySelectorAll('#le-live figure')].map(f => f.innerHTML).join()") != before


def test_on_a_phone_a_finger_draws_on_the_pad_and_encodes_it(live_app):
    with local_context(PHONE, has_touch=True, is_mobile=True) as context:
        page = open_page(context, f"{live_app}/?tab=reconstruction")
        pad = page.locator("#le-sketch canvas")
        pad.scroll_into_view_if_needed()
        area = pad.bounding_box()
        cx, cy = area["x"] + area["width"] / 2, area["y"] + area["height"] / 2
        touch(page, [(cx, cy - 80 + 16 * i) for i in range(11)])  # a "1"
        assert page.evaluate("document.querySelector('#le-sketch canvas').dataset.strokes") == "1"
        page.get_by_role("button", name="Encode my drawing").click()
        page.wait_for_function("document.querySelector('#le-yours img')?.getAttribute('alt')?.startsWith('Your dra')")
        label = page.locator("#le-yours [data-testid=block-label]").inner_text()
        assert "cropped to its ink" in label and "turned light on dark" in label  # says what was done to it


# ---- 4. never a blank wait -----------------------------------------------------------------------------------------
def test_the_maps_say_they_are_coming_from_the_first_moment_and_shimmer_while_the_lineup_changes(live_app):
    """Before the first maps, their place holds a placeholder (from the moment it exists); after a change of k,
    the maps and pictures shimmer before the server's answer is drawn, and stop once it is."""
    with local_context() as context:
        page = context.new_page()
        page.add_init_script(
            """new MutationObserver((_, observer) => {
                 const grid = document.querySelector('#le-maps .le-maps');
                 if (!grid) return;
                 window.leFirstMaps = grid.innerHTML;
                 observer.disconnect();
               }).observe(document, { subtree: true, childList: true });"""
        )
        page.goto(live_app)
        wait_for_maps(page, "mnist/2/")
        assert "Drawing the latent maps" in page.evaluate("window.leFirstMaps")
        page.evaluate(
            """window.leSeen = [];
               new MutationObserver(() => window.leSeen.push(document.body.classList.contains('le-waiting') ?
                 'waiting' : 'idle')).observe(document.body, { attributes: true, attributeFilter: ['class'] });
               new MutationObserver(() => window.leSeen.push('drawn:' + document.querySelector('#le-maps .le-maps')
                 .dataset.drawn.split('/')[1])).observe(document.querySelector('#le-maps .le-maps'),
                 { attributes: true, attributeFilter: ['data-drawn'] });"""
        )
        choose_k(page, 16)
        wait_for_maps(page, "mnist/16/")
        page.wait_for_function("!document.body.classList.contains('le-waiting')")
        seen = page.evaluate("window.leSeen")
        assert seen.index("waiting") < seen.index("drawn:16"), seen  # the shimmer came first
        assert page.evaluate("getComputedStyle(document.querySelector('#le-maps'), '::after').animationName") in (
            "none",
            "",
        )  # and it is gone


# ---- 5. keyboard and assistive technology ----------------------------------------------------------------------------
def test_the_keyboard_reaches_a_slider_in_ten_presses_with_a_ring_on_every_control(live_app):
    with local_context() as context:
        page = open_page(context, live_app)
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "le-skip"
        page.keyboard.press("Enter")  # the skip link: to the tab shown
        assert page.evaluate("document.activeElement.getAttribute('role')") == "tab"
        page.keyboard.press("ArrowRight")  # the next tab, chosen
        page.wait_for_function("document.activeElement.textContent.trim() === 'Traversal'")
        presses = 3
        while page.evaluate("document.activeElement.id") != "range_id_0":
            page.keyboard.press("Tab")
            presses += 1
            assert presses <= 10, page.evaluate("document.activeElement.outerHTML.slice(0, 200)")
            ring = page.evaluate(
                "(() => { const s = getComputedStyle(document.activeElement); "
                "return [s.outlineStyle, parseFloat(s.outlineWidth), s.boxShadow]; })()"
            )
            assert (ring[0] != "none" and ring[1] >= 2) or ring[2] != "none", ring  # a visible focus ring


def test_a_dropdown_list_closes_when_focus_leaves_it(live_app):
    with local_context() as context:
        page = open_page(context, live_app)
        page.locator("#le-dataset input").focus()
        page.keyboard.press("ArrowDown")
        page.wait_for_function("document.querySelectorAll('#le-dataset [role=listbox]').length === 1")
        page.keyboard.press("Tab")
        page.wait_for_function("document.querySelectorAll('[role=listbox]').length === 0")


def test_axe_finds_nothing_serious_on_any_tab(live_app):
    """axe-core (axe-playwright-python) on each tab at 1280x720: no serious or critical violation."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    with local_context() as context:
        page = open_page(context, live_app)
        for name in TABS:
            show_tab(page, name)
            next_frames(page, 3)
            found = axe.run(page).response["violations"]
            bad = [
                (v["id"], v["impact"], v["nodes"][0]["target"]) for v in found if v["impact"] in ("serious", "critical")
            ]
            assert not bad, (name, bad)


def test_every_picture_says_what_it_shows_and_the_maps_have_a_summary(live_app):
    with local_context() as context:
        page = open_page(context, live_app)
        summary = page.locator("#le-maps .le-maps-summary").inner_text()
        assert summary.startswith("Latent maps of PCA, AE, VAE (mnist, k = 2)") and "in 2σ ring" in summary
        assert page.evaluate("document.querySelector('#le-maps .le-maps').getAttribute('aria-describedby')")
        for name, selector, words in [
            ("Latent map", "#le-selection", "Test image #0 and its reconstruction by PCA, AE, VAE"),
            ("Sampling", "#le-samples", "decoded from the same draws of N(0, I)"),
            ("Traversal", "#le-grids", "a row per most-used axis"),
            ("Interpolation", "#le-interpolation", "decoding the straight line from test image #0"),
            ("Reconstruction", "#le-reconstruction", "each reconstructed by PCA, AE, VAE"),
        ]:
            show_tab(page, name)
            page.wait_for_function(f"document.querySelector('{selector} img')?.alt?.length > 0", timeout=20_000)
            assert words in page.evaluate(f"document.querySelector('{selector} img').alt"), name


# ---- 6. legible everywhere at 1280x720 ------------------------------------------------------------------------------
SMALL_TEXT = """[...document.querySelectorAll('body *')].filter(e => {
  if (!e.checkVisibility || !e.checkVisibility()) return false;
  const own = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
  if (!own) return false;
  const b = e.getBoundingClientRect();
  if (b.width === 0 || b.bottom < 0 || b.top > innerHeight) return false;
  return parseFloat(getComputedStyle(e).fontSize) < 14;
}).map(e => (e.id || e.className.baseVal || e.className || e.tagName).toString().slice(0, 40) + ': ' +
  e.textContent.trim().slice(0, 30) + ' ' + getComputedStyle(e).fontSize)"""
CUT = """[...document.querySelectorAll('body *')].filter(e => e.checkVisibility && e.checkVisibility() &&
  getComputedStyle(e).textOverflow === 'ellipsis' && e.scrollWidth > e.clientWidth + 1)
  .map(e => e.textContent.slice(0, 40))"""


def test_no_text_under_14px_and_nothing_cut_on_any_tab(live_app):
    with local_context() as context:
        page = open_page(context, live_app)
        for name in TABS:
            show_tab(page, name)
            next_frames(page, 3)
            assert page.evaluate(SMALL_TEXT) == [], name
            assert page.evaluate(CUT) == [], name


def test_the_compare_grid_is_readable_from_the_back_of_the_room(live_app, shots):
    """The committed 35-model sweep at 1280x720: samples at least 28 px, each badge beside its picture, not on it."""
    with local_context() as context:
        page = open_page(context, live_app)
        show_tab(page, "Compare β × k")
        page.wait_for_function(
            "[...document.querySelectorAll('.le-sg-cell[data-model] img.m-samples')]"
            ".filter(i => i.complete && i.naturalWidth > 0).length === 35"
        )
        next_frames(page, 3)
        cells = page.evaluate(
            """[...document.querySelectorAll('.le-sg-cell[data-model]')].map(cell => {
                 const img = cell.querySelector('img.m-samples'), badge = cell.querySelector('.le-sg-active');
                 const b = img.getBoundingClientRect(), c = badge.getBoundingClientRect();
                 const scale = Math.min(b.width / img.naturalWidth, b.height / img.naturalHeight);
                 const drawn = img.naturalWidth * scale;  // object-fit: contain
                 const left = b.left + (b.width - drawn) / 2;
                 return {sample: scale * 28, right: left + drawn, badge: c.left, bottom: c.bottom};
               })"""
        )
        assert min(c["sample"] for c in cells) >= 28, min(c["sample"] for c in cells)
        assert all(c["badge"] >= c["right"] - 0.5 for c in cells), [c for c in cells if c["badge"] < c["right"]][:3]
        assert max(c["bottom"] for c in cells) <= 720  # the whole grid on the screen
        page.screenshot(path=str(shots / "compare-grid-1280x720.png"))


def test_the_insights_titles_stand_apart(live_app):
    with local_context() as context:
        page = open_page(context, live_app)
        show_tab(page, "Insights")
        page.wait_for_function("document.querySelectorAll('#le-curves .annotation').length >= 2", timeout=20_000)
        boxes = page.evaluate(
            "[...document.querySelectorAll('#le-curves .annotation')].map(a => { const b = a.getBoundingClientRect(); "
            "return [b.left, b.right]; })"
        )
        boxes.sort()
        assert boxes[0][1] + 10 <= boxes[1][0], boxes


# ---- 7. what the README promises ------------------------------------------------------------------------------------
def test_fashion_mnist_is_in_the_header_and_in_compare_and_the_words_follow_the_dataset(live_app):
    with local_context() as context:
        page = open_page(context, live_app)
        choose_dataset(page, "fashion-mnist")
        wait_for_maps(page, "fashion-mnist/2/")
        assert sorted(page.evaluate(f"{MAPS}.models()")) == [
            "fashion-mnist-ae-z2",
            "fashion-mnist-pca-z2",
            "fashion-mnist-vae-z2",
        ]
        show_tab(page, "Reconstruction")
        page.wait_for_function("document.querySelector('.le-paper') !== null")
        page.get_by_text("Draw a piece of clothing here").wait_for()
        choose_dataset(page, "faces")
        wait_for_maps(page, "faces/")
        page.get_by_text("Draw a face here").wait_for()
        show_tab(page, "Compare β × k")
        page.locator("#le-sweep-dataset input").click()
        assert page.get_by_role("option", name="fashion-mnist", exact=True).is_visible()


# ---- the rest of the course (#17) ------------------------------------------------------------------------------
def test_the_reconstruction_tab_compares_the_models_as_denoisers(live_app, shots):
    with local_context() as context:
        page = open_page(
            context, f"{live_app}/?tab=reconstruction&models=mnist-ae-z2,mnist-dae-z2,mnist-vae-z2&noise=0.5"
        )
        label = page.locator("#le-reconstruction [data-testid=block-label]")
        label.filter(has_text="Error against the clean images").wait_for(timeout=20_000)
        errors = dict(part.rsplit(" ", 1) for part in label.inner_text().split(": ", 1)[1].split(" · "))
        assert float(errors["DAE σ=0.5"]) < float(errors["AE"])  # the denoiser denoises
        assert "corrupted" in page.evaluate("document.querySelector('#le-reconstruction img').alt")
        page.screenshot(path=str(shots / "denoising-1280x720.png"))
        # The picture's smallest text (each image's error), as shown at 1280x720: at least 14 px.
        from explorer.views.panels import RECONSTRUCTION_TEXT_PX

        scale = (
            "(() => { const i = document.querySelector('#le-reconstruction img'); "
            "return i.getBoundingClientRect().width / i.naturalWidth; })()"
        )
        shown = page.evaluate(scale)
        assert RECONSTRUCTION_TEXT_PX * shown >= 14, f"captions {RECONSTRUCTION_TEXT_PX * shown:.1f} px on screen"
        # The same picture beside the lesson card (the denoising lesson's first step): the drawing pad and the upload
        # go under it, so it keeps the main column's width.
        page = open_page(context, f"{live_app}/?lesson=wider-uses-of-autoencoders")
        label = page.locator("#le-reconstruction [data-testid=block-label]")
        label.filter(has_text="Error against the clean images").wait_for(timeout=20_000)
        page.wait_for_function("document.querySelector('#le-reconstruction img')?.naturalWidth > 0", timeout=20_000)
        shown = page.evaluate(scale)
        assert RECONSTRUCTION_TEXT_PX * shown >= 14, f"beside the lesson: {RECONSTRUCTION_TEXT_PX * shown:.1f} px"
        page.screenshot(path=str(shots / "lesson-denoising-1280x720.png"))


def test_the_conditional_vae_draws_the_class_picked_and_every_class_in_one_style(live_app, shots):
    with local_context() as context:
        page = open_page(context, f"{live_app}/?tab=sampling&models=mnist-vae-z2,mnist-cvae-z2")
        page.locator("#le-classes img").wait_for(timeout=20_000)
        before = page.evaluate("document.querySelector('#le-samples img').getAttribute('src')")
        page.locator("#le-drawn input").click()
        page.get_by_role("option", name="3", exact=True).click()
        page.wait_for_function(
            f"document.querySelector('#le-samples img')?.getAttribute('src') !== {before!r}", timeout=20_000
        )
        page.screenshot(path=str(shots / "cvae-1280x720.png"))
        show_tab(page, "Traversal")  # the page's own decoder draws the CVAE, as a 3, while a slider moves
        page.wait_for_function(f"{LIVE}.state.spec && {LIVE}.state.spec.drawn === 3", timeout=20_000)
        frames = page.evaluate(f"{LIVE}.state.frames")
        drag_slider(page, 0, [0.5 + 0.03 * s for s in range(1, 10)])
        page.wait_for_function(f"{LIVE}.state.frames > {frames}")  # decoded in the page during the drag
        assert not [m for m in page.console_messages_seen if "error" in m.lower()]


def test_the_anomalies_tab_scores_each_model_and_a_picture_of_your_own(live_app, shots, tmp_path):
    from PIL import Image

    with local_context() as context:
        page = open_page(context, f"{live_app}/?tab=anomalies")
        page.wait_for_function("(document.querySelector('#le-aucs')?.innerText || '').includes('0.9')", timeout=60_000)
        cells = page.evaluate("document.querySelector('#le-aucs').innerText").split()
        assert [c for c in cells if c in ("PCA", "AE", "VAE")] == ["PCA", "AE", "VAE"]
        page.locator("#le-extremes img").wait_for(timeout=20_000)
        page.screenshot(path=str(shots / "anomalies-1280x720.png"))
        shirt = np.zeros((28, 28), np.uint8)
        shirt[4:24, 6:22] = 200  # a filled block: no digit
        Image.fromarray(shirt).save(tmp_path / "block.png")
        page.locator("#le-anomaly-upload input[type=file]").set_input_files(str(tmp_path / "block.png"))
        verdict = page.locator("#le-verdict", has_text="more unusual than")
        verdict.wait_for(timeout=30_000)
        shares = [int(s) for s in re.findall(r"than (\d+)%", verdict.inner_text())]
        assert len(shares) == 3 and min(shares[1:]) >= 90, verdict.inner_text()  # the AE's and the VAE's: a block is
        # stranger than nearly every test digit (PCA, measured: 73%, reconstructs a filled block fairly well)


RACE = "document.querySelector('#le-race .le-race').leRace"


def test_watch_them_learn_plays_pauses_and_scrubs_the_recorded_race(live_app, shots):
    """The committed race in the page: Play moves through the frames, Pause holds one, the scrubber (by keyboard)
    reaches the last, and what a frame draws is that frame's recorded codes."""
    from training.race import load_race

    recording = load_race(REPO / "checkpoints" / "races" / "mnist-ae-vae-beta4")
    with local_context() as context:
        page = open_page(context, f"{live_app}/?tab=race")
        page.wait_for_function(f"{RACE}?.frames() === {len(recording.steps)}", timeout=20_000)
        assert page.evaluate(f"{RACE}.frame()") == 0 and not page.evaluate(f"{RACE}.playing()")
        page.get_by_role("button", name="▶ Play").click()
        page.wait_for_function(f"{RACE}.frame() >= 5", timeout=20_000)
        page.get_by_role("button", name="❚❚ Pause").click()
        held = page.evaluate(f"{RACE}.time()")
        next_frames(page, 4)
        assert page.evaluate(f"{RACE}.time()") == held and not page.evaluate(f"{RACE}.playing()")
        scrubber = page.get_by_role("slider", name="training step")
        scrubber.focus()
        scrubber.press("End")
        last = len(recording.steps) - 1
        page.wait_for_function(f"{RACE}.frame() === {last}")
        step = f"step {recording.steps[-1]} of {recording.steps[-1]}"
        assert step in page.locator("#le-race .le-race-where").inner_text()
        drawn = np.array(page.evaluate(f"{RACE}.pointsAt({last}, 1)")).reshape(-1, 2)
        np.testing.assert_allclose(drawn, recording.codes[last, 1, :, :2].numpy(), rtol=1e-6)
        page.screenshot(path=str(shots / "race-1280x720.png"))
