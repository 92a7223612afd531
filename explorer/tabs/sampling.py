"""Sampling tab: the same N(0, I) draws decoded by every model, and Kingma & Welling's manifold grid."""

from __future__ import annotations

import gradio as gr

from .. import components, panels
from ..images import hstack
from ..inputs import next_seed, whole_number
from ..page import HEAVY, Page, lineup_slug
from ..plots import code_spread
from ..store import Lineup

TITLE = "Sampling"
LOOK = ("The same N(0, I) draws decoded by each model (PCA: a Gaussian with its own variances). Only the VAE was "
        "trained to keep its codes where N(0, I) draws. At k = 2 N(0, I) still lands in a dense patch of the AE's "
        "map (see the prior's circles on the Latent map tab), so its samples pass; at k = 16 most draws miss the "
        "AE's codes.")


def build(page: Page) -> None:
    with gr.Row(equal_height=True):
        gr.Markdown(LOOK, elem_classes="look")
        grid_size = gr.Slider(2, 16, value=8, step=1, label="grid n × n", min_width=180, scale=0)
        seed = components.number_box(0, label="seed", min_width=100, scale=0, elem_id="le-seed")
        resample = gr.Button("New seed", scale=0, min_width=110)
    samples = components.picture("Samples", elem_id="le-samples", elem_classes=["pixelated", "le-main"])
    with gr.Group(visible=False) as manifold_group:
        with gr.Row(equal_height=True):
            gr.Markdown("**Manifold** (2-D models; Kingma & Welling, Fig. 4): a regular grid of codes through "
                        "the Gaussian inverse CDF. The VAE's changes smoothly and stays plausible; the AE's "
                        "has holes.", elem_classes="look")
            manifold_size = gr.Slider(5, 25, value=15, step=1, label="manifold n × n", min_width=200, scale=0)
        manifolds = components.picture("Manifolds", elem_id="le-manifolds", elem_classes=["pixelated", "le-main"])
    with gr.Group(visible=False) as spread_group:
        gr.Markdown("**Why, for k > 2**: each dimension's test codes (boxes: quartiles, whiskers 2.5–97.5%) "
                    "against the Gaussian the samples are drawn from (grey: 95% of the draws). An AE's codes "
                    "spread far wider than N(0, I), so its draws land in the middle of its space, where it put "
                    "no codes (MNIST, k = 16: no AE code lies within distance 6 of 0; nearly every draw does).",
                    elem_classes="look")
        spread = components.plot(elem_id="le-spread", height="300px")

    def draw_samples(lineup: Lineup, n, seed_value) -> dict:
        n = whole_number(n, 2, 16, "grid size")
        seed_value = whole_number(seed_value, 0, 2**31 - 1, "seed")
        picture = hstack([panels.sample_grid(m, n, seed_value) for m in lineup.models])
        return {samples: page.picture_file(picture, f"{lineup_slug(lineup)}-samples-{n}x{n}-seed{seed_value}"),
                page.sample_grid: {"n": n, "seed": seed_value}}

    def draw_manifolds(lineup: Lineup, n) -> dict:
        if lineup.latent_dim != 2:
            return {manifold_group: gr.update(visible=False)}
        n = whole_number(n, 2, 30, "manifold size")
        picture = hstack([panels.manifold(m, n) for m in lineup.models])
        return {manifold_group: gr.update(visible=True),
                manifolds: page.picture_file(picture, f"{lineup_slug(lineup)}-manifolds-{n}x{n}")}

    def show_spread(lineup: Lineup) -> dict:
        if lineup.latent_dim <= 2:
            return {spread_group: gr.update(visible=False)}
        return {spread_group: gr.update(visible=True), spread: code_spread(lineup.models)}

    page.remember("seed", seed)
    drawn = [samples, page.sample_grid]
    page.subscribe("lineup", show_spread, [], [spread_group, spread])
    page.subscribe("lineup", draw_samples, [grid_size, seed], drawn)
    page.subscribe("lineup", draw_manifolds, [manifold_size], [manifold_group, manifolds])
    page.announce("samples", gr.on([grid_size.release, seed.submit, seed.blur], page.handler(draw_samples),
                                   [*page.lineup_inputs, grid_size, seed], drawn, api_name="samples", **HEAVY))
    page.announce("samples", resample.click(next_seed, seed, seed, api_visibility="private").then(
        page.handler(draw_samples), [*page.lineup_inputs, grid_size, seed], drawn, api_visibility="private",
        **HEAVY))
    manifold_size.release(page.handler(draw_manifolds), [*page.lineup_inputs, manifold_size],
                          [manifold_group, manifolds], api_name="manifolds", **HEAVY)
