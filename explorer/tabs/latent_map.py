"""Latent map tab: every model's test codes as a scatter, side by side; click a point to select it in
all of them, click empty space on a 2-D map to decode that spot."""

from __future__ import annotations

import gradio as gr
import numpy as np
import torch

from .. import components, panels
from ..images import titled
from ..inputs import InputError, real_number, whole_number
from ..latent import ellipse, project
from ..map_layers import LAYERS
from ..page import QUICK, Page, event_data, lineup_slug
from ..plots import latent_map
from ..store import Lineup

TITLE = "Latent map"
LOOK = ("Each dot is a test image at its code: the VAE's fill a round blob around 0, the AE's sprawl with gaps. "
        "Hover to see one, click to select it everywhere, click empty space (k = 2) to decode it; drag a box "
        "to zoom, double-click to zoom out.")
VIEWS = [("first two dims", "dims"), ("PCA of z", "pca"), ("UMAP of z", "umap")]
DEFAULT_LAYERS = ["prior", "samples"]
HINT = "Click empty space\nin a 2-D map to\nsee what the\ndecoder draws\nthere."


def build(page: Page) -> None:
    with gr.Row(equal_height=True):
        gr.Markdown(LOOK, elem_classes="look")
        view = gr.Radio(VIEWS, value="dims", label="Map view (k > 2)", visible=False, min_width=320,
                        elem_id="le-view", scale=0)
    layers = gr.CheckboxGroup([(text, name) for name, text in LAYERS.items()], value=DEFAULT_LAYERS,
                              show_label=False, container=False, elem_id="le-layers")
    with gr.Row():
        with gr.Column(scale=6):
            maps = components.latent_maps()
        with gr.Column(scale=1, min_width=230):
            selection = components.picture("Selected image and reconstructions (MSE)", elem_id="le-selection")
            here = components.picture("What lives here?", show_label=True, elem_id="le-here")
    where = [gr.Textbox(visible=False), gr.Number(visible=False), gr.Number(visible=False)]  # API only
    decode_at_api = gr.Button(visible=False)

    def spec(lineup: Lineup, view_name, selected, yours, shown, sample_grid=None) -> dict:
        """The maps' spec: a template per model (points fetched by the page), its layers, marks to draw."""
        info = lineup.info
        sprite = page.assets.sprite(lineup)
        shown = _layers(shown)
        index = _selected(lineup, selected)
        maps_, stars, posteriors = [], {}, {}
        for entry in lineup.models:
            chosen = view_name if view_name in entry.views else "dims"
            url, xy = page.assets.map_points(entry, chosen, lineup.n_images)
            codes = None
            if sample_grid:  # the page's own state: {n, seed} of the grid last drawn
                grid = panels.sample_codes(entry, sample_grid["n"], sample_grid["seed"])
                codes = project(grid, chosen, entry.latents, entry.z)
            maps_.append(latent_map(entry, chosen, url, info.get("class_names"), info.get("label_name", "label"),
                                    len(xy), shown, codes))
            if yours and entry.name in yours:
                code = torch.tensor(yours[entry.name], dtype=torch.float32)[None]
                stars[entry.name] = project(code, chosen, entry.latents, entry.z)[0].tolist()
            std = entry.posterior_std(lineup.images.images[index:index + 1]) if chosen == "dims" else None
            if std is not None:  # q(z|x) of the selected image: its 1- and 2-sigma ellipses
                path = [*ellipse(entry.z[index, :2], std[0, :2]).tolist(), [None, None],
                        *ellipse(entry.z[index, :2], std[0, :2], 2.0).tolist()]
                posteriors[entry.name] = [[p[0] for p in path], [p[1] for p in path]]
        return {"key": f"{lineup.key}/{view_name}", "maps": maps_, "sprite": sprite, "selected": index,
                "yours": stars, "spot": None, "posterior": posteriors}

    def redraw(lineup: Lineup, view_name, selected, yours, shown, sample_grid=None):
        return {maps: spec(lineup, view_name, selected, yours, shown, sample_grid)}

    def add_missing_layer(lineup: Lineup, view_name, selected, yours, shown, sample_grid=None):
        """A layer switched on that the maps were not sent (decoder quality not yet computed): redraw."""
        missing = "quality" in _layers(shown) and any(m.latent_dim == 2 and not m.has_decoder_quality
                                                       for m in lineup.models)
        return redraw(lineup, view_name, selected, yours, shown, sample_grid) if missing else {maps: gr.skip()}

    def refresh(lineup: Lineup, view_name, selected, yours, shown, sample_grid=None):
        return {**redraw(lineup, view_name, selected, yours, shown, sample_grid),
                view: gr.update(visible=lineup.latent_dim > 2),
                **show_selection(lineup, _selected(lineup, selected)),
                here: page.picture_file(titled(np.full((40, 190), 255, np.uint8), HINT), "hint")}

    def show_selection(lineup: Lineup, selected):
        index = _index(lineup, selected)
        return {selection: page.picture_file(panels.selection(lineup.models, lineup.images.images, index,
                                                              lineup.images.originals),
                                             f"{lineup_slug(lineup)}-image{index}-reconstructions")}

    def pick_point(lineup: Lineup, event: gr.EventData):
        """A click on a point: select that test image (the page has already ringed it)."""
        index = _index(lineup, event_data(event).get("index"))
        return {page.index: index, **show_selection(lineup, index)}

    def decode_here(lineup: Lineup, model, x, y):
        """What lives here? The image ``model`` decodes at (x, y) of its 2-D map."""
        entry = next((m for m in lineup.models if m.name == model), None)
        if entry is None:
            raise InputError(f"no model named {model!r} in this lineup")
        if entry.latent_dim != 2:
            message = (f"At k = {entry.latent_dim}, a spot\non this map is not\none code (it shows\n2 of "
                       f"{entry.latent_dim} numbers).\nChoose k = 2 to\ndecode spots.")
            return {here: page.picture_file(titled(np.full((40, 190), 255, np.uint8), message), "hint")}
        x, y = real_number(x, -1e4, 1e4, "x"), real_number(y, -1e4, 1e4, "y")
        return {here: page.picture_file(panels.decode_point(entry, x, y),
                                        f"{lineup_slug(lineup)}-{entry.label}-at-{x:.2f}-{y:.2f}")}

    def on_space(lineup: Lineup, event: gr.EventData):
        """A click on empty space: {model, x, y} from the page (x, y null off a 2-D latent space)."""
        data = event_data(event)
        return decode_here(lineup, data.get("model"), data.get("x"), data.get("y"))

    # Wiring. The lineup, the selection and "your image" each redraw only what they change.
    page.remember("layers", layers)
    page.remember("view", view)
    marks = [view, page.index, page.yours, layers, page.sample_grid]
    page.subscribe("lineup", refresh, marks, [maps, view, selection, here])
    page.subscribe("selection", redraw, marks, [maps])
    page.subscribe("yours", redraw, marks, [maps])
    page.subscribe("samples", redraw, marks, [maps])
    view.input(page.handler(redraw), [*page.lineup_inputs, *marks], [maps], api_name="maps", **QUICK)
    # A layer switches on or off in the page at once; the server is asked only for one it has not sent.
    layers.change(None, [layers], js="(shown) => document.querySelector('#le-maps .le-maps').leMaps.showLayers(shown)")
    layers.input(page.handler(add_missing_layer), [*page.lineup_inputs, *marks], [maps], api_visibility="private",
                 show_progress="hidden", trigger_mode="always_last", **QUICK)
    page.announce("selection", page.index.submit(page.handler(show_selection), [*page.lineup_inputs, page.index],
                                                 [selection], api_name="select", **QUICK))
    private = {"api_visibility": "private", "show_progress": "hidden"}
    page.announce("selection", maps.select(page.event_handler(pick_point), page.lineup_inputs,
                                           [page.index, selection], **private, **QUICK))
    maps.click(page.event_handler(on_space), page.lineup_inputs, [here], **private, **QUICK)
    decode_at_api.click(page.handler(decode_here), [*page.lineup_inputs, *where], [here], api_name="decode_at",
                        **QUICK)


def _layers(value) -> list[str]:
    """The map layers asked for: a list of names of :data:`~explorer.plots.LAYERS` (None: the default)."""
    if value is None:
        return list(DEFAULT_LAYERS)
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v in LAYERS for v in value):
        raise InputError(f"map layers must be a list of {', '.join(LAYERS)}, got {value!r}")
    return list(value)


def _index(lineup: Lineup, value) -> int:
    return whole_number(value, 0, lineup.n_images - 1, "image index")


def _selected(lineup: Lineup, value) -> int:
    """The selected index, kept in range when the dataset has fewer images than the number says."""
    try:
        return _index(lineup, value)
    except InputError:
        return 0
