"""The one module that relies on what Gradio does not publish. Each hook here has no public equivalent in Gradio
6.31, and ``tests/test_gradio_adapter.py`` fails when a Gradio release moves what it relies on:

- :func:`event_data`: the data a page script sends with ``trigger(name, data)`` reaches Python only as
  ``gr.EventData._data`` (the public subclasses, ``SelectData`` and the like, name other components' fields);
- :func:`raw_values`: a component whose value the handler must check itself (a number box sends "abc" or 1e400;
  Gradio's own conversion fails on them with its generic "Error"), so its ``preprocess`` passes the value on;
- :func:`check_calls`: values Gradio itself refuses before any handler runs (too few values, text for a slider,
  a file path that was not uploaded) get the app's short message instead of "Error" and a traceback; it wraps
  ``Blocks.preprocess_data``.

The page's script has its own counterpart for plotly's private layout: ``window.lePlotly`` in
``static/plotly_adapter.js``.
"""

from __future__ import annotations

import logging

import gradio as gr

from explorer.page.context import refuse

log = logging.getLogger(__name__)


def event_data(event) -> dict:
    """What a page script sent with its event: a dict, or {} for anything else (a client may send anything)."""
    data = getattr(event, "_data", None)
    return data if isinstance(data, dict) else {}


def with_event_data(fn):
    """``fn(dataset, latent_dim, names, data: dict)`` as a Gradio function of the lineup's three inputs and the
    event: Gradio passes an event's data only to a function that asks for a ``gr.EventData`` parameter itself."""

    def run(dataset, latent_dim, names, event: gr.EventData):
        return fn(dataset, latent_dim, names, event_data(event))

    run.__name__, run.__doc__ = getattr(fn, "__name__", "event"), fn.__doc__
    return run


def with_value_and_event_data(fn):
    """As :func:`with_event_data`, with one more input before the event: ``fn(dataset, latent_dim, names, value,
    data: dict)``."""

    def run(dataset, latent_dim, names, value, event: gr.EventData):
        return fn(dataset, latent_dim, names, value, event_data(event))

    run.__name__, run.__doc__ = getattr(fn, "__name__", "event"), fn.__doc__
    return run


def only_event_data(fn):
    """``fn(data: dict)`` as a Gradio function of the event alone (see :func:`with_event_data`)."""

    def run(event: gr.EventData):
        return fn(event_data(event))

    run.__name__, run.__doc__ = getattr(fn, "__name__", "event"), fn.__doc__
    return run


def optional_in_api(component):
    """``component`` as a trailing value an API call may leave out (its default is used): a value added to an
    endpoint after scripts were written against it (the class a conditional model draws, the noise)."""
    component.optional_in_api = True
    return component


def raw_values(component):
    """``component`` passing its raw value to the handler, which checks it and says what is wrong. Not a
    subclass: Gradio writes a .pyi stub beside any module that subclasses a component."""
    component.preprocess = lambda payload: payload
    return component


def check_calls(demo: gr.Blocks) -> None:
    """Make every value Gradio itself refuses a short message too (see the module docstring). The handlers
    check the rest: ranges, finiteness, names (:mod:`explorer.core.inputs`)."""
    preprocess = demo.preprocess_data  # Blocks.preprocess_data(block_fn, inputs, state, explicit_call)

    async def checked(block_fn, inputs, state, *args, **kwargs):
        wanted = [_describe(c) for c in block_fn.inputs]
        if isinstance(inputs, list) and len(inputs) < len(wanted):  # trailing values left out: their defaults
            left_out = block_fn.inputs[len(inputs) :]
            if all(getattr(c, "optional_in_api", False) for c in left_out):
                inputs = [*inputs, *(c.value for c in left_out)]
        if not isinstance(inputs, list) or len(inputs) < len(wanted):
            got = len(inputs) if isinstance(inputs, list) else type(inputs).__name__
            raise refuse(f"this call takes {len(wanted)} values ({', '.join(wanted)}); got {got}")
        for component, what, value in zip(block_fn.inputs, wanted, inputs, strict=False):
            if isinstance(component, gr.Slider) and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise refuse(f"{what} must be a number, got {value!r}")
            if isinstance(component, gr.Image) and value is not None and not _uploaded(value):
                raise refuse(
                    "the picture must be a file uploaded to this server first (with gradio_client: "
                    "handle_file(path)), not a web address or anything else"
                )
            if isinstance(component, gr.Image) and _hidden_name(value):
                raise refuse(
                    "the picture's file name starts with a dot, which the server does not take; rename "
                    "it (for example to picture.png) and upload it again"
                )
        try:
            return await preprocess(block_fn, inputs, state, *args, **kwargs)
        except gr.Error as error:  # a component's own check (a choice, a slider's range): no traceback either
            raise refuse(error.message) from None
        except Exception as error:  # noqa: BLE001 -- whatever Gradio's own checks raise
            first = (str(error) or type(error).__name__).splitlines()[0][:200]
            log.warning("refused a call to %s: %s: %s", block_fn.name, type(error).__name__, first)
            raise refuse(f"a value was refused: {first}") from None

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
