"""Watch them learn in headless Chromium at 1280x720 on this machine.

- Replay: how long the page takes to draw one frame of the committed race while it is scrubbed (goal: every frame
  <= 33 ms), and how many frames a second it paints while it plays.
- Pause and poke: how long a click on a paused map takes to show what the model decodes there, at a frame first
  poked (the server replays the model to it) and again at that frame.
- Live (#19's goal on a 2-core CPU): a race trained from the page with its defaults (AE vs VAE, 10,000 images,
  5 epochs): how many of its frames a second the page draws while it trains (goal >= 5, 2,000 points a model),
  how long a frame takes from the trainer to the page (goal <= 100 ms) and to its first drawing, and how long
  another user's quick requests (a test image selected, /select) take meanwhile, against the same with no race.

    python benchmarks/bench_race.py [--data-dir ../shared/data]

Writes benchmarks/results/race.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))
RACE = "document.querySelector('#le-race .le-race').leRace"
SCRUB = """async () => {  // every position from the first frame to the last in steps of 0.25 frame, each timed
  const race = document.querySelector('#le-race .le-race').leRace, times = [];
  for (let t = 0; t <= race.frames() - 1; t += 0.25) {
    const start = performance.now();
    race.seek(t);
    times.push(performance.now() - start);
    await new Promise(requestAnimationFrame);
  }
  return times;
}"""
PLAY = """async () => {  // paints a second while it plays at speed 1
  const root = document.querySelector('#le-race .le-race'), race = root.leRace;
  race.seek(0);
  const before = Number(root.dataset.draws);
  race.play();
  await new Promise((done) => setTimeout(done, 2000));
  race.pause();
  return (Number(root.dataset.draws) - before) / 2;
}"""


POKE = """async ([frame, model, x]) => {  // a poke at a paused frame: ms until its answer is shown
  const race = document.querySelector('#le-race .le-race').leRace, start = performance.now();
  race.seek(frame);
  race.poke(model, x, 0.5);
  while (!document.querySelector('#le-race .le-race-poke:not([hidden]) img')) await new Promise(requestAnimationFrame);
  return performance.now() - start;
}"""
LIVE = """() => {  // the live race's frames: when each was first drawn while it trained, and its latencies
  const race = document.querySelector('#le-race .le-race').leRace;
  return { frames: race.frames(), shownAt: race.shownAt().filter((t) => t !== null), timings: race.timings() };
}"""


def spread(values: list[float]) -> dict:
    values = sorted(values)
    return {
        "n": len(values),
        "p50": round(statistics.median(values), 1),
        "p95": round(values[int(0.95 * (len(values) - 1))], 1),
        "max": round(values[-1], 1),
    }


class OtherUser:
    """Another user selecting test images (/select) one after another until stopped: the times it waited."""

    def __init__(self, url: str):
        import threading

        self.url, self.times, self.stop = url, [], threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        import random
        import time

        import httpx
        from load import LINEUP, call

        rng = random.Random(0)
        with httpx.Client(timeout=60) as http:
            while not self.stop.is_set():
                started = time.perf_counter()
                call(http, self.url, "select", [*LINEUP, rng.randrange(10_000)], "other-user")
                self.times.append((time.perf_counter() - started) * 1000)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def live_race(page, url: str) -> dict:
    """Start the page's default race, follow it to its end; what LIVE reports, and the other user's waits."""
    import time

    with OtherUser(url) as idle:
        time.sleep(5)  # a baseline of the other user's waits with no race (a benchmark: not a test)
    page.get_by_text("Race them yourself").click()
    with OtherUser(url) as busy:
        started = time.perf_counter()
        page.locator("#le-race-start").click()
        page.wait_for_function(f"{RACE}.frames() > 0 && !{RACE}.done()", timeout=60_000)
        page.wait_for_function(f"{RACE}.done()", timeout=300_000)
        seconds = time.perf_counter() - started
    report = page.evaluate(LIVE)
    shown = sorted(report["shownAt"])
    span = (shown[-1] - shown[0]) / 1000 if len(shown) > 1 else float("nan")
    return {
        "race": "AE vs VAE, MNIST, 10,000 images, 5 epochs, 2,000 points a model (the page's defaults)",
        "frames": report["frames"],
        "start_to_end_s": round(seconds, 1),
        "frames_drawn_per_second_while_training": round((len(shown) - 1) / span, 1),
        "trainer_to_page_ms": spread(report["timings"]["arrive"]),
        "trainer_to_first_drawn_ms": spread(report["timings"]["shown"]),
        "other_user_select_ms_idle": spread(idle.times),
        "other_user_select_ms_while_racing": spread(busy.times),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("LATENT_EXPLORER_DATA"))
    args = parser.parse_args()
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    from browser import local_context, open_page
    from helpers import zoo_root

    import app

    root = zoo_root(Path(tempfile.mkdtemp(prefix="bench-race-")), races=True)  # a live race is saved here
    demo, launch_kwargs = app.create_app(root, args.data_dir)
    demo.launch(server_name="127.0.0.1", server_port=None, prevent_thread_lock=True, quiet=True, **launch_kwargs)
    try:
        with local_context() as context:
            page = open_page(context, demo.local_url.rstrip("/") + "/?tab=race")
            page.wait_for_function(f"{RACE}?.frames() > 1", timeout=30_000)
            times = sorted(page.evaluate(SCRUB))
            fps = page.evaluate(PLAY)
            pokes = {
                "first_at_a_frame_ms": [round(page.evaluate(POKE, [f, 0, 1.0])) for f in (20, 40, 59)],
                "again_at_that_frame_ms": [round(page.evaluate(POKE, [59, 0, x])) for x in (-1.0, 2.0, 3.0)],
            }
            live = live_race(page, demo.local_url.rstrip("/"))
    finally:
        demo.close()
        shutil.rmtree(root, ignore_errors=True)
    results = {
        "machine": f"{os.cpu_count()} cores, headless Chromium (2-D canvas)",
        "scrub_frame_draw_ms": {
            "n": len(times),
            "p50": round(statistics.median(times), 2),
            "p95": round(times[int(0.95 * (len(times) - 1))], 2),
            "max": round(times[-1], 2),
        },
        "paints_per_second_while_playing": fps,
        "poke_committed_race": pokes,
        "live": live,
    }
    print(json.dumps(results, indent=1))
    (ROOT / "benchmarks" / "results" / "race.json").write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
