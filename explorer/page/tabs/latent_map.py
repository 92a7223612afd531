"""Latent map tab: every model's test codes as a scatter, side by side; click a point to select it in all of them,
click empty space on a 2-D map to decode that spot.

The maps are drawn by the page (``static/maps.js``) from a spec: a template per model (``explorer.views.plots``)
whose points the page fetches as binary files, the layers it can show, and the marks (the selected image, your
image, q(z|x) of the selected image).
"""

from __future__ import annotations

import gradio as gr
import numpy as np
import torch

from explorer.core.entries import ModelEntry
from explorer.core.inputs import InputError, real_number, whole_number
from explorer.core.latent import ellipse, project
from explorer.core.state import LAYERS
from explorer.core.store import Lineup
from explorer.page import components
from explorer.page.adapter import with_value_and_event_data
from explorer.page.context import PRIVATE, QUICK, Page, files_only, lineup_slug, lineup_words
from explorer.page.header import Header, drawn_class
from explorer.views import panels
from explorer.views.images import titled
from explorer.views.plots import latent_map

TITLE = "Latent map"
LOOK = (
    "Each dot is a test image at its code: the VAE's fill a round blob around 0, the AE's sprawl with gaps. "
    "Hover to see one, click to select it everywhere, click empty space (k = 2) to decode it; drag a box "
    "to zoom, double-click (or press *all points*) to zoom out."
)
VIEWS = [("first two dims", "dims"), ("PCA of z", "pca"), ("UMAP of z", "umap")]
DEFAULT_LAYERS = ["prior", "samples"]
HINT = "Click empty space\nin a 2-D map to\nsee what the\ndecoder draws\nthere."


# ---- views: no Gradio ---------------------------------------------------------------------------------------------


def layers_asked(value) -> list[str]:
    """The map layers asked for: a list of names of :data:`~explorer.core.state.LAYERS` (None: the default)."""
    if value is None:
        return list(DEFAULT_LAYERS)
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v in LAYERS for v in value):
        raise InputError(f"map layers must be a list of {', '.join(LAYERS)}, got {value!r}")
    return list(value)


def image_index(lineup: Lineup, value) -> int:
    """A test image's index, checked against the lineup."""
    return whole_number(value, 0, lineup.n_images - 1, "image index")


def selected_index(lineup: Lineup, value) -> int:
    """The selected index, kept in range when the dataset has fewer images than the number says."""
    try:
        return image_index(lineup, value)
    except InputError:
        return 0


def posterior_path(entry: ModelEntry, lineup: Lineup, index: int) -> list[list] | None:
    """The 1- and 2-sigma ellipses of q(z|x) of test image ``index`` on ``entry``'s map of its first two dims, as
    [xs, ys] (None between them), or None for a model whose encoder is a point."""
    q = entry.posterior(lineup.images.images[index : index + 1], entry.class_of(index))
    if q is None:
        return None
    std = q.std
    path = [
        *ellipse(entry.z[index, :2], std[0, :2]).tolist(),
        [None, None],
        *ellipse(entry.z[index, :2], std[0, :2], 2.0).tolist(),
    ]
    return [[p[0] for p in path], [p[1] for p in path]]


def decoded_spot(lineup: Lineup, model, x, y, drawn: int | None = None):
    """What lives here? (entry, the picture ``model`` decodes at (x, y) of its 2-D map, as class ``drawn`` for a
    conditional model), or (entry, None) for a model whose map is not its latent space (k > 2)."""
    entry = next((m for m in lineup.models if m.name == model), None)
    if entry is None:
        raise InputError(f"no model named {model!r} in this lineup")
    if entry.latent_dim != 2:
        return entry, None
    x, y = real_number(x, -1e4, 1e4, "x"), real_number(y, -1e4, 1e4, "y")
    return entry, panels.decode_point(entry, x, y, drawn)


