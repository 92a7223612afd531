"""What every tab shares: the header (dataset, latent size, models, selected image), the lineup they
resolve to, and the few page-wide changes a tab can react to.

A tab module gets the :class:`Page` and

- wraps its handlers with :meth:`Page.handler`: a handler takes the resolved :class:`Lineup` first,
  then its own inputs, and returns ``{component: value}``; bad input becomes a short message shown on
  that handler's own outputs only;
- subscribes to page-wide changes with :meth:`Page.subscribe` ("lineup": dataset, k or models changed;
  "selection": another test image selected; "yours": a drawn or uploaded image was encoded);
- announces such a change from one of its own events with :meth:`Page.announce`.

:meth:`Page.finish` chains every subscriber after every announcement, each as its own step, so one
panel's failure never blanks another, and the first subscriber (the maps) is drawn first.
"""

from __future__ import annotations

import html
import logging
import time
from dataclasses import dataclass, field

import gradio as gr
import numpy as np

from . import components
from .assets import Assets
from .images import ImageInputError, png_bytes
from .inputs import InputError
from .store import Lineup, Store

CHANGES = ("lineup", "selection", "yours", "samples")
log = logging.getLogger(__name__)

# Concurrency: what answers a hand on a control (a slider's picture, a click in a map) has its own workers,
# never queued behind the heavier work (sampling grids, GIFs, uploads, interpolations) of thirty others.
QUICK = {"concurrency_id": "quick", "concurrency_limit": 4}
HEAVY = {"concurrency_id": "heavy", "concurrency_limit": 2}
CHANGE_STEPS = {"concurrency_id": "changes", "concurrency_limit": 3}  # the steps after a lineup or selection change
EXPORT = {"concurrency_id": "export", "concurrency_limit": 1}    # GIFs: long, and rare


