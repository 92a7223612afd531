"""Watch them learn, replayed in headless Chromium at 1280x720 on this machine: how long the page takes to draw one
frame of the committed race while it is scrubbed (goal: every frame <= 33 ms), and how many frames a second it
paints while it plays.

    python benchmarks/bench_race.py [--data-dir ../shared/data]

Writes benchmarks/results/race.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("LATENT_EXPLORER_DATA"))
    args = parser.parse_args()
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    from browser import local_context, open_page

    import app

    demo, launch_kwargs = app.create_app(ROOT / "checkpoints", args.data_dir)
    demo.launch(server_name="127.0.0.1", server_port=None, prevent_thread_lock=True, quiet=True, **launch_kwargs)
    try:
        with local_context() as context:
            page = open_page(context, demo.local_url.rstrip("/") + "/?tab=race")
            page.wait_for_function(f"{RACE}?.frames() > 1", timeout=30_000)
            times = sorted(page.evaluate(SCRUB))
            fps = page.evaluate(PLAY)
    finally:
        demo.close()
    results = {
        "machine": f"{os.cpu_count()} cores, headless Chromium (2-D canvas)",
        "scrub_frame_draw_ms": {
            "n": len(times),
            "p50": round(statistics.median(times), 2),
            "p95": round(times[int(0.95 * (len(times) - 1))], 2),
            "max": round(times[-1], 2),
        },
        "paints_per_second_while_playing": fps,
    }
    print(json.dumps(results, indent=1))
    (ROOT / "benchmarks" / "results" / "race.json").write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
