"""Reconstruction tab: test images beside each model's reconstruction; draw or upload your own image
and find it, starred, in every latent map."""

from __future__ import annotations

import gradio as gr
import torch

from .. import components, panels
from ..images import ImageInputError, prepare_upload
from ..inputs import next_seed, whole_number
from ..page import HEAVY, Page, event_data, lineup_slug
from ..store import Lineup
from ..uploads import data_url_bytes, read_picture, upload_payload

TITLE = "Reconstruction"
LOOK = ("Top: test images; below: each model's reconstruction with its error. Draw a digit or upload a picture: "
        "it is encoded, reconstructed, and starred in every latent map.")
UPLOAD_STYLE = {"mnist": "digit", "fashion-mnist": "object"}  # how a picture is made to look like the dataset


def build(page: Page) -> None:
    with gr.Row(equal_height=True):
        gr.Markdown(LOOK, elem_classes="look")
        recon_seed = components.number_box(0, label="seed for the test images", min_width=160, scale=0)
        again = gr.Button("Other test images", scale=0, min_width=160)
    with gr.Row():
        reconstruction = components.picture("Reconstructions", elem_id="le-reconstruction",
                                            elem_classes=["pixelated", "le-main"], scale=3)
        with gr.Column(min_width=260, scale=1):
            gr.Markdown("**Draw here**", elem_classes="look")
            sketch = components.drawing_pad()
            drawing_api = gr.Button(visible=False)  # the same encoding, for the API: a PNG data URL in
            drawing_data = gr.Textbox(visible=False)
        with gr.Column(min_width=260, scale=1):
            upload = components.upload_box(label="…or upload a picture (encoded at once)",
                                           elem_id="le-upload", height=190)
            yours_picture = components.picture("Your image and each model's reconstruction", elem_id="le-yours")

    def reconstruct(lineup: Lineup, seed_value, count: int = 8) -> dict:
        seed_value = whole_number(seed_value, 0, 2**31 - 1, "seed")
        generator = torch.Generator().manual_seed(seed_value)
        indices = torch.randperm(lineup.n_images, generator=generator)[:count].tolist()
        picture = panels.reconstructions(lineup.models, lineup.images.images, indices, lineup.images.originals)
        return {reconstruction: page.picture_file(picture, f"{lineup_slug(lineup)}-reconstructions-seed{seed_value}")}

    def encode(lineup: Lineup, picture, caption: str) -> dict:
        style = UPLOAD_STYLE.get(lineup.dataset, "face")
        x = prepare_upload(picture, lineup.image_shape, style)
        codes, figure = panels.encode_yours(lineup.models, x, caption)
        return {page.yours: {m.name: c.tolist() for m, c in zip(lineup.models, codes)},
                yours_picture: page.picture_file(figure, f"{lineup_slug(lineup)}-{caption.replace(' ', '-')}")}

    page.subscribe("lineup", reconstruct, [recon_seed], [reconstruction])
    page.subscribe("lineup", lambda lineup: {yours_picture: None}, [], [yours_picture])  # encoded by other models
    gr.on([recon_seed.submit, recon_seed.blur], page.handler(reconstruct), [*page.lineup_inputs, recon_seed],
          [reconstruction], api_name="reconstruct", **HEAVY)
    again.click(next_seed, recon_seed, recon_seed,
                api_visibility="private").then(page.handler(reconstruct), [*page.lineup_inputs, recon_seed],
                                               [reconstruction], api_visibility="private", **HEAVY)
    outputs = [page.yours, yours_picture]
    def encode_drawing(lineup: Lineup, data_url) -> dict:
        if not isinstance(data_url, str) or not data_url.startswith("data:image/png;base64,"):
            raise ImageInputError("No drawing received: draw on the pad, then press Encode.")
        return encode(lineup, read_picture(data_url_bytes(data_url)), "your drawing")

    def encode_upload(lineup: Lineup, payload) -> dict:
        return encode(lineup, read_picture(upload_payload(payload)), "your upload")

    page.announce("yours", sketch.submit(page.event_handler(lambda lineup, event: encode_drawing(
        lineup, event_data(event).get("png"))), page.lineup_inputs, outputs, api_visibility="private", **HEAVY))
    page.announce("yours", drawing_api.click(page.handler(encode_drawing), [*page.lineup_inputs, drawing_data],
                                             outputs, api_name="encode_drawing", **HEAVY))
    page.announce("yours", upload.upload(page.handler(encode_upload),
                                         [*page.lineup_inputs, upload], outputs, api_name="encode_upload",
                                         **HEAVY))
