"""The lineup on a tiny real zoo, without a browser or a server: the store and its checks, each kind's
rules, the panels over any number of models, the page's static files and map templates."""

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from explorer.core import latent
from explorer.core.entries import MAX_AXES, AEEntry, ModelEntry, PCAEntry, VAEEntry, slider_code
from explorer.core.inputs import InputError, real_number, whole_number
from explorer.core.store import Store
from explorer.page.assets import Assets
from explorer.views import images, panels, plots
from explorer.views.images import ImageInputError, hstack, prepare_upload, to_uint8

K2 = ["mnist-pca-z2", "mnist-ae-z2", "mnist-vae-z2"]


def _file(url: str) -> Path:
    """The file behind an asset URL."""
    prefix = "/gradio_api/file="
    assert url.startswith(prefix)
    path = Path(url[len(prefix) :])
    assert path.is_file()
    return path


def _places(picture: np.ndarray, tile: np.ndarray) -> list[tuple[int, int]]:
    """Every (top, left) where grey ``tile`` is drawn in RGB ``picture``, pixel for pixel."""
    h, w = tile.shape
    windows = np.lib.stride_tricks.sliding_window_view(picture[..., 0], (h, w))
    found = []
    for top in range(windows.shape[0]):
        for left in np.flatnonzero((windows[top] == tile).all(axis=(1, 2))):
            if (picture[top : top + h, left : left + w] == tile[..., None]).all():
                found.append((top, int(left)))
    return found


def _spy_decode(monkeypatch, entry: ModelEntry) -> list[torch.Tensor]:
    """Record every batch of codes ``entry`` decodes (the real decoder still runs)."""
    calls, real = [], entry.decode

    def decode(z, y=None):
        calls.append(z.detach().clone())
        return real(z, y)

    monkeypatch.setattr(entry, "decode", decode)
    return calls


# ---- the store and its lineups ------------------------------------------------------------------------


def test_store_groups_models_and_beta_variants_in_lineup_order(store):
    assert store.errors == []
    assert store.datasets() == ["mnist"] and store.latent_dims("mnist") == [2, 3]
    models = store.models("mnist", 2)
    assert [m.name for m in models] == [*K2, "mnist-vae-z2-beta4"]
    assert [type(m) for m in models] == [PCAEntry, AEEntry, VAEEntry, VAEEntry]
    assert [m.label for m in models] == ["PCA", "AE", "VAE", "VAE β=4"]
    assert models[3].beta == 4.0 and not models[3].is_default and models[2].is_default
    assert [m.name for m in store.models("mnist", 3)] == ["mnist-pca-z3", "mnist-ae-z3", "mnist-vae-z3"]


def test_default_names_pick_one_default_model_per_kind(store):
    assert store.default_names("mnist", 2) == K2  # not the β=4 variant
    assert store.default_names("mnist", 3) == ["mnist-pca-z3", "mnist-ae-z3", "mnist-vae-z3"]
    lineup = store.lineup("mnist", 2)
    assert [m.name for m in lineup.models] == K2 and lineup.latent_dim == 2
    assert [m.name for m in store.lineup("mnist", 2, []).models] == K2  # empty means the default too
    del store.entries["mnist-vae-z2"]  # a β variant is never a default, even as the only VAE
    assert store.default_names("mnist", 2) == ["mnist-pca-z2", "mnist-ae-z2"]


def test_a_names_list_picks_exactly_those_models_in_display_order(store):
    lineup = store.lineup("mnist", 2, ["mnist-vae-z2-beta4", "mnist-pca-z2", "mnist-vae-z2-beta4"])
    assert [m.name for m in lineup.models] == ["mnist-pca-z2", "mnist-vae-z2-beta4"]
    assert lineup.key == "mnist/2/mnist-pca-z2,mnist-vae-z2-beta4"
    assert [m.name for m in store.lineup("mnist", "3", "mnist-ae-z3").models] == ["mnist-ae-z3"]
    assert lineup.n_images == 300 and lineup.image_shape == (1, 28, 28)
    assert lineup.info["class_names"] == [str(d) for d in range(10)]


