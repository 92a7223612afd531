"""The header every tab shares: dataset, latent size k, the models side by side, the selected test image; under
it the status line, the lesson choice, presenter mode and Copy link; and the page-wide values the tabs read
(``yours``: the last drawing or upload encoded; ``sample_grid``: the sampling grid last drawn; ``wanted``: the
state a link or lesson step just set).

Its handlers keep the header consistent (a new dataset offers its own latent sizes and models; the models box
holds only models of this dataset and k). What a header change redraws is in :mod:`explorer.page.changes`.
"""

from __future__ import annotations

import gradio as gr

from explorer.core.inputs import InputError
from explorer.core.store import Lineup
from explorer.page.adapter import optional_in_api, raw_values
from explorer.page.context import Page, refuse, skipped_note, warn
from explorer.views import safe_html

OWN_CLASS = "each image's own class"


def drawn_class(value, n_classes: int = 1000) -> int | None:
    """The class picker's value as the class a conditional model draws: None for each image's own (-1, nothing
    or anything that is not a class of the dataset's ``n_classes``)."""
    try:
        value = int(value)
    except (TypeError, ValueError):
        return None
    return value if 0 <= value < n_classes else None


class Header:
    """The header's components (built where it is created, inside the page's ``gr.Blocks``) and handlers."""

    def __init__(self, page: Page):
        self.page = page
        store = page.store
        first = store.datasets()[0]
        dims = store.latent_dims(first)
        with gr.Row(equal_height=True, elem_id="le-header"):
            gr.HTML(
                '<a class="le-skip" href="#le-tabs">Skip to the tabs</a><h1>Latent Explorer</h1><p>PCA · AE · VAE</p>',
                elem_id="le-title",
            )
            self.dataset = gr.Dropdown(
                store.datasets(), value=first, label="Dataset", scale=1, min_width=140, elem_id="le-dataset"
            )
            self.latent_dim = gr.Radio(
                dims, value=dims[0], label="Latent size k", scale=1, min_width=140, elem_id="le-k"
            )
            self.models = gr.Dropdown(
                page.model_choices(first, dims[0]),
                value=store.default_names(first, dims[0]),
                multiselect=True,
                allow_custom_value=True,
                label="Models side by side",
                scale=3,
                min_width=300,
                elem_id="le-models",
            )
            self.index = raw_values(gr.Number(0, label="Selected image #", scale=1, min_width=140, elem_id="le-index"))
        with gr.Row(equal_height=True, elem_id="le-bar"):
            self.status = gr.HTML(elem_id="le-status")
            self.lesson = gr.Dropdown(
                [("no lesson", "")] + [(x.title, x.name) for x in page.lessons.values()],
                value="",
                label="Lesson",
                show_label=False,
                container=False,
                scale=0,
                min_width=300,
                elem_id="le-lesson-choice",
            )
            self.presenter = gr.Checkbox(
                False, label="Presenter", container=False, scale=0, min_width=120, elem_id="le-presenter"
            )
            self.drawn = optional_in_api(  # shown when the lineup has a conditional model
                gr.Dropdown(
                    [(OWN_CLASS, -1)],
                    value=-1,
                    label="CVAE draws",
                    scale=0,
                    min_width=200,
                    visible=False,
                    elem_id="le-drawn",
                )
            )
            self.copy = gr.Button("Copy link", size="sm", scale=0, min_width=120, elem_id="le-copy")
            self.tab = gr.Textbox("latent_map", visible="hidden", elem_id="le-tab-name")  # the tab shown, for the link
            self.went = gr.Textbox("", visible="hidden", elem_id="le-went")  # Back, Forward: the address's query
        self.yours = gr.State(None)  # {model name: code list} of the last encoded drawing or upload
        self.sample_grid = gr.State({"n": 8, "seed": 0})  # the sampling grid last drawn (its codes: on the maps)
        self.wanted = gr.State({})  # the state a link or lesson step just set ({} after any other change)

    @property
    def lineup_inputs(self) -> list:
        """What every handler of a lineup reads first: dataset, k, models."""
        return [self.dataset, self.latent_dim, self.models]

    # ---- handlers ---------------------------------------------------------------------------------------------
    def show_status(self, lineup: Lineup) -> dict:
        """The status line: the models shown, the device decoding, the dataset offline, checkpoints skipped."""
        store = self.page.store
        names = " · ".join(f"<code>{safe_html.text(m.name)}</code>" for m in lineup.models)
        text = f"<p>{names} · decoding on <b>{safe_html.text(store.device)}</b></p>"
        if not lineup.images.originals:
            text += f"<p>⚠️ <b>Offline:</b> {safe_html.text(lineup.images.message)}</p>"
        return {self.status: text + skipped_note(store)}

    def show_drawn(self, lineup: Lineup, drawn) -> dict:
        """The class picker, when the lineup has a conditional model: each image's own class, or one for all."""
        conditional = [m for m in lineup.models if m.conditional]
        if not conditional:
            return {self.drawn: gr.update(visible=False, value=-1)}
        names = conditional[0].class_names
        keep = drawn_class(drawn, len(names))
        return {
            self.drawn: gr.update(
                visible=True,
                choices=[(OWN_CLASS, -1), *((str(name), i) for i, name in enumerate(names))],
                value=-1 if keep is None else keep,
            )
        }

    def choose_dataset(self, name) -> dict:
        """A new dataset: its first latent size, its default models, image #0."""
        store = self.page.store
        if name not in store.datasets():
            raise refuse(f"unknown dataset {name!r}")
        dims = store.latent_dims(name)
        return {
            self.latent_dim: gr.update(choices=dims, value=dims[0]),
            self.models: gr.update(
                choices=self.page.model_choices(name, dims[0]), value=store.default_names(name, dims[0])
            ),
            self.index: 0,
            self.yours: None,
            self.wanted: {},
        }

    def choose_latent_dim(self, name, k) -> dict:
        """A new latent size: its default models."""
        try:
            lineup = self.page.store.lineup(name, k, None)
        except InputError as error:
            raise refuse(str(error)) from None
        return {
            self.models: gr.update(
                choices=self.page.model_choices(name, lineup.latent_dim), value=[m.name for m in lineup.models]
            ),
            self.yours: None,
            self.wanted: {},
        }

    def choose_models(self, name, k, names) -> dict:
        """Keep the models box to real models of this dataset and k; an empty box shows the default lineup."""
        store = self.page.store
        try:
            default = store.lineup(name, k, None)  # checks the dataset and k
        except InputError as error:
            raise refuse(str(error)) from None
        names = names if isinstance(names, list) else []
        available = {e.name for e in store.models(name, default.latent_dim, names)}
        unknown = [n for n in names if n not in available]
        if unknown:
            warn(
                f"No model {', '.join(map(repr, unknown))} for {name} at k = {default.latent_dim}: "
                "pick one from the list."
            )
        kept = [n for n in names if n in available]
        if not kept:
            if not unknown:
                warn("At least one model is shown: back to the default lineup.")
            kept = [m.name for m in default.models]
        return {self.models: gr.update(value=kept), self.wanted: {}}

    def wire(self) -> None:
        """The header's own controls: Copy link, in the page alone."""
        self.copy.click(None, js="() => window.leLink.copy()")
