"""Bad input at every boundary of the running app: API values sent as raw JSON (what any HTTP client can
send, not only gradio_client), uploads, and Gradio's file and upload routes. Each case must get the app's
own short message (never Gradio's generic "Error" or a traceback) and leave the server serving.

Checkpoints and command-line arguments: tests/test_faults.py, tests/test_checkpoint.py, tests/test_startup.py.
"""

from __future__ import annotations

import base64
import io
import json
import struct
import zlib
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image

from explorer.core.entries import MAX_AXES

REPO = Path(__file__).resolve().parents[1]
MNIST = ["mnist-pca-z2", "mnist-ae-z2", "mnist-vae-z2"]
L = ["mnist", 2, MNIST]
ZEROS = [0.0] * MAX_AXES


def call(base: str, api_name: str, data=None, body: str | None = None) -> tuple[str, object]:
    """POST raw JSON to /gradio_api/call/<api_name> and read the result: ("complete", data) or ("error", message)."""
    body = body if body is not None else json.dumps({"data": data})
    reply = httpx.post(
        f"{base}/gradio_api/call/{api_name}", content=body, timeout=60, headers={"content-type": "application/json"}
    )
    if reply.status_code == 422:  # refused by the route itself (malformed JSON or no "data" list)
        return "error", f"422: {reply.json()['detail'][0]['msg']}"
    if reply.status_code != 200:
        return "http", reply.status_code
    events = httpx.get(f"{base}/gradio_api/call/{api_name}/{reply.json()['event_id']}", timeout=120).text
    lines = events.strip().splitlines()
    event = [line for line in lines if line.startswith("event:")][-1].split(":", 1)[1].strip()
    payload = json.loads([line for line in lines if line.startswith("data:")][-1].split(":", 1)[1])
    if event == "error":
        return "error", payload.get("error") if isinstance(payload, dict) else payload
    return event, payload