@pytest.mark.parametrize(
    "dataset,k,names,message",
    [
        ("cifar", 2, None, r"unknown dataset 'cifar'; choose one of mnist"),
        (None, 2, None, r"unknown dataset None"),
        (["mnist"], 2, None, r"unknown dataset \['mnist'\]"),
        ("mnist", 7, None, r"no mnist models with latent size 7; available: \[2, 3\]"),
        ("mnist", "abc", None, r"latent size must be a whole number, got 'abc'"),
        ("mnist", None, None, r"latent size must be a whole number: the box is empty or not a number"),
        ("mnist", [2], None, r"latent size must be a whole number"),
        (
            "mnist",
            2,
            ["mnist-vae-z9"],
            (
                r"no model named 'mnist-vae-z9' for mnist at latent size 2; "
                r"choose from mnist-pca-z2, mnist-ae-z2, mnist-vae-z2, mnist-vae-z2-beta4"
            ),
        ),
        ("mnist", 2, ["mnist-vae-z2", "mnist-vae-z3"], r"no model named 'mnist-vae-z3'"),  # another latent size
        ("mnist", 2, [1, 2], r"models must be a list of model names"),
        ("mnist", 2, 5, r"models must be a list of model names, got 5"),
        ("mnist", 2, {"mnist-vae-z2": 1}, r"models must be a list of model names"),
    ],
)
def test_lineup_refuses_bad_values_with_a_helpful_message(store, dataset, k, names, message):
    with pytest.raises(InputError, match=message):
        store.lineup(dataset, k, names)


# ---- each kind's rules ----------------------------------------------------------------------------------


def test_vae_starts_at_the_prior_and_ae_and_pca_at_their_codes(store):
    pca, ae, vae = store.lineup("mnist", 2).models
    assert torch.equal(vae.centre(), torch.zeros(2)) and torch.equal(vae.axis_scale(), torch.ones(2))
    for entry in (pca, ae):
        assert torch.allclose(entry.centre(), entry.z.mean(0))
        assert torch.allclose(entry.axis_scale(), entry.z.std(0))
        assert not torch.allclose(entry.centre(), torch.zeros(2), atol=1e-3)  # a real mean, not the prior's
    centre = ae.centre()
    centre += 100  # the centre is a copy: a caller may move it
    assert torch.allclose(ae.centre(), ae.z.mean(0))


def test_sampling_gaussians_and_manifold_boxes(store):
    pca, ae, vae, beta4 = store.models("mnist", 2)
    mean, std = pca.prior()
    assert torch.equal(mean, torch.zeros(2))
    assert torch.allclose(std, pca.model.explained_variance_.sqrt()) and not torch.allclose(std, torch.ones(2))
    for entry in (ae, vae, beta4):  # the lesson: the AE is sampled from N(0, I) too
        assert all(torch.equal(a, b) for a, b in zip(entry.prior(), (torch.zeros(2), torch.ones(2))))
    assert all(torch.equal(a, b) for a, b in zip(vae.manifold_box(), vae.prior()))
    mean, std = ae.manifold_box()
    assert torch.allclose(mean, ae.z.mean(0)) and torch.allclose(std, ae.z.std(0))
    low, high = latent.manifold_grid(15).min(0).values * std + mean, latent.manifold_grid(15).max(0).values * std + mean
    inside = ((ae.z >= low) & (ae.z <= high)).all(1).float().mean()
    assert inside > 0.6  # the AE's grid covers most of its codes, wherever they lie


def test_vae_axes_are_ranked_by_kl_per_dimension(store):
    vae = store.entries["mnist-vae-z3"]
    kl = vae.meta["metrics"]["kl_per_dim"]
    assert torch.allclose(vae.importance, torch.tensor(kl))
    assert vae.dim_order == sorted(range(3), key=lambda d: -kl[d]) and vae.axes(2) == vae.dim_order[:2]
    assert "KL" in vae.describe_axis(vae.dim_order[0])
    # Ranked by KL, not by the codes' variance: give the same codes a KL ranking the variance does not have.
    by_variance = latent.dims_by_importance(vae.z.var(0))
    kl_order = by_variance[::-1]
    fake_kl = [0.0] * 3
    for rank, dim in enumerate(kl_order):
        fake_kl[dim] = 3.0 - rank
    meta = {**vae.meta, "metrics": {**vae.meta["metrics"], "kl_per_dim": fake_kl}}
    assert VAEEntry(vae.name, meta, vae.model, vae.latents).dim_order == kl_order
    ae = store.entries["mnist-ae-z3"]
    assert ae.dim_order == latent.dims_by_importance(ae.z.var(0)) and "variance" in ae.describe_axis(0)


