"""The app's handlers and panels on a tiny real zoo, without a browser or a server."""

import shutil

import numpy as np
import pytest
import torch

from explorer import panels
from explorer.handlers import Handlers, InputError
from explorer.images import TITLE_HEIGHT, ImageInputError, prepare_upload
from explorer.store import Store

MODEL = ("mnist", 2, "mnist-vae-z2")


def test_store_groups_models_and_beta_variants(handlers):
    store = handlers.store
    assert store.datasets() == ["mnist"] and store.latent_dims("mnist") == [2, 3]
    assert [e.name for e in store.models("mnist", 2)] == ["mnist-pca-z2", "mnist-ae-z2", "mnist-vae-z2",
                                                          "mnist-vae-z2-beta4"]
    assert store.trio("mnist", 2, "mnist-vae-z2-beta4")["vae"].beta == 4.0
    assert [label for label, _ in handlers.vae_choices("mnist", 2)] == ["VAE", "VAE β=4"]


def test_maps_hold_every_test_point_with_its_index(handlers):
    figures = handlers.maps(*MODEL, "dims", selected=5)
    assert len(figures) == 3
    for figure in figures:
        points = [t for t in figure.data if t.name not in ("selected", "your image")]
        indices = np.concatenate([np.asarray(t.customdata) for t in points])
        assert sorted(indices.tolist()) == list(range(300))
        ring = next(t for t in figure.data if t.name == "selected")
        assert list(ring.customdata) == [5]
        assert figure.layout.meta["clickable_space"] is True and figure.layout.meta["sprite"]["columns"] == 100
    # k = 3: the PCA-of-z view exists, UMAP was not computed for this zoo so it falls back to dims.
    pca_view = handlers.maps("mnist", 3, None, "pca")
    assert pca_view[2].layout.meta["view"] == "pca"
    assert handlers.maps("mnist", 3, None, "umap")[2].layout.meta["view"] == "dims"


def test_bad_api_values_are_refused_with_a_message(handlers):
    with pytest.raises(InputError, match="out of range"):
        handlers.select(*MODEL, 300)
    with pytest.raises(InputError, match="unknown dataset"):
        handlers.trio("cifar", 2)
    with pytest.raises(InputError, match="available"):
        handlers.trio("mnist", 7)
    with pytest.raises(InputError, match="between 2 and 16"):
        handlers.samples(*MODEL, 99, 0)
    with pytest.raises(InputError, match="whole number"):
        handlers.interpolate(*MODEL, "abc", 1, 5)
    with pytest.raises(InputError, match="2-D"):
        handlers.decode_at("mnist", 3, None, "vae", 0.0, 0.0)
    assert Handlers.parse_event("not json") is None and Handlers.parse_event('{"kind": "rm -rf"}') is None


def test_traversal_starts_at_the_reconstruction_and_moves_one_axis(handlers):
    trio = handlers.trio(*MODEL)
    ae_image, vae_image = handlers.traverse(*MODEL, 7, [0.0] * panels.MAX_AXES)
    expected = panels.to_uint8(trio["vae"].decode(trio["vae"].z[7:8])[0])
    assert np.array_equal(vae_image, expected)
    moved = handlers.traverse(*MODEL, 7, [2.0] + [0.0] * (panels.MAX_AXES - 1))[1]
    assert not np.array_equal(moved, vae_image)
    code = panels.slider_code(trio["vae"], 7, [2.0])
    axis = panels.traversal_axes(trio["vae"])[0]
    changed = (code != trio["vae"].z[7]).nonzero().flatten().tolist()
    assert changed == [axis] and float(code[axis] - trio["vae"].z[7, axis]) == pytest.approx(2.0)
    clipped = handlers.traverse(*MODEL, 7, [50.0])[1]
    assert np.array_equal(clipped, handlers.traverse(*MODEL, 7, [3.0])[1])  # sliders stop at ±3


def test_traversal_grids_and_gif(handlers, tmp_path):
    ae_grid, vae_grid = handlers.traversal_grids(*MODEL, 0)
    assert ae_grid.ndim == 3 and vae_grid.shape[0] > 2 * 28 * 3  # two labelled rows of scaled tiles
    path = handlers.traversal_gif(*MODEL, 0)
    from PIL import Image
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames > 32  # two axes of 32 steps (equal frames merge)
        first = np.asarray(gif.convert("L"))
        gif.seek(8)  # the first axis at +3
        assert not np.array_equal(first, np.asarray(gif.convert("L")))


