"""Traversal tab: sliders move each model's latent axes from a start code; the pictures follow live.

Live pictures (``explorer/page/static/live.js``). The component's value is

    {"spec": {"id", "start", "sliders", "models": [{"name", "label", "caption", "channels", "height", "width",
              "url", "ops", "map"}]},        # when the lineup or start changes
     "frame": {"spec": id, "offsets": [...], "pictures": {name: PNG data URL}}}   # the server's exact pictures

While a slider moves, the page decodes each model itself and paints it at once: ``map`` is the slider rule as a
linear op (:func:`explorer.core.entries.slider_map`: slider values -> code), ``ops`` and the weights at ``url``
the decoder (``training/backbones.py``), run by the page's one interpreter (``static/decode.js``). It asks the
server for the exact frame (``trigger("submit", {offsets, start})``) when the drag ends (pointer up, or a pause
after keys); a model the page cannot decode makes it ask at every step instead. The server's frame replaces the
page's when it carries the sliders' current offsets; frames of another spec (an older lineup or start) are
never shown.
"""

from __future__ import annotations

import base64
import hashlib
import math

import gradio as gr
import numpy as np

from explorer.core.entries import MAX_AXES, TRAVERSAL_RANGE, slider_map
from explorer.core.inputs import InputError, real_number, whole_number
from explorer.core.measures import measure
from explorer.core.store import Lineup
from explorer.page import components
from explorer.page.adapter import with_event_data
from explorer.page.context import EXPORT, PRIVATE, Page, lineup_slug, lineup_words
from explorer.page.header import Header, drawn_class
from explorer.views import panels
from explorer.views.images import gif_bytes, hstack, png_bytes, titled
from explorer.views.plots import kl_bars

TITLE = "Traversal"
LOOK = (
    "Each slider moves every model along one of its own axes, most-used first, in standard deviations from "
    "the start image (0 = the start image). A VAE's axes change the image smoothly; an AE's often jump or "
    "break into noise."
)
R = TRAVERSAL_RANGE


# ---- views: no Gradio ---------------------------------------------------------------------------------------------


def n_sliders(lineup: Lineup) -> int:
    return min(lineup.latent_dim, MAX_AXES)


def start_index(lineup: Lineup, selected, mode) -> int | None:
    """The test image the sliders start from, or None for each model's centre."""
    if mode == "centre":
        return None
    return whole_number(selected, 0, lineup.n_images - 1, "image index")


def spec_id(lineup: Lineup, start: int | None, drawn: int | None = None) -> str:
    return hashlib.sha1(f"{lineup.key}|{start}|{drawn}".encode()).hexdigest()[:12]


def frame(lineup: Lineup, start: int | None, offsets: list[float], drawn: int | None = None) -> dict:
    """The server's exact pictures for slider ``offsets`` (a conditional model drawing class ``drawn``, else the
    start image's own), as the page shows them."""
    pictures = {}
    for entry in lineup.models:
        data = base64.b64encode(png_bytes(panels.slider_image(entry, start, offsets, drawn))).decode()
        pictures[entry.name] = f"data:image/png;base64,{data}"
    return {"spec": spec_id(lineup, start, drawn), "offsets": offsets, "pictures": pictures}


def checked_offsets(offsets) -> list[float]:
    """Slider values from the page or the API: at most one per slider, each in range; missing ones are 0."""
    if not isinstance(offsets, list | tuple) or len(offsets) > MAX_AXES:
        raise InputError(f"offsets must be a list of at most {MAX_AXES} numbers")
    values = [real_number(o, -R, R, f"slider {i + 1}") for i, o in enumerate(offsets)]
    return values + [0.0] * (MAX_AXES - len(values))


def slider_labels(lineup: Lineup, offsets: list[float]) -> list[dict]:
    """Each slider shown (with what it moves in each model, at its offset) or hidden: {visible, value, label}."""
    n = n_sliders(lineup)
    out = []
    for i in range(MAX_AXES):
        if i >= n:
            out.append({"visible": False, "value": 0})
            continue
        moved = " · ".join(f"z{m.axes(n)[i] + 1}" for m in lineup.models)  # in the pictures' order
        out.append({"visible": True, "value": offsets[i], "label": f"{i + 1}: {moved}"})
    return out


def caption(entry) -> str:
    """What a live picture says under its model's name: its test error, and a VAE's active dimensions."""
    text = f"test MSE {measure('mse', entry)}"
    return text + (f" · {measure('active', entry)} active" if entry.importance_name == "KL" else "")


