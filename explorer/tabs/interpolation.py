"""Interpolation tab: straight and spherical paths between two test images, for every model."""

from __future__ import annotations

import random

import gradio as gr

from .. import components, panels
from ..inputs import whole_number
from ..page import HEAVY, Page, lineup_slug
from ..store import Lineup

TITLE = "Interpolation"
LOOK = ("Walk in a straight line (or along the sphere) from the selected image's code to another's. The VAE's "
        "path passes through plausible images; the AE's and PCA's pass through ghosts and blends.")


def build(page: Page) -> None:
    with gr.Row(equal_height=True):
        gr.Markdown(LOOK, elem_classes="look")
        image_b = components.number_box(1, label="to test image #", min_width=120, scale=0)
        random_b = gr.Button("Random end image", scale=0, min_width=150)
        steps = gr.Slider(3, 16, value=8, step=1, label="steps", min_width=180, scale=0)
    interpolation = components.picture("Interpolations", elem_id="le-interpolation",
                                       elem_classes=["pixelated", "le-main"])

    def draw(lineup: Lineup, a, b, n_steps) -> dict:
        last = lineup.n_images - 1
        a = whole_number(a, 0, last, "start image index")
        b = whole_number(b, 0, last, "end image index")
        n_steps = whole_number(n_steps, 2, 20, "steps")
        picture = panels.interpolation(lineup.models, lineup.images.images, a, b, n_steps)
        return {interpolation: page.picture_file(picture, f"{lineup_slug(lineup)}-interpolation-{a}-to-{b}")}

    def random_end(lineup: Lineup) -> dict:
        return {image_b: random.randrange(lineup.n_images)}

    inputs = [*page.lineup_inputs, page.index, image_b, steps]
    for change in ("lineup", "selection"):
        page.subscribe(change, draw, [page.index, image_b, steps], [interpolation])
    gr.on([image_b.submit, image_b.blur, steps.release], page.handler(draw), inputs, [interpolation],
          api_name="interpolate", **HEAVY)
    random_b.click(page.handler(random_end), page.lineup_inputs, [image_b], api_visibility="private").then(
        page.handler(draw), inputs, [interpolation], api_visibility="private", **HEAVY)
