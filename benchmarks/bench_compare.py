"""The Compare tab through the real app in headless Chromium: from pressing Train to the first live curve point
in the page, the wall time of a sweep (the page's defaults: the CPU grid on a CPU), and how fast another user's
slider is answered while it trains.

    python benchmarks/bench_compare.py [--threads N] [--repeats 1] [--epochs E]

The app runs in this process over a checkpoints folder of its own (the zoo and the committed sweep linked in;
the sweeps it trains are written there, in a temporary folder). ``--threads`` sets the training thread's torch
threads (``$LATENT_EXPLORER_TRAINING_THREADS``; default: every core but one). A second client asks ``/traverse``
(what a slider asks) every 0.25 s, before and while the sweep trains. Each run is recorded with the CPU time
other processes took meanwhile (the machine may be shared), in benchmarks/results/compare.json under
"<device>-<threads> threads" (other entries are kept).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
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
]
CURVES = "document.querySelector('#le-sweep-curves .le-plot')"
STATUS = "(document.querySelector('#le-sweep-progress .le-status')?.innerText || '')"


def _busy_cpu_seconds() -> float | None:
    """CPU seconds every process on the machine has used, minus this process's."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except (OSError, ValueError):
        return None
    times = os.times()
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK") - times.user - times.system


class SliderProbe(threading.Thread):
    """Asks /traverse (a slider's request) every 0.25 s and records (time, seconds) until stopped."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        from gradio_client import Client

        self.client = Client(url, analytics_enabled=False, verbose=False)
        self.times: list[tuple[float, float]] = []
        self.stop = threading.Event()

    def run(self):
        offsets = [0.0] * 8
        i = 0
        while not self.stop.is_set():
            offsets[0] = (i % 13 - 6) / 2
            started = time.perf_counter()
            self.client.predict(
                "mnist",
                2,
                ["mnist-pca-z2", "mnist-ae-z2", "mnist-vae-z2"],
                3,
                "selected",
                *offsets,
                api_name="/traverse",
            )
            self.times.append((started, time.perf_counter() - started))
            i += 1
            time.sleep(0.25)


def _summary(seconds: list[float]) -> dict:
    if not seconds:
        return {}
    ordered = sorted(seconds)
    return {
        "n": len(ordered),
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000, 1),
    }


def one_run(page, probe: SliderProbe, epochs: int | None, name: str) -> dict:
    """Press Train; wait for the first point of sweep ``name`` in the curves, then for it to finish."""
    page.get_by_role("tab", name="Grid").click()
    if epochs:
        box = page.locator("#le-sweep-epochs input[type=number]")
        box.fill(str(epochs))
        box.press("Enter")
    time.sleep(3)  # idle slider latency meanwhile
    busy_before, pressed = _busy_cpu_seconds(), time.perf_counter()
    page.evaluate("() => { window.leTrainAt = performance.now(); document.querySelector('#le-sweep-train').click(); }")
    page.wait_for_function(
        f"{CURVES}?.layout?.meta?.sweep === '{name}' && {CURVES}.data.some(t => t.x.length)",
        timeout=60_000,
        polling="raf",
    )
    first = page.evaluate("performance.now() - window.leTrainAt") / 1000
    page.wait_for_function(
        f"{STATUS}.includes('{name}') || {STATUS}.startsWith('Failed')", timeout=900_000, polling=100
    )
    wall = time.perf_counter() - pressed
    busy_after = _busy_cpu_seconds()
    status = page.evaluate(STATUS)
    idle = [s for t, s in probe.times if t < pressed and t > pressed - 3]
    training = [s for t, s in probe.times if pressed < t < pressed + wall]
    return {
        "first_point_s": round(first, 2),
        "wall_s": round(wall, 1),
        "status": status,
        "slider_idle": _summary(idle),
        "slider_while_training": _summary(training),
        "other_cpu_seconds": round(busy_after - busy_before, 1) if busy_before is not None else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, help="the training thread's torch threads")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--epochs", type=int, help="epochs (default: the page's, from default_grid)")
    parser.add_argument("--data-dir", default=os.environ.get("LATENT_EXPLORER_DATA") or REPO.parent / "shared" / "data")
    args = parser.parse_args()
    if args.threads:
        os.environ["LATENT_EXPLORER_TRAINING_THREADS"] = str(args.threads)
    import torch

    torch.set_num_threads(1)  # as app.main: one thread per request
    from playwright.sync_api import sync_playwright

    import app
    from explorer.core.jobs import training_threads

    root = Path(tempfile.mkdtemp(prefix="bench-compare-"))
    for folder in (REPO / "checkpoints").iterdir():
        if (folder / "checkpoint.json").is_file():  # the zoo only: not the sweeps a run of the app left
            (root / folder.name).symlink_to(folder)
    (root / "sweeps").mkdir()
    for sweep in (REPO / "checkpoints" / "sweeps").iterdir():
        (root / "sweeps" / sweep.name).symlink_to(sweep)
    demo, launch_kwargs = app.create_app(root, args.data_dir)
    demo.launch(server_name="127.0.0.1", server_port=None, prevent_thread_lock=True, quiet=True, **launch_kwargs)
    url = demo.local_url.rstrip("/")
    runs = []
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            tempfile.mkdtemp(prefix="chromium-"),
            executable_path=CHROMIUM,
            args=ARGS,
            viewport={"width": 1280, "height": 720},
        )
        page = context.new_page()
        page.goto(url + "/?tab=compare")
        page.wait_for_selector("#le-sweep-grid [data-model]", timeout=60_000)
        time.sleep(5)  # the tab's own preparation (torchvision's readers imported in a thread when it is shown)
        probe = SliderProbe(url)
        probe.start()
        for run in range(args.repeats):  # a fresh folder: the app names its sweeps mnist-run1, mnist-run2, ...
            runs.append(one_run(page, probe, args.epochs, f"mnist-run{run + 1}"))
            print(json.dumps(runs[-1]), flush=True)
        probe.stop.set()
        context.close()
    demo.close()
    import gradio as gr

    key = f"{'cuda' if torch.cuda.is_available() else 'cpu'}-{training_threads()} threads"
    results_file = REPO / "benchmarks" / "results" / "compare.json"
    results = json.loads(results_file.read_text()) if results_file.exists() else {}
    results[key] = {
        "runs": runs,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "torch": torch.__version__,
        "gradio": gr.__version__,
        "when": time.strftime("%Y-%m-%d %H:%M"),
    }
    results_file.write_text(json.dumps(results, indent=1) + "\n")
    print(f"recorded under {key!r} in {results_file}")


if __name__ == "__main__":
    main()
