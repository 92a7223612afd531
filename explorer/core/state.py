"""The page's state as plain values: what a link's query string and a lesson's steps say, checked.

    ?dataset=mnist&k=16&models=mnist-ae-z16,mnist-vae-z16&tab=sampling&image=7&seed=3&noise=0.5
     &layers=prior,samples&view=pca&axes=1.5,0,-2&lesson=why-vaes-sample-well&step=2&revealed=1&presenter=1
     &race=mnist-ae-vae-beta4

Every field is optional. :func:`read_state` takes either the query string's text values or a lesson's
typed values (TOML) and returns the fields it understood, each checked, plus a short note for each
field it had to leave out, so a stale or hand-edited link still opens the page (and says what it
ignored). Whether a dataset, k or model exists is the :class:`~explorer.store.Store`'s to say, when
the state is applied. :func:`query_string` writes a state back.

No Gradio here: the page (``explorer/page/changes.py``) applies a state and keeps the address bar in step;
:func:`with_lesson` and :func:`resolve_lineup` say what a state comes to against the app's lessons and models.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from urllib.parse import urlencode

from explorer.core.entries import MAX_AXES, TRAVERSAL_RANGE
from explorer.core.inputs import InputError, real_number, whole_number

TABS = (
    "latent_map",
    "traversal",
    "sampling",
    "interpolation",
    "reconstruction",
    "insights",  # in page order:
    "anomalies",
    "race",
    "compare",
)  # each a module of explorer/page/tabs/
VIEWS = ("dims", "pca", "umap")
LAYERS = {
    "prior": "prior N(0, I): 1σ, 2σ circles",
    "samples": "the sampling grid's codes",  # name: its switch's text
    "holes": "prior holes: prior mass, no codes",
    "quality": "decoder nonsense: cycle error",
}
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._=-]{0,99}")  # checkpoint, dataset and lesson names


def _name(value, what: str) -> str:
    if not isinstance(value, str) or not NAME.fullmatch(value):
        raise InputError(f"{what} must be a name such as mnist-vae-z2, got {value!r}")
    return value


def _names(value, what: str) -> list[str]:
    items = _items(value)
    if not items or len(items) > 16:
        raise InputError(f"{what} must list 1 to 16 names, got {value!r}")
    return [_name(v, what) for v in items]


def _items(value) -> list:
    """A list from a list, or from comma-separated text ('' is an empty list)."""
    if isinstance(value, str):
        return [v.strip() for v in value.split(",")] if value.strip() else []
    if isinstance(value, list | tuple):
        return list(value)
    raise InputError(f"expected a list, got {value!r}")


def _one_of(choices) -> Callable:
    def check(value, what: str) -> str:
        if value not in choices:
            raise InputError(f"{what} must be one of {', '.join(choices)}, got {value!r}")
        return value

    return check


def _layers(value, what: str) -> list[str]:
    items = _items(value)
    for item in items:
        _one_of(tuple(LAYERS))(item, what)
    return items


def _axes(value, what: str) -> list[float]:
    items = _items(value)
    if len(items) > MAX_AXES:
        raise InputError(f"{what} must list at most {MAX_AXES} slider values, got {len(items)}")
    return [real_number(v, -TRAVERSAL_RANGE, TRAVERSAL_RANGE, f"{what} {i + 1}") for i, v in enumerate(items)]


def _flag(value, what: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise InputError(f"{what} must be 1 or 0, got {value!r}")


FIELDS: dict[str, Callable] = {
    "dataset": _name,
    "k": lambda v, what: whole_number(v, 1, 4096, what),
    "models": _names,
    "tab": _one_of(TABS),
    "image": lambda v, what: whole_number(v, 0, 10**7, what),
    "seed": lambda v, what: whole_number(v, 0, 2**31 - 1, what),
    "noise": lambda v, what: real_number(v, 0.0, 1.0, what),
    "layers": _layers,
    "view": _one_of(VIEWS),
    "axes": _axes,
    "lesson": _name,
    "step": lambda v, what: whole_number(v, 1, 1000, what),
    "revealed": _flag,
    "presenter": _flag,
    "race": _name,
}
WHAT = {"k": "latent size k", "image": "selected image", "axes": "slider"}  # how a note names a field


def read_state(values: Mapping, where: str = "the link") -> tuple[dict, list[str]]:
    """The fields of ``values`` (text from a query string, or typed values from a lesson) that are known
    and valid, converted; and a note for each one left out. Unknown fields are noted, not fatal."""
    state, notes = {}, []
    for key, value in values.items():
        check = FIELDS.get(key)
        if check is None:
            notes.append(f"{where} has an unknown field {_short(repr(key))} (known: {', '.join(FIELDS)})")
            continue
        try:
            state[key] = check(value, WHAT.get(key, key))
        except InputError as error:
            notes.append(f"{where}: {_short(str(error), 200)}")
    return state, notes


def _short(text: str, limit: int = 60) -> str:
    """``text`` cut to at most ``limit`` characters (a link's field can be any length)."""
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def query_string(state: Mapping) -> str:
    """``state`` as a query string (lists comma-separated, flags as 1), fields in :data:`FIELDS` order."""
    pairs = []
    for key in FIELDS:
        if key not in state or state[key] is None:
            continue
        value = state[key]
        if isinstance(value, bool):
            value = int(value)
        elif isinstance(value, list | tuple):
            value = ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
        pairs.append((key, value))
    return urlencode(pairs, safe=",")


# ---- a state resolved against what the app has ----------------------------------------------------------------------


def with_lesson(state: dict, lessons: Mapping) -> tuple[dict, list[str]]:
    """``state`` with its lesson applied: a lesson step it names opens on that step's page, the state's own fields
    over it; a lesson not in ``lessons`` (name -> :class:`~explorer.core.lessons.Lesson`), or a step without a
    lesson, is left out, with a note; the rest is kept."""
    notes = []
    name = state.get("lesson")
    lesson = lessons.get(name) if name else None
    if name and lesson is None:
        notes.append(
            f"the link names a lesson this app does not have ({name!r}; it has: {', '.join(lessons) or 'none'})"
        )
    if lesson is None:
        stray = [key for key in ("step", "revealed") if key in state]
        if stray and name != "":
            notes.append(f"the link's {' and '.join(stray)} belong to a lesson, and it names none")
        kept = {k: v for k, v in state.items() if k not in ("lesson", "step", "revealed")}
        return ({**kept, "lesson": ""} if "lesson" in state else kept), notes
    step = min(state.get("step", 1), len(lesson.steps))
    return {**lesson.state(step, state.get("revealed", False)), **state, "step": step}, notes


def resolve_lineup(store, state: dict, dataset: str, latent_dim) -> tuple[str, int, list[str], list[str]]:
    """The (dataset, k, models) that ``state`` asks for over a page showing ``dataset`` at ``latent_dim``, kept to
    what ``store`` (a :class:`~explorer.core.store.Store`) has, and a note for each thing left out."""
    notes = []
    name = state.get("dataset", dataset)
    if name not in store.datasets():
        notes.append(f"this app has no {name} models: showing {dataset}")
        name = dataset if dataset in store.datasets() else store.datasets()[0]
    dims = store.latent_dims(name, state.get("models", []))  # a sweep's model: its sweep's k too
    k = state.get("k", latent_dim if name == dataset else dims[0])
    if k not in dims:
        if "k" in state:
            notes.append(f"{name} has no models with k = {k}: showing k = {dims[0]}")
        k = dims[0]
    available = [e.name for e in store.models(name, k, state.get("models", []))]
    missing = [m for m in state.get("models", []) if m not in available]
    if missing:
        notes.append(f"no model {', '.join(missing)} for {name} at k = {k}")
    models = [m for m in state.get("models", []) if m in available] or store.default_names(name, k)
    return name, k, models, notes
