"""The maths behind the map layers that explain why a VAE samples well: the prior's holes, a VAE's
posterior ellipse, and where a decoder makes sense (its cycle error)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from explorer.core import latent
from explorer.views.map_layers import shading
from explorer.views.plots import latent_map

REPO = Path(__file__).resolve().parents[1]


def test_prior_holes_are_zero_where_codes_are_dense_and_positive_in_an_empty_part_of_the_prior():
    generator = torch.Generator().manual_seed(0)
    codes = torch.randn(4000, 2, generator=generator) * 0.3 + torch.tensor([1.0, 0.0])  # a blob right of 0
    xs, ys = latent.density_grid((-3.0, 3.0, -3.0, 3.0), 61)  # centres -2.95 ... 2.95, 0 in the middle
    holes = latent.prior_holes(codes, torch.zeros(2), torch.ones(2), xs, ys)
    at = lambda x, y: holes[int(torch.argmin((ys - y).abs())), int(torch.argmin((xs - x).abs()))]  # noqa: E731
    assert float(at(1.0, 0.0)) == 0.0  # dense codes: no hole
    assert float(at(-1.0, 0.0)) > 0.5 * float(holes.max())  # the prior's mass left of 0 has no codes
    assert float(at(-1.0, 0.0)) < 1 / (2 * torch.pi)  # never more than the prior itself
    assert float(holes.min()) >= 0.0


def test_the_posterior_ellipse_is_exp_half_logvar_around_the_mean():
    mean, logvar = torch.tensor([0.5, -1.0]), torch.tensor([-2.0, 0.4])
    std = logvar.mul(0.5).exp()
    path = latent.ellipse(mean, std, points=8)
    torch.testing.assert_close(path[0], mean + torch.tensor([std[0], 0.0]))  # angle 0: along z1
    torch.testing.assert_close(path[2], mean + torch.tensor([0.0, std[1]]), atol=1e-6, rtol=0)  # 90 degrees
    u = (path - mean) / std
    torch.testing.assert_close(u.norm(dim=1), torch.ones(len(path)))  # every point on the 1-sigma contour
    torch.testing.assert_close(latent.ellipse(mean, std, 2.0) - mean, 2 * (latent.ellipse(mean, std) - mean))


def test_a_vae_entry_gives_its_encoders_std_for_the_ellipse():
    from explorer.core.store import Store

    store = Store.load(REPO / "checkpoints")
    vae = store.entries["mnist-vae-z2"]
    x = vae.decode(vae.z[:3])
    _, logvar = vae.model.posterior(x)
    torch.testing.assert_close(vae.posterior(x).std, logvar.mul(0.5).exp())
    assert store.entries["mnist-ae-z2"].posterior(x) is None


def test_the_cycle_error_is_near_zero_on_the_codes_of_a_well_fit_model_and_large_off_the_data(mnist):
    """PCA's decoder is exactly undone by its encoder; the VAE's nearly, on its training codes, and not at
    all far from them (measured: medians 0.01 and 0.23 on code spreads of 2.1 and 1.3; ~50 off the data)."""
    from explorer.core.store import Store

    store = Store.load(REPO / "checkpoints")
    train, _, _ = mnist
    far = torch.tensor([[40.0, 40.0], [-40.0, 35.0]])  # far outside anything the models were trained on
    for name, fraction in (("mnist-pca-z2", 0.02), ("mnist-vae-z2", 0.25)):
        entry = store.entries[name]
        codes = entry.encode(train.images[:2000])  # training codes
        on_data = latent.cycle_error(entry.encode, entry.decode, codes)
        assert float(on_data.median()) < fraction * float(codes.std(0).mean()), name
        assert float(latent.cycle_error(entry.encode, entry.decode, far).min()) > 100 * float(on_data.median()), name


def _contrast_with_white(rgb: np.ndarray) -> np.ndarray:
    """WCAG's contrast ratio of sRGB colours (n, 3) in [0, 1] with white."""
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    luminance = linear @ np.array([0.2126, 0.7152, 0.0722])
    return 1.05 / (luminance + 0.05)


