"""The server's front door: an ASGI middleware in front of Gradio's routes (``launch(app_kwargs=...)``).

- Uploads (``POST /gradio_api/upload``): at most :attr:`SharingLimits.uploads_per_request` files of up to
  ``max_bytes`` each in one request (413 otherwise), and at most ``uploads_per_minute`` files a client
  (429, with ``Retry-After``). The body is read here, bounded by its declared length, before Gradio stores
  anything; a request that does not declare its length is refused (411).
- Named API calls (``/gradio_api/{api,run,call,call/v2}/<name>``) to a name the app does not publish: 404 with
  one line, instead of Gradio's 500 and a traceback in the terminal. (The page's own unqueued calls go to
  ``run/predict``, which passes.) Routes the app does not use (``process_recording``) answer 404 too.

Each refusal is one line of plain text that says what to do. No Gradio import here: the published names
come from a callable.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from explorer.core.sharing import RateWindow, SharingLimits, client_of

UPLOAD = "/gradio_api/upload"
NAMED_CALL = re.compile(r"^/gradio_api/(?:api|run|call/v2|call)/([^/]+)/?$")
UNUSED = ("/gradio_api/process_recording",)
MULTIPART_SLACK = 64 << 10  # headers and boundaries around a file's bytes


class Guard:
    """ASGI middleware: ``Guard(app, limits, max_bytes, api_names)``; ``api_names()`` gives the names callers
    may use (read on each call, so it can be set once the app is built)."""

    def __init__(self, app, limits: SharingLimits, max_bytes: int, api_names: Callable[[], set[str]]):
        self.app, self.limits, self.max_bytes, self.api_names = app, limits, max_bytes, api_names
        self.uploads = RateWindow(limits.uploads_per_minute, 60.0)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") != "POST":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        if path.rstrip("/") == UPLOAD:
            return await self._upload(scope, receive, send)
        if path.rstrip("/") in UNUSED:
            return await _refuse(send, 404, "this app takes no recordings")
        named = NAMED_CALL.match(path)
        if named and named.group(1) != "predict" and named.group(1) not in self.api_names():
            name = named.group(1)[:60]
            return await _refuse(
                send, 404, f"no API endpoint named {name!r}; the app's endpoints are listed at /gradio_api/info"
            )
        return await self.app(scope, receive, send)

    async def _upload(self, scope, receive, send):
        files, limits = self.limits.uploads_per_request, self.limits
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is None or not length.isdigit():
            return await _refuse(send, 411, "an upload must say its length (Content-Length)")
        most = files * (self.max_bytes + MULTIPART_SLACK)
        if int(length) > most:
            return await _refuse(
                send,
                413,
                f"at most {files} picture(s) of up to {_size(self.max_bytes)} in one upload; send a smaller one",
            )
        body = await _read_body(receive, int(length))
        if body is None:
            return  # the client went away
        boundary = _boundary(headers.get(b"content-type", b""))
        count = body.count(b"--" + boundary + b"\r\n") if boundary else 0
        if count > files:
            return await _refuse(send, 413, f"at most {files} picture(s) in one upload; send them one at a time")
        client = client_of((scope.get("client") or (None,))[0])
        per_address = limits.per_address(limits.uploads_per_minute)
        if self.uploads.limit != per_address:  # per address: a classroom behind one address gets more
            self.uploads.limit = per_address
        if not self.uploads.allow(client, max(count, 1)):
            wait = max(1, round(self.uploads.wait(client)))
            return await _refuse(
                send,
                429,
                f"too many uploads from this address (at most {per_address} a minute); try again in {wait} s",
                {b"retry-after": str(wait).encode()},
            )
        return await self.app(scope, _replay(body, receive), send)


def _size(n: int) -> str:
    return f"{n / 2**20:.0f} MB" if n >= 2**20 else f"{n / 1024:.0f} kB"


def _boundary(content_type: bytes) -> bytes | None:
    match = re.search(rb'boundary="?([^";]+)"?', content_type)
    return match.group(1) if match else None


async def _read_body(receive, length: int) -> bytes | None:
    """The request's body, at most ``length`` bytes (what it declared; more is cut off, as a server would)."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        chunks.append(chunk[: max(0, length - size)])
        size += len(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def _replay(body: bytes, receive):
    """A ``receive`` that gives the body read already, then waits on the client's own (for its disconnect)."""
    sent = False

    async def replay():
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _refuse(send, status: int, message: str, headers: dict[bytes, bytes] | None = None) -> None:
    body = f"{message}\n".encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                *(headers or {}).items(),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
