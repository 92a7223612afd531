"""What every tab shares: the header (dataset, latent size, models, selected image), the lineup they
resolve to, and the few page-wide changes a tab can react to.

A tab module gets the :class:`Page` and

- wraps its handlers with :meth:`Page.handler`: a handler takes the resolved :class:`Lineup` first,
  then its own inputs, and returns ``{component: value}``; bad input becomes a short message shown on
  that handler's own outputs only;
- subscribes to page-wide changes with :meth:`Page.subscribe` ("lineup": dataset, k or models changed;
  "selection": another test image selected; "yours": a drawn or uploaded image was encoded; "samples": a
  sampling grid was drawn);
- keeps a control's value in the page's link with :meth:`Page.remember` (fields of :mod:`explorer.state`):
  the address bar follows it, and opening the link, or a lesson step, sets it (a lineup change);
- announces such a change from one of its own events with :meth:`Page.announce`.

:meth:`Page.finish` runs every subscriber after every announcement, each on its own, so one
panel's failure never blanks another. They run in one step after the announcing event: each step costs
a round trip of the queue and the page (0.1-0.25 s measured on two cores, where the subscribers' own work
is 0-30 ms): chained one after another, the twelve of a lineup change took two seconds.

The address bar always holds the page's state (``static/link.js`` writes it as controls change, with
no request to the server); on load, :meth:`Page.on_load` applies the link's state before anything is
drawn, so a copied link reopens the same page.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import gradio as gr
import numpy as np

from . import components, safe_html
from .assets import Assets
from .images import ImageInputError, png_bytes
from .inputs import InputError
from .lessons import Lesson
from .sharing import SharingLimits
from .state import read_state
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
    lessons: dict[str, Lesson] = field(default_factory=dict)
    limits: SharingLimits = field(default_factory=SharingLimits)
    _subscribers: dict = field(default_factory=lambda: {c: [] for c in CHANGES})
    _announcements: list = field(default_factory=list)
    _remembered: dict = field(default_factory=dict)   # link field -> the components holding its value
    _appliers: list = field(default_factory=list)     # (fn(state) -> {component: value}, outputs)
    _setters: list = field(default_factory=list)      # (trigger, fn, inputs) of set_state

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
        with gr.Row(equal_height=True, elem_id="le-bar"):
            self.status = gr.HTML(elem_id="le-status")
            self.lesson = gr.Dropdown([("no lesson", "")] + [(x.title, x.name) for x in self.lessons.values()],
                                      value="", show_label=False, container=False, scale=0, min_width=300,
                                      elem_id="le-lesson-choice")
            self.presenter = gr.Checkbox(False, label="Presenter", container=False, scale=0, min_width=120,
                                         elem_id="le-presenter")
            copy = gr.Button("Copy link", size="sm", scale=0, min_width=120, elem_id="le-copy")
            self.tab = gr.Textbox("latent_map", visible="hidden", elem_id="le-tab-name")  # the tab shown, for the link
        copy.click(None, js="() => window.leLink.copy()")
        self.yours = gr.State(None)  # {model name: code list} of the last encoded drawing or upload
        self.sample_grid = gr.State({"n": 8, "seed": 0})  # the sampling grid last drawn (its codes: on the maps)
        self.wanted = gr.State({})  # the state a link or lesson step just set ({} after any other change)
        for key, component in [("dataset", self.dataset), ("k", self.latent_dim), ("models", self.models),
                               ("image", self.index), ("tab", self.tab), ("lesson", self.lesson),
                               ("presenter", self.presenter)]:
            self.remember(key, component)

    def add_tab(self, name: str, tab: gr.Tab) -> None:
        """A tab of the page: choosing it sets the link's ``tab`` (no request to the server)."""
        tab.select(None, None, [self.tab], js=f"() => {name!r}")

    @property
    def lineup_inputs(self) -> list:
        return [self.dataset, self.latent_dim, self.models]

    def model_choices(self, dataset: str, latent_dim: int, names=()) -> list[tuple[str, str]]:
        """The models offered: the zoo's, and the sweeps' of the models ``names`` (see ``Store.models``)."""
        return [(entry.label, entry.name) for entry in self.store.models(dataset, int(latent_dim), names)]

    def _status(self, lineup: Lineup) -> dict:
        names = " · ".join(f"<code>{safe_html.text(m.name)}</code>" for m in lineup.models)
        text = f"<p>{names} · decoding on <b>{safe_html.text(self.store.device)}</b></p>"
        if not lineup.images.originals:
            text += f"<p>⚠️ <b>Offline:</b> {safe_html.text(lineup.images.message)}</p>"
        return {self.status: text + skipped_note(self.store)}

    def _choose_dataset(self, name):
        if name not in self.store.datasets():
            raise _error(f"unknown dataset {name!r}")
        dims = self.store.latent_dims(name)
        return {self.latent_dim: gr.update(choices=dims, value=dims[0]),
                self.models: gr.update(choices=self.model_choices(name, dims[0]),
                                       value=self.store.default_names(name, dims[0])),
                self.index: 0, self.yours: None, self.wanted: {}}

    def _choose_latent_dim(self, name, k):
        try:
            lineup = self.store.lineup(name, k, None)
        except InputError as error:
            raise _error(str(error)) from None
        return {self.models: gr.update(choices=self.model_choices(name, lineup.latent_dim),
                                       value=[m.name for m in lineup.models]), self.yours: None, self.wanted: {}}

    def _choose_models(self, name, k, names):
        """Keep the models box to real models of this dataset and k; an empty box shows the default lineup."""
        try:
            default = self.store.lineup(name, k, None)  # checks the dataset and k
        except InputError as error:
            raise _error(str(error)) from None
        names = names if isinstance(names, list) else []
        available = {e.name for e in self.store.models(name, default.latent_dim, names)}
        unknown = [n for n in names if n not in available]
        if unknown:
            warn(f"No model {', '.join(map(repr, unknown))} for {name} at k = {default.latent_dim}: "
                 "pick one from the list.")
        kept = [n for n in names if n in available]
        if not kept:
            if not unknown:
                warn("At least one model is shown: back to the default lineup.")
            kept = [m.name for m in default.models]
        return {self.models: gr.update(value=kept), self.wanted: {}}

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

    def remember(self, key: str, *components, apply: bool = True) -> None:
        """Keep field ``key`` of the page's link (:data:`explorer.state.FIELDS`) in step with ``components``
        (several: a list of their values); a link or lesson step sets one component's value when ``apply``
        (else a "lineup" subscriber applies it, from :attr:`wanted`)."""
        self._remembered[key] = (list(components), apply and len(components) == 1)

    def on_apply(self, fn, outputs: list) -> None:
        """Also run fn(state) -> {component: value} when a link or lesson step sets the page."""
        self._appliers.append((fn, outputs))

    @property
    def apply_outputs(self) -> list:
        """Every component :meth:`apply` may set."""
        outputs = [self.dataset, self.latent_dim, self.models, self.index, self.yours, self.wanted, self.tabs]
        outputs += [c for components, apply in self._remembered.values() if apply for c in components]
        outputs += [c for _, more in self._appliers for c in more]
        return list(dict.fromkeys(outputs))

    def apply(self, state: dict, dataset: str, latent_dim) -> dict:
        """``state`` (checked fields of :mod:`explorer.state`) applied over the page showing ``dataset`` at
        ``latent_dim``: {component: value}. What this app cannot show (a dataset, k or model it does not
        have, an image past the end) is left out, with a warning that says so."""
        updates, notes = {self.wanted: state}, []
        if {"dataset", "k", "models"} & state.keys():
            dataset, latent_dim, lineup = self._apply_lineup(state, dataset, latent_dim, notes)
            updates.update(lineup)
        if "image" in state:
            n_images = self.store.lineup(dataset, latent_dim, None).n_images
            if state["image"] >= n_images:
                notes.append(f"image #{state['image']} is past the end ({n_images} test images): showing #0")
            updates[self.index] = state["image"] if state["image"] < n_images else 0
        for key, (held_by, apply) in self._remembered.items():
            if apply and key in state and key not in ("dataset", "k", "models", "image"):
                updates[held_by[0]] = state[key]
        if "tab" in state:
            updates[self.tabs] = gr.Tabs(selected=state["tab"])
        for fn, _ in self._appliers:
            updates.update(fn(state))
        for note in notes[:3]:
            warn(note)
        return updates

    def _apply_lineup(self, state: dict, dataset: str, latent_dim, notes: list) -> tuple[str, int, dict]:
        """The dataset, k and header updates ``state`` asks for, kept to what this app has."""
        name = state.get("dataset", dataset)
        if name not in self.store.datasets():
            notes.append(f"this app has no {name} models: showing {dataset}")
            name = dataset if dataset in self.store.datasets() else self.store.datasets()[0]
        dims = self.store.latent_dims(name, state.get("models", []))  # a sweep's model: its sweep's k too
        k = state.get("k", latent_dim if name == dataset else dims[0])
        if k not in dims:
            if "k" in state:
                notes.append(f"{name} has no models with k = {k}: showing k = {dims[0]}")
            k = dims[0]
        available = [e.name for e in self.store.models(name, k, state.get("models", []))]
        missing = [m for m in state.get("models", []) if m not in available]
        if missing:
            notes.append(f"no model {', '.join(missing)} for {name} at k = {k}")
        models = [m for m in state.get("models", []) if m in available] or self.store.default_names(name, k)
        updates = {self.dataset: name, self.latent_dim: gr.update(choices=dims, value=k),
                   self.models: gr.update(choices=self.model_choices(name, k, models), value=models)}
        if (name, k) != (dataset, latent_dim):  # other test images and codes: the selection and yours go
            updates.update({self.index: 0, self.yours: None})
        return name, k, updates

    def _restore(self, request: gr.Request, dataset, latent_dim) -> dict:
        """On load: the state the page's link holds ({} when it holds none). A lesson step it names opens on
        that step's page, with the link's own fields over it; a lesson this app does not have, or a step
        without a lesson, is left out (with the rest of the link kept), as any field the app cannot use."""
        state, notes = read_state(dict(request.query_params) if request else {})
        state = self._with_lesson(state, notes)
        for note in notes[:3]:
            warn(f"{note}: left out")
        return state

    def _with_lesson(self, state: dict, notes: list[str]) -> dict:
        lesson = self.lessons.get(state.get("lesson")) if state.get("lesson") else None
        if state.get("lesson") and lesson is None:
            names = ", ".join(self.lessons) or "none"
            notes.append(f"the link names a lesson this app does not have ({state['lesson']!r}; it has: {names})")
        if lesson is None:
            stray = [key for key in ("step", "revealed") if key in state]
            if stray and state.get("lesson") != "":
                notes.append(f"the link's {' and '.join(stray)} belong to a lesson, and it names none")
            return {k: v for k, v in state.items() if k not in ("lesson", "step", "revealed")} | (
                {"lesson": ""} if "lesson" in state else {})
        step = min(state.get("step", 1), len(lesson.steps))
        return {**lesson.state(step, state.get("revealed", False)), **state, "step": step}

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
        header_outputs = [self.latent_dim, self.models, self.index, self.yours, self.wanted]
        self.announce("lineup", self.dataset.input(self._choose_dataset, self.dataset, header_outputs, **private))
        self.announce("lineup", self.latent_dim.input(self._choose_latent_dim, [self.dataset, self.latent_dim],
                                                      [self.models, self.yours, self.wanted], **private))
        self.announce("lineup", self.models.input(self._choose_models, self.lineup_inputs, [self.models, self.wanted],
                                                  **private))
        for change, event in self._announcements:
            self._run_subscribers(change, event)
        for setter in self._setters:
            self._wire_setter(*setter)
        for key, (held_by, _) in self._remembered.items():  # the address bar follows, in the page alone
            gr.on([c.change for c in held_by], None, held_by,
                  js=f"(...values) => window.leLink.set({key!r}, values.length === 1 ? values[0] : values)")
        broken_checkpoints(self.store)

    def _run_subscribers(self, change: str, event) -> None:
        """Every subscriber of ``change``, in one step once ``event`` is done. Each panel is its own: one
        that cannot be drawn keeps its old picture and says why in a message, the others are drawn."""
        inputs, outputs = self._subscriber_io(change)

        def refresh(lineup: Lineup, *values) -> dict:
            return self._redraw(change, lineup, dict(zip(inputs, values))) or {outputs[0]: gr.skip()}
        refresh.__name__ = f"after_{change}"
        event.then(self.handler(refresh), [*self.lineup_inputs, *inputs], outputs, api_visibility="private",
                   show_progress="hidden", **CHANGE_STEPS)

    def _subscriber_io(self, change: str) -> tuple[list, list]:
        """The components the subscribers of ``change`` read, and those they set (each once)."""
        subscribers = self._subscribers[change]
        return (list(dict.fromkeys(c for _, wanted, _ in subscribers for c in wanted)),
                list(dict.fromkeys(c for _, _, given in subscribers for c in given)))

    def _redraw(self, change: str, lineup: Lineup, value_of: dict) -> dict:
        """The updates of every subscriber of ``change``, reading its inputs from ``value_of``. A panel that
        cannot be drawn says why; after a lineup change it is emptied (it showed another lineup's pictures),
        after any other change it keeps its picture."""
        updates = {}
        for fn, wanted, given in self._subscribers[change]:
            try:
                updates.update(fn(lineup, *(value_of[c] for c in wanted)))
                continue
            except (InputError, ImageInputError) as error:
                warn(str(error), duration=8)
            except Exception as error:  # noqa: BLE001 -- a panel's bug must not blank the others
                log.exception("%s failed after a %s change", getattr(fn, "__name__", fn), change)
                warn(f"a panel could not be drawn ({type(error).__name__}: {error})", duration=8)
            if change == "lineup":
                updates.update({c: None for c in given if _holds_a_picture(c)})
        return updates

    def set_state(self, trigger, fn, inputs: list) -> None:
        """When ``trigger`` (an event listener such as ``button.click``) fires, set the page to the state
        fn(request, dataset, k, *inputs) returns (checked fields of :mod:`explorer.state`) and redraw the
        lineup's panels for it, in one step: the state's values are those the panels read."""
        self._setters.append((trigger, fn, inputs))

    def _wire_setter(self, trigger, fn, inputs: list) -> None:
        panel_inputs, panel_outputs = self._subscriber_io("lineup")
        read = [*self.lineup_inputs, *panel_inputs]
        outputs = list(dict.fromkeys([*self.apply_outputs, *panel_outputs]))
        n = len(inputs)

        def set_page(request: gr.Request, *values):
            dataset, latent_dim = values[n], values[n + 1]
            try:
                updates = self.apply(fn(request, dataset, latent_dim, *values[:n]), dataset, latent_dim)
                value_of = dict(zip(read, values[n:]))
                for component, update in updates.items():  # the panels read the values the state sets
                    if component in value_of:
                        value_of[component] = _value(update)
                lineup = self.store.lineup(value_of[self.dataset], value_of[self.latent_dim], value_of[self.models])
            except (InputError, ImageInputError) as error:
                raise _error(str(error)) from None
            return {**updates, **self._redraw("lineup", lineup, value_of)}
        set_page.__name__ = getattr(fn, "__name__", "set_page")
        trigger(set_page, [*inputs, *read], outputs, api_visibility="private", show_progress="hidden",
                **CHANGE_STEPS)

    def on_load(self, demo: gr.Blocks) -> None:
        """On page load: the link's state, and everything a lineup change refreshes (call before finish)."""
        self.set_state(demo.load, self._restore, [])

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