def not_a_code(latent_dim: int) -> str:
    return (
        f"At k = {latent_dim}, a spot\non this map is not\none code (it shows\n2 of {latent_dim} numbers).\n"
        "Choose k = 2 to\ndecode spots."
    )


def maps_summary(lineup: Lineup, titles: list[dict], label_name: str) -> str:
    """The maps in words, for a screen reader: what a dot is, then each map's title and subtitle."""
    each = []
    for title in titles:
        subtitle = title["subtitle"]
        each.append(f"{title['text']}  {title['detail']}{f', {subtitle}' if subtitle else ''}")
    return (
        f"Latent maps of {lineup_words(lineup)}: each test image is a dot at its code, coloured by {label_name}. "
        + "; ".join(each)
        + "."
    )


# ---- layout, handlers and wiring -----------------------------------------------------------------------------------


class Tab:
    def __init__(self, page: Page, header: Header):
        self.page, self.header = page, header
        with gr.Row(equal_height=True):
            gr.Markdown(LOOK, elem_classes="look")
            self.view = gr.Radio(
                VIEWS, value="dims", label="Map view (k > 2)", visible=False, min_width=320, elem_id="le-view", scale=0
            )
        self.layers = gr.CheckboxGroup(
            [(text, name) for name, text in LAYERS.items()],
            value=DEFAULT_LAYERS,
            label="Map layers",
            show_label=False,
            container=False,
            elem_id="le-layers",
        )
        with gr.Row():
            with gr.Column(scale=6):
                self.maps = components.latent_maps()
            with gr.Column(scale=1, min_width=230):
                self.selection = components.picture("Selected image and reconstructions (MSE)", elem_id="le-selection")
                self.here = components.picture("What lives here?", show_label=True, elem_id="le-here")
        self.where = [gr.Textbox(visible=False), gr.Number(visible=False), gr.Number(visible=False)]  # API only
        self.decode_at_api = gr.Button(visible=False)

    @property
    def marks(self) -> list:
        """What a redraw of the maps reads: the view, the selected image, yours, the layers, the sampling grid."""
        return [self.view, self.header.index, self.header.yours, self.layers, self.header.sample_grid]

    # ---- handlers: {component: value} --------------------------------------------------------------------------
    def spec(self, lineup: Lineup, view_name, selected, yours, shown, sample_grid=None) -> dict:
        """The maps' spec: a template per model (points fetched by the page), its layers, marks to draw."""
        assets, info = self.page.assets, lineup.info
        shown, index = layers_asked(shown), selected_index(lineup, selected)
        maps, stars, posteriors = [], {}, {}
        for entry in lineup.models:
            chosen = view_name if view_name in entry.views else "dims"
            url, xy = assets.map_points(entry, chosen, lineup.n_images)
            codes = None
            if sample_grid:  # the page's own state: {n, seed} of the grid last drawn
                grid = panels.sample_codes(entry, sample_grid["n"], sample_grid["seed"])
                codes = project(grid, chosen, entry.latents, entry.z)
            maps.append(
                latent_map(
                    entry, chosen, url, info.get("class_names"), info.get("label_name", "label"), len(xy), shown, codes
                )
            )
            if yours and entry.name in yours:
                code = torch.tensor(yours[entry.name], dtype=torch.float32)[None]
                stars[entry.name] = project(code, chosen, entry.latents, entry.z)[0].tolist()
            if chosen == "dims" and (path := posterior_path(entry, lineup, index)) is not None:
                posteriors[entry.name] = path
        return {
            "key": f"{lineup.key}/{view_name}",
            "maps": maps,
            "summary": maps_summary(lineup, [m["title"] for m in maps], info.get("label_name", "label")),
            "sprite": assets.sprite(lineup),
            "selected": index,
            "yours": stars,
            "spot": None,
            "posterior": posteriors,
        }

    def redraw(self, lineup: Lineup, view_name, selected, yours, shown, sample_grid=None) -> dict:
        return {self.maps: self.spec(lineup, view_name, selected, yours, shown, sample_grid)}

    def add_missing_layer(self, lineup: Lineup, view_name, selected, yours, shown, sample_grid=None) -> dict:
        """A layer switched on that the maps were not sent (decoder quality not yet computed): redraw."""
        missing = "quality" in layers_asked(shown) and any(
            m.latent_dim == 2 and not m.has_decoder_quality for m in lineup.models
        )
        return (
            self.redraw(lineup, view_name, selected, yours, shown, sample_grid) if missing else {self.maps: gr.skip()}
        )

    def refresh(self, lineup: Lineup, view_name, selected, yours, shown, sample_grid=None) -> dict:
        """A new lineup: the maps, the view switch (k > 2), the selected image and the hint."""
        return {
            **self.redraw(lineup, view_name, selected, yours, shown, sample_grid),
            self.view: gr.update(visible=lineup.latent_dim > 2),
            **self.show_selection(lineup, selected_index(lineup, selected)),
            self.here: self.hint(HINT),
        }

    def show_selection(self, lineup: Lineup, selected) -> dict:
        index = image_index(lineup, selected)
        picture = panels.selection(lineup.models, lineup.images.images, index, lineup.images.originals)
        alt = f"Test image #{index} and its reconstruction by {lineup_words(lineup)}, each with its MSE"
        name = f"{lineup_slug(lineup)}-image{index}-reconstructions"
        return {self.selection: self.page.picture_file(picture, name, alt)}

    def hint(self, text: str) -> dict:
        return self.page.picture_file(titled(np.full((40, 190), 255, np.uint8), text), "hint", text)

    def pick_point(self, lineup: Lineup, data: dict) -> dict:
        """A click on a point ({index} from the page, which has ringed it already): select that test image."""
        index = image_index(lineup, data.get("index"))
        return {self.header.index: index, **self.show_selection(lineup, index)}

    def decode_here(self, lineup: Lineup, model, x, y, drawn=-1) -> dict:
        """What lives here? The image ``model`` decodes at (x, y) of its 2-D map (as class ``drawn``, for a
        conditional model)."""
        entry, picture = decoded_spot(lineup, model, x, y, drawn_class(drawn))
        if picture is None:
            return {self.here: self.hint(not_a_code(entry.latent_dim))}
        at = f"{float(x):.2f}, {float(y):.2f}"
        name, alt = f"{lineup_slug(lineup)}-{entry.label}-at-{at}", f"What {entry.label} decodes at the code ({at})"
        return {self.here: self.page.picture_file(picture, name, alt)}

    def on_space(self, lineup: Lineup, drawn, data: dict) -> dict:
        """A click on empty space: {model, x, y} from the page (x, y null off a 2-D latent space)."""
        return self.decode_here(lineup, data.get("model"), data.get("x"), data.get("y"), drawn)

    # ---- the tab's own controls ---------------------------------------------------------------------------------
    def wire(self) -> None:
        page, lineup_inputs, marks = self.page, self.header.lineup_inputs, self.marks
        self.view.input(page.on_lineup(self.redraw), [*lineup_inputs, *marks], [self.maps], api_name="maps", **QUICK)
        # A layer switches on or off in the page at once; the server is asked only for one it has not sent.
        self.layers.change(
            None, [self.layers], js="(shown) => document.querySelector('#le-maps .le-maps').leMaps.showLayers(shown)"
        )
        self.layers.input(
            page.on_lineup(self.add_missing_layer),
            [*lineup_inputs, *marks],
            [self.maps],
            trigger_mode="always_last",
            **PRIVATE,
            **QUICK,
        )
        on_space = page.on_lineup(self.on_space)
        drawn = self.header.drawn
        self.maps.click(with_value_and_event_data(on_space), [*lineup_inputs, drawn], [self.here], **PRIVATE, **QUICK)
        self.decode_at_api.click(
            files_only(page.on_lineup(self.decode_here)),
            [*lineup_inputs, *self.where, self.header.drawn],
            [self.here],
            api_name="decode_at",
            **QUICK,
        )
