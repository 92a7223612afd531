"""Reconstruction tab: test images beside each model's reconstruction; draw or upload your own image and find it,
starred, in every latent map."""

from __future__ import annotations

import gradio as gr
import numpy as np

from explorer.core import latent
from explorer.core.inputs import InputError, next_seed, real_number, whole_number
from explorer.core.store import Lineup
from explorer.core.uploads import ImageInputError, data_url_bytes, read_picture, upload_payload
from explorer.page import components
from explorer.page.adapter import optional_in_api, raw_values
from explorer.page.context import HEAVY, PRIVATE, Page, lineup_slug, lineup_words, publish
from explorer.page.header import Header, drawn_class
from explorer.views import panels
from explorer.views.images import prepare_upload
from training.data import DATASETS
from training.models import CORRUPTIONS

TITLE = "Reconstruction"


DENOISE_LOOK = (
    "**As denoisers**: add noise to the test images and each model is given the noisy ones; its error is "
    "against the clean images. A denoising AE (DAE) was trained on noisy inputs: its bottleneck keeps the digit "
    "and drops the noise."
)


def look(lineup: Lineup) -> str:
    """What the tab shows, in the dataset's words ("draw a digit", "draw a face")."""
    noun = DATASETS[lineup.dataset].noun if lineup.dataset in DATASETS else "image"
    return (
        f"Top: test images; below: each model's reconstruction with its error. Draw {_a(noun)} or upload a picture: "
        "it is made like the test images, encoded, reconstructed, and starred in every latent map. Under the "
        "pictures: noise, to compare the models as denoisers."
    )


def _a(noun: str) -> str:
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


# ---- views: no Gradio ---------------------------------------------------------------------------------------------


def reconstructions_picture(
    lineup: Lineup, seed, count: int = 8, noise=0.0, corruption="gaussian", means: dict | None = None
) -> tuple[np.ndarray, int]:
    """``count`` test images (drawn by ``seed``) above each model's reconstructions, or, with ``noise``, its
    denoising of them: (picture, seed); ``means`` receives each model's mean error by its label."""
    seed = whole_number(seed, 0, 2**31 - 1, "seed")
    level = real_number(noise, 0.0, 1.0, "noise")
    if corruption not in CORRUPTIONS:
        raise InputError(f"corruption must be one of {', '.join(CORRUPTIONS)}, got {corruption!r}")
    indices = latent.sample_indices(lineup.n_images, seed, count)
    picture = panels.reconstructions(
        lineup.models, lineup.images.images, indices, lineup.images.originals, (corruption, level), seed, means
    )
    return picture, seed


def encoded(lineup: Lineup, picture, caption: str, drawn: int | None = None) -> tuple[dict, np.ndarray, str]:
    """A picture from outside prepared as the dataset's images were, and encoded by every model: ({model name:
    code list}, the picture beside each reconstruction, what was done to it in one line)."""
    done = []
    style = DATASETS[lineup.dataset].upload_style if lineup.dataset in DATASETS else "face"
    x = prepare_upload(picture, lineup.image_shape, style, done)
    codes, figure = panels.encode_yours(lineup.models, x, caption, drawn)
    said = f"{caption.capitalize()}: {', '.join(done)}" if done else caption.capitalize()
    return {m.name: c.tolist() for m, c in zip(lineup.models, codes)}, figure, said


def drawing(data_url) -> object:
    """The drawing pad's PNG (a data URL), read as a picture."""
    if not isinstance(data_url, str) or not data_url.startswith("data:image/png;base64,"):
        raise ImageInputError("No drawing received: draw on the pad, then press Encode.")
    return read_picture(data_url_bytes(data_url))


# ---- layout, handlers and wiring -----------------------------------------------------------------------------------


