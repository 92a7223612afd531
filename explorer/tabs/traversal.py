"""Traversal tab: sliders move each model's latent axes from a start code; the pictures follow live.

Live pictures (``explorer/static/live.js``). The component's value is

    {"spec": {"id", "start", "range", "sliders", "models": [{"name", "label", "axes_text", "channels",
              "height", "width", "url", "ops", "base", "axes", "step"}]},   # when the lineup or start changes
     "frame": {"spec": id, "offsets": [...], "pictures": {name: PNG data URL}}}   # the server's exact pictures

While a slider moves, the page decodes each model itself (``ops`` and the weights at ``url``: see
``training/backbones.py``) and paints it at once. It asks the server for the exact frame
(``trigger("submit", {offsets, start})``) when the drag ends (pointer up, or a pause after keys); a
model the page cannot decode makes it ask at every step instead. The server's frame replaces the
page's when it carries the sliders' current offsets; frames of another spec (an older lineup or
start) are never shown.
"""

from __future__ import annotations

import base64
import hashlib

import gradio as gr
import numpy as np

from .. import components, panels
from ..images import gif_bytes, hstack, png_bytes, titled
from ..inputs import InputError, real_number, whole_number
from ..page import EXPORT, Page, event_data, lineup_slug
from ..plots import kl_bars
from ..store import Lineup

TITLE = "Traversal"
LOOK = ("Each slider moves every model along one of its own axes, most-used first, in standard deviations from "
        "the start image (0 = the start image). A VAE's axes change the image smoothly; an AE's often jump or "
        "break into noise.")
R = panels.TRAVERSAL_RANGE


