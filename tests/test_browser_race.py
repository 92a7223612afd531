"""Watch them learn with a race trained from the page, end to end in headless Chromium at 1280x720: start a tiny
race, follow it live, pause, poke a map (by mouse and by keyboard), resume, replay it, and open its link.

The app runs over a checkpoints folder of its own (the zoo and the committed race linked in), so the race it
records is never written into the repository.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
import torch
from browser import local_context, open_page
from helpers import zoo_root
from PIL import Image

from training.race import RaceConfig, load_race, replay

RACE = "document.querySelector('#le-race .le-race').leRace"
POKE = "#le-race .le-race-poke"


@pytest.fixture(scope="module")
def race_app(tmp_path_factory, data_dir):
    import app

    root = zoo_root(tmp_path_factory.mktemp("checkpoints"), races=True)
    demo, launch_kwargs = app.create_app(root, data_dir)
    demo.launch(server_name="127.0.0.1", server_port=None, prevent_thread_lock=True, quiet=True, **launch_kwargs)
    yield demo.local_url.rstrip("/"), root
    demo.close()


def _set_slider(page, elem_id: str, value: int) -> None:
    box = page.locator(f"#{elem_id} input[type=number]")
    box.fill(str(value))
    box.press("Enter")
    page.wait_for_function(f"document.querySelector('#{elem_id} input[type=range]').value === '{value}'")


def _poked_picture(page) -> np.ndarray:
    source = page.locator(f"{POKE} img").first.get_attribute("src")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(source.split(",", 1)[1]))).convert("L"))


def _expected(config: RaceConfig, model: int, step: int, x: float, y: float, data_dir) -> np.ndarray:
    """What the model decodes at (x, y) at ``step``, computed here on its own."""
    trained = replay(config, model, step, data_dir)
    with torch.no_grad():
        picture = trained.decode(torch.tensor([[x, y]], dtype=torch.float32))[0, 0]
    return picture.clamp(0, 1).mul(255).round().to(torch.uint8).numpy()


def test_a_race_trained_in_the_page_is_followed_paused_poked_resumed_and_replayed(race_app, data_dir, shots):
    url, root = race_app
    with local_context() as context:
        page = open_page(context, f"{url}/?tab=race")
        page.wait_for_function(f"{RACE}?.frames() > 1", timeout=30_000)  # the committed race, at once
        page.get_by_text("Race them yourself").click()
        _set_slider(page, "le-race-images", 3000)
        _set_slider(page, "le-race-epochs", 3)
        page.get_by_label("speed").select_option("0.5")  # at most 16 frames a second: it is still playing below
        page.locator("#le-race-start").click()
        page.wait_for_function(f"{RACE}.frames() > 0 && !{RACE}.done()", timeout=60_000)  # live: following it
        page.get_by_role("button", name="❚❚ Pause").click()
        assert not page.evaluate(f"{RACE}.playing()")
        assert page.evaluate(f"{RACE}.time()") >= 0  # never before the first frame (it once was -1: no poke there)

        # Paused, click the VAE's map: what the VAE decodes there at that frame, beside the spot.
        frame = page.evaluate(f"{RACE}.frame()")
        canvas = page.locator("#le-race .le-race-map").nth(1)
        box = canvas.bounding_box()
        canvas.click(position={"x": box["width"] * 0.7, "y": box["height"] * 0.4})
        page.wait_for_selector(f"{POKE} img", timeout=30_000)
        page.wait_for_function(f"{RACE}.done()", timeout=120_000)
        status = page.locator("#le-race-status").inner_text()
        assert "Done in" in status and "mnist-race1" in status
        page.wait_for_function("document.querySelector('#le-race-choice input')?.value === 'mnist-race1'")
        assert page.locator("#le-race-cancel").is_disabled()  # nothing of this page's to cancel
        recording = load_race(root / "page-races" / "mnist-race1")
        config = RaceConfig(**recording.meta["config"])
        assert page.evaluate(f"{RACE}.frames()") == len(recording.steps) == 73  # 24 steps an epoch, 3 epochs
        last = len(recording.steps) - 1
        drawn = np.array(page.evaluate(f"{RACE}.pointsAt({last}, 0)")).reshape(-1, 2)
        np.testing.assert_allclose(drawn, recording.codes[last, 0].numpy(), rtol=1e-6)  # streamed = recorded
        answer = page.locator(f"{POKE} img").first.get_attribute("alt")
        assert f"VAE at step {recording.steps[frame]} decodes (" in answer
        spot = page.evaluate(f"{RACE}.pokeSpot()")
        assert spot["frame"] == frame and spot["x"] > 0 and spot["y"] > 0  # right of and above the centre
        expected = _expected(config, 1, recording.steps[frame], spot["x"], spot["y"], data_dir)
        assert np.abs(_poked_picture(page)[::4, ::4].astype(int) - expected.astype(int)).max() <= 1  # shown 4x

        # By keyboard: Enter pokes the centre of a focused map, an arrow moves the spot a quarter.
        page.locator("#le-race .le-race-map").nth(0).focus()
        page.keyboard.press("Enter")
        page.wait_for_function(
            f"document.querySelector('{POKE}:not([hidden]) span')?.innerText.includes('(0.00, 0.00)')"
        )
        page.keyboard.press("Enter")  # the same spot again: answered again, not left "decoding…"
        page.wait_for_selector(f"{POKE}:not([hidden]) img", timeout=30_000)
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            f"document.querySelector('{POKE}:not([hidden]) span')?.innerText.includes('(0.25, 0.00)')"
        )
        for _ in range(5):  # pressed faster than they are answered: the last spot is the one decoded
            page.keyboard.press("ArrowUp")
        page.wait_for_function(
            f"document.querySelector('{POKE}:not([hidden]) span')?.innerText.includes('(0.25, 1.25)')", timeout=30_000
        )
        page.keyboard.press("Escape")
        assert page.locator(f"{POKE}:not([hidden])").count() == 0

        # Resume: the poke goes, the race plays on to its end; replay it from the start.
        page.get_by_label("speed").select_option("4")
        page.get_by_role("button", name="▶ Play").click()
        assert page.locator(f"{POKE}:not([hidden])").count() == 0
        page.wait_for_function(f"!{RACE}.playing() && {RACE}.frame() === {last}", timeout=30_000)
        scrubber = page.get_by_role("slider", name="training step")
        scrubber.focus()
        scrubber.press("Home")
        page.wait_for_function(f"{RACE}.frame() === 0")
        scrubber.press("ArrowRight")  # one frame a press
        page.wait_for_function(f"{RACE}.frame() === 1")
        page.get_by_role("button", name="▶ Play").click()
        page.wait_for_function(f"{RACE}.frame() >= 3", timeout=30_000)

        # Frames a page missed (a batch lost in transit) are asked for again, and come.
        page.evaluate(f"{RACE}.lose(30)")
        page.wait_for_function(f"{RACE}.frames() === {len(recording.steps)} && {RACE}.done()", timeout=30_000)
        np.testing.assert_allclose(
            np.array(page.evaluate(f"{RACE}.pointsAt(40, 1)")).reshape(-1, 2), recording.codes[40, 1].numpy(), rtol=1e-6
        )

        # The README's picture: the last frame, the VAE poked inside its rings.
        page.evaluate(f"{RACE}.seek({last})")
        canvas.click(position={"x": box["width"] * 0.56, "y": box["height"] * 0.44})
        page.wait_for_selector(f"{POKE}:not([hidden]) img", timeout=30_000)
        page.screenshot(path=str(shots / "race-poke-1280x720.png"))

        # Its link replays it: the race chosen, its frames loaded.
        assert "race=mnist-race1" in page.evaluate("location.search")
        other = open_page(context, f"{url}/?tab=race&race=mnist-race1")
        other.wait_for_function(f"{RACE}?.frames() === {len(recording.steps)}", timeout=30_000)
        assert "mnist-race1" in other.locator("#le-race-choice input").input_value()

        # One scale for all: every map's view is the widest one's, so the AE's spread shows against the VAE's.
        def views() -> list[float]:
            captions = other.locator("#le-race .le-race-model figcaption").all_inner_texts()
            return [float(c.rsplit("±", 1)[1]) for c in captions]

        other.evaluate(f"{RACE}.seek({last})")  # the AE's codes far wider than the VAE's
        own = views()
        other.get_by_label("one scale for all").check()
        assert views() == [max(own)] * len(own) and len(set(own)) > 1
