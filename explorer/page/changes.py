"""Which control changes what: the page's one table, read top to bottom.

Four page-wide changes, each made by a few events and redrawing a few panels, all in one step after the event (a
step costs a round trip of the queue and the page, 0.1-0.25 s on two cores, where the panels' own work is 0-30 ms;
chained one after another, the twelve of a lineup change took two seconds):

- ``lineup``: the dataset, k or models changed (the header), or a link or lesson step set the page;
- ``selection``: another test image selected (the header's box, a point clicked in a map);
- ``yours``: a drawing or upload encoded (the Reconstruction tab);
- ``samples``: a sampling grid drawn (the Sampling tab), whose codes the maps mark.

:meth:`Changes.reactions` says who redraws what after each; :meth:`Changes.makers` wires the events that make each.
Each panel is drawn on its own: one that cannot be drawn says why (and, after a lineup change, is emptied, never
left showing another lineup) while the others are drawn.

The link: :meth:`Changes.link` names the component(s) holding each field of :mod:`explorer.core.state`. The address
bar follows them in the page (``static/link.js``, no request); a link on load, a lesson step, or a model opened
from the Compare tab sets the page through :meth:`Changes.set_state`: its fields applied and every lineup panel
redrawn for them, in one step.

Never a blank wait: from the start of a lineup or samples change to its last step, the maps and the main pictures
shimmer (:func:`wait`, ``static/waiting.js``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl

import gradio as gr

from explorer.core.inputs import InputError, next_seed
from explorer.core.state import read_state, resolve_lineup, with_lesson
from explorer.core.store import Lineup
from explorer.core.uploads import ImageInputError
from explorer.page.adapter import with_event_data, with_value_and_event_data
from explorer.page.context import (
    CHANGE_STEPS,
    HEAVY,
    PRIVATE,
    QUICK,
    Page,
    broken_checkpoints,
    files_only,
    publish,
    refuse,
    warn,
)
from explorer.page.header import Header
from explorer.page.lesson_bar import LessonBar

log = logging.getLogger(__name__)
CHANGES = ("lineup", "selection", "yours", "samples", "drawn")
SET_BY_A_PANEL = {"axes"}  # link fields a lineup panel applies itself (from header.wanted), not the page
WAITED = ("lineup", "samples")  # changes the maps and pictures shimmer for, from the start to the last step
DONE = "() => { window.leWait.done(); }"


def wait(triggers: list) -> None:
    """From each of ``triggers`` (event listeners), the maps and main pictures shimmer (``static/waiting.js``),
    in the page at once, until the end of the change it starts (``DONE`` after its last step)."""
    for trigger in triggers:
        trigger(None, None, None, js="() => { window.leWait.start(); }", **PRIVATE)


@dataclass(frozen=True)
class Reaction:
    """After a change, ``draw(lineup, *values of reads)`` returns {component: value} for components of ``sets``."""

    draw: Callable
    reads: list
    sets: list


class Changes:
    """The table over the header, the lesson bar and the tabs (by name: :data:`explorer.core.state.TABS`)."""

    def __init__(self, page: Page, header: Header, lesson: LessonBar, tabs: dict, tab_box: gr.Tabs, tab_blocks: dict):
        self.page, self.header, self.lesson, self.tabs = page, header, lesson, tabs
        self.tab_box, self.tab_blocks = tab_box, tab_blocks  # the gr.Tabs, and each tab's gr.Tab by name

    def reactions(self) -> dict[str, list[Reaction]]:
        h, t = self.header, self.tabs
        lm, tr, sa, ip, rc, ins = (
            t[n] for n in ("latent_map", "traversal", "sampling", "interpolation", "reconstruction", "insights")
        )
        maps = Reaction(lm.redraw, lm.marks, [lm.maps])
        return {
            "lineup": [
                Reaction(h.show_status, [], [h.status]),
                Reaction(lm.refresh, lm.marks, [lm.maps, lm.view, lm.selection, lm.here]),
                Reaction(h.show_drawn, [h.drawn], [h.drawn]),
                Reaction(tr.restart, [*tr.position, h.drawn, h.wanted], tr.outputs),
                Reaction(tr.show_kl, [], [tr.kl]),
                Reaction(sa.show_spread, [], [sa.spread_group, sa.spread]),
                Reaction(sa.draw_samples, [sa.grid_size, sa.seed, h.drawn], [sa.samples, h.sample_grid]),
                Reaction(sa.draw_manifolds, [sa.manifold_size, h.drawn], [sa.manifold_group, sa.manifolds]),
                Reaction(sa.draw_classes, [h.index], [sa.classes_group, sa.classes]),
                Reaction(ip.draw, ip.reads, [ip.interpolation]),
                Reaction(rc.reconstruct, rc.reads, [rc.reconstruction]),
                Reaction(rc.forget_yours, [], [rc.yours_picture]),
                Reaction(rc.say_what_to_draw, [], [rc.look, rc.pad_title]),
                Reaction(ins.show, [], [ins.curves, ins.variance, ins.metrics]),
                Reaction(t["anomalies"].show, t["anomalies"].reads, t["anomalies"].outputs),
            ],
            "selection": [
                maps,
                Reaction(tr.restart, [*tr.position, h.drawn], tr.outputs),
                Reaction(ip.draw, ip.reads, [ip.interpolation]),
                Reaction(sa.draw_classes, [h.index], [sa.classes_group, sa.classes]),
            ],
            "drawn": [  # the class a conditional model draws
                Reaction(tr.restart, [*tr.position, h.drawn], tr.outputs),
                Reaction(sa.draw_samples, [sa.grid_size, sa.seed, h.drawn], [sa.samples, h.sample_grid]),
                Reaction(sa.draw_manifolds, [sa.manifold_size, h.drawn], [sa.manifold_group, sa.manifolds]),
            ],
            "yours": [maps],
            "samples": [maps],
        }

    def link(self) -> dict[str, list]:
        """Each field of the page's link and the component(s) holding it (several: a list of their values)."""
        h, lesson, t = self.header, self.lesson, self.tabs
        return {
            "dataset": [h.dataset],
            "k": [h.latent_dim],
            "models": [h.models],
            "image": [h.index],
            "tab": [h.tab],
            "lesson": [h.lesson],
            "presenter": [h.presenter],
            "step": [lesson.step],
            "revealed": [lesson.revealed],
            "layers": [t["latent_map"].layers],
            "view": [t["latent_map"].view],
            "seed": [t["sampling"].seed],
            "noise": [t["reconstruction"].noise],
            "axes": t["traversal"].sliders,
            "race": [t["race"].choice],
        }

    # ---- the events that make each change --------------------------------------------------------------------------
    def makers(self) -> dict[str, list]:
        """{change: [the event dependencies after which it happens]}, each event wired here."""
        h, t = self.header, self.tabs
        return {
            "lineup": self._lineup_makers(h),
            "selection": self._selection_makers(h, t["latent_map"]),
            "yours": self._yours_makers(h, t["reconstruction"]),
            "samples": self._samples_makers(h, t["sampling"]),
            "drawn": [h.drawn.input(None, None, None, js="() => {}", **PRIVATE)],
        }

    def _lineup_makers(self, h: Header) -> list:
        """The header's dataset, k and models."""
        header_outputs = [h.latent_dim, h.models, h.index, h.yours, h.wanted]
        wait([h.dataset.input, h.latent_dim.input, h.models.input])
        return [
            h.dataset.input(h.choose_dataset, h.dataset, header_outputs, **PRIVATE),
            h.latent_dim.input(
                h.choose_latent_dim, [h.dataset, h.latent_dim], [h.models, h.yours, h.wanted], **PRIVATE
            ),
            h.models.input(h.choose_models, h.lineup_inputs, [h.models, h.wanted], **PRIVATE),
        ]

    def _selection_makers(self, h: Header, lm) -> list:
        """The header's image box (and the API's /select), and a point clicked in a map."""
        on = self.page.on_lineup
        select = ([*h.lineup_inputs, h.index], [lm.selection])
        publish(on(lm.show_selection), *select, api_name="select", **QUICK)
        return [
            h.index.submit(on(lm.show_selection), *select, **PRIVATE, **QUICK),
            lm.maps.select(
                with_event_data(on(lm.pick_point)), h.lineup_inputs, [h.index, lm.selection], **PRIVATE, **QUICK
            ),
        ]

    def _yours_makers(self, h: Header, rc) -> list:
        """The drawing pad (and the API's /encode_drawing), and an upload."""
        on, outputs = self.page.on_lineup, rc.encoded_outputs
        upload = [*h.lineup_inputs, rc.upload, h.drawn]
        publish(on(rc.encode_upload), upload, outputs, api_name="encode_upload", **HEAVY)
        return [
            rc.sketch.submit(
                with_value_and_event_data(on(rc.encode_pad)),
                [*h.lineup_inputs, h.drawn],
                outputs,
                api_visibility="private",
                **HEAVY,
            ),
            rc.drawing_api.click(
                files_only(on(rc.encode_drawing)),
                [*h.lineup_inputs, rc.drawing_data, h.drawn],
                outputs,
                api_name="encode_drawing",
                **HEAVY,
            ),
            rc.upload.upload(on(rc.encode_upload), upload, outputs, **PRIVATE, **HEAVY),
        ]

    def _samples_makers(self, h: Header, sa) -> list:
        """The grid's size and seed (and the API's /samples), and New seed."""
        draw, io = (
            self.page.on_lineup(sa.draw_samples),
            ([*h.lineup_inputs, sa.grid_size, sa.seed, h.drawn], [sa.samples, h.sample_grid]),
        )
        wait([sa.grid_size.release, sa.seed.submit, sa.seed.blur, sa.resample.click])
        publish(draw, *io, api_name="samples", **HEAVY)
        return [
            gr.on([sa.grid_size.release, sa.seed.submit, sa.seed.blur], draw, *io, **PRIVATE, **HEAVY),
            sa.resample.click(next_seed, sa.seed, sa.seed, api_visibility="private").then(
                draw, *io, api_visibility="private", **HEAVY
            ),
        ]

    # ---- wiring ------------------------------------------------------------------------------------------------------
    def wire(self, demo: gr.Blocks) -> None:
        """Everything across the page's parts: the changes, the link, the tabs' names, the page's load."""
        reactions = self.reactions()
        for change, events in self.makers().items():
            for event in events:
                self._after(event, change, reactions[change])
        lesson, h, compare = self.lesson, self.header, self.tabs["compare"]
        inputs = [h.lesson, lesson.step]
        self.set_state(demo.load, self.restore, [])
        self.set_state(h.lesson.input, lesson.first_step, inputs)
        self.set_state(lesson.forward.click, lesson.next_step, inputs)
        self.set_state(lesson.back.click, lesson.previous_step, inputs)
        self.set_state(lesson.reveal.click, lesson.reveal_step, inputs)
        self.set_state(h.went.change, self.go_to, [h.went], trigger_mode="always_last")  # Back, Forward
        for pick in compare.picks():
            self.set_state(pick.then, compare.open_model, [compare.picked])
        h.tab.change(
            compare.show_tab,
            [h.tab, compare.shown, compare.mode, compare.drawn, compare.job_id],
            [compare.shown, compare.progress, *compare.finished_outputs],
            **PRIVATE,
            **QUICK,
        )
        race = self.tabs["race"]
        h.tab.change(race.show_tab, [h.tab, race.choice], [race.choice], **PRIVATE, **QUICK)
        for name, tab in self.tab_blocks.items():  # choosing a tab sets the link's tab, in the page alone
            tab.select(None, None, [h.tab], js=f"() => {name!r}")
        for key, held_by in self.link().items():  # the address bar follows, in the page alone
            gr.on(
                [c.change for c in held_by],
                None,
                held_by,
                js=f"(...values) => window.leLink.set({key!r}, values.length === 1 ? values[0] : values)",
            )
        broken_checkpoints(self.page.store)

    def _after(self, event, change: str, reactions: list[Reaction]) -> None:
        """Every reaction to ``change``, in one step once ``event`` is done."""
        reads = list(dict.fromkeys(c for r in reactions for c in r.reads))
        sets = list(dict.fromkeys(c for r in reactions for c in r.sets))

        def refresh(lineup: Lineup, *values) -> dict:
            return redraw(change, reactions, lineup, dict(zip(reads, values))) or {sets[0]: gr.skip()}

        refresh.__name__ = f"after_{change}"
        step = event.then(
            self.page.on_lineup(refresh), [*self.header.lineup_inputs, *reads], sets, **PRIVATE, **CHANGE_STEPS
        )
        if change in WAITED:
            step.then(None, js=DONE, **PRIVATE)

    # ---- setting the page from a state: a link, a lesson step, a model opened ---------------------------------------
    def restore(self, request: gr.Request, dataset, latent_dim) -> dict:
        """On load: the state the page's link holds ({} when it holds none), its lesson step applied (see
        :func:`explorer.core.state.with_lesson`); each field the app cannot use is left out, with a note."""
        state, notes = read_state(dict(request.query_params) if request else {})
        state, more = with_lesson(state, self.page.lessons)
        for note in [*notes, *more][:3]:
            warn(f"{note}: left out")
        return state

    def go_to(self, request: gr.Request, dataset, latent_dim, query: str) -> dict:
        """Back or Forward: the state of the address the page now holds (its query string). A field the address
        leaves out is at its value on a fresh page: the address holds every field that differs from it (a field is
        written as it changes, and removed when it is empty; ``static/link.js``). Presenter mode stays as it is."""
        query = str(query)[:4000].partition(" ")[2]  # "<n> ?<query>": n counts the moves, so each is a change
        state, notes = read_state(dict(parse_qsl(query.lstrip("?"))))
        state, more = with_lesson(state, self.page.lessons)
        for note in [*notes, *more][:3]:
            warn(f"{note}: left out")
        return {**self.fresh_state(), **state}

    def fresh_state(self) -> dict:
        """The state of a page opened without a link (each link field at its component's first value)."""
        values = {
            key: held_by[0].value
            for key, held_by in self.link().items()
            if key not in ("presenter", "lesson", *SET_BY_A_PANEL) and held_by[0].value is not None
        }
        state, _ = read_state(values)
        return {**state, "axes": [], "lesson": ""}

    def set_state(self, trigger, fn, inputs: list, **options) -> None:
        """When ``trigger`` (an event listener such as ``button.click``) fires, set the page to the state
        fn(request, dataset, k, *inputs) returns (checked fields of :mod:`explorer.core.state`) and redraw the
        lineup's panels for it, in one step: the state's values are those the panels read. ``options`` go to the
        listener (``trigger_mode``, say)."""
        reactions = self.reactions()["lineup"]
        reads = [*self.header.lineup_inputs, *dict.fromkeys(c for r in reactions for c in r.reads)]
        outputs = list(dict.fromkeys([*self.apply_outputs, *(c for r in reactions for c in r.sets)]))
        n = len(inputs)

        def set_page(request: gr.Request, *values):
            dataset, latent_dim = values[n], values[n + 1]
            try:
                updates = self.apply(fn(request, dataset, latent_dim, *values[:n]), dataset, latent_dim)
                value_of = dict(zip(reads, values[n:]))
                for component, update in updates.items():  # the panels read the values the state sets
                    if component in value_of:
                        value_of[component] = _value(update)
                h = self.header
                lineup = self.page.store.lineup(value_of[h.dataset], value_of[h.latent_dim], value_of[h.models])
            except (InputError, ImageInputError) as error:
                raise refuse(str(error)) from None
            return {**updates, **redraw("lineup", reactions, lineup, value_of)}

        set_page.__name__ = getattr(fn, "__name__", "set_page")
        wait([trigger])
        step = trigger(set_page, [*inputs, *reads], outputs, **PRIVATE, **CHANGE_STEPS, **options)
        step.then(None, js=DONE, **PRIVATE)

    @property
    def apply_outputs(self) -> list:
        """Every component :meth:`apply` may set."""
        h = self.header
        held = [c for key, components in self.link().items() if key not in SET_BY_A_PANEL for c in components]
        return list(
            dict.fromkeys(
                [
                    h.dataset,
                    h.latent_dim,
                    h.models,
                    h.index,
                    h.yours,
                    h.wanted,
                    self.tab_box,
                    *held,
                    *self.lesson.outputs,
                ]
            )
        )

    def apply(self, state: dict, dataset: str, latent_dim) -> dict:
        """``state`` (checked fields of :mod:`explorer.core.state`) applied over the page showing ``dataset`` at
        ``latent_dim``: {component: value}. What this app cannot show (a dataset, k or model it does not have, an
        image past the end) is left out, with a warning that says so."""
        h, store = self.header, self.page.store
        updates, notes = {h.wanted: state}, []
        if {"dataset", "k", "models"} & state.keys():
            name, k, models, notes = resolve_lineup(store, state, dataset, latent_dim)
            updates.update(
                {
                    h.dataset: name,
                    h.latent_dim: gr.update(choices=store.latent_dims(name, models), value=k),
                    h.models: gr.update(choices=self.page.model_choices(name, k, models), value=models),
                }
            )
            if (name, k) != (dataset, latent_dim):  # other test images and codes: the selection and yours go
                updates.update({h.index: 0, h.yours: None})
            dataset, latent_dim = name, k
        if "image" in state:
            n_images = store.lineup(dataset, latent_dim, None).n_images
            if state["image"] >= n_images:
                notes.append(f"image #{state['image']} is past the end ({n_images} test images): showing #0")
            updates[h.index] = state["image"] if state["image"] < n_images else 0
        races = list(store.race_folders())
        if "race" in state and state["race"] not in races:
            notes.append(f"this app has no race named {state.pop('race')!r}")
        for key, held_by in self.link().items():
            if key in state and key not in ("dataset", "k", "models", "image", *SET_BY_A_PANEL):
                updates[held_by[0]] = state[key]
        if "race" in state:  # one trained since the page was built is in the list too
            updates[self.tabs["race"].choice] = gr.update(choices=races, value=state["race"])
        if "tab" in state:
            updates[self.tab_box] = gr.Tabs(selected=state["tab"])
        updates.update(self.lesson.render(state))
        for note in notes[:3]:
            warn(note)
        return updates