@dataclass
class Page:
    store: Store
    assets: Assets
    browser_decoding: bool = True
    _subscribers: dict = field(default_factory=lambda: {c: [] for c in CHANGES})
    _announcements: list = field(default_factory=list)

    # ---- the header ------------------------------------------------------------------------------------
    def header(self) -> None:
        datasets = self.store.datasets()
        first = datasets[0]
        dims = self.store.latent_dims(first)
        with gr.Row(equal_height=True, elem_id="le-header"):
            gr.Markdown("### Latent Explorer\nPCA · AE · VAE", elem_id="le-title", min_height=0)
            self.dataset = gr.Dropdown(datasets, value=first, label="Dataset", scale=1, min_width=140,
                                       elem_id="le-dataset")
            self.latent_dim = gr.Radio(dims, value=dims[0], label="Latent size k", scale=1, min_width=140,
                                       elem_id="le-k")
            self.models = gr.Dropdown(self.model_choices(first, dims[0]),
                                      value=self.store.default_names(first, dims[0]), multiselect=True,
                                      allow_custom_value=True, label="Models side by side", scale=3, min_width=300,
                                      elem_id="le-models")
            self.index = components.number_box(0, label="Selected image #", scale=1, min_width=140,
                                               elem_id="le-index")
        self.status = gr.Markdown(elem_id="le-status")
        self.yours = gr.State(None)  # {model name: code list} of the last encoded drawing or upload
        self.sample_grid = gr.State({"n": 8, "seed": 0})  # the sampling grid last drawn (its codes: on the maps)

    @property
    def lineup_inputs(self) -> list:
        return [self.dataset, self.latent_dim, self.models]

    def model_choices(self, dataset: str, latent_dim: int) -> list[tuple[str, str]]:
        return [(entry.label, entry.name) for entry in self.store.models(dataset, int(latent_dim))]

    def _status(self, lineup: Lineup) -> dict:
        names = " · ".join(f"`{m.name}`" for m in lineup.models)
        text = f"{names} · decoding on **{self.store.device}**"
        if not lineup.images.originals:
            text += f"  \n⚠️ **Offline:** {lineup.images.message}"
        return {self.status: text + skipped_note(self.store)}

    def _choose_dataset(self, name):
        if name not in self.store.datasets():
            raise _error(f"unknown dataset {name!r}")
        dims = self.store.latent_dims(name)
        return {self.latent_dim: gr.update(choices=dims, value=dims[0]),
                self.models: gr.update(choices=self.model_choices(name, dims[0]),
                                       value=self.store.default_names(name, dims[0])),
                self.index: 0, self.yours: None}

    def _choose_latent_dim(self, name, k):
        try:
            lineup = self.store.lineup(name, k, None)
        except InputError as error:
            raise _error(str(error)) from None
        return {self.models: gr.update(choices=self.model_choices(name, lineup.latent_dim),
                                       value=[m.name for m in lineup.models]), self.yours: None}

    def _choose_models(self, name, k, names):
        """Keep the models box to real models of this dataset and k; an empty box shows the default lineup."""
        try:
            default = self.store.lineup(name, k, None)  # checks the dataset and k
        except InputError as error:
            raise _error(str(error)) from None
        available = {e.name for e in self.store.models(name, default.latent_dim)}
        names = names if isinstance(names, list) else []
        unknown = [n for n in names if n not in available]
        if unknown:
            gr.Warning(f"No model {', '.join(map(repr, unknown))} for {name} at k = {default.latent_dim}: "
                       "pick one from the list.")
        kept = [n for n in names if n in available]
        if not kept:
            if not unknown:
                gr.Warning("At least one model is shown: back to the default lineup.")
            kept = [m.name for m in default.models]
        return {self.models: gr.update(value=kept)}

    # ---- handlers and changes ----------------------------------------------------------------------------
    def handler(self, fn):
        """fn(lineup, *values) -> {component: value} as a Gradio function of (dataset, k, models, *values)."""
        def run(dataset, latent_dim, names, *values):
            try:
                return fn(self.store.lineup(dataset, latent_dim, names), *values)
            except (InputError, ImageInputError) as error:
                raise _error(str(error)) from None
        run.__name__, run.__doc__ = getattr(fn, "__name__", "handler"), fn.__doc__  # not __wrapped__: Gradio
        return run                                                                 # reads the real signature

    def event_handler(self, fn):
        """Like :meth:`handler` for fn(lineup, event) of a page-script event: Gradio passes the event's
        data only to a function that asks for a ``gr.EventData`` parameter itself."""
        plain = self.handler(fn)

        def run(dataset, latent_dim, names, event: gr.EventData):
            return plain(dataset, latent_dim, names, event)
        run.__name__ = plain.__name__
        return run

    def subscribe(self, change: str, fn, inputs: list, outputs: list) -> None:
        """Run handler ``fn`` (see :meth:`handler`) after every announcement of ``change``."""
        self._subscribers[change].append((fn, inputs, outputs))

    def announce(self, change: str, event) -> None:
        """Mark the Gradio ``event`` dependency as one that makes ``change``."""
        self._announcements.append((change, event))

    def finish(self) -> None:
        """Wire the header, then chain subscribers after announcements (call once, after every tab)."""
        private = {"api_visibility": "private", "show_progress": "hidden"}
        self._subscribers["lineup"].insert(0, (self._status, [], [self.status]))  # the status line first
        header_outputs = [self.latent_dim, self.models, self.index, self.yours]
        self.announce("lineup", self.dataset.input(self._choose_dataset, self.dataset, header_outputs, **private))
        self.announce("lineup", self.latent_dim.input(self._choose_latent_dim, [self.dataset, self.latent_dim],
                                                      [self.models, self.yours], **private))
        self.announce("lineup", self.models.input(self._choose_models, self.lineup_inputs, [self.models], **private))
        for change, event in self._announcements:
            for fn, inputs, outputs in self._subscribers[change]:
                event = event.then(self.handler(fn), [*self.lineup_inputs, *inputs], outputs, **private,
                                   **CHANGE_STEPS)
        broken_checkpoints(self.store)

    def on_load(self, demo: gr.Blocks) -> None:
        """On page load, everything a lineup change refreshes."""
        event = None
        for fn, inputs, outputs in self._subscribers["lineup"]:
            args = (self.handler(fn), [*self.lineup_inputs, *inputs], outputs)
            event = demo.load(*args, api_visibility="private", **CHANGE_STEPS) if event is None else event.then(
                *args, api_visibility="private", show_progress="hidden", **CHANGE_STEPS)

    def warm(self, after_s: float = 20.0) -> None:
        """Prepare every lineup but the first (its test images, sprite, map points, decoders) ``after_s``
        seconds from now, so a first switch is as quick as the next. The first lineup is left to the first
        request: measured, preparing it in a thread at start only slowed the start down (two cores)."""
        time.sleep(after_s)
        lineups = [(d, k) for d in self.store.datasets() for k in self.store.latent_dims(d)]
        for dataset, k in lineups[1:]:
            lineup = self.store.lineup(dataset, k, None)
            self.assets.sprite(lineup)
            for entry in lineup.models:
                self.assets.map_points(entry, "dims")
                self.assets.decoder(entry)
        for entry in self.store.entries.values():  # the map layers of 2-D models, once each
            if entry.latent_dim == 2:
                entry.prior_holes, entry.decoder_quality  # noqa: B018 -- computed and cached on first use

    # ---- pictures ------------------------------------------------------------------------------------------
    def picture_file(self, picture: np.ndarray, name: str) -> str:
        """``picture`` as a PNG named ``name``.png (the name a download gets), stored by content."""
        return str(self.assets.download(png_bytes(picture), f"{_slug(name)}.png"))


