"""The lesson, the link and the map layers, timed in headless Chromium on this machine (the figures of the
"views that explain why" issue; goals: a layer toggled <= 200 ms, a lesson step <= 500 ms, a shared link
restored <= 3 s after the page loads).

1. Layer toggles: the pointer press on a layer's switch until every map shows or hides it (each of the four
   layers, on and off, ``--repeats`` times), on the MNIST k = 2 lineup.
2. Lesson steps: the pointer press on Next, Back or Reveal until the step's text is shown and the maps of its
   lineup are drawn (the one response that sets the page has been applied and its maps plotted), through the
   whole shipped lesson, forward and back, ``--repeats`` times.
3. A shared link (a lesson step revealed, k = 16, a slider moved, presenter mode) opened in a new browser
   context: from the page's load event until the maps are drawn and the slider is where the link says.

    python benchmarks/bench_page.py [--repeats 3] [--data-dir ../shared/data]

Writes benchmarks/results/page.json. Times are measured in the page with performance.now().
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_app import ARGS, CHROMIUM, ROOT, free_port, summary  # noqa: E402

from explorer.core.lessons import read_lesson  # noqa: E402

LAYERS = {  # a switch's label -> the layer's name (explorer/core/state.py), as leMaps.layers() reports it drawn
    "prior N(0, I)": "prior",
    "the sampling grid": "samples",
    "prior holes": "holes",
    "decoder nonsense": "quality",
}
ARM = """([what, arg]) => {  // start the clock at the next pointer press, stop it when `what` is seen
  window.__leT = null;
  const grid = document.querySelector('#le-maps .le-maps');
  document.addEventListener('pointerdown', () => { window.__leT = performance.now(); }, {capture: true, once: true});
  window.__leDone = new Promise((resolve) => {
    const check = () => {
      let done = false;
      if (what === 'layer') done = grid.leMaps.layers().every((names) => names.includes(arg[0]) === arg[1]);
      if (what === 'step') done = (document.querySelector('#le-lesson-text')?.textContent || '').includes(arg[0])
        && (grid.dataset.drawn || '').startsWith(arg[1])
        && JSON.stringify(grid.leMaps.models().slice().sort()) === JSON.stringify(arg[2].slice().sort());
      if (done && window.__leT !== null) resolve(performance.now() - window.__leT);
      else requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
  });
}"""
LINK = (
    "?lesson=why-vaes-sample-well&step=6&revealed=1&dataset=mnist&k=16&models=mnist-vae-z16-beta0.5,mnist-vae-z16,"
    "mnist-vae-z16-beta4&tab=traversal&axes=0,1.5&presenter=1"
)


RESTORED = """(document.querySelector('#le-maps .le-maps')?.dataset.drawn || '').startsWith('mnist/16/')
    && Math.abs(Number(document.querySelector('#le-axis-1 input[type=range]').value) - 1.5) < 1e-6
    && (document.querySelector('#le-lesson-text')?.textContent || '').includes('Answer:')
    && document.body.classList.contains('le-presenter')"""


def timed(page, what: str, arg, selector: str) -> float:
    page.evaluate(ARM, [what, arg])
    page.locator(selector).click()
    return page.evaluate("window.__leDone")


def open_page(browser, url: str):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.goto(url)
    page.wait_for_function(
        "(document.querySelector('#le-maps .le-maps')?.dataset.drawn || '').length > 0", timeout=60_000
    )
    return page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data-dir", default=os.environ.get("LATENT_EXPLORER_DATA"))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    port = free_port()
    command = [sys.executable, str(ROOT / "app.py"), "--port", str(port)]
    if args.data_dir:
        command += ["--data-dir", args.data_dir]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    results: dict = {"machine": f"{os.cpu_count()} cores, headless Chromium (software WebGL) beside the server"}
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                time.sleep(0.5)
        time.sleep(25)  # the warm-up thread prepares every lineup 20 s after start: measure after it
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = open_page(browser, url)
            toggles = []
            for _ in range(args.repeats):
                for label, name in LAYERS.items():
                    for _ in range(2):
                        shown = name in page.evaluate("document.querySelector('#le-maps .le-maps').leMaps.layers()[0]")
                        toggles.append(timed(page, "layer", [name, not shown], f"#le-layers label:has-text('{label}')"))
            results["layer_toggle_ms"] = summary(toggles)

            page.locator("#le-lesson-choice input").click()
            page.get_by_role("option").nth(1).click()
            page.wait_for_selector("#le-lesson-text", timeout=20_000)
            time.sleep(2)
            lesson = read_lesson(ROOT / "lessons" / "why-vaes-sample-well.toml")

            def step(number: int, revealed: bool, button: str) -> float:
                state = lesson.state(number, revealed)
                seen = "Answer:" if revealed else f"Step {number} of"
                return timed(page, "step", [seen, f"{state['dataset']}/{state['k']}/", state["models"]], button)

            steps, reveals = [], []
            n_steps = len(lesson.steps)
            for _ in range(args.repeats):
                for number in range(1, n_steps + 1):
                    reveals.append(step(number, True, "#le-reveal"))
                    if number < n_steps:
                        steps.append(step(number + 1, False, "#le-next"))
                for number in range(n_steps - 1, 0, -1):
                    steps.append(step(number, False, "#le-back"))
            results["lesson_step_ms"] = summary(steps)
            results["lesson_reveal_ms"] = summary(reveals)
            page.context.close()

            restores, plain = [], []
            for _ in range(args.repeats):
                for link, times in ((LINK, restores), ("", plain)):  # the link, and the page with none
                    page = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
                    page.goto(url + link)
                    page.wait_for_function(
                        RESTORED
                        if link
                        else "(document.querySelector('#le-maps .le-maps')"
                        "?.dataset.drawn || '').startsWith('mnist/2/')",
                        timeout=60_000,
                        polling="raf",
                    )
                    done = page.evaluate("performance.now()")
                    loaded = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
                    times.append(done - loaded)
                    page.context.close()
            results["link_restored_after_load_ms"] = summary(restores)
            results["no_link_maps_drawn_after_load_ms"] = summary(plain)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=20)
    out = ROOT / "benchmarks" / "results" / "page.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
