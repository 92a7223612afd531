"""A classroom's load on one server: N students at human pace, then a saturation run.

Each simulated student loops, for the round's length:
  - drags a slider twice, each drag 1 s long: the page draws every step itself and asks the server for
    the exact picture (/traverse) when the drag pauses and when it ends, so 2 server pictures a drag
    (--server-steps 10 models the app run with --server-decoding-only: every step from the server);
  - clicks a point in the map (/select);
  - every third loop, draws a new sampling grid (/samples, 8x8, a new seed);
  - thinks for 1-3 s.
The saturation run has every client loop with no pause, to find the throughput.

Requests go over plain HTTP through Gradio's queue as the page sends them: each student is one session
(/gradio_api/queue/join with its session hash, the result read from /gradio_api/queue/data).
Reported per endpoint: requests, errors, p50 / p95 / max in ms; the server's resident memory before and
after each round; requests per second at saturation.

    python benchmarks/load.py [--clients 30] [--seconds 60] [--rounds 5] [--saturation-seconds 30]

Starts the app (committed checkpoints) as a subprocess on a free port, or uses --url. Writes
benchmarks/results/load.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
LINEUP = ["mnist", 2, ["mnist-pca-z2", "mnist-ae-z2", "mnist-vae-z2"]]
AXES = 8


FN_INDEX: dict[str, int] = {}  # API name -> the page's function index, read from /config
UNQUEUED: set[str] = set()  # API names that answer directly (queue=False), as a plain POST


def call(http: httpx.Client, base: str, name: str, data: list, session: str) -> None:
    """One queued call in ``session``, as the page makes it; raises on any error."""
    if not FN_INDEX:
        config = http.get(f"{base}/config").raise_for_status().json()
        FN_INDEX.update({d["api_name"]: d["id"] for d in config["dependencies"] if d.get("api_name")})
        UNQUEUED.update(d["api_name"] for d in config["dependencies"] if d.get("api_name") and d.get("queue") is False)
    body = {"data": data, "fn_index": FN_INDEX[name], "session_hash": session}
    if name in UNQUEUED:
        reply = http.post(f"{base}/gradio_api/run/predict", json=body)
        if reply.status_code != 200 or "error" in reply.json():
            raise RuntimeError(reply.text[:300])
        return
    reply = http.post(f"{base}/gradio_api/queue/join", json=body)
    reply.raise_for_status()
    event_id = reply.json()["event_id"]
    with http.stream("GET", f"{base}/gradio_api/queue/data", params={"session_hash": session}) as stream:
        for line in stream.iter_lines():
            if not line.startswith("data:"):
                continue
            message = json.loads(line[5:])
            if message.get("event_id") == event_id and message.get("msg") == "process_completed":
                if not message.get("success"):
                    raise RuntimeError(str(message.get("output"))[:300])
                return
    raise RuntimeError("the stream ended without a result")


class Recorder:
    def __init__(self):
        self.times: dict[str, list[float]] = {}
        self.errors: dict[str, list[str]] = {}
        self.lock = threading.Lock()

    def timed(self, http, base, name, data, session) -> None:
        started = time.perf_counter()
        try:
            call(http, base, name, data, session)
        except Exception as error:  # noqa: BLE001 -- every failure is counted and reported
            with self.lock:
                self.errors.setdefault(name, []).append(f"{type(error).__name__}: {str(error)[:200]}")
            return
        with self.lock:
            self.times.setdefault(name, []).append((time.perf_counter() - started) * 1000)

    def summary(self, seconds: float) -> dict:
        report = {}
        for name in sorted(set(self.times) | set(self.errors)):
            times = sorted(self.times.get(name, []))
            report[name] = {
                "requests": len(times) + len(self.errors.get(name, [])),
                "errors": len(self.errors.get(name, [])),
                "per_second": round(len(times) / seconds, 1),
            }
            if times:
                report[name].update(
                    p50_ms=round(statistics.median(times)),
                    max_ms=round(times[-1]),
                    p95_ms=round(times[min(len(times) - 1, int(0.95 * len(times)))]),
                )
            if self.errors.get(name):
                report[name]["first_error"] = self.errors[name][0]
        return report


def student(base: str, seconds: float, recorder: Recorder, seed: int, think: bool, server_steps: int) -> None:
    rng = random.Random(seed)
    session = f"load-student-{seed % 1000}"  # the same students, round after round
    deadline = time.perf_counter() + seconds
    loop = 0
    with httpx.Client(timeout=60) as http:
        if think:  # students do not all start in the same instant
            time.sleep(rng.uniform(0, 2))
        while time.perf_counter() < deadline:
            index = rng.randrange(10_000)
            for _drag in range(2):
                axis = rng.randrange(2)
                for _ in range(server_steps):
                    if think:
                        time.sleep(1.0 / server_steps)  # the drag goes on in the page meanwhile
                    offsets = [0.0] * AXES
                    offsets[axis] = round(rng.uniform(-3, 3), 2)
                    recorder.timed(http, base, "traverse", [*LINEUP, index, "selected", *offsets], session)
            recorder.timed(http, base, "select", [*LINEUP, rng.randrange(10_000)], session)
            if loop % 3 == 0:
                recorder.timed(http, base, "samples", [*LINEUP, 8, rng.randrange(2**31)], session)
            loop += 1
            if think:
                time.sleep(rng.uniform(1, 3))


def run_round(base: str, clients: int, seconds: float, think: bool, seed: int, server_steps: int = 2) -> dict:
    recorder = Recorder()
    threads = [
        threading.Thread(target=student, args=(base, seconds, recorder, seed * 1000 + i, think, server_steps))
        for i in range(clients)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return recorder.summary(time.perf_counter() - started)


def rss_mb(pid: int | None) -> float | None:
    if pid is None:
        return None
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return round(int(status["VmRSS"].split()[0]) / 1024, 1)


def start_app(data_dir: str | None) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = [sys.executable, str(ROOT / "app.py"), "--port", str(port)] + (["--data-dir", data_dir] if data_dir else [])
    server = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = server.stdout.readline()
    if "ready" not in line:
        raise SystemExit(f"the app did not start: {line}{server.stdout.read()[-2000:]}")
    threading.Thread(target=server.stdout.read, daemon=True).start()  # keep its pipe drained
    return server, f"http://127.0.0.1:{port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--server-steps", type=int, default=2, help="server pictures per 1 s drag")
    parser.add_argument("--saturation-clients", type=int, default=8)
    parser.add_argument("--saturation-seconds", type=float, default=30)
    parser.add_argument("--url", help="a running app (memory is then not reported)")
    parser.add_argument("--data-dir", default=os.environ.get("LATENT_EXPLORER_DATA"))
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "load.json"))
    args = parser.parse_args()

    server, base = (None, args.url.rstrip("/")) if args.url else start_app(args.data_dir)
    pid = server.pid if server else None
    try:
        with httpx.Client(timeout=120) as http:  # first use: test images, sprites and decoders made once
            call(http, base, "traverse", [*LINEUP, 0, "selected", *[0.0] * AXES], "load-warm")
            call(http, base, "samples", [*LINEUP, 8, 0], "load-warm")
        results = {
            "machine": f"{os.cpu_count()} CPU cores",
            "clients": args.clients,
            "seconds": args.seconds,
            "server_steps_per_drag": args.server_steps,
            "rounds": [],
        }
        for number in range(args.rounds):
            before = rss_mb(pid)
            summary = run_round(
                base, args.clients, args.seconds, think=True, seed=number, server_steps=args.server_steps
            )
            results["rounds"].append({"rss_mb_before": before, "rss_mb_after": rss_mb(pid), "endpoints": summary})
            print(json.dumps(results["rounds"][-1]), flush=True)
        if pid is not None and results["rounds"]:
            first, last = results["rounds"][0]["rss_mb_after"], results["rounds"][-1]["rss_mb_after"]
            results["memory_growth_after_first_round"] = round((last - first) / first, 3)
        saturation = run_round(base, args.saturation_clients, args.saturation_seconds, think=False, seed=99)
        results["saturation"] = {
            "clients": args.saturation_clients,
            "endpoints": saturation,
            "requests_per_second": round(sum(e["per_second"] for e in saturation.values()), 1),
        }
        print(json.dumps(results["saturation"]), flush=True)
        Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
        print(f"wrote {args.out}")
    finally:
        if server:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