# (endpoint, data or a raw JSON body, the message expected); every one a distinct way to be wrong.
API_CASES = [
    ("select", L + ["abc"], r"image index must be a whole number, got 'abc'"),
    ("select", L + [[1, 2]], r"image index must be a whole number, got \[1, 2\]"),
    ("select", '{"data": ["mnist", 2, ["mnist-vae-z2"], NaN]}', r"image index must be a whole number, got nan"),
    ("select", '{"data": ["mnist", 2, ["mnist-vae-z2"], Infinity]}', r"image index must be a whole number, got inf"),
    ("select", L + [-1], r"image index -1 is out of range: it must be between 0 and 9999"),
    ("select", L + [2.5], r"image index must be a whole number, got 2.5"),
    ("select", L + [True], r"image index must be a whole number, got True"),
    ("select", L + [None], r"image index must be a whole number: the box is empty"),
    ("select", L + [10**30], r"out of range"),
    ("select", L, r"this call takes 4 values \(Dataset, Latent size k, Models side by side, Selected image #\); got 3"),
    ("select", '{"data": "mnist"}', r"422: Input should be a valid list"),
    ("select", '{"data": [1, 2', r"422: JSON decode error"),
    ("select", ["nope", 2, MNIST, 0], r"not in the list of choices"),
    ("select", [5, 2, MNIST, 0], r"not in the list of choices"),
    ("select", ["mnist", "abc", MNIST, 0], r"not in the list of choices"),
    ("select", ["mnist", 2, [1, 2], 0], r"models must be a list of model names, got \[1, 2\]"),
    ("select", ["mnist", 2, {"a": 1}, 0], r"models must be a list of model names"),
    ("select", ["mnist", 2, ["../../etc/passwd"], 0], r"no model named '../../etc/passwd' for mnist at latent size 2"),
    ("select", ["faces", 2, MNIST, 0], r"no model named 'mnist-pca-z2' for faces"),
    ("samples", L + [6, "abc"], r"seed must be a whole number, got 'abc'"),
    ("samples", L + [6, -5], r"seed -5 is out of range"),
    ("samples", L + [6, 2**40], r"seed 1099511627776 is out of range"),
    ("samples", L + [6.5, 1], r"grid size must be a whole number, got 6.5"),
    ("samples", L + ["six", 1], r"must be a number, got 'six'"),
    ("samples", L + [0, 1], r"less than minimum value"),
    ("samples", L + [1000, 1], r"greater than maximum value"),
    ("traverse", L + [0, "selected", "abc", *ZEROS[1:]], r"slider 1 must be a number, got 'abc'"),
    ("traverse", L + [0, "selected", None, *ZEROS[1:]], r"slider 1 must be a number, got None"),
    (
        "traverse",
        json.dumps({"data": L + [0, "selected"]})[:-2] + ", NaN" + ", 0" * (MAX_AXES - 1) + "]}",
        r"slider 1 must be a number between -3 and 3, got nan",
    ),
    ("traverse", L + [0, "selected", 1e6, *ZEROS[1:]], r"greater than maximum value"),
    ("traverse", L + [0, "sideways", *ZEROS], r"not in the list of choices"),
    ("traverse", L + [0, "selected"], r"this call takes 21 values"),
    ("decode_at", L + ["mnist-vae-z2", "abc", 0.0], r"x must be a number, got 'abc'"),
    ("decode_at", L + ["mnist-vae-z2", None, 0.0], r"x must be a number: the box is empty"),
    ("decode_at", '{"data": ["mnist", 2, ["mnist-vae-z2"], "mnist-vae-z2", 0, -Infinity]}', r"y must be a number"),
    ("decode_at", L + ["mnist-vae-z16", 0.0, 0.0], r"no model named 'mnist-vae-z16' in this lineup"),
    ("decode_at", L + [["mnist-vae-z2"], 0.0, 0.0], r"no model named"),
    ("interpolate", L + [0, "b", 8], r"must be a whole number, got 'b'"),
    ("interpolate", L + [0, 1, 10000], r"greater than maximum value"),
    ("interpolate", L + [0, 10**6, 8], r"out of range"),
    ("reconstruct", L + [{"seed": 1}], r"seed must be a whole number"),
    ("manifolds", L + [1000], r"greater than maximum value"),
    ("traversal_gif", L + [-3, "selected"], r"image index -3 is out of range"),
    ("race_gif", ["no-such-race"], r"no race named .no-such-race.; choose one of mnist-ae-vae-beta4"),
    ("race_gif", [["a", "list"]], r"no race named"),
    ("race_train", ["cifar", ["AE"], 1, 1000], r"dataset must be one of mnist"),
    ("race_train", ["mnist", ["AE", "GAN"], 1, 1000], r"choose 1 to 6 models to race from: AE, DAE, VAE"),
    ("race_train", ["mnist", ["AE"], "two", 1000], r"Epochs must be a number, got 'two'"),
    ("race_train", ["mnist", ["AE"], 1, 10**9], r"greater than maximum value|training images .* out of range"),
    ("race_cancel", [], r"no race of yours is waiting or training"),
    ("maps", L + ["nope", 0, None, ["prior"], None], r"not in the list of choices"),
    ("maps", L + ["dims", 0, None, ["prior", "nope"], None], r"not in the list of choices"),
    ("select", L + ["12abc"], r"image index must be a whole number, got '12abc'"),
    ("encode_drawing", L + ["hello"], r"No drawing received: draw on the pad"),
    ("encode_drawing", L + [12], r"No drawing received"),
    ("encode_drawing", L + ["data:image/png;base64,@@@not base64@@@"], r"picture's data is damaged"),
    (
        "encode_drawing",
        L + ["data:image/png;base64," + base64.b64encode(b"%PDF-1.4 not a png").decode()],
        r"not a picture this app reads",
    ),
    ("encode_drawing", L + ["data:image/png;base64," + "A" * (15 * 2**20)], r"larger than 10 MB"),
    ("encode_upload", L + [None], r"No picture received"),
    ("encode_upload", L + ["/etc/passwd"], r"must be a file uploaded to this server first"),
    ("encode_upload", L + [5], r"must be a file uploaded to this server first"),
    ("encode_upload", L + [{"path": "/etc/passwd", "meta": {"_type": "gradio.FileData"}}], r"not uploaded by a user"),
    (
        "encode_upload",
        L + [{"path": str(REPO / "app.py"), "meta": {"_type": "gradio.FileData"}}],
        r"not uploaded by a user",
    ),
    (
        "encode_upload",
        L + [{"path": "https://example.com/huge.png", "meta": {"_type": "gradio.FileData"}}],
        r"uploaded to this server first .* not a web address",
    ),  # the server would download it, unbounded
    (
        "encode_upload",
        L + [{"path": None, "url": "http://10.0.0.1/x.png", "meta": {"_type": "gradio.FileData"}}],
        r"not a web address",
    ),
]