# ---- panels -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("index", [7, None])
def test_slider_code_starts_at_the_start_code_and_moves_one_axis(store, index):
    for entry in store.lineup("mnist", 3).models:
        start = panels.base_code(entry, index)
        expected_start = entry.centre() if index is None else entry.z[index]
        assert torch.equal(start, expected_start)
        assert torch.equal(slider_code(entry, index, [0.0] * MAX_AXES), start)
        axis = entry.axes(MAX_AXES)[0]
        moved = slider_code(entry, index, [1.5, 0.0, 0.0])
        assert (moved != start).nonzero().flatten().tolist() == [axis], entry.name
        assert float(moved[axis] - start[axis]) == pytest.approx(1.5 * float(entry.axis_scale()[axis]), rel=1e-5)
        second = entry.axes(MAX_AXES)[1]
        both = slider_code(entry, index, [1.5, -2.0])
        assert (both != start).nonzero().flatten().tolist() == sorted([axis, second])
    # Moving the sliders never moves the stored codes or the centre.
    ae = store.entries["mnist-ae-z3"]
    codes, centre = ae.z.clone(), ae.centre()
    slider_code(ae, index, [3.0, 3.0, 3.0])
    assert torch.equal(ae.z, codes) and torch.equal(ae.centre(), centre)


def test_slider_zero_is_the_middle_column_of_the_traversal_grid(store, monkeypatch):
    for entry in store.lineup("mnist", 3).models:
        start = panels.slider_image(entry, 7, [0.0] * MAX_AXES)
        assert np.array_equal(start, to_uint8(entry.decode(entry.z[7:8])[0]))  # the reconstruction of #7
        calls = _spy_decode(monkeypatch, entry)
        picture = panels.traversal_figure(entry, 7, steps=7)
        axes = entry.axes(MAX_AXES)
        assert len(calls) == len(axes) == 3
        for axis, codes in zip(axes, calls):
            assert torch.equal(codes[3], entry.z[7])  # the middle column is the start code, exactly
            lowest = slider_code(entry, 7, [-3.0 if a == axis else 0.0 for a in axes])
            torch.testing.assert_close(codes[0], lowest)  # and the ends are the sliders at ±3
        tile = images.scale(start, 2)  # traversal_figure scales 28-pixel images twice
        assert len(_places(picture, tile)) >= 3, entry.name  # the start image is drawn in every row


def test_sample_grids_are_repeatable_per_seed_and_use_each_prior(store, monkeypatch):
    pca, ae, vae, beta4 = store.models("mnist", 2)
    for entry in (pca, vae):
        first = panels.sample_grid(entry, 4, 11)
        assert first.dtype == np.uint8 and first.ndim == 3
        assert np.array_equal(first, panels.sample_grid(entry, 4, 11))
        assert not np.array_equal(first, panels.sample_grid(entry, 4, 12))
    side = 4 * 28 + 5 * images.GRID_PAD
    zoom = round(480 / (4 * 30))
    assert first.shape[1] == zoom * side and first.shape[0] > zoom * side  # scaled grid under a title band
    calls = _spy_decode(monkeypatch, pca)
    panels.sample_grid(pca, 3, 5)
    expected = latent.sample_gaussian(9, 2, 5, torch.zeros(2), pca.model.explained_variance_.sqrt())
    assert torch.equal(calls[0], expected)


def test_the_manifold_needs_a_2d_latent_space(store, monkeypatch):
    ae = store.entries["mnist-ae-z2"]
    calls = _spy_decode(monkeypatch, ae)
    picture = panels.manifold(ae, 6)
    assert picture.dtype == np.uint8 and picture.shape[1] >= 6 * 28
    mean, std = ae.manifold_box()
    torch.testing.assert_close(calls[0], latent.manifold_grid(6) * std + mean)
    with pytest.raises(ValueError, match="2-D"):
        panels.manifold(store.entries["mnist-vae-z3"], 6)
    with pytest.raises(ValueError, match="2-D"):
        panels.decode_point(store.entries["mnist-vae-z3"], 0.0, 0.0)
    assert panels.decode_point(store.entries["mnist-vae-z2"], 0.5, -1.0).dtype == np.uint8