def build(page: Page) -> None:
    gr.Markdown(LOOK, elem_classes="look")
    with gr.Row():
        with gr.Column(scale=2, min_width=320):
            start = gr.Radio([("the selected image", "selected"), ("the centre of each space", "centre")],
                             value="selected", label="Start from", elem_id="le-start")
            sliders = [gr.Slider(-R, R, value=0, step=0.05, label=f"axis {i + 1}", elem_id=f"le-axis-{i}",
                                 visible=i < 2) for i in range(panels.MAX_AXES)]
            with gr.Row():
                reset = gr.Button("Reset sliders to 0", size="md")
                gif_button = gr.Button("Export GIF", size="md")
            gif = gr.File(label="GIF", height=60, visible=False)
            traverse_api = gr.Button(visible=False)  # the server's frame for slider values, for the API
        with gr.Column(scale=3, min_width=360):
            live = components.live_pictures()
            kl = components.plot(elem_id="le-kl", height="190px", visible=False)  # beside the sliders
    gr.Markdown("**Traversal grids** (β-VAE papers): each row moves one axis −3 … +3 from the start; a VAE row "
                "with KL near 0 is an unused axis: the image does not change.", elem_classes="look")
    grids = components.picture("Traversal grids", elem_id="le-grids")

    def start_index(lineup: Lineup, selected, mode) -> int | None:
        """The test image the sliders start from, or None for each model's centre."""
        if mode == "centre":
            return None
        return whole_number(selected, 0, lineup.n_images - 1, "image index")

    def spec_id(lineup: Lineup, start: int | None) -> str:
        return hashlib.sha1(f"{lineup.key}|{start}".encode()).hexdigest()[:12]

    def frame(lineup: Lineup, start: int | None, offsets: list[float]) -> dict:
        pictures = {}
        for entry in lineup.models:
            data = base64.b64encode(png_bytes(panels.slider_image(entry, start, offsets))).decode()
            pictures[entry.name] = f"data:image/png;base64,{data}"
        return {"spec": spec_id(lineup, start), "offsets": offsets, "pictures": pictures}

    def spec(lineup: Lineup, start: int | None) -> dict:
        n_axes = min(lineup.latent_dim, panels.MAX_AXES)
        models = []
        for entry in lineup.models:
            channels, height, width = entry.image_shape
            axes = entry.axes(n_axes)
            step = entry.axis_scale()
            decoder = page.assets.decoder(entry) if page.browser_decoding else None
            models.append({"name": entry.name, "label": entry.label, "channels": channels, "height": height,
                           "width": width, "url": decoder[0] if decoder else None,
                           "ops": decoder[1] if decoder else None,
                           "base": panels.base_code(entry, start).tolist(), "axes": axes,
                           "step": [float(step[a]) for a in axes],
                           "axes_text": ", ".join(f"z{a + 1}" for a in axes)})
        return {"id": spec_id(lineup, start), "start": start, "range": R, "sliders": n_axes, "models": models}

    def slider_labels(lineup: Lineup, offsets: list[float]) -> list:
        """Each slider's update: shown and labelled with what it moves in each model, at its offset."""
        n_axes = min(lineup.latent_dim, panels.MAX_AXES)
        updates = []
        for i in range(panels.MAX_AXES):
            if i >= n_axes:
                updates.append(gr.update(visible=False, value=0))
                continue
            moved = " · ".join(f"{m.label} {m.describe_axis(m.axes(n_axes)[i])}" for m in lineup.models)
            ordinal = "most-used axis" if i == 0 else f"axis no. {i + 1} by use"
            updates.append(gr.update(visible=True, value=offsets[i], label=f"{i + 1}. {ordinal}: {moved}"))
        return updates

    def grid_picture(lineup: Lineup, start: int | None) -> str:
        pictures = [panels.traversal_figure(entry, start) for entry in lineup.models]
        where = "centre" if start is None else f"image{start}"
        return page.picture_file(hstack(pictures), f"{lineup_slug(lineup)}-traversal-grids-from-{where}")

    def restart(lineup: Lineup, selected, mode, wanted=None) -> dict:
        """New lineup or start: a new spec, new grids, and the sliders at 0, or where a link or lesson step
        just put them (``wanted``: :attr:`Page.wanted`), with their frame."""
        start = start_index(lineup, selected, mode)
        n_axes = min(lineup.latent_dim, panels.MAX_AXES)
        asked = wanted.get("axes", []) if isinstance(wanted, dict) else []
        offsets = [float(asked[i]) if i < min(len(asked), n_axes) else 0.0 for i in range(panels.MAX_AXES)]
        return {live: {"spec": spec(lineup, start), "frame": frame(lineup, start, offsets)},
                **dict(zip(sliders, slider_labels(lineup, offsets))), grids: grid_picture(lineup, start),
                gif: gr.update(value=None, visible=False)}

    def show_kl(lineup: Lineup) -> dict:
        """Each VAE's KL per axis beside the sliders (hidden for a lineup without a VAE)."""
        figure = kl_bars(lineup.models, min(lineup.latent_dim, panels.MAX_AXES))
        return {kl: gr.update(value=figure, visible=bool(figure["data"]))}

    def checked_frame(lineup: Lineup, start: int | None, offsets) -> dict:
        """The server's exact frame for slider ``offsets`` (at most one per slider; missing ones are 0)."""
        if not isinstance(offsets, list | tuple) or len(offsets) > panels.MAX_AXES:
            raise InputError(f"offsets must be a list of at most {panels.MAX_AXES} numbers")
        values = [real_number(o, -R, R, f"slider {i + 1}") for i, o in enumerate(offsets)]
        return {live: {"frame": frame(lineup, start, values + [0.0] * (panels.MAX_AXES - len(values)))}}

    def step(lineup: Lineup, selected, mode, *offsets) -> dict:
        """The API's slider step: the exact frame for these slider values."""
        return checked_frame(lineup, start_index(lineup, selected, mode), offsets)

    def settle(lineup: Lineup, event: gr.EventData) -> dict:
        """The page's request for the exact frame: {offsets, start} of its current spec."""
        data = event_data(event)
        start = data.get("start")
        if start is not None:
            start = whole_number(start, 0, lineup.n_images - 1, "image index")
        return checked_frame(lineup, start, data.get("offsets"))

    def export_gif(lineup: Lineup, selected, mode) -> dict:
        """Each axis swept 0 → +3 → −3 → 0, every model side by side and labelled."""
        start = start_index(lineup, selected, mode)
        sweep = np.concatenate([np.linspace(0, R, 8, endpoint=False), np.linspace(R, -R, 16, endpoint=False),
                                np.linspace(-R, 0, 8, endpoint=False)])
        factor = 4 if lineup.image_shape[-1] <= 32 else 2
        frames = []
        for axis in range(min(lineup.latent_dim, 4)):
            for value in sweep:
                offsets = [0.0] * panels.MAX_AXES
                offsets[axis] = float(value)
                tiles = [titled(panels.slider_image(m, start, offsets), m.label, factor=factor)
                         for m in lineup.models]
                frames.append(titled(hstack(tiles), f"axis {axis + 1}: {value:+.1f}"))
        where = "centre" if start is None else f"image{start}"
        path = page.assets.download(gif_bytes(frames), f"{lineup_slug(lineup)}-traversal-from-{where}.gif")
        return {gif: gr.update(value=str(path), visible=True)}

    position = [page.index, start]
    outputs = [live, *sliders, grids, gif]
    page.subscribe("lineup", restart, [*position, page.wanted], outputs)
    page.subscribe("lineup", show_kl, [], [kl])
    page.remember("axes", *sliders, apply=False)
    page.subscribe("selection", restart, position, outputs)
    start.input(page.handler(restart), [*page.lineup_inputs, *position], outputs, api_visibility="private")
    live.submit(page.event_handler(settle), page.lineup_inputs, [live], queue=False, show_progress="hidden",
                trigger_mode="always_last", api_visibility="private")
    # Unqueued, as the page's own request (settle): the queue's bookkeeping would cost more than the frame.
    traverse_api.click(page.handler(step), [*page.lineup_inputs, *position, *sliders], [live], api_name="traverse",
                       queue=False)
    reset.click(page.handler(restart), [*page.lineup_inputs, *position], outputs, api_visibility="private")
    gif_button.click(page.handler(export_gif), [*page.lineup_inputs, *position], [gif], api_name="traversal_gif",
                      **EXPORT)
