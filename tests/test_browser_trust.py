"""What a crafted or stale link does to the page, in headless Chromium at 1280x720: markup in any field or field
name adds no element to the page (it is shown as text), a lesson the app does not have or a step without a
lesson is left out while the rest of the link opens, a link with only a lesson step opens that step's page, and
a panel that cannot be drawn after a dataset switch is emptied instead of showing the old dataset's picture."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from browser import TOASTS, choose_dataset, local_context, tab, wait_for_maps

EVIL = {
    "form": '<form id="le-evil-form"><input id="le-evil-input" name="password"></form>',
    "img": '<img id="le-evil-img" src="/gradio_api/file=nothing">',
    "a": '<a id="le-evil-a" href="//x">x</a>',
    "b": '<b id="le-evil-b">bold</b>',
}
INJECTED = "#le-evil-form, #le-evil-input, #le-evil-img, #le-evil-a, #le-evil-b"
FIELDS = [
    "dataset",
    "k",
    "models",
    "tab",
    "image",
    "seed",
    "layers",
    "view",
    "axes",
    "lesson",
    "step",
    "revealed",
    "presenter",
]


@pytest.fixture(scope="module")
def context(live_app):
    with local_context() as context:
        yield context


def _open(context, url: str, maps: str):
    page = context.new_page()
    page.goto(url)
    wait_for_maps(page, maps)
    return page


@pytest.mark.parametrize("group", [FIELDS[i : i + 3] for i in range(0, len(FIELDS), 3)] + [["unknown"]])
def test_markup_in_a_links_fields_and_names_is_shown_as_text_and_adds_no_element(context, live_app, group):
    pairs = []
    for i, field in enumerate(group):
        markup = list(EVIL.values())[i % len(EVIL)]
        pairs.append((markup if field == "unknown" else field, markup))
    page = _open(context, f"{live_app}/?{urlencode(pairs)}", "mnist/2/")
    page.wait_for_function(f"({TOASTS}).includes('left out')", timeout=20_000)
    assert page.evaluate(f"document.querySelectorAll('{INJECTED}').length") == 0
    shown = page.evaluate(TOASTS)
    assert "<" in shown, shown  # the markup is there, as the characters it is
    page.close()


def test_a_link_naming_a_lesson_the_app_lacks_opens_the_rest_of_the_link(context, live_app):
    page = _open(
        context, f"{live_app}/?lesson=no-such-lesson&k=16&models=mnist-vae-z16&tab=sampling", "mnist/16/mnist-vae-z16"
    )
    page.wait_for_function(f"({TOASTS}).includes('no-such-lesson')", timeout=20_000)
    assert "a lesson this app does not have" in page.evaluate(TOASTS)
    assert page.locator("#le-samples img").is_visible()  # the sampling tab, drawn
    assert not page.locator("#le-lesson").is_visible()
    page.close()


def test_a_step_without_a_lesson_is_left_out_and_a_lesson_step_alone_opens_its_page(context, live_app):
    page = _open(context, f"{live_app}/?step=3&revealed=1&k=16", "mnist/16/")
    page.wait_for_function(f"({TOASTS}).includes('belong to a lesson')", timeout=20_000)
    assert not page.locator("#le-lesson").is_visible()
    page.close()
    page = _open(context, f"{live_app}/?lesson=why-vaes-sample-well&step=3", "mnist/16/mnist-ae-z16")
    assert page.locator("#le-lesson-text").inner_text().startswith("Step 3 of 7")
    page.close()


def test_a_panel_that_cannot_be_drawn_after_a_dataset_switch_is_emptied_not_left_stale(context, live_app):
    page = _open(context, live_app, "mnist/2/")
    tab(page, "Sampling")
    page.wait_for_function("document.querySelector('#le-samples img')?.getAttribute('src')")
    seed = page.locator("#le-seed input")
    seed.fill("99999999999")
    seed.press("Enter")
    page.wait_for_function(f"({TOASTS}).includes('seed 99999999999 is out of range')", timeout=20_000)
    choose_dataset(page, "faces")
    wait_for_maps(page, "faces/2/")
    page.wait_for_function("!document.querySelector('#le-samples img')?.getAttribute('src')", timeout=20_000)
    page.close()