def _error(message: str) -> gr.Error:
    """The message shown in the page (or returned over the API) for bad input: no traceback in the
    server's terminal, since nothing went wrong there."""
    return gr.Error(message, duration=8, print_exception=False)


def skipped_note(store: Store) -> str:
    """A status line naming the checkpoints that could not be loaded, their reasons folded under it
    ('' when none): all of them over the API's /broken_checkpoints."""
    if not store.errors:
        return ""
    reasons = "".join(f"<li>{html.escape(error)}</li>" for error in store.errors)
    return (f"  \n<details><summary>⚠️ {len(store.errors)} checkpoint(s) skipped: "
            f"{html.escape(', '.join(store.skipped))} (why?)</summary><ul>{reasons}</ul></details>")


def check_calls(demo: gr.Blocks) -> None:
    """Make every value Gradio itself refuses (too few values, text for a slider, a file path that was not
    uploaded, ...) a short message too, instead of "Error" with a traceback in the server's terminal.
    The handlers check the rest: ranges, finiteness, names (:mod:`explorer.inputs`)."""
    preprocess = demo.preprocess_data  # Blocks.preprocess_data(block_fn, inputs, state, explicit_call)

    async def checked(block_fn, inputs, state, *args, **kwargs):
        wanted = [_describe(c) for c in block_fn.inputs]
        if not isinstance(inputs, list) or len(inputs) < len(wanted):
            got = len(inputs) if isinstance(inputs, list) else type(inputs).__name__
            raise _error(f"this call takes {len(wanted)} values ({', '.join(wanted)}); got {got}")
        for component, what, value in zip(block_fn.inputs, wanted, inputs, strict=False):
            if isinstance(component, gr.Slider) and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise _error(f"{what} must be a number, got {value!r}")
            if isinstance(component, gr.Image) and value is not None and not _uploaded(value):
                raise _error("the picture must be a file uploaded to this server first (with gradio_client: "
                             "handle_file(path)), not a web address or anything else")
        try:
            return await preprocess(block_fn, inputs, state, *args, **kwargs)
        except gr.Error as error:  # a component's own check (a choice, a slider's range): no traceback either
            raise _error(error.message) from None
        except Exception as error:  # noqa: BLE001 -- whatever Gradio's own checks raise
            first = (str(error) or type(error).__name__).splitlines()[0][:200]
            log.warning("refused a call to %s: %s: %s", block_fn.name, type(error).__name__, first)
            raise _error(f"a value was refused: {first}") from None

    demo.preprocess_data = checked


def _uploaded(value) -> bool:
    """Whether an upload's value names a file on this server (Gradio then checks it was uploaded), or a
    data URL: a web address would make the server download it, with no size limit."""
    if not isinstance(value, dict):
        return False
    where = value.get("path") or value.get("url")
    return isinstance(where, str) and not where.lower().startswith(("http:", "https:", "ftp:", "//"))


def _describe(component) -> str:
    if isinstance(component, gr.State):
        return "session state (null)"
    return getattr(component, "label", None) or type(component).__name__.lower()


def broken_checkpoints(store: Store) -> None:
    """The API endpoint /broken_checkpoints: the checkpoints that could not be loaded, each with its reason."""
    report = gr.JSON(visible=False)
    gr.Button(visible=False).click(lambda: store.errors, None, report, api_name="broken_checkpoints",
                                   queue=False)


def unavailable_page(store: Store) -> None:
    """What the page shows when no checkpoint could be loaded: why, and how to make some."""
    reasons = "".join(f"\n- {error}" for error in store.errors) or "\n- the folder has no checkpoints"
    gr.Markdown(f"## Latent Explorer: no models to show\n\nNo checkpoint in `{store.root}` could be loaded:"
                f"{reasons}\n\nTrain the standard set with `python -m training zoo`, or start the app with "
                "`--checkpoints` pointing at a folder of checkpoints.", elem_id="le-unavailable")
    broken_checkpoints(store)


def _slug(text: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_." else "-" for c in text.replace("β=", "beta"))
    return "-".join(part for part in keep.split("-") if part)[:120] or "picture"


def lineup_slug(lineup: Lineup) -> str:
    return f"{lineup.dataset}-k{lineup.latent_dim}"
