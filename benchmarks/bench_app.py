"""App speed, measured in headless Chromium on this machine (the figures of the lineup issue).

1. Cold start: `python app.py` as a subprocess -> the server answers -> the page's controls work ->
   the latent maps are drawn.
2. Switches: a new dataset or latent size, from the pointer press on the control until every map of
   the new lineup is drawn (measured in the page with performance.now()).
3. Click a point until it is ringed in every map and its reconstructions are painted.
4. Encode a drawing until it is starred in every map.
5. Slider drags with the mouse, for MNIST (MLP decoders) and faces (conv decoders): each input event
   -> the page's own frame painted, and the drag's release (when the page asks for the exact frame)
   -> the server's frame painted (timed by explorer/static/live.js).
6. 50 dataset switches: the JS heap and the number of canvases (WebGL contexts) before and after.
7. Page loads on the warm server (a page opened again in the same browser: its cache holds Gradio's scripts),
   from the navigation's start to the maps drawn: 5 on an idle server, then 3 while a sweep trains on it
   (4 VAEs, 5 epochs, started through the API as a second client would, and cancelled after).

    python benchmarks/bench_app.py [--drags 12] [--switches 50] [--data-dir ../shared/data]

Writes benchmarks/results/app.json.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/lib/chromium/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-precise-memory-info",
    "--js-flags=--expose-gc",
]
GRID = "document.querySelector('#le-maps .le-maps')"
LIVE = "document.querySelector('#le-live .le-live').leLive"
ARM = """(what) => {  // start the clock at the next pointer press, stop it when `what` happens
  window.__leT = null;
  document.addEventListener('pointerdown', () => { window.__leT = performance.now(); }, {capture: true, once: true});
  window.__leDone = new Promise((resolve) => {
    const check = () => {
      const grid = document.querySelector('#le-maps .le-maps');
      let done = false;
      if (what.startsWith('drawn:')) done = (grid.dataset.drawn || '').startsWith(what.slice(6));
      if (what === 'selected') { const img = document.querySelector('#le-selection img');
        done = img && img.src !== window.__leSelection && img.complete && img.naturalWidth > 0; }
      if (what === 'starred') done = grid.leMaps.marks().every((m) => m['your image'].length === 1);
      if (done && window.__leT !== null) resolve(performance.now() - window.__leT);
      else requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
  });
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def summary(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50": round(statistics.median(values), 1),
        "p95": round(percentile(values, 0.95), 1),
        "max": round(max(values), 1),
    }


def timed(page, what: str, action) -> float:
    page.evaluate(ARM, what)
    action()
    return page.evaluate("window.__leDone")


def choose(page, control: str, value: str) -> None:
    if control == "dataset":
        page.locator("#le-dataset input").click()
        page.get_by_role("option", name=value, exact=True).click()
    else:
        page.locator("#le-k label", has_text=value).click()


def drag(page, dataset: str, drags: int, moves: int = 15) -> dict:
    """``drags`` mouse drags of the first slider, ``moves`` pointer moves ~30 ms apart each: the page's
    frame after every move, the server's exact frame after every release."""
    page.evaluate(f"{LIVE}.state.timings = {{local: [], server: []}}")
    box = page.locator("#le-axis-0 input[type=range]").bounding_box()
    y = box["y"] + box["height"] / 2
    for d in range(drags):
        page.mouse.move(box["x"] + box["width"] / 2, y)
        page.mouse.down()
        for m in range(1, moves + 1):
            direction = 1 if d % 2 == 0 else -1
            page.mouse.move(box["x"] + box["width"] * (0.5 + direction * 0.02 * m), y)
            time.sleep(0.03)
        page.mouse.up()
        time.sleep(0.8)
    timings = page.evaluate(f"{LIVE}.state.timings")
    return {f"{dataset}_{kind}_ms": summary(values) for kind, values in timings.items() if values}


DRAWN_AT = """(() => {  // when the maps are first drawn, in the page's own clock (from the navigation's start)
  const poll = () => {
    if ((document.querySelector('#le-maps .le-maps')?.dataset.drawn || '').startsWith('mnist/2/')) {
      window.__leDrawnAt = performance.now(); return; }
    setTimeout(poll, 5);
  };
  poll();
})();"""


def page_loads(context, url: str, idle: int = 5, training: int = 3) -> dict:
    """Part 7: navigation start -> maps drawn, on the idle server and while a sweep trains on it."""
    from gradio_client import Client

    context.add_init_script(DRAWN_AT)

    def load() -> float:
        page = context.new_page()
        page.goto(url)
        page.wait_for_function("window.__leDrawnAt !== undefined", timeout=60_000)
        ms = page.evaluate("window.__leDrawnAt")
        page.close()
        return ms

    out = {"page_load_to_maps_ms": summary([load() for _ in range(idle)])}
    client = Client(url, verbose=False, analytics_enabled=False)
    client.predict("mnist", [1, 4], [2, 8], 5, api_name="/sweep_train")
    time.sleep(3)  # the sweep has loaded its data and is training
    out["page_load_to_maps_while_a_sweep_trains_ms"] = summary([load() for _ in range(training)])
    client.predict(api_name="/sweep_cancel")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--drags", type=int, default=12)
    parser.add_argument("--switches", type=int, default=50)
    parser.add_argument("--data-dir", default=os.environ.get("LATENT_EXPLORER_DATA"))
    parser.add_argument("--cold-start-only", action="store_true", help="measure only the start (part 1)")
    parser.add_argument("--loads-only", action="store_true", help="measure only the start and the loads (1, 7)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    port = free_port()
    # The zoo and the committed sweep, linked into a folder of the benchmark's own: the sweep part 7 starts (and
    # cancels) leaves nothing in the repository's checkpoints.
    checkpoints = Path(tempfile.mkdtemp(prefix="bench-app-"))
    for folder in (ROOT / "checkpoints").iterdir():
        if (folder / "checkpoint.json").is_file() or folder.name == "sweeps":
            (checkpoints / folder.name).symlink_to(folder)
    command = [sys.executable, str(ROOT / "app.py"), "--port", str(port), "--checkpoints", str(checkpoints)]
    if args.data_dir:
        command += ["--data-dir", args.data_dir]
    results: dict = {}
    server = None
    try:
        with sync_playwright() as playwright:
            # The browser is open first, as a classroom's is; then the clock starts with `python app.py`.
            context = playwright.chromium.launch_persistent_context(
                tempfile.mkdtemp(), executable_path=CHROMIUM, args=ARGS, viewport={"width": 1280, "height": 720}
            )
            page = context.new_page()
            messages = []
            page.on("console", lambda m: messages.append(m.text))
            page.goto("about:blank")
            time.sleep(1)
            started = time.perf_counter()
            server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            url = f"http://127.0.0.1:{port}"
            while True:  # poll until the server answers
                try:
                    urllib.request.urlopen(url, timeout=2).close()
                    results["cold_start_server_answers_s"] = round(time.perf_counter() - started, 2)
                    break
                except OSError:  # not up yet
                    if server.poll() is not None:
                        raise SystemExit(server.stdout.read()) from None
                    time.sleep(0.05)
            page.goto(url)
            page.wait_for_selector("#le-index input", timeout=60_000)
            page.wait_for_selector("#le-k input:not([disabled])", timeout=60_000)
            results["cold_start_controls_s"] = round(time.perf_counter() - started, 2)
            page.wait_for_function(f"({GRID}?.dataset.drawn || '').startsWith('mnist/2/')", timeout=60_000)
            results["cold_start_maps_s"] = round(time.perf_counter() - started, 2)
            if args.cold_start_only:
                print(json.dumps(results))
                return
            time.sleep(2)
            results.update(page_loads(context, url))
            if args.loads_only:
                print(json.dumps(results, indent=1))
                return

            switches = []
            plan = [
                ("k", "16", "mnist/16/"),
                ("k", "2", "mnist/2/"),
                ("dataset", "faces", "faces/2/"),
                ("dataset", "mnist", "mnist/2/"),
            ] * 3
            for control, value, key in plan:
                switches.append(timed(page, f"drawn:{key}", lambda c=control, v=value: choose(page, c, v)))
                time.sleep(1.5)  # the other tabs refresh after the maps; let them finish
            results["switch_to_maps_drawn_ms"] = summary(switches)

            clicks = []
            for index in (123, 4567, 8901, 42, 777):
                x, y = page.evaluate(f"{GRID}.leMaps.pointOnScreen('mnist-vae-z2', {index})")
                page.evaluate("window.__leSelection = document.querySelector('#le-selection img')?.src")
                clicks.append(timed(page, "selected", lambda x=x, y=y: page.mouse.click(x, y)))
                time.sleep(1.5)
            results["click_to_ringed_and_reconstructed_ms"] = summary(clicks)

            page.get_by_role("tab", name="Reconstruction").click()
            paper = page.locator("#le-sketch canvas.le-paper").bounding_box()
            page.mouse.move(paper["x"] + 80, paper["y"] + 60)
            page.mouse.down()
            for t in range(20):
                page.mouse.move(paper["x"] + 80 + 5 * t, paper["y"] + 60 + 8 * t)
            page.mouse.up()
            encodes = []
            for _ in range(3):
                page.evaluate(f"{GRID}.leMaps.marks()")  # reset between runs: a new lineup clears the star
                choose(page, "k", "16")
                page.wait_for_function(f"({GRID}.dataset.drawn || '').startsWith('mnist/16/')")
                choose(page, "k", "2")
                page.wait_for_function(f"({GRID}.dataset.drawn || '').startsWith('mnist/2/')")
                time.sleep(2)
                encode = page.get_by_role("button", name="Encode my drawing")
                encodes.append(timed(page, "starred", encode.click))
            results["encode_to_starred_ms"] = summary(encodes)

            page.get_by_role("tab", name="Traversal").click()
            time.sleep(1.5)
            results.update(drag(page, "mnist", args.drags))
            choose(page, "dataset", "faces")
            page.wait_for_function(f"({GRID}.dataset.drawn || '').startsWith('faces/')")
            page.wait_for_function(f"{LIVE}.state.spec?.models[0].height === 64")
            time.sleep(2.5)
            results.update(drag(page, "faces", args.drags))

            page.get_by_role("tab", name="Latent map").click()

            def memory():
                page.evaluate("window.gc && window.gc()")
                time.sleep(0.5)
                return {
                    "js_heap_mb": round(page.evaluate("performance.memory.usedJSHeapSize") / 2**20, 1),
                    "canvases": page.evaluate("document.querySelectorAll('canvas').length"),
                }

            before = memory()
            for i in range(args.switches):
                name = "mnist" if i % 2 else "faces"
                choose(page, "dataset", name)
                page.wait_for_function(f"({GRID}.dataset.drawn || '').startsWith('{name}/')", timeout=30_000)
                time.sleep(0.3)
            time.sleep(3)
            results["dataset_switches"] = {
                "n": args.switches,
                "before": before,
                "after": memory(),
                "too_many_webgl_contexts_warnings": sum("Too many active WebGL contexts" in m for m in messages),
            }
            context.close()
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
    results["cpu_count"] = os.cpu_count()
    print(json.dumps(results, indent=1))
    out = ROOT / "benchmarks" / "results" / "app.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
