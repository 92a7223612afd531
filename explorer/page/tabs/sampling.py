"""Sampling tab: the same N(0, I) draws decoded by every model, and Kingma & Welling's manifold grid; for k > 2,
each dimension's codes against the Gaussian the samples are drawn from."""

from __future__ import annotations

import gradio as gr
import numpy as np

from explorer.core.inputs import whole_number
from explorer.core.store import Lineup
from explorer.page import components
from explorer.page.adapter import raw_values
from explorer.page.context import HEAVY, Page, lineup_slug, lineup_words, publish
from explorer.page.header import Header, drawn_class
from explorer.views import panels
from explorer.views.images import hstack
from explorer.views.plots import code_spread

TITLE = "Sampling"
LOOK = (
    "The same N(0, I) draws decoded by each model (PCA: a Gaussian with its own variances). Only the VAE was "
    "trained to keep its codes where N(0, I) draws. At k = 2 N(0, I) still lands in a dense patch of the AE's "
    "map (see the prior's circles on the Latent map tab), so its samples pass; at k = 16 most draws miss the "
    "AE's codes."
)
MANIFOLD_LOOK = (
    "**Manifold** (2-D models; Kingma & Welling, Fig. 4): a regular grid of codes through the Gaussian "
    "inverse CDF. The VAE's changes smoothly and stays plausible; the AE's has holes."
)
CLASSES_LOOK = (
    "**A conditional VAE's point**: its encoder and decoder are given the class, so the code holds only the style. "
    "Along a row one code is drawn as every class (the first row: the selected image's code; the others drawn "
    "from N(0, I)): the slant and thickness stay, the class changes. Its map, "
    "coloured by class, shows the classes mixed: the label carries the class."
)
SPREAD_LOOK = (
    "**Why, for k > 2**: each dimension's test codes (boxes: quartiles, whiskers 2.5–97.5%) against the "
    "Gaussian the samples are drawn from (grey: 95% of the draws). An AE's codes spread far wider than "
    "N(0, I), so its draws land in the middle of its space, where it put no codes (MNIST, k = 16: no AE "
    "code lies within distance 6 of 0; nearly every draw does)."
)


# ---- views: no Gradio ---------------------------------------------------------------------------------------------


def samples_picture(lineup: Lineup, n, seed, drawn: int | None = None) -> tuple[np.ndarray, int, int]:
    """Each model's n x n grid of the same draws from its sampling Gaussian (a conditional model's of class
    ``drawn``), side by side: (picture, n, seed)."""
    n = whole_number(n, 2, 16, "grid size")
    seed = whole_number(seed, 0, 2**31 - 1, "seed")
    return hstack([panels.sample_grid(m, n, seed, drawn) for m in lineup.models]), n, seed


def manifolds_picture(lineup: Lineup, n, drawn: int | None = None) -> tuple[np.ndarray | None, int]:
    """Each 2-D model's manifold grid, side by side (None for a lineup of larger latent sizes): (picture, n)."""
    if lineup.latent_dim != 2:
        return None, 0
    n = whole_number(n, 2, 30, "manifold size")
    return hstack([panels.manifold(m, n, drawn) for m in lineup.models]), n


def classes_picture(lineup: Lineup, selected) -> np.ndarray | None:
    """Each conditional model's code drawn as every class (the selected image's code first), or None."""
    conditional = [m for m in lineup.models if m.conditional]
    if not conditional:
        return None
    index = whole_number(selected, 0, lineup.n_images - 1, "image index")
    return hstack([panels.class_grid(m, index) for m in conditional])


def spread_figure(lineup: Lineup) -> dict | None:
    """Each dimension's codes against the sampling Gaussian, for k > 2 (None at k <= 2)."""
    return code_spread(lineup.models) if lineup.latent_dim > 2 else None


# ---- layout, handlers and wiring -----------------------------------------------------------------------------------


