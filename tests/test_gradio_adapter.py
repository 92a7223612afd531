"""What explorer/page/adapter.py relies on in Gradio that Gradio does not publish: each test fails when a Gradio
release moves it (the page's counterpart for plotly: tests/test_browser_decode.py)."""

from __future__ import annotations

import inspect

import gradio as gr
import pytest

from explorer.page import adapter


def test_an_events_data_is_in_eventdata_underscore_data():
    assert adapter.event_data(gr.EventData(None, {"index": 3})) == {"index": 3}
    for sent in ("text", [1, 2], 7, None):  # what a client may send instead of an object
        assert adapter.event_data(gr.EventData(None, sent)) == {}


def test_gradio_passes_event_data_to_a_parameter_annotated_eventdata():
    from gradio.helpers import special_args

    seen = []
    wrapped = adapter.with_event_data(lambda dataset, k, names, data: seen.append((dataset, k, names, data)))
    inputs, *_ = special_args(wrapped, ["mnist", 2, ["m"]], None, gr.EventData(None, {"x": 1}))
    wrapped(*inputs)
    assert seen == [("mnist", 2, ["m"], {"x": 1})]


def test_a_components_preprocess_can_pass_its_raw_value_on():
    box = adapter.raw_values(gr.Number(0))
    assert box.preprocess("abc") == "abc" and box.preprocess(1e400) == 1e400
    assert "payload" in inspect.signature(gr.Number.preprocess).parameters  # what is replaced


def test_blocks_preprocess_data_is_the_async_step_that_check_calls_wraps():
    method = gr.Blocks.preprocess_data
    assert inspect.iscoroutinefunction(method)
    assert list(inspect.signature(method).parameters)[:4] == ["self", "block_fn", "inputs", "state"]
    with gr.Blocks() as demo:
        pass
    adapter.check_calls(demo)
    assert demo.preprocess_data.__name__ == "checked"


@pytest.mark.parametrize(
    "value,hidden",
    [
        ({"path": "/tmp/x/.secret.png"}, True),
        ({"orig_name": ".a.png"}, True),
        ({"path": "/tmp/x/a.png", "orig_name": "a.png"}, False),
        ("a", False),
    ],
)
def test_an_upload_whose_name_starts_with_a_dot_is_recognised(value, hidden):
    assert adapter._hidden_name(value) is hidden
