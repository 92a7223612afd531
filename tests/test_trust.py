"""What a hostile classroom tried, at the server's edge (no browser): uploads beyond one client's share, API
names the app does not publish, page events sent malformed data, sessions that multiply a client, a link
with markup in every field. Each test failed before its fix.

The page's side of the same (what a link shows, a lesson that degrades, panels emptied on a dataset switch):
tests/test_browser_trust.py.
"""

from __future__ import annotations

import asyncio
import inspect
import json

import gradio as gr
import httpx
import pytest

from explorer.core.sharing import SharingLimits
from explorer.page.guard import Guard
from explorer.views.safe_html import emphasis, text

MNIST = ["mnist-pca-z2", "mnist-ae-z2", "mnist-vae-z2"]
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000020000000208000000007e0e6a3e0000000d49444154789c6360"
    "60600000000400012a3b6d8e0000000049454e44ae426082"
)  # 2x2 grey


# ---- the front door, as ASGI (fast, no server) -----------------------------------------------------------------


def _guarded(limits: SharingLimits, names=frozenset({"samples"}), max_bytes: int = 1000):
    seen = []

    async def inner(scope, receive, send):
        message = await receive()
        seen.append(len(message.get("body", b"")))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    return Guard(inner, limits, max_bytes, lambda: set(names)), seen


def _post(app, path: str, files=None, content=None, client=("10.0.0.7", 5000), headers=None):
    async def go():
        transport = httpx.ASGITransport(app=app, client=client)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            return await http.post(path, files=files, content=content, headers=headers)

    return asyncio.run(go())


def test_an_upload_request_carries_one_picture_of_bounded_size():
    app, seen = _guarded(SharingLimits())
    ok = _post(app, "/gradio_api/upload", files=[("files", ("a.png", PNG, "image/png"))])
    assert ok.status_code == 200 and seen == [int(ok.request.headers["content-length"])]
    two = _post(
        app,
        "/gradio_api/upload",
        files=[("files", ("a.png", PNG, "image/png")), ("files", ("b.png", PNG, "image/png"))],
    )
    assert two.status_code == 413 and two.text == "at most 1 picture(s) in one upload; send them one at a time\n"
    big = _post(app, "/gradio_api/upload", files=[("files", ("a.png", b"x" * 70_000, "image/png"))])
    assert big.status_code == 413 and "up to 0 MB" not in big.text and len(seen) == 1  # Gradio never saw them


def test_uploads_are_counted_per_address_not_per_page_load():
    app, seen = _guarded(SharingLimits(uploads_per_minute=3))
    one = [("files", ("a.png", PNG, "image/png"))]
    codes = [_post(app, "/gradio_api/upload", files=one, headers={"x-session": str(i)}).status_code for i in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = _post(app, "/gradio_api/upload", files=one)
    assert refused.text.startswith("too many uploads from this address (at most 3 a minute)")
    assert int(refused.headers["retry-after"]) >= 1
    assert _post(app, "/gradio_api/upload", files=one, client=("10.0.0.8", 5000)).status_code == 200  # another
    classroom, _ = _guarded(SharingLimits(uploads_per_minute=3, clients_per_address=10))  # 30 a minute
    assert all(_post(classroom, "/gradio_api/upload", files=one).status_code == 200 for _ in range(12))


def test_unpublished_api_names_get_a_404_with_one_line():
    app, seen = _guarded(SharingLimits())
    for path in ("/gradio_api/api/nope", "/gradio_api/run/nope", "/gradio_api/call/nope", "/gradio_api/call/v2/nope/"):
        reply = _post(app, path, content=b"{}")
        assert reply.status_code == 404 and reply.text.count("\n") == 1 and "'nope'" in reply.text
    assert _post(app, "/gradio_api/call/samples", content=b"{}").status_code == 200
    assert _post(app, "/gradio_api/run/predict", content=b"{}").status_code == 200  # the page's unqueued calls


# ---- the live app --------------------------------------------------------------------------------------------------


def test_the_live_app_has_its_front_door(live_app):
    for path in ("/gradio_api/api/nope", "/gradio_api/call/nope", "/gradio_api/api/after_lineup"):
        reply = httpx.post(live_app + path, json={"data": []})
        assert reply.status_code == 404 and "Traceback" not in reply.text and reply.text.count("\n") == 1, path
    files = [("files", ("a.png", PNG, "image/png")), ("files", ("b.png", PNG, "image/png"))]
    assert httpx.post(live_app + "/gradio_api/upload", files=files).status_code == 413


def _event_handlers(demo) -> list[int]:
    """The fn_index of every page event whose handler reads a page script's event data."""
    found = []
    for index, fn in demo.fns.items():
        parameters = inspect.signature(fn.fn).parameters.values() if fn.fn else []
        if any(p.annotation in (gr.EventData, "gr.EventData") for p in parameters):
            found.append(index)
    return found


@pytest.mark.parametrize("data", ["text", [1, 2], 7, None])
def test_page_events_sent_data_that_is_not_an_object_get_the_apps_message(live_app, live_demo, data):
    handlers = _event_handlers(live_demo)
    assert len(handlers) >= 5
    for index in handlers:
        fn = live_demo.fns[index]
        values = ["mnist", 2, MNIST][: len(fn.inputs)] + [None] * max(0, len(fn.inputs) - 3)
        session = f"trust{index}{abs(hash(json.dumps(data)))}"
        join = httpx.post(
            f"{live_app}/gradio_api/queue/join",
            json={"data": values, "event_data": data, "fn_index": index, "session_hash": session, "trigger_id": None},
        )
        assert join.status_code == 200, join.text
        with httpx.stream(
            "GET", f"{live_app}/gradio_api/queue/data", params={"session_hash": session}, timeout=60
        ) as events:
            for line in events.iter_lines():
                message = json.loads(line[5:]) if line.startswith("data:") else {}
                if message.get("msg") == "process_completed":
                    break
        output = message.get("output") or {}
        if not message.get("success"):
            error = output.get("error")
            assert error and "AttributeError" not in error and "NoneType" not in error, (fn.name, error)


# ---- text from outside, as the page shows it ---------------------------------------------------------------------


def test_quoted_text_is_shown_as_itself_and_only_emphasis_is_kept():
    hostile = '<form action="//evil"><input name=password></form> [click](javascript:x) <img src=//evil>'
    assert "<" not in text(hostile).replace("&lt;", "") and "&lt;form" in text(hostile)
    html = emphasis(f"**Predict:** where?\n\n*new* digits {hostile}")
    assert html.startswith("<p><b>Predict:</b> where?</p><p><i>new</i> digits &lt;form")
    assert "<form" not in html and "<img" not in html and "<a" not in html


def test_an_upload_named_with_a_leading_dot_gets_the_apps_message(client, tmp_path):
    from gradio_client import handle_file

    (tmp_path / ".hidden.png").write_bytes(PNG)
    with pytest.raises(Exception) as refused:  # noqa: PT011 -- gradio_client raises its own AppError
        client.predict("mnist", 2, MNIST, handle_file(str(tmp_path / ".hidden.png")), api_name="/encode_upload")
    assert "file name starts with a dot" in str(refused.value) and "Dotfiles" not in str(refused.value)