SHOWN_WIDTH = 1180  # about the width a full-width picture is shown at on a 1280 x 720 projector


def grid_picture(lineup: Lineup, start: int | None, drawn: int | None = None) -> np.ndarray:
    """Each model's traversal grid side by side; their text drawn large enough to be 16 px or more on screen when
    the whole is shrunk to :data:`SHOWN_WIDTH` (captions 3 px smaller: 13 * 1.25 > 14 at the least)."""
    size = 19
    for _ in range(3):  # larger text, wider labels: a few rounds settle it
        figures = [panels.traversal_figure(entry, start, font_size=size, drawn=drawn) for entry in lineup.models]
        width = sum(f.shape[1] for f in figures)
        wanted = max(19, math.ceil(19 * width / SHOWN_WIDTH))
        if wanted <= size:
            break
        size = wanted
    return hstack(figures)


def gif_frames(lineup: Lineup, start: int | None, drawn: int | None = None) -> list[np.ndarray]:
    """Each axis swept 0 → +3 → −3 → 0, every model side by side and labelled."""
    sweep = np.concatenate(
        [
            np.linspace(0, R, 8, endpoint=False),
            np.linspace(R, -R, 16, endpoint=False),
            np.linspace(-R, 0, 8, endpoint=False),
        ]
    )
    factor = 4 if lineup.image_shape[-1] <= 32 else 2
    frames = []
    for axis in range(min(lineup.latent_dim, 4)):
        for value in sweep:
            offsets = [0.0] * MAX_AXES
            offsets[axis] = float(value)
            tiles = [
                titled(panels.slider_image(m, start, offsets, drawn), m.label, factor=factor) for m in lineup.models
            ]
            frames.append(titled(hstack(tiles), f"axis {axis + 1}: {value:+.1f}"))
    return frames


# ---- layout, handlers and wiring -----------------------------------------------------------------------------------