@pytest.mark.parametrize("endpoint,data,message", API_CASES, ids=[f"{i}-{case[0]}" for i, case in enumerate(API_CASES)])
def test_bad_api_values_get_a_short_message_of_the_apps_own(live_app, endpoint, data, message):
    import re

    body = data if isinstance(data, str) else None
    event, reply = call(live_app, endpoint, None if body else data, body)
    assert event == "error", (event, str(reply)[:200])
    assert isinstance(reply, str) and re.search(message, reply), reply
    assert len(reply) < 300 and "Traceback" not in reply


def _upload(base: str, name: str, data: bytes) -> dict:
    """Upload ``data`` through Gradio's upload route, as the page does; the FileData the API then takes."""
    reply = httpx.post(f"{base}/gradio_api/upload", files={"files": (name, data)}, timeout=60)
    reply.raise_for_status()
    return {"path": reply.json()[0], "orig_name": name, "meta": {"_type": "gradio.FileData"}}


def _png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def _bomb_png(side: int = 12000) -> bytes:
    """A valid grey PNG of side x side black pixels in ~140 KB: 144 million pixels once decoded."""
    rows = zlib.compress((b"\x00" * (side + 1)) * side, 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


UPLOAD_CASES = [
    ("doc.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", r"not a picture this app reads"),
    ("notes.txt", b"just some text\n" * 20, r"not a picture this app reads"),
    ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><circle r="5"/></svg>', r"not a picture this app reads"),
    ("empty.png", b"", r"That file is empty"),
    ("cut.png", _png(np.full((64, 64), 200, np.uint8))[:60], r"damaged or cut short"),
    ("dot.png", _png(np.zeros((1, 1), np.uint8)), r"1x1 pixels: too small"),
    ("clear.png", _png(np.zeros((50, 50, 4), np.uint8)), r"fully transparent"),
    ("huge.png", _bomb_png(), r"12000x12000 pixels; pictures up to 25 million pixels"),
]


@pytest.mark.parametrize("name,data,message", UPLOAD_CASES, ids=[case[0] for case in UPLOAD_CASES])
def test_bad_uploads_are_refused_by_what_they_are(live_app, name, data, message):
    import re

    event, reply = call(live_app, "encode_upload", L + [_upload(live_app, name, data)])
    assert event == "error" and re.search(message, reply), reply


def test_no_upload_raises_the_servers_memory_by_300_mb():
    """Each read in a fresh process, its peak memory before and after (benchmarks/bench_uploads.py): the
    largest picture accepted stays under 300 MB; the 12000x12000 one is refused from its header."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_uploads", REPO / "benchmarks" / "bench_uploads.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    files = bench.files()
    largest = bench.measure(files["5000x5000 RGBA PNG (accepted, the largest)"])
    assert largest["outcome"] == "read" and largest["peak_increase_mb"] < 300, largest
    bomb = bench.measure(_bomb_png())
    assert bomb["outcome"].startswith("refused") and bomb["peak_increase_mb"] < 50, bomb  # 144 MB if decoded


def test_the_upload_route_refuses_files_over_the_size_limit(live_app):
    reply = httpx.post(f"{live_app}/gradio_api/upload", files={"files": ("big.png", b"\0" * (11 * 2**20))}, timeout=60)
    assert reply.status_code == 413, reply.status_code


def test_a_white_digit_on_a_transparent_background_is_read_as_a_digit(live_app, client):
    """Flattened onto black (the content is light), not onto white paper (nothing left to see)."""
    canvas = np.zeros((200, 200, 4), np.uint8)
    canvas[40:160, 90:110] = 255
    opaque = np.zeros((200, 200), np.uint8)
    opaque[40:160, 90:110] = 255
    event, transparent = call(live_app, "encode_upload", L + [_upload(live_app, "white.png", _png(canvas))])
    assert event == "complete", transparent
    _, black = call(live_app, "encode_upload", L + [_upload(live_app, "black.png", _png(opaque))])
    assert _pixels(transparent[-1]).shape == _pixels(black[-1]).shape
    assert np.array_equal(_pixels(transparent[-1]), _pixels(black[-1]))


def test_an_animated_gif_is_read_by_its_first_frame(live_app):
    first = np.full((100, 100), 255, np.uint8)
    first[20:80, 45:55] = 0  # a dark "1" on white
    second = np.zeros((100, 100), np.uint8)  # all black: "No drawing found" if it were read
    frames = [Image.fromarray(first).convert("P"), Image.fromarray(second).convert("P")]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    event, gif = call(live_app, "encode_upload", L + [_upload(live_app, "one.gif", buffer.getvalue())])
    assert event == "complete", gif
    _, png = call(live_app, "encode_upload", L + [_upload(live_app, "one.png", _png(first))])
    assert np.array_equal(_pixels(gif[-1]), _pixels(png[-1]))


def _pixels(file_data: dict) -> np.ndarray:
    with Image.open(file_data["path"]) as image:
        return np.asarray(image.convert("L"))


@pytest.mark.parametrize(
    "path",
    [
        "/etc/passwd",
        str(REPO / "app.py"),
        str(REPO / "checkpoints" / "mnist-vae-z2" / "checkpoint.json"),
        str(REPO / ".cache" / "explorer" / ".." / ".." / "app.py"),
        str(REPO / ".cache" / "explorer" / "%2e%2e" / "%2e%2e" / "app.py"),
        "..%2f..%2f..%2fetc%2fpasswd",
        "~/.bashrc",
    ],
)
def test_file_routes_refuse_paths_outside_the_apps_folders(live_app, path):
    reply = httpx.get(f"{live_app}/gradio_api/file={path}", timeout=30)
    assert reply.status_code in (403, 404), (reply.status_code, reply.text[:100])
    assert b"root:" not in reply.content and b"import" not in reply.content


def test_file_routes_serve_the_pages_own_files(live_app, client):
    spec = client.predict(*L, "dims", 0, api_name="/maps")
    assert httpx.get(live_app + spec["sprite"]["url"], timeout=30).status_code == 200
    assert httpx.get(live_app + spec["maps"][0]["data"], timeout=30).status_code == 200


def test_state_is_per_user(live_app, tmp_path):
    """A's upload stars A's maps only: per-user state lives in gr.State, nothing is shared."""
    from gradio_client import Client, handle_file

    alice, bob = (Client(live_app, analytics_enabled=False, verbose=False) for _ in range(2))
    digit = np.full((100, 100), 255, np.uint8)
    digit[20:80, 45:55] = 0
    path = tmp_path / "alice-digit.png"
    path.write_bytes(_png(digit))
    alice.predict(*L, handle_file(str(path)), api_name="/encode_upload")
    assert set(alice.predict(*L, "dims", 0, api_name="/maps")["yours"]) == set(MNIST)
    assert bob.predict(*L, "dims", 0, api_name="/maps")["yours"] == {}


def test_after_all_that_the_server_still_serves(client):
    assert Path(client.predict(*L, 6, 1, api_name="/samples")).suffix == ".png"
    assert client.predict(api_name="/broken_checkpoints") == []
