"""The Compare tab end to end in headless Chromium (Debian's package, driven by Playwright) at 1280x720.

A tiny sweep is trained from the page in an app of its own, over a checkpoints folder in a temporary
directory (the zoo and the committed sweep linked in), so nothing is written into the repository. Screenshots
go to $LATENT_EXPLORER_SCREENSHOTS (docs/screenshots for the README) or a temporary folder.
"""

from __future__ import annotations

import pytest
from browser import MAPS, local_context, pictures_loaded, wait_for_maps
from helpers import zoo_root

COMMITTED = "mnist-grid"
CURVES = "document.querySelector('#le-sweep-curves .le-plot')"
PLANE = "document.querySelector('#le-sweep-rd .le-plot')"
STATUS = "(document.querySelector('#le-sweep-progress .le-status')?.innerText || '')"


@pytest.fixture(scope="module")
def compare_app(tmp_path_factory, data_dir):
    """The real app over a checkpoints folder of its own: the zoo and the committed sweep, linked."""
    import app

    root = zoo_root(tmp_path_factory.mktemp("checkpoints"), sweeps=(COMMITTED,))
    demo, launch_kwargs = app.create_app(root, data_dir)
    demo.launch(server_name="127.0.0.1", server_port=None, prevent_thread_lock=True, quiet=True, **launch_kwargs)
    yield demo.local_url.rstrip("/"), root
    demo.close()


@pytest.fixture(scope="module")
def page(compare_app):
    url, _ = compare_app
    with local_context() as context:
        page = context.new_page()
        page.goto(url)
        wait_for_maps(page, "mnist/2/")
        yield page


def _cells(page) -> list[str]:
    return page.evaluate("[...document.querySelectorAll('#le-sweep-grid [data-model]')].map(c => c.dataset.model)")


def _check(page, group: str, wanted: set[str]):
    for label in page.locator(f"#{group} label").all():
        if label.locator("input").is_checked() != (label.inner_text().strip() in wanted):
            label.click()


def test_the_committed_sweep_is_shown_at_once(page, shots):
    page.get_by_role("tab", name="Compare β × k").click()
    page.wait_for_function("document.querySelectorAll('#le-sweep-grid [data-model]').length > 0", timeout=20_000)
    cells = _cells(page)
    assert len(cells) == 35 and all(c.startswith(f"{COMMITTED}-b") for c in cells)
    assert page.input_value("#le-sweep-shown input") == COMMITTED
    assert page.evaluate(STATUS).startswith("7 β × 5 k = 35 models, 20 epochs on 60,000 mnist images")
    assert "CPU grid" in page.locator("#le-compare-controls").inner_text()  # what the CPU default shrinks
    bottom = "document.querySelector('#le-sweep-grid .le-sg-grid').getBoundingClientRect().bottom"
    page.wait_for_function(f"{bottom} <= innerHeight + 2", timeout=10_000)  # fitted to the screen once shown
    pictures_loaded(page)
    page.screenshot(path=str(shots / "compare-1280x720.png"))


def test_a_sweep_trains_live_and_a_dot_opens_its_model_in_the_latent_map(page, compare_app, shots):
    _, root = compare_app
    _check(page, "le-sweep-betas", {"1", "4"})
    _check(page, "le-sweep-dims", {"2"})
    epochs = page.locator("#le-sweep-epochs input[type=number]")
    epochs.fill("2")
    epochs.press("Enter")
    page.wait_for_function("document.querySelector('#le-sweep-epochs input[type=range]').value === '2'")
    page.evaluate("() => { window.leTrainAt = performance.now(); document.querySelector('#le-sweep-train').click(); }")
    # Live: the curves get their first points while the sweep still trains.
    page.wait_for_function(
        f"{CURVES}?.layout?.meta?.sweep === 'mnist-run1' && {CURVES}.data.some(t => t.x.length)",
        timeout=30_000,
        polling="raf",
    )
    first_point = page.evaluate("performance.now() - window.leTrainAt") / 1000
    status = page.evaluate(STATUS)
    assert status.startswith(("Training", "Starting")), status
    print(f"\nfirst live curve point {first_point:.2f} s after pressing Train")
    assert first_point < 6, f"the first curve point took {first_point:.1f} s"
    page.wait_for_function(
        f"{CURVES}.data.filter(t => t.mode && t.mode.startsWith('lines') && t.x.length > 2).length >= 4", timeout=60_000
    )  # 2 models x 2 terms, growing
    page.screenshot(path=str(shots / "compare-training-1280x720.png"))
    page.wait_for_function(f"{STATUS}.startsWith('Done')", timeout=120_000, polling=250)
    # The grid and the rate-distortion plane now show the new sweep.
    names = ["mnist-run1-b1-z2", "mnist-run1-b4-z2"]
    page.wait_for_function("document.querySelectorAll('#le-sweep-grid [data-model^=\"mnist-run1\"]').length === 2")
    assert _cells(page) == names
    assert (root / "page-sweeps" / "mnist-run1" / "sweep.json").exists()
    assert not list((root / "page-sweeps").glob(".*.partial"))  # no hidden training folder left
    page.get_by_role("tab", name="Rate–distortion").click()
    page.wait_for_function(f"{PLANE}?.data?.some(t => (t.customdata || []).includes('{names[1]}'))", timeout=10_000)
    page.wait_for_function(
        f"{PLANE}._fullLayout && Math.abs({PLANE}._fullLayout.width - {PLANE}.clientWidth) <= 1", timeout=10_000
    )  # laid out in its box
    x, y = page.evaluate(f"""() => {{
      const gd = {PLANE}, layout = gd._fullLayout, box = gd.getBoundingClientRect();
      const trace = gd.data.find(t => (t.customdata || []).includes('{names[1]}'));
      const i = trace.customdata.indexOf('{names[1]}');
      return [box.left + layout.xaxis._offset + layout.xaxis.d2p(trace.x[i]),
              box.top + layout.yaxis._offset + layout.yaxis.d2p(trace.y[i])];
    }}""")
    page.mouse.move(x, y)
    page.wait_for_selector(".hovertext", timeout=5_000)  # the dot's label: β, k, rate, distortion
    page.screenshot(path=str(shots / "compare-rate-distortion-1280x720.png"))
    page.mouse.click(x, y)
    # That model opens in the Latent map tab, alone, at its latent size.
    wait_for_maps(page, f"mnist/2/{names[1]}")
    assert page.evaluate(f"{MAPS}.models()") == [names[1]]
    assert page.get_by_role("tab", name="Latent map").get_attribute("aria-selected") == "true"
    tokens = page.evaluate("[...document.querySelectorAll('#le-models .token')].map(t => t.textContent.trim())")
    assert any("β=4 · mnist-run1" in t for t in tokens), tokens
    page.screenshot(path=str(shots / "compare-opened-in-latent-map-1280x720.png"))


def test_the_finished_comparison_at_1920x1080(page, shots):
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.get_by_role("tab", name="Compare β × k").click()
    page.get_by_role("tab", name="Grid").click()
    page.locator("#le-sweep-shown input").click()
    page.get_by_role("option", name=COMMITTED, exact=True).click()
    page.wait_for_function(f"document.querySelector('#le-sweep-grid .le-sg')?.dataset.sweep === '{COMMITTED}'")
    page.wait_for_function(
        "document.querySelector('#le-sweep-grid .le-sg-grid').getBoundingClientRect().bottom <= innerHeight + 2",
        timeout=10_000,
    )
    pictures_loaded(page)
    page.screenshot(path=str(shots / "compare-1920x1080.png"))
    page.set_viewport_size({"width": 1280, "height": 720})