class Tab:
    def __init__(self, page: Page, header: Header):
        self.page, self.header = page, header
        gr.Markdown(LOOK, elem_classes="look")
        with gr.Row(equal_height=False, elem_id="le-traversal-top"):  # the pictures and the KL bars first
            with gr.Column(scale=3, min_width=300):
                self.live = components.live_pictures()
            with gr.Column(scale=2, min_width=260):
                self.kl = components.plot(elem_id="le-kl", height="250px", visible=False)
        with gr.Row(equal_height=True, elem_id="le-traversal-controls"):
            self.start = gr.Radio(
                [("selected image", "selected"), ("centre of each space", "centre")],
                value="selected",
                label="Start from",
                elem_id="le-start",
                scale=2,
            )
            self.reset = gr.Button("Reset sliders to 0", size="md", scale=1, min_width=150)
            self.gif_button = gr.Button("Export GIF", size="md", scale=1, min_width=120)
        with gr.Column(elem_id="le-sliders"):  # a grid of compact sliders (page.css): all 16 fit a projector
            self.sliders = [
                gr.Slider(-R, R, value=0, step=0.05, label=f"slider {i + 1}", elem_id=f"le-axis-{i}", visible=i < 2)
                for i in range(MAX_AXES)
            ]
        self.gif = gr.File(label="GIF", height=60, visible=False)
        self.traverse_api = gr.Button(visible=False)  # the server's frame for slider values, for the API
        gr.Markdown(
            "**Traversal grids** (β-VAE papers): each row moves one axis −3 … +3 from the start; a VAE row "
            "with KL near 0 is an unused axis: the image does not change.",
            elem_classes="look",
        )
        self.grids = components.picture("Traversal grids", elem_id="le-grids")

    @property
    def position(self) -> list:
        """Where the sliders start: the selected image, and the start switch."""
        return [self.header.index, self.start]

    @property
    def outputs(self) -> list:
        """What :meth:`restart` sets."""
        return [self.live, *self.sliders, self.grids, self.gif]

    # ---- handlers: {component: value} --------------------------------------------------------------------------
    def spec(self, lineup: Lineup, start: int | None, drawn: int | None = None) -> dict:
        n = n_sliders(lineup)
        models = []
        for entry in lineup.models:
            channels, height, width = entry.image_shape
            base, basis = slider_map(entry, start, n, drawn)
            decoder = self.page.assets.decoder(entry) if self.page.browser_decoding else None
            models.append(
                {
                    "name": entry.name,
                    "label": entry.label,
                    "channels": channels,
                    "height": height,
                    "width": width,
                    "url": decoder[0] if decoder else None,
                    "ops": decoder[1] if decoder else None,
                    "map": {
                        "in": n,
                        "out": len(base),  # the decoder's input = base + sliders @ basis: a linear op
                        "values": [*basis.T.reshape(-1).tolist(), *base.tolist()],
                    },
                    "caption": caption(entry),
                }
            )
        spec = {"id": spec_id(lineup, start, drawn), "start": start, "sliders": n, "models": models}
        return {**spec, "drawn": drawn}

    def restart(self, lineup: Lineup, selected, mode, drawn=-1, wanted=None) -> dict:
        """New lineup, start or class drawn: a new spec, new grids, and the sliders at 0, or where a link or lesson
        step just put them (``wanted``: the header's), with their frame."""
        start, drawn = start_index(lineup, selected, mode), drawn_class(drawn)
        n = n_sliders(lineup)
        asked = wanted.get("axes", []) if isinstance(wanted, dict) else []
        offsets = [float(asked[i]) if i < min(len(asked), n) else 0.0 for i in range(MAX_AXES)]
        origin = "each space's centre" if start is None else f"test image #{start}"
        grids = self.page.picture_file(
            grid_picture(lineup, start, drawn),
            f"{lineup_slug(lineup)}-traversal-grids-from-{'centre' if start is None else f'image{start}'}",
            f"{lineup_words(lineup)}: a grid per model, a row per most-used axis moved from -3 to 3 standard "
            f"deviations away from {origin}",
        )
        return {
            self.live: {"spec": self.spec(lineup, start, drawn), "frame": frame(lineup, start, offsets, drawn)},
            **{s: gr.update(**label) for s, label in zip(self.sliders, slider_labels(lineup, offsets))},
            self.grids: grids,
            self.gif: gr.update(value=None, visible=False),
        }

    def show_kl(self, lineup: Lineup) -> dict:
        """Each VAE's KL per axis beside the sliders (hidden for a lineup without a VAE)."""
        figure = kl_bars(lineup.models, n_sliders(lineup))
        return {self.kl: gr.update(value=figure, visible=bool(figure["data"]))}

    def step(self, lineup: Lineup, selected, mode, *offsets) -> dict:
        """The API's slider step: the exact frame for these slider values."""
        return {self.live: {"frame": frame(lineup, start_index(lineup, selected, mode), checked_offsets(offsets))}}

    def settle(self, lineup: Lineup, data: dict) -> dict:
        """The page's request for the exact frame: {offsets, start, drawn} of its current spec."""
        start = data.get("start")
        if start is not None:
            start = whole_number(start, 0, lineup.n_images - 1, "image index")
        drawn = drawn_class(data.get("drawn"))
        return {self.live: {"frame": frame(lineup, start, checked_offsets(data.get("offsets")), drawn)}}

    def export_gif(self, lineup: Lineup, selected, mode, drawn=-1) -> dict:
        start, drawn = start_index(lineup, selected, mode), drawn_class(drawn)
        where = "centre" if start is None else f"image{start}"
        path = self.page.assets.download(
            gif_bytes(gif_frames(lineup, start, drawn)), f"{lineup_slug(lineup)}-traversal-from-{where}.gif"
        )
        return {self.gif: gr.update(value=str(path), visible=True)}

    # ---- the tab's own controls ---------------------------------------------------------------------------------
    def wire(self) -> None:
        page, lineup_inputs = self.page, self.header.lineup_inputs
        drawn = self.header.drawn
        self.start.input(
            page.on_lineup(self.restart),
            [*lineup_inputs, *self.position, drawn],
            self.outputs,
            api_visibility="private",
        )
        self.live.submit(
            with_event_data(page.on_lineup(self.settle)),
            lineup_inputs,
            [self.live],
            queue=False,
            trigger_mode="always_last",
            **PRIVATE,
        )
        # Unqueued, as the page's own request (settle): the queue's bookkeeping would cost more than the frame.
        self.traverse_api.click(
            page.on_lineup(self.step),
            [*lineup_inputs, *self.position, *self.sliders],
            [self.live],
            api_name="traverse",
            queue=False,
        )
        self.reset.click(
            page.on_lineup(self.restart),
            [*lineup_inputs, *self.position, drawn],
            self.outputs,
            api_visibility="private",
        )
        self.gif_button.click(
            page.on_lineup(self.export_gif),
            [*lineup_inputs, *self.position, drawn],
            [self.gif],
            api_name="traversal_gif",
            **EXPORT,
        )