def test_pictures_grow_with_the_number_of_models(store):
    two = store.lineup("mnist", 2, ["mnist-ae-z2", "mnist-vae-z2"])
    three = store.lineup("mnist", 2, K2)
    x = three.images.images
    one = store.lineup("mnist", 2, ["mnist-vae-z2"])
    for draw, fewer in (
        (lambda m: panels.interpolation(m, x, 0, 1, 6), two),
        (lambda m: panels.reconstructions(m, x, [0, 1, 2, 3], True), two),
        (lambda m: panels.selection(m, x, 5, True), one),
    ):  # two pictures a row
        small, large = draw(fewer.models), draw(three.models)
        assert small.dtype == large.dtype == np.uint8 and small.ndim == large.ndim == 3
        assert large.shape[0] > small.shape[0]
        assert large.shape[1] >= small.shape[1]
    # Interpolation: a linear and a spherical row per model; reconstructions: a row per model + originals.
    row = 28 * 3 + 6
    assert (
        panels.interpolation(three.models, x, 0, 1, 6).shape[0] - panels.interpolation(two.models, x, 0, 1, 6).shape[0]
    ) == 2 * row


def test_a_drawn_digit_is_encoded_by_every_model(store):
    lineup = store.lineup("mnist", 2, K2)
    canvas = np.zeros((280, 280, 4), np.uint8)  # transparent sketchpad, black strokes
    canvas[60:220, 130:150] = [0, 0, 0, 255]
    x = prepare_upload(canvas, lineup.image_shape, "digit")
    codes, picture = panels.encode_yours(lineup.models, x, "your drawing")
    assert len(codes) == 3 and all(c.shape == (2,) for c in codes)
    for entry, code in zip(lineup.models, codes):
        torch.testing.assert_close(code, entry.encode(x)[0])
    assert picture.dtype == np.uint8 and picture.shape[1] > 4 * 28 * 4
    with pytest.raises(ImageInputError, match="No drawing"):
        prepare_upload(np.zeros((280, 280, 4), np.uint8), lineup.image_shape, "digit")


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


# ---- values from the page or the API ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", [True, False, None, float("nan"), float("inf"), -float("inf"), "abc", [3], {}, 2.5, "2.5", -1, 11, "11"]
)
def test_whole_number_refuses_what_is_not_a_whole_number_in_range(value):
    with pytest.raises(InputError, match="image index"):
        whole_number(value, 0, 10, "image index")


@pytest.mark.parametrize("value,expected", [(3, 3), (3.0, 3), ("7", 7), (np.int64(10), 10), (0, 0)])
def test_whole_number_accepts_whole_numbers(value, expected):
    got = whole_number(value, 0, 10, "image index")
    assert got == expected and type(got) is int


def test_whole_number_says_the_range():
    with pytest.raises(InputError, match=r"seed 12 is out of range: it must be between 0 and 10"):
        whole_number(12, 0, 10, "seed")


@pytest.mark.parametrize("value", [True, False, None, float("nan"), float("inf"), "abc", [0.5], -3.5, 3.01])
def test_real_number_refuses_what_is_not_a_finite_number_in_range(value):
    with pytest.raises(InputError, match="slider 1 must be a number"):
        real_number(value, -3, 3, "slider 1")


def test_real_number_accepts_finite_numbers_in_range():
    assert real_number("1.25", -3, 3, "x") == 1.25 and real_number(-3, -3, 3, "x") == -3.0
    assert type(real_number(2, -3, 3, "x")) is float


# ---- static files for the page ------------------------------------------------------------------------------


def test_map_points_binary_round_trips(store, assets):
    entry = store.entries["mnist-vae-z3"]
    url, xy = assets.map_points(entry, "pca")
    data = _file(url).read_bytes()
    n = len(entry.labels)
    assert len(data) == n * 2 * 4 + n * 4
    stored_xy = np.frombuffer(data[: n * 8], "<f4").reshape(n, 2)
    labels = np.frombuffer(data[n * 8 :], "<i4")
    assert np.array_equal(stored_xy, latent.map_coordinates(entry.z, "pca", entry.latents).numpy())
    assert np.array_equal(stored_xy, xy)
    assert np.array_equal(labels, entry.labels.numpy())
    dims_url, dims_xy = assets.map_points(entry, "dims")
    assert dims_url != url and np.array_equal(dims_xy, entry.z[:, :2].numpy())
    assert assets.map_points(entry, "pca")[0] == url