def test_sampling_is_seeded_and_the_manifold_is_2d_only(handlers):
    pca, ae, vae = handlers.samples(*MODEL, 4, 11)
    again = handlers.samples(*MODEL, 4, 11)
    assert all(np.array_equal(a, b) for a, b in zip((pca, ae, vae), again))
    assert not np.array_equal(vae, handlers.samples(*MODEL, 4, 12)[2])
    side = 4 * 28 + 5 * 2  # make_grid: 2-pixel gutters
    zoom = vae.shape[1] // side
    assert zoom >= 2 and vae.shape == (TITLE_HEIGHT + zoom * side, zoom * side, 3)  # titled, scaled up
    assert all(m is not None for m in handlers.manifolds(*MODEL, 6))
    assert handlers.manifolds("mnist", 3, None, 6) == (None, None, None)


def test_interpolation_has_two_strips_per_model(handlers):
    picture = handlers.interpolate(*MODEL, 0, 1, 6)
    assert picture.shape[0] == TITLE_HEIGHT + 6 * (28 * 3 + 6) + 6  # 3 models x (linear, spherical)


def test_drawn_digit_is_encoded_and_starred(handlers):
    canvas = np.zeros((280, 280, 4), np.uint8)  # transparent sketchpad, black strokes
    canvas[60:220, 130:150] = [0, 0, 0, 255]
    codes, picture = handlers.encode_image(*MODEL, canvas)
    assert set(codes) == {"pca", "ae", "vae"} and len(codes["vae"]) == 2
    figures = handlers.maps(*MODEL, "dims", None, codes)
    star = next(t for t in figures[2].data if t.name == "your image")
    assert list(star.x) == pytest.approx([codes["vae"][0]])
    with pytest.raises(ImageInputError, match="No drawing"):
        handlers.encode_image(*MODEL, np.zeros((280, 280, 4), np.uint8))


def test_uploads_are_prepared_like_the_dataset():
    photo = np.full((300, 200, 3), 255, np.uint8)  # black "1" on white paper, off-centre
    photo[20:120, 20:40] = 0
    x = prepare_upload(photo, (1, 28, 28), "digit")
    assert x.shape == (1, 1, 28, 28) and float(x.max()) > 0.9 and float(x[0, 0, 0, 0]) == 0.0
    ys, xs = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    mass = x[0, 0]
    centre = (float((ys * mass).sum() / mass.sum()), float((xs * mass).sum() / mass.sum()))
    assert centre == pytest.approx((14, 14), abs=1.0)  # centred by mass, as MNIST
    assert (x[0, 0] > 0.2).any(1).sum() <= 21  # fitted into the 20-pixel box
    face = prepare_upload(np.random.default_rng(0).integers(0, 255, (120, 90, 3), dtype=np.uint8), (1, 64, 64), "face")
    assert face.shape == (1, 1, 64, 64)
    with pytest.raises(ImageInputError):
        prepare_upload(None, (1, 28, 28), "digit")


def test_offline_app_runs_from_checkpoints_alone(tiny_zoo, tmp_path):
    store = Store.load(tiny_zoo, data_dir=tmp_path / "no-data")
    images = store.images("mnist")
    assert not images.originals and "reconstructions" in images.message and "Expected:" in images.message
    handlers = Handlers(store, tmp_path)
    assert "Offline" in handlers.status(*MODEL)
    assert handlers.select(*MODEL, 3).ndim == 3 and len(handlers.maps(*MODEL)) == 3
    assert handlers.sprite("mnist")["caption"] == "reconstruction"


def test_a_corrupt_checkpoint_is_skipped_and_reported(tiny_zoo, tmp_path, data_dir):
    root = tmp_path / "zoo"
    shutil.copytree(tiny_zoo, root)
    weights = next((root / "mnist-ae-z3").glob("weights-*.safetensors"))
    weights.write_bytes(weights.read_bytes()[:50])
    store = Store.load(root, data_dir)
    assert "mnist-ae-z3" not in store.entries and "mnist-vae-z3" in store.entries
    assert len(store.errors) == 1 and "truncated or corrupt" in store.errors[0]
    assert "ae" not in store.trio("mnist", 3)


def test_live_panel_inlines_both_pictures(handlers):
    from test_app_api import live_pictures

    html = handlers.live(*MODEL, 7, [1.0])
    pictures = live_pictures(html)
    ae, vae = handlers.traverse(*MODEL, 7, [1.0])
    assert np.array_equal(pictures["ae"], ae) and np.array_equal(pictures["vae"], vae)
    assert html.count("<figure") == 2 and "aspect-ratio: 28 / 28" in html
