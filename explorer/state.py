"""The page's state as plain values: what a link's query string and a lesson's steps say, checked.

    ?dataset=mnist&k=16&models=mnist-ae-z16,mnist-vae-z16&tab=sampling&image=7&seed=3
     &layers=prior,samples&view=pca&axes=1.5,0,-2&lesson=why-vaes-sample-well&step=2&revealed=1&presenter=1

Every field is optional. :func:`read_state` takes either the query string's text values or a lesson's
typed values (TOML) and returns the fields it understood, each checked, plus a short note for each
field it had to leave out, so a stale or hand-edited link still opens the page (and says what it
ignored). Whether a dataset, k or model exists is the :class:`~explorer.store.Store`'s to say, when
the state is applied. :func:`query_string` writes a state back.

No Gradio here: the page (``explorer/page.py``) applies a state and keeps the address bar in step.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from urllib.parse import urlencode

from .inputs import InputError, real_number, whole_number
from .map_layers import LAYERS
from .panels import MAX_AXES, TRAVERSAL_RANGE
from .tabs import TABS

VIEWS = ("dims", "pca", "umap")
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
    "tab": _one_of(tuple(TABS)),
    "image": lambda v, what: whole_number(v, 0, 10**7, what),
    "seed": lambda v, what: whole_number(v, 0, 2**31 - 1, what),
    "layers": _layers,
    "view": _one_of(VIEWS),
    "axes": _axes,
    "lesson": _name,
    "step": lambda v, what: whole_number(v, 1, 1000, what),
    "revealed": _flag,
    "presenter": _flag,
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
    return text if len(text) <= limit else f"{text[:limit - 1]}…"


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
