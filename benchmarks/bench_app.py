"""App speed, measured in headless Chromium on this machine.

1. Cold start: `python app.py` launched as a subprocess -> the server answers -> the page's controls
   are up -> the page shows its three latent maps (drawn by WebGL).
2. Slider latency: for each of N slider steps (an input event on the range), measured in the page
   with performance.now(): the time until the in-page decoder has painted its canvas (then the next
   animation frame), and the time until the server's image is painted (a MutationObserver on the
   image's src, the image's decode(), the next animation frame). Reports p50 / p95 of both.
3. Scatter render: time from choosing a latent size to all three 10k-point maps drawn.

    python benchmarks/bench_app.py [--presses 60] [--data-dir ../shared/data]

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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/lib/chromium/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MAPS_DRAWN = ("() => [...document.querySelectorAll('.js-plotly-plot')].filter(g => g.layout?.meta?.model"
              " && g.querySelector('.gl-container canvas')).length")
PRESS = """async (key) => {
  // One slider step: time to the in-page (local) paint and to the server's image being painted.
  const img = () => document.querySelector('#le-live img[data-kind=vae]');
  const before = img()?.getAttribute('src');
  const frames = window.__leLocalFrames || 0;
  const input = document.querySelector('#le-axis-0 input[type=range]');
  const start = performance.now();
  const changed = new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      const now = img()?.getAttribute('src');
      if (now && now !== before) { observer.disconnect(); resolve(img()); }
    });
    observer.observe(document.querySelector('#le-live'), {subtree: true, childList: true, attributes: true});
  });
  input.value = (parseFloat(input.value) + (key === 'ArrowRight' ? 0.05 : -0.05)).toFixed(2);
  input.dispatchEvent(new Event('input', {bubbles: true}));
  let local = null;
  const localDone = (async () => {
    const deadline = performance.now() + 2000;  // no in-page decoder: local stays null
    while ((window.__leLocalFrames || 0) === frames && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 0));
    }
    if ((window.__leLocalFrames || 0) === frames) return;
    await new Promise(requestAnimationFrame);
    local = performance.now() - start;
  })();
  const element = await changed;
  await element.decode();
  await new Promise(requestAnimationFrame);
  const server = performance.now() - start;
  await localDone;
  return {local, server};
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presses", type=int, default=60)
    parser.add_argument("--data-dir", default=os.environ.get("LATENT_EXPLORER_DATA"))
    parser.add_argument("--server-decoding-only", action="store_true", help="measure without in-page decoding")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    port = free_port()
    command = [sys.executable, str(ROOT / "app.py"), "--port", str(port)]
    if args.data_dir:
        command += ["--data-dir", args.data_dir]
    if args.server_decoding_only:
        command.append("--server-decoding-only")
    started = time.perf_counter()
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    results: dict = {}
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                tempfile.mkdtemp(), executable_path=CHROMIUM, args=ARGS, viewport={"width": 1500, "height": 1000})
            page = context.new_page()
            url = f"http://127.0.0.1:{port}"
            while True:  # poll until the server answers
                try:
                    page.goto(url, timeout=2000)
                    results["server_answers_s"] = time.perf_counter() - started
                    break
                except Exception:  # noqa: BLE001 -- not up yet
                    if server.poll() is not None:
                        raise SystemExit(server.stdout.read()) from None
                    time.sleep(0.1)
            page.wait_for_function("document.querySelectorAll('#le-index input').length > 0", timeout=60_000)
            results["page_interactive_s"] = time.perf_counter() - started  # Gradio's page is up, controls usable
            page.wait_for_function(f"({MAPS_DRAWN})() >= 3", timeout=60_000)
            results["cold_start_to_maps_s"] = time.perf_counter() - started

            page.get_by_role("tab", name="Traversal").click()
            page.wait_for_selector("#le-live img[data-kind=vae]")
            time.sleep(1)
            timings = []
            for i in range(args.presses):
                key = "ArrowRight" if (i // 20) % 2 == 0 else "ArrowLeft"
                timings.append(page.evaluate(PRESS, key))
                time.sleep(0.05)
            for path in ("local", "server"):
                values = [t[path] for t in timings if t[path] is not None]
                if not values:
                    continue
                results[f"slider_to_paint_ms_{path}"] = {"n": len(values), "p50": statistics.median(values),
                                                         "p95": percentile(values, 0.95), "max": max(values)}

            page.get_by_role("tab", name="Latent map").click()
            time.sleep(1)
            render = []
            for k in ("16", "2", "16", "2"):
                t = time.perf_counter()
                page.get_by_role("radio", name=k, exact=True).click()
                page.wait_for_function(f"() => [...document.querySelectorAll('.js-plotly-plot')].filter(g => "
                                       f"g.layout?.meta?.model && g.layout.uirevision?.includes('-z{k}-')).length >= 3",
                                       timeout=30_000)
                page.wait_for_function(f"({MAPS_DRAWN})() >= 3")
                render.append(time.perf_counter() - t)
            results["latent_size_switch_to_three_maps_s"] = {"median": statistics.median(render), "max": max(render)}
            context.close()
    finally:
        server.terminate()
        server.wait(10)
    results["cpu_count"] = os.cpu_count()
    print(json.dumps(results, indent=1))
    out = ROOT / "benchmarks" / "results" / ("app-server-only.json" if args.server_decoding_only else "app.json")
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
