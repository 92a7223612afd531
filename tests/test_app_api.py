"""The app's endpoints through gradio_client against the launched app and the committed zoo.

Every endpoint takes the lineup first (dataset, latent size, list of model names), then its own values.
Pictures the API returns are compared with what the same models compute in this process.
"""

from pathlib import Path

import numpy as np
import pytest
from helpers import GENERIC, grey, live_pictures, rgb
from PIL import Image

from explorer.core.entries import MAX_AXES
from explorer.views import panels
from explorer.views.images import prepare_upload, to_uint8

REPO = Path(__file__).resolve().parents[1]
NAMES = ["mnist-pca-z2", "mnist-ae-z2", "mnist-vae-z2"]
LINEUP = ("mnist", 2, NAMES)
ZEROS = [0.0] * MAX_AXES


def test_traverse_moves_every_model_and_slider_zero_is_the_start_image(client, zoo):
    value = client.predict(*LINEUP, 3, "selected", *ZEROS, api_name="/traverse")
    frame = value["frame"]
    assert frame["offsets"] == ZEROS and list(frame["pictures"]) == NAMES
    start = live_pictures(value)
    for name, picture in start.items():  # the start image: each model's reconstruction of test image #3
        entry = zoo.entries[name]
        assert np.array_equal(picture, to_uint8(entry.decode(entry.z[3:4])[0])), name
    moved_value = client.predict(*LINEUP, 3, "selected", 2.5, *ZEROS[1:], api_name="/traverse")
    moved = live_pictures(moved_value)
    for name in NAMES:
        assert not np.array_equal(start[name], moved[name]), f"{name} did not move"
        entry = zoo.entries[name]
        assert np.array_equal(moved[name], panels.slider_image(entry, 3, [2.5, *ZEROS[1:]])), name
    assert moved_value["frame"]["spec"] == frame["spec"]  # the same lineup and start: the same spec
    centre = client.predict(*LINEUP, 3, "centre", *ZEROS, api_name="/traverse")
    assert centre["frame"]["spec"] != frame["spec"]
    vae = zoo.entries["mnist-vae-z2"]
    assert np.array_equal(live_pictures(centre)["mnist-vae-z2"], to_uint8(vae.decode(vae.centre()[None])[0]))


def test_samples_are_repeatable_per_seed_and_named_for_download(client):
    first = client.predict(*LINEUP, 6, 42, api_name="/samples")
    again = client.predict(*LINEUP, 6, 42, api_name="/samples")
    other = client.predict(*LINEUP, 6, 43, api_name="/samples")
    name = Path(first).name
    assert "samples" in name and "seed42" in name and name.endswith(".png")
    assert np.array_equal(grey(first), grey(again))
    assert not np.array_equal(grey(first), grey(other))
    alone = rgb(client.predict("mnist", 2, ["mnist-vae-z2"], 6, 42, api_name="/samples"))
    three = rgb(first)
    assert three.shape[1] > 2 * alone.shape[1]
    h, w = alone.shape[:2]
    assert np.array_equal(three[:h, -w:], alone)  # the VAE decodes the same draws in any lineup


def test_decode_at_draws_a_2d_spot_and_explains_larger_spaces(client, zoo):
    here = client.predict(*LINEUP, "mnist-vae-z2", 0.5, -1.0, api_name="/decode_at")
    assert np.array_equal(rgb(here), panels.decode_point(zoo.entries["mnist-vae-z2"], 0.5, -1.0))
    elsewhere = client.predict(*LINEUP, "mnist-vae-z2", -2.0, 1.5, api_name="/decode_at")
    assert not np.array_equal(rgb(here), rgb(elsewhere))
    names = ["mnist-ae-z16", "mnist-vae-z16"]
    message = client.predict("mnist", 16, names, "mnist-vae-z16", 0.5, -1.0, api_name="/decode_at")
    assert Path(message).suffix == ".png" and rgb(message).shape[0] > 40  # a picture that says why
    assert Path(message).name != Path(here).name


@pytest.mark.parametrize(
    "endpoint,args,message",
    [
        ("/select", (*LINEUP, 10**6), r"image index 1000000 is out of range: it must be between 0 and 9999"),
        ("/traverse", (*LINEUP, 10**6, "selected", *ZEROS), r"image index 1000000 is out of range"),
        (
            "/samples",
            ("mnist", 2, ["mnist-vae-z2", "nope"], 6, 1),
            (
                r"no model named .nope. for mnist at latent size 2; choose from mnist-pca-z2, mnist-ae-z2, "
                r"mnist-dae-z2, mnist-vae-z2, mnist-cvae-z2"
            ),
        ),
        ("/traverse", ("mnist", 2, ["mnist-vae-z16"], 0, "selected", *ZEROS), r"no model named 'mnist-vae-z16'"),
        ("/decode_at", (*LINEUP, "mnist-vae-z2", "abc", 0.0), r"x must be a number, got 'abc'"),
        ("/decode_at", (*LINEUP, "mnist-vae-z16", 0.0, 0.0), r"no model named 'mnist-vae-z16' in this lineup"),
    ],
)
def test_bad_values_get_the_apps_own_message(client, endpoint, args, message):
    with pytest.raises(Exception, match=message) as error:
        client.predict(*args, api_name=endpoint)
    assert GENERIC not in str(error.value)


def test_a_seed_that_is_not_a_number_gets_the_apps_own_message(client):
    with pytest.raises(Exception, match=r"seed must be a whole number, got 'abc'"):
        client.predict(*LINEUP, 6, "abc", api_name="/samples")


