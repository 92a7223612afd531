"""Interpolation tab: straight and spherical paths between two test images, for every model."""

from __future__ import annotations

import random

import gradio as gr
import numpy as np

from explorer.core.inputs import whole_number
from explorer.core.store import Lineup
from explorer.page import components
from explorer.page.adapter import raw_values
from explorer.page.context import HEAVY, Page, lineup_slug, lineup_words, publish
from explorer.page.header import Header
from explorer.views import panels

TITLE = "Interpolation"
LOOK = (
    "Walk in a straight line (or along the sphere) from the selected image's code to another's. The VAE's "
    "path passes through plausible images; the AE's and PCA's pass through ghosts and blends."
)


# ---- views: no Gradio ---------------------------------------------------------------------------------------------


def paths_picture(lineup: Lineup, a, b, steps) -> tuple[np.ndarray, int, int]:
    """Every model's linear and spherical path from test image a to b: (picture, a, b)."""
    last = lineup.n_images - 1
    a = whole_number(a, 0, last, "start image index")
    b = whole_number(b, 0, last, "end image index")
    steps = whole_number(steps, 2, 20, "steps")
    return panels.interpolation(lineup.models, lineup.images.images, a, b, steps), a, b


# ---- layout, handlers and wiring -----------------------------------------------------------------------------------


class Tab:
    def __init__(self, page: Page, header: Header):
        self.page, self.header = page, header
        with gr.Row(equal_height=True):
            gr.Markdown(LOOK, elem_classes="look")
            self.image_b = raw_values(
                gr.Number(1, label="to test image #", min_width=120, scale=0, elem_id="le-image-b")
            )
            self.random_b = gr.Button("Random end image", scale=0, min_width=150)
            self.steps = gr.Slider(3, 16, value=8, step=1, label="steps", min_width=180, scale=0)
        self.interpolation = components.picture(
            "Interpolations", elem_id="le-interpolation", elem_classes=["pixelated", "le-main"]
        )

    @property
    def reads(self) -> list:
        """What :meth:`draw` reads after the lineup: the selected image, the end image, the steps."""
        return [self.header.index, self.image_b, self.steps]

    # ---- handlers: {component: value} --------------------------------------------------------------------------
    def draw(self, lineup: Lineup, a, b, n_steps) -> dict:
        picture, a, b = paths_picture(lineup, a, b, n_steps)
        name, alt = f"{lineup_slug(lineup)}-interpolation-{a}-to-{b}", f"{lineup_words(lineup)}: a row per model, "
        alt += f"decoding the straight line from test image #{a}'s code to #{b}'s in {n_steps} steps"
        return {self.interpolation: self.page.picture_file(picture, name, alt)}

    def random_end(self, lineup: Lineup) -> dict:
        return {self.image_b: random.randrange(lineup.n_images)}

    # ---- the tab's own controls ---------------------------------------------------------------------------------
    def wire(self) -> None:
        page, lineup_inputs = self.page, self.header.lineup_inputs
        draw = page.on_lineup(self.draw)
        io = ([*lineup_inputs, *self.reads], [self.interpolation])
        gr.on(
            [self.image_b.submit, self.image_b.blur, self.steps.release], draw, *io, api_visibility="private", **HEAVY
        )
        publish(draw, *io, api_name="interpolate", **HEAVY)
        self.random_b.click(
            page.on_lineup(self.random_end), lineup_inputs, [self.image_b], api_visibility="private"
        ).then(draw, [*lineup_inputs, *self.reads], [self.interpolation], api_visibility="private", **HEAVY)