def _holds_a_picture(component) -> bool:
    """Whether ``component`` shows a picture, a figure or a table (emptied by a value of None), not a control."""
    return isinstance(component, gr.Image | gr.HTML | gr.Dataframe | gr.File)


def warn(message: str, duration: float = 8) -> None:
    """A warning in the page: ``message`` shown as the text it is (it may quote a link, a file or an API value)."""
    gr.Warning(safe_html.text(message), duration=duration)


def event_data(event) -> dict:
    """What a page script sent with its event (``trigger(name, data)`` in ``static/*.js``): a dict, or {} for
    anything else (a client may send anything). Gradio keeps it in ``EventData._data``, which has no public
    name: read here only (``tests/test_gradio_adapter.py`` fails if Gradio moves it)."""
    data = getattr(event, "_data", None)
    return data if isinstance(data, dict) else {}


def _value(update):
    """The value an output update sets: a ``gr.update(value=...)``'s value, or the value itself."""
    return update.get("value") if isinstance(update, dict) and update.get("__type__") == "update" else update


def _error(message: str) -> gr.Error:
    """The message shown in the page (or returned over the API) for bad input: no traceback in the
    server's terminal, since nothing went wrong there."""
    return gr.Error(safe_html.text(message), duration=8, print_exception=False)


def skipped_note(store: Store) -> str:
    """A status line naming the checkpoints that could not be loaded, their reasons folded under it
    ('' when none): all of them over the API's /broken_checkpoints."""
    if not store.errors:
        return ""
    reasons = "".join(f"<li>{safe_html.text(error)}</li>" for error in store.errors)
    return (f"<details><summary>⚠️ {len(store.errors)} checkpoint(s) skipped: "
            f"{safe_html.text(', '.join(store.skipped))} (why?)</summary><ul>{reasons}</ul></details>")


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
            if isinstance(component, gr.Image) and _hidden_name(value):
                raise _error("the picture's file name starts with a dot, which the server does not take; rename "
                             "it (for example to picture.png) and upload it again")
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


def _hidden_name(value) -> bool:
    """Whether an upload's file name starts with a dot (Gradio refuses to move such a file, in its own words)."""
    if not isinstance(value, dict):
        return False
    names = [value.get("orig_name"), value.get("path")]
    return any(isinstance(n, str) and n.replace("\\", "/").rsplit("/", 1)[-1].startswith(".") for n in names)


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
    reasons = "".join(f"<li>{safe_html.text(error)}</li>" for error in store.errors) or \
        "<li>the folder has no checkpoints</li>"
    gr.HTML(f"<h2>Latent Explorer: no models to show</h2><p>No checkpoint in <code>{safe_html.text(store.root)}</code> "
            f"could be loaded:</p><ul>{reasons}</ul><p>Train the standard set with "
            "<code>python -m training zoo</code>, or start the app with <code>--checkpoints</code> pointing at a "
            "folder of checkpoints.</p>",
            elem_id="le-unavailable")
    broken_checkpoints(store)


def _slug(text: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_." else "-" for c in text.replace("β=", "beta"))
    return "-".join(part for part in keep.split("-") if part)[:120] or "picture"


def lineup_slug(lineup: Lineup) -> str:
    return f"{lineup.dataset}-k{lineup.latent_dim}"