def redraw(change: str, reactions: list[Reaction], lineup: Lineup, value_of: dict) -> dict:
    """The updates of every reaction to ``change``, each reading its inputs from ``value_of``. A panel that cannot
    be drawn says why; after a lineup change it is emptied (it showed another lineup's pictures), after any other
    change it keeps its picture."""
    updates = {}
    for reaction in reactions:
        try:
            updates.update(reaction.draw(lineup, *(value_of[c] for c in reaction.reads)))
            continue
        except (InputError, ImageInputError) as error:
            warn(str(error), duration=8)
        except Exception as error:  # noqa: BLE001 -- a panel's bug must not blank the others
            log.exception("%s failed after a %s change", getattr(reaction.draw, "__name__", reaction.draw), change)
            warn(f"a panel could not be drawn ({type(error).__name__}: {error})", duration=8)
        if change == "lineup":
            updates.update({c: None for c in reaction.sets if _holds_a_picture(c)})
    return updates


def _holds_a_picture(component) -> bool:
    """Whether ``component`` shows a picture, a figure or a table (emptied by a value of None), not a control."""
    return isinstance(component, gr.Image | gr.HTML | gr.Dataframe | gr.File)


def _value(update):
    """The value an output update sets: a ``gr.update(value=...)``'s value, or the value itself."""
    return update.get("value") if isinstance(update, dict) and update.get("__type__") == "update" else update