def test_a_beta_variant_can_be_chosen_at_k16(client, zoo):
    names = ["mnist-vae-z16-beta4", "mnist-vae-z16"]  # shown in lineup order whatever the order asked
    value = client.predict("mnist", 16, names, 3, "selected", 1.0, *ZEROS[1:], api_name="/traverse")
    pictures = live_pictures(value)
    assert list(pictures) == ["mnist-vae-z16", "mnist-vae-z16-beta4"]
    beta = zoo.entries["mnist-vae-z16-beta4"]
    assert beta.beta == 4.0
    assert np.array_equal(pictures["mnist-vae-z16-beta4"], panels.slider_image(beta, 3, [1.0, *ZEROS[1:]]))
    assert not np.array_equal(pictures["mnist-vae-z16"], pictures["mnist-vae-z16-beta4"])
    grid = client.predict("mnist", 16, ["mnist-vae-z16-beta4"], 4, 0, api_name="/samples")
    assert rgb(grid).shape[1] > 4 * 28


def test_traverse_is_registered_once(client):
    endpoints = list(client.view_api(return_format="dict", print_info=False)["named_endpoints"])
    assert [e for e in endpoints if e.startswith("/traverse")] == ["/traverse"]
    for name in (
        "/select",
        "/decode_at",
        "/samples",
        "/manifolds",
        "/interpolate",
        "/reconstruct",
        "/traversal_gif",
        "/maps",
        "/encode_upload",
        "/encode_drawing",
    ):
        assert name in endpoints


def test_every_endpoint_is_registered_once(client):
    endpoints = list(client.view_api(return_format="dict", print_info=False)["named_endpoints"])
    assert [e for e in endpoints if e.rstrip("0123456789").endswith("_")] == []


def test_select_interpolate_and_reconstruct(client, zoo):
    lineup = zoo.lineup(*LINEUP)
    selected = client.predict(*LINEUP, 5, api_name="/select")
    expected = panels.selection(lineup.models, lineup.images.images, 5, lineup.images.originals)
    assert np.array_equal(rgb(selected), expected)
    three = grey(client.predict(*LINEUP, 0, 1, 8, api_name="/interpolate"))
    one = grey(client.predict("mnist", 2, ["mnist-vae-z2"], 0, 1, 8, api_name="/interpolate"))
    assert three.shape[0] > one.shape[0] > 2 * 28
    reconstructions = client.predict(*LINEUP, 3, api_name="/reconstruct")
    assert "seed3" in Path(reconstructions).name
    assert np.array_equal(grey(reconstructions), grey(client.predict(*LINEUP, 3, api_name="/reconstruct")))
    assert not np.array_equal(grey(reconstructions), grey(client.predict(*LINEUP, 4, api_name="/reconstruct")))


def test_manifolds_for_2d_lineups_only(client):
    three = client.predict(*LINEUP, 10, api_name="/manifolds")
    one = client.predict("mnist", 2, ["mnist-ae-z2"], 10, api_name="/manifolds")
    assert "manifolds" in Path(three).name and rgb(three).shape[1] > 2 * rgb(one).shape[1]
    hidden = client.predict("mnist", 16, ["mnist-vae-z16"], 10, api_name="/manifolds")
    assert not isinstance(hidden, str)  # no picture at k = 16 (the section is hidden)


def test_traversal_gif_sweeps_each_axis(client):
    result = client.predict(*LINEUP, 3, "selected", api_name="/traversal_gif")
    path = result["value"] if isinstance(result, dict) else result
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames > 32  # two axes of 32 steps (equal frames merge)
        first = np.asarray(gif.convert("L"))
        gif.seek(8)  # the first axis at +3
        assert not np.array_equal(first, np.asarray(gif.convert("L")))
        assert first.shape[1] > 3 * 28 * 4  # three models side by side


def test_maps_spec_points_and_sprite_are_served(client, live_app, zoo):
    import httpx

    spec = client.predict(*LINEUP, "dims", 17, api_name="/maps")
    assert [m["name"] for m in spec["maps"]] == NAMES and spec["selected"] == 17
    assert all(m["clickable"] for m in spec["maps"])
    for figure in spec["maps"]:
        entry = zoo.entries[figure["name"]]
        data = httpx.get(live_app + figure["data"]).raise_for_status().content
        n = len(entry.labels)
        assert figure["n"] == n and len(data) == 12 * n
        assert np.array_equal(np.frombuffer(data[: 8 * n], "<f4").reshape(n, 2), entry.z[:, :2].numpy())
        assert np.array_equal(np.frombuffer(data[8 * n :], "<i4"), entry.labels.numpy())
    sprite = httpx.get(live_app + spec["sprite"]["url"]).raise_for_status()
    assert sprite.content.startswith(b"\x89PNG")
    wide = client.predict("mnist", 16, ["mnist-vae-z16"], "pca", 0, api_name="/maps")
    assert [m["clickable"] for m in wide["maps"]] == [False]


def test_an_uploaded_png_is_encoded_by_every_model(client, zoo, tmp_path):
    from gradio_client import handle_file

    digit = np.full((200, 200, 3), 255, np.uint8)
    digit[40:160, 90:110] = 0
    path = tmp_path / "one.png"
    Image.fromarray(digit).save(path)
    picture = client.predict(*LINEUP, handle_file(str(path)), api_name="/encode_upload")
    lineup = zoo.lineup(*LINEUP)
    x = prepare_upload(np.asarray(Image.open(path).convert("RGBA")), lineup.image_shape, "digit")
    _, expected = panels.encode_yours(lineup.models, x, "your upload")
    assert np.array_equal(rgb(picture), expected)