class Tab:
    def __init__(self, page: Page, header: Header):
        self.page, self.header = page, header
        with gr.Row(equal_height=True):
            self.look = gr.Markdown(elem_classes="look")
            self.seed = raw_values(
                gr.Number(0, label="seed for the test images", min_width=160, scale=0, elem_id="le-recon-seed")
            )
            self.again = gr.Button("Other test images", scale=0, min_width=160)
        with gr.Row():
            self.reconstruction = components.picture(
                "Reconstructions",
                elem_id="le-reconstruction",
                elem_classes=["pixelated", "le-main"],
                scale=3,
                show_label=True,  # each model's mean error, in words (page.css: above the picture, not over its title)
            )
            with gr.Column(min_width=260, scale=1):
                self.pad_title = gr.Markdown("**Draw here**", elem_classes="look")
                self.sketch = components.drawing_pad()
                self.drawing_api = gr.Button(visible=False)  # the same encoding, for the API: a PNG data URL in
                self.drawing_data = gr.Textbox(visible=False)
            with gr.Column(min_width=260, scale=1):
                self.upload = components.upload_box(
                    label="…or upload a picture (encoded at once)", elem_id="le-upload", height=190
                )
                self.yours_picture = components.picture(  # hidden until there is one
                    "Your image and each model's reconstruction", elem_id="le-yours", show_label=True, visible=False
                )
        with gr.Row(equal_height=True, elem_id="le-denoise"):  # under the pictures: they get the height
            gr.Markdown(DENOISE_LOOK, elem_classes="look")
            self.noise = optional_in_api(
                gr.Slider(0, 1, value=0, step=0.05, label="noise", min_width=200, scale=0, elem_id="le-noise")
            )
            self.corruption = optional_in_api(
                gr.Radio(
                    [("Gaussian σ", "gaussian"), ("share masked", "mask")],
                    value="gaussian",
                    label="corruption",
                    min_width=260,
                    scale=0,
                    elem_id="le-corruption",
                )
            )

    @property
    def encoded_outputs(self) -> list:
        return [self.header.yours, self.yours_picture]

    @property
    def reads(self) -> list:
        """What :meth:`reconstruct` reads after the lineup: the seed, the noise and its kind."""
        return [self.seed, self.noise, self.corruption]

    # ---- handlers: {component: value} --------------------------------------------------------------------------
    def reconstruct(self, lineup: Lineup, seed, noise=0.0, corruption="gaussian") -> dict:
        means = {}
        picture, seed = reconstructions_picture(lineup, seed, noise=noise, corruption=corruption, means=means)
        label = "Reconstructions"
        if noise:  # the errors as text too: what a lesson quotes (explorer.core.measures.denoised_error)
            label = "Error against the clean images: " + " · ".join(f"{m} {e:.4f}" for m, e in means.items())
        name = f"{lineup_slug(lineup)}-reconstructions-seed{seed}" + (f"-{corruption}{noise:g}" if noise else "")
        alt = f"Test images drawn at random (seed {seed}), each reconstructed by {lineup_words(lineup)}"
        if noise:
            alt = f"Test images (seed {seed}) corrupted ({corruption} {noise:g}) and each model's denoised output"
        return {self.reconstruction: {**self.page.picture_file(picture, name, alt), "label": label}}

    def say_what_to_draw(self, lineup: Lineup) -> dict:
        """The tab's words for this dataset."""
        noun = DATASETS[lineup.dataset].noun if lineup.dataset in DATASETS else "image"
        return {self.look: look(lineup), self.pad_title: f"**Draw {_a(noun)} here**"}

    def forget_yours(self, lineup: Lineup) -> dict:
        """Another lineup: your image was encoded by other models."""
        return {self.yours_picture: gr.update(value=None, visible=False)}

    def _encode(self, lineup: Lineup, picture, caption: str, drawn=-1) -> dict:
        codes, figure, said = encoded(lineup, picture, caption, drawn_class(drawn))
        name = f"{lineup_slug(lineup)}-{caption.replace(' ', '-')}"
        alt = f"{caption.capitalize()} and its reconstruction by {lineup_words(lineup)}"
        shown = {"label": said, "visible": True}  # the label says what was done to it
        return {self.header.yours: codes, self.yours_picture: {**self.page.picture_file(figure, name, alt), **shown}}

    def encode_drawing(self, lineup: Lineup, data_url, drawn=-1) -> dict:
        return self._encode(lineup, drawing(data_url), "your drawing", drawn)

    def encode_pad(self, lineup: Lineup, drawn, data: dict) -> dict:
        """The pad's "Encode my drawing": {png: data URL} from the page."""
        return self.encode_drawing(lineup, data.get("png"), drawn)

    def encode_upload(self, lineup: Lineup, payload, drawn=-1) -> dict:
        return self._encode(lineup, read_picture(upload_payload(payload)), "your upload", drawn)

    # ---- the tab's own controls ---------------------------------------------------------------------------------
    def wire(self) -> None:
        reconstruct = self.page.on_lineup(self.reconstruct)
        inputs = [*self.header.lineup_inputs, *self.reads]
        publish(reconstruct, inputs, [self.reconstruction], api_name="reconstruct", **HEAVY)  # first: it has the name
        gr.on(
            [self.seed.submit, self.seed.blur, self.noise.release, self.corruption.input],
            reconstruct,
            inputs,
            [self.reconstruction],
            trigger_mode="always_last",
            **PRIVATE,
            **HEAVY,
        )
        self.again.click(next_seed, self.seed, self.seed, api_visibility="private").then(
            reconstruct, inputs, [self.reconstruction], api_visibility="private", **HEAVY
        )