def _decoder_entry(kind: str, **config) -> ModelEntry:
    from training import ModelConfig, build_model

    torch.manual_seed(0)
    model = build_model(ModelConfig(kind=kind, **config)).eval()
    meta = {"model": model.config.to_dict(), "metrics": {}, "dataset": {"name": "test"}}
    entry_type = {"ae": AEEntry, "vae": VAEEntry}[kind]
    return entry_type(
        f"test-{kind}", meta, model, {"z": torch.randn(5, model.latent_dim), "labels": torch.zeros(5, dtype=torch.long)}
    )


@pytest.mark.parametrize("name", ["mnist-vae-z2", "mnist-pca-z3", "conv"])
def test_decoder_file_holds_exactly_the_tensors_its_ops_name(store, assets, name):
    """The page runs these (tests/test_browser_decode.py checks its pixels against the server's)."""
    if name == "conv":
        entry = _decoder_entry("ae", backbone="conv", image_shape=(2, 28, 20), latent_dim=3, hidden_dim=16)
    else:
        entry = store.entries[name]
    url, ops = assets.decoder(entry)
    weights = np.fromfile(_file(url), dtype="<f4")
    assert ops[-1]["op"] == ("clamp01" if name == "mnist-pca-z3" else "sigmoid")
    tensors = [t.detach().float().reshape(-1) for _, ts in entry.decoder_ops() for t in ts]
    np.testing.assert_array_equal(weights, torch.cat(tensors).numpy())


def test_decoder_file_is_named_by_content_and_written_once(store, assets, monkeypatch):
    entry = store.entries["mnist-vae-z2"]
    exports = []
    real = entry.decoder_ops
    monkeypatch.setattr(entry, "decoder_ops", lambda: exports.append(1) or real())
    url, ops = assets.decoder(entry)
    assert assets.decoder(entry) == (url, ops) and len(exports) == 1  # computed once per process
    path = _file(url)
    written = path.stat().st_mtime_ns
    again = Assets(assets.folder).decoder(entry)  # a new process, same folder: same URL, file not rewritten
    assert again[0] == url and path.stat().st_mtime_ns == written
    assert sorted(p.name for p in assets.folder.glob("decoder-*")) == [path.name]
    other = assets.decoder(store.entries["mnist-ae-z2"])[0]
    assert other != url and "mnist-ae-z2" in other


def test_a_model_that_cannot_export_has_no_decoder_file(assets):
    class Opaque(torch.nn.Module):
        def export_decoder(self):
            raise NotImplementedError

    entry = AEEntry(
        "opaque",
        {"model": {"latent_dim": 2}, "dataset": {"name": "test"}},
        Opaque(),
        {"z": torch.zeros(3, 2), "labels": torch.zeros(3)},
    )
    assert assets.decoder(entry) is None and not list(assets.folder.glob("decoder-*"))