class Tab:
    def __init__(self, page: Page, header: Header):
        self.page, self.header = page, header
        with gr.Row(equal_height=True, elem_id="le-sampling-controls"):
            gr.Markdown(LOOK, elem_classes="look")
            self.grid_size = gr.Slider(2, 16, value=8, step=1, label="grid n × n", min_width=200, scale=0)
            self.seed = raw_values(gr.Number(0, label="seed", min_width=110, scale=0, elem_id="le-seed"))
            self.resample = gr.Button("New seed", scale=0, min_width=110, elem_id="le-new-seed")
        with gr.Row(equal_height=False, elem_id="le-sampling-row"):
            with gr.Column(scale=1, min_width=300):
                self.samples = components.picture(
                    "Samples", elem_id="le-samples", elem_classes=["pixelated", "le-main"]
                )
            with gr.Column(scale=1, min_width=300, visible=False) as self.spread_group:
                gr.Markdown(SPREAD_LOOK, elem_classes="look")
                self.spread = components.plot(elem_id="le-spread", height="300px")
        with gr.Group(visible=False) as self.manifold_group:
            with gr.Row(equal_height=True):
                gr.Markdown(MANIFOLD_LOOK, elem_classes="look")
                self.manifold_size = gr.Slider(5, 25, value=15, step=1, label="manifold n × n", min_width=200, scale=0)
            self.manifolds = components.picture(
                "Manifolds", elem_id="le-manifolds", elem_classes=["pixelated", "le-main"]
            )
        with gr.Group(visible=False) as self.classes_group:
            gr.Markdown(CLASSES_LOOK, elem_classes="look")
            self.classes = components.picture(
                "Every class", elem_id="le-classes", elem_classes=["pixelated", "le-main"]
            )

    # ---- handlers: {component: value} --------------------------------------------------------------------------
    def draw_samples(self, lineup: Lineup, n, seed, drawn=-1) -> dict:
        picture, n, seed = samples_picture(lineup, n, seed, drawn_class(drawn))
        return {
            self.samples: self.page.picture_file(
                picture,
                f"{lineup_slug(lineup)}-samples-{n}x{n}-seed{seed}",
                f"{lineup_words(lineup)}: each a {n} by {n} grid decoded from the same draws of N(0, I) (seed {seed})",
            ),
            self.header.sample_grid: {"n": n, "seed": seed},
        }

    def draw_classes(self, lineup: Lineup, selected) -> dict:
        picture = classes_picture(lineup, selected)
        if picture is None:
            return {self.classes_group: gr.update(visible=False)}
        alt = f"{lineup_words(lineup)}: each conditional model's codes (test image #{selected}'s first) as every class"
        name = f"{lineup_slug(lineup)}-every-class-image{selected}"
        return {self.classes_group: gr.update(visible=True), self.classes: self.page.picture_file(picture, name, alt)}

    def draw_manifolds(self, lineup: Lineup, n, drawn=-1) -> dict:
        picture, n = manifolds_picture(lineup, n, drawn_class(drawn))
        if picture is None:
            return {self.manifold_group: gr.update(visible=False)}
        return {
            self.manifold_group: gr.update(visible=True),
            self.manifolds: self.page.picture_file(
                picture,
                f"{lineup_slug(lineup)}-manifolds-{n}x{n}",
                f"{lineup_words(lineup)}: what each decodes on a {n} by {n} grid of codes across its 2-D space",
            ),
        }

    def show_spread(self, lineup: Lineup) -> dict:
        figure = spread_figure(lineup)
        if figure is None:
            return {self.spread_group: gr.update(visible=False)}
        return {self.spread_group: gr.update(visible=True), self.spread: figure}

    # ---- the tab's own controls ---------------------------------------------------------------------------------
    def wire(self) -> None:
        page, lineup_inputs = self.page, self.header.lineup_inputs
        draw_manifolds, io = (
            page.on_lineup(self.draw_manifolds),
            (
                [*lineup_inputs, self.manifold_size, self.header.drawn],
                [self.manifold_group, self.manifolds],
            ),
        )
        self.manifold_size.release(draw_manifolds, *io, api_visibility="private", **HEAVY)
        publish(draw_manifolds, *io, api_name="manifolds", **HEAVY)
