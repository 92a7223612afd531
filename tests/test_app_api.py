"""The app's endpoints through gradio_client against the launched app and the committed zoo."""

import base64
import io
import json
import re

import numpy as np
import pytest
from PIL import Image

from explorer.panels import MAX_AXES

MODEL = ("mnist", 2, "mnist-vae-z2")


def _pixels(path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("L"))


def live_pictures(html: str) -> dict[str, np.ndarray]:
    """The inline PNGs of the live traversal panel, by kind ('ae', 'vae')."""
    found = re.findall(r'<img data-kind="(\w+)"[^>]*src="data:image/png;base64,([^"]+)"', html)
    return {kind: _pixels(io.BytesIO(base64.b64decode(data))) for kind, data in found}


def test_traverse_moves_the_decoded_image(client):
    zero = live_pictures(client.predict(*MODEL, 3, "selected", *[0.0] * MAX_AXES, api_name="/traverse"))
    moved = live_pictures(client.predict(*MODEL, 3, "selected", 2.5, *[0.0] * (MAX_AXES - 1), api_name="/traverse"))
    assert set(zero) == {"ae", "vae"} and zero["vae"].shape == (28, 28)
    assert not np.array_equal(zero["vae"], moved["vae"])   # VAE image changed
    assert not np.array_equal(zero["ae"], moved["ae"])     # AE image changed


def test_samples_are_repeatable_and_differ_between_ae_and_vae(client):
    first = client.predict(*MODEL, 6, 42, api_name="/samples")
    again = client.predict(*MODEL, 6, 42, api_name="/samples")
    assert all(np.array_equal(_pixels(a), _pixels(b)) for a, b in zip(first, again))
    assert not np.array_equal(_pixels(first[1]), _pixels(first[2]))


def test_map_event_selects_a_point_and_decodes_empty_space(client):
    index, _ = client.predict(json.dumps({"kind": "point", "index": 17}), *MODEL, 0, api_name="/map_event")
    assert index == 17
    _, here = client.predict(json.dumps({"kind": "space", "model": "vae", "x": 0.5, "y": -1.0}), *MODEL, 0,
                             api_name="/map_event")
    assert _pixels(here).shape[0] > 28


def test_interpolate_reconstruct_and_manifold(client):
    strip = _pixels(client.predict(*MODEL, 0, 1, 8, api_name="/interpolate"))
    assert strip.shape[0] > 6 * 28
    assert _pixels(client.predict(*MODEL, 3, api_name="/reconstruct")).shape[0] > 4 * 28
    manifolds = client.predict(*MODEL, 10, api_name="/manifolds")
    assert all(m is not None for m in manifolds)


def test_encode_image_accepts_a_png_upload(client, tmp_path):
    from gradio_client import handle_file

    digit = np.full((200, 200, 3), 255, np.uint8)
    digit[40:160, 90:110] = 0
    path = tmp_path / "one.png"
    Image.fromarray(digit).save(path)
    picture, *maps = client.predict(*MODEL, None, handle_file(str(path)), "dims", 0, api_name="/encode_image")
    assert _pixels(picture).shape[1] > 4 * 28 and len(maps) == 3  # (the codes are per-session state)
    vae_map = json.loads(maps[2]["plot"])
    star = next(t for t in vae_map["data"] if t.get("name") == "your image")
    assert len(star["x"]) == 1


@pytest.mark.parametrize("args,message", [
    (("mnist", 2, "mnist-vae-z2", 10**6, "selected", *[0.0] * MAX_AXES), "out of range"),
    (("mnist", 5, "mnist-vae-z2", 0, "selected", *[0.0] * MAX_AXES), r"5 .* not in the list of choices: \[2, 16\]"),
])
def test_bad_values_get_a_clear_message(client, args, message):
    with pytest.raises(Exception, match=message):
        client.predict(*args, api_name="/traverse")