def test_sprite_sheet_holds_every_test_image(store, assets):
    lineup = store.lineup("mnist", 2)
    sprite = assets.sprite(lineup)
    assert sprite["columns"] == 100 and (sprite["w"], sprite["h"]) == (28, 28) and sprite["caption"] == "test image"
    with Image.open(_file(sprite["url"])) as sheet:
        pixels = np.asarray(sheet.convert("L"))
    assert pixels.shape == (3 * 28, 100 * 28)
    i = 123  # tile i sits at (i % columns, i // columns)
    tile = pixels[(i // 100) * 28 : (i // 100 + 1) * 28, (i % 100) * 28 : (i % 100 + 1) * 28]
    assert np.array_equal(tile, to_uint8(lineup.images.images[i]))


# ---- map templates -----------------------------------------------------------------------------------------


def test_mnist_map_colours_each_class_and_sends_every_layer(store):
    """A colour and a legend entry per class, plain-text titles (the page draws them as text); every layer the
    map can draw is sent beside them, hidden unless asked for, so the page switches it without asking the server."""
    entry = store.entries["mnist-vae-z2"]
    info = entry.meta["dataset"]
    figure = plots.latent_map(entry, "dims", "/points.bin", info["class_names"], info["label_name"])
    assert figure["points"]["colours"] == plots.PALETTE and figure["points"]["scale"] is None
    assert figure["legend"] == [[str(c), plots.PALETTE[c]] for c in range(10)]
    assert figure["title"]["text"] == entry.label and figure["title"]["detail"].startswith("MSE ")
    assert figure["title"]["subtitle"].startswith("in 2σ ring: ") and " · holes: " in figure["title"]["subtitle"]
    assert figure["axes"] == ["z₁", "z₂"] and figure["label_name"] == "digit"
    assert [i["le"] for i in figure["images"]] == ["holes"]  # quality: only once computed, or asked for
    assert [(n, line["visible"]) for n, line in figure["lines"].items()] == [("prior", False)]
    assert not figure["images"][0]["visible"]
    shown = plots.latent_map(
        entry, "dims", "/p.bin", info["class_names"], "digit", layers=["quality", "prior"], samples=torch.zeros(4, 2)
    )
    assert {i["le"]: i["visible"] for i in shown["images"]} == {"holes": False, "quality": True}
    assert {n: line["visible"] for n, line in shown["lines"].items()} == {"prior": True, "samples": False}
    assert len(figure["legend"]) == 10 and figure["n"] == 300
    assert figure["clickable"] is True and figure["data"] == "/points.bin" and figure["name"] == "mnist-vae-z2"
    k3 = store.entries["mnist-vae-z3"]
    for view in ("dims", "pca"):
        assert plots.latent_map(k3, view, "/p.bin", info["class_names"], "digit")["clickable"] is False
    pca = plots.latent_map(k3, "pca", "/p.bin", None, "digit")
    assert pca["axes"] == ["PC 1 of z", "PC 2 of z"] and pca["title"]["subtitle"] is None


def test_many_classes_get_distinct_outlined_colours_and_no_legend(store):
    entry = store.entries["mnist-ae-z2"]
    names = [f"person {i}" for i in range(40)]
    figure = plots.latent_map(entry, "dims", "/points.bin", names, "person")
    colours = figure["points"]["colours"]
    assert len(colours) == 40 and len(set(colours)) == 40 and figure["points"]["outline"] == "#333"
    assert all(len(c) == 7 and c.startswith("#") for c in colours)
    assert figure["legend"] == [] and figure["class_names"] == names


def test_names_from_files_stay_plain_text_in_a_map(store):
    """The page draws a map's words as text (never HTML), so they come as written: escaped here, they would show
    as "&lt;"."""
    entry = store.entries["mnist-ae-z2"]
    names = ["<b>zero</b>", "a & b"]
    figure = plots.latent_map(entry, "dims", "/points.bin", names, "<i>label</i>")
    assert figure["class_names"] == names and figure["legend"][0][0] == "<b>zero</b>"
    assert figure["label_name"] == "<i>label</i>"


# ---- drawing ---------------------------------------------------------------------------------------------------


def test_the_shipped_font_draws_beta():
    assert images.FONT_FILE.is_file()
    font = images._font(40)

    def glyph(text: str) -> np.ndarray:
        canvas = Image.new("L", (60, 60), 0)
        ImageDraw.Draw(canvas).text((10, 5), text, fill=255, font=font)
        return np.asarray(canvas)

    beta, question, missing = glyph("β"), glyph("?"), glyph("\u4e2d")  # DejaVu Sans has no CJK: .notdef
    assert beta.sum() > 0 and not np.array_equal(beta, question) and not np.array_equal(beta, missing)
    assert images.titled(np.zeros((10, 200), np.uint8), "VAE β=4").dtype == np.uint8


def test_hstack_pads_to_the_tallest_picture():
    grey = np.full((10, 5), 7, np.uint8)
    rgb = np.zeros((20, 4, 3), np.uint8)
    rgb[..., 1] = 9
    out = hstack([grey, rgb], gap=3)
    assert out.shape == (20, 5 + 3 + 4, 3) and out.dtype == np.uint8
    assert (out[:10, :5] == 7).all() and (out[10:, :5] == 255).all()  # padded below with white
    assert (out[:, 5:8] == 255).all() and np.array_equal(out[:, 8:], rgb)


# ---- offline and broken zoos --------------------------------------------------------------------------------


def test_offline_app_runs_from_checkpoints_alone(tiny_zoo, tmp_path):
    store = Store.load(tiny_zoo, data_dir=tmp_path / "no-data")
    shown = store.images("mnist")
    assert not shown.originals and "reconstructions" in shown.message and "Expected:" in shown.message
    best = store.entries["mnist-vae-z3"]  # the default VAE with the most dimensions
    assert best.label in shown.message
    torch.testing.assert_close(shown.images, best.decode(best.z))
    lineup = store.lineup("mnist", 2)
    assert panels.selection(lineup.models, lineup.images.images, 3, lineup.images.originals).ndim == 3
    assert Assets(tmp_path / "assets").sprite(lineup)["caption"] == "reconstruction"


def test_a_corrupt_checkpoint_is_skipped_and_reported(tiny_zoo, tmp_path, data_dir):
    root = tmp_path / "zoo"
    shutil.copytree(tiny_zoo, root)
    weights = next((root / "mnist-ae-z3").glob("weights-*.safetensors"))
    weights.write_bytes(weights.read_bytes()[:50])
    store = Store.load(root, data_dir)
    assert "mnist-ae-z3" not in store.entries and "mnist-vae-z3" in store.entries
    assert len(store.errors) == 1 and "truncated or corrupt" in store.errors[0]
    assert store.default_names("mnist", 3) == ["mnist-pca-z3", "mnist-vae-z3"]
    with pytest.raises(InputError, match="no model named 'mnist-ae-z3'"):
        store.lineup("mnist", 3, ["mnist-ae-z3"])
    assert store.images("mnist").originals


def test_test_sets_are_converted_once_and_read_back_without_the_loader(tiny_zoo, data_dir, tmp_path, monkeypatch):
    """The second start reads the kept test set (no dataset loader, no unpickling) and gets the same images."""
    from explorer.core import store as store_module

    first = Store.load(tiny_zoo, data_dir, cache_dir=tmp_path).images("mnist")
    assert first.originals and list(tmp_path.glob("testset-mnist-*.safetensors"))

    def no_loader(*args, **kwargs):
        raise AssertionError("the dataset loader ran although the converted test set was there")

    monkeypatch.setattr(store_module, "load_test_split", no_loader)
    again = Store.load(tiny_zoo, data_dir, cache_dir=tmp_path).images("mnist")
    assert again.originals
    assert torch.equal(again.images, first.images) and torch.equal(again.labels, first.labels)


def test_ordinal_labels_get_a_colour_scale_not_categories(store):
    """Frey's labels are frame numbers: a continuous scale over their range, with a colour bar, no classes."""
    entry = store.lineup("mnist", 2, ["mnist-vae-z2"]).models[0]
    template = plots.latent_map(entry, "dims", "/points.bin", None, "frame")
    scale = template["points"]["scale"]
    assert template["points"]["colours"] is None and scale["colours"] == plots.VIRIDIS and scale["title"] == "frame"
    assert (scale["min"], scale["max"]) == (float(entry.labels.min()), float(entry.labels.max()))
    assert template["legend"] == [] and template["class_names"] is None


def test_two_checkpoints_claiming_one_name_are_a_conflict_never_a_silent_replacement(tmp_path, tiny_zoo, data_dir):
    for folder in tiny_zoo.iterdir():
        (tmp_path / folder.name).symlink_to(folder)
    shutil.copytree(tiny_zoo / "mnist-ae-z2", tmp_path / "my-copy")  # a copy that keeps its internal name
    store = Store.load(tmp_path, data_dir)
    assert "my-copy" in store.skipped and "2 checkpoints claim the name 'mnist-ae-z2'" in store.skipped["my-copy"]
    assert str(tmp_path / "mnist-ae-z2") in store.skipped["my-copy"]
    assert store.entries["mnist-ae-z2"].meta == Store.load(tiny_zoo, data_dir).entries["mnist-ae-z2"].meta
    assert "mnist-ae-z2" not in store.skipped  # the one whose folder is its name stays
    # Two copies, neither in a folder of its name: neither is shown, both are named.
    (tmp_path / "mnist-ae-z2").unlink()
    shutil.copytree(tiny_zoo / "mnist-ae-z2", tmp_path / "other-copy")
    store = Store.load(tmp_path, data_dir)
    assert "mnist-ae-z2" not in store.entries and {"my-copy", "other-copy"} <= set(store.skipped)