def test_layers_are_drawn_under_the_points_and_only_where_they_make_sense():
    import base64
    import io

    from PIL import Image

    from explorer.core.store import Store

    store = Store.load(REPO / "checkpoints")
    ae2, ae16 = store.entries["mnist-ae-z2"], store.entries["mnist-ae-z16"]
    every = ["prior", "holes", "quality"]
    figure = latent_map(ae2, "dims", "u", None, "digit", layers=every)
    assert [(i["le"], i["visible"]) for i in figure["images"]] == [("holes", True), ("quality", True)]
    holes = figure["images"][0]
    with Image.open(io.BytesIO(base64.b64decode(holes["source"].split(",", 1)[1]))) as image:
        alpha = np.asarray(image)[..., 3]
    assert alpha.shape == (64, 64) and alpha.max() > 100  # the AE at k = 2: strong holes
    xs, ys = ae2.layer_grid  # the image covers the layer's grid: top-left corner at (min x, max y)
    assert holes["x"] < float(xs[0]) < holes["x"] + holes["sizex"] and holes["y"] > float(ys[-1])
    # the top row of the picture is the grid's last (largest-y) row
    _, std = ae2.prior()
    top = shading(ae2.prior_holes[-1] * 2 * np.pi * float(std[0] * std[1]) / 0.6) * 255
    assert np.abs(alpha[0].astype(float) - top.numpy()).max() <= 1
    # Visible on a projector: every shaded cell, over the white plot, has at least 3:1 contrast with it.
    for layer in figure["images"]:
        with Image.open(io.BytesIO(base64.b64decode(layer["source"].split(",", 1)[1]))) as image:
            rgba = np.asarray(image).astype(float) / 255
        shaded = rgba[..., 3] > 0
        assert shaded.any()
        over_white = rgba[..., :3] * rgba[..., 3:] + (1 - rgba[..., 3:])
        assert _contrast_with_white(over_white[shaded]).min() >= 3.0, layer["le"]
    wide = latent_map(ae16, "dims", "u", None, "digit", layers=every)
    assert list(wide["lines"]) == ["prior"] and wide["images"] == []  # k = 16: the rings of the first two dims
    pca = latent_map(ae16, "pca", "u", None, "digit", layers=every)
    assert pca["images"] == [] and pca["lines"] == {}  # nothing on a PCA-of-z view


def test_kl_bars_follow_the_sliders_and_count_the_active_units():
    from explorer.core.store import Store
    from explorer.views.plots import kl_bars
    from training.objectives import active_units

    store = Store.load(REPO / "checkpoints")
    lineup = store.lineup("mnist", 16, ["mnist-ae-z16", "mnist-vae-z16", "mnist-vae-z16-beta4"])
    figure = kl_bars(lineup.models, 8)
    assert [t["name"].split(":")[0] for t in figure["data"]] == ["VAE", "VAE β=4"]  # the AE has no KL
    for trace, entry in zip(figure["data"], lineup.models[1:]):
        assert trace["y"] == sorted(trace["y"], reverse=True)  # slider order: most-used first
        assert trace["text"][:8] == [f"z{d + 1}" for d in entry.axes(8)]
        active = active_units(entry.importance)
        assert trace["name"] == f"{entry.label}: {active} of 16 active"
        assert active == entry.meta["metrics"]["active_units"]  # the one rule, as the checkpoint stored it
    plain, heavy = (active_units(e.importance) for e in lineup.models[1:])
    assert (plain, heavy) == (16, 12)  # a larger β switches dimensions off (the lesson's "12 of 16")
    assert kl_bars(store.lineup("mnist", 16, ["mnist-ae-z16"]).models, 8)["data"] == []


def test_code_spread_sets_each_dimensions_codes_against_the_sampling_gaussian():
    from explorer.core.store import Store
    from explorer.views.plots import code_spread

    store = Store.load(REPO / "checkpoints")
    lineup = store.lineup("mnist", 16, None)
    figure = code_spread(lineup.models)
    pca, ae, vae = figure["data"]
    torch.testing.assert_close(torch.tensor(ae["median"]), torch.quantile(lineup.models[1].z, 0.5, dim=0))
    bands = [s for s in figure["layout"]["shapes"] if s["xref"] == "x2"]
    assert len(bands) == 16 and all(abs(b["y1"] - 1.96) < 1e-6 for b in bands)  # N(0, I): 95% within ±1.96
    pca_band = [s for s in figure["layout"]["shapes"] if s["xref"] == "x"][0]
    assert abs(pca_band["y1"] - 1.96 * float(lineup.models[0].prior()[1][0])) < 1e-5  # PCA: its own scores
    span = lambda trace: [hi - lo for lo, hi in zip(trace["lowerfence"], trace["upperfence"])]  # noqa: E731
    assert min(span(ae)) > 2 * 3.92  # the AE's codes spread over twice the band in every dimension
    assert max(span(vae)) < 1.25 * 3.92  # the VAE's fill about the band the samples are drawn from
