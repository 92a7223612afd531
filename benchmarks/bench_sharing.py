"""What one client can take of a shared server, tried as the hostile classroom of the trust issue did:

1. Start-up with sweeps on disk: ``python app.py`` to "ready" and its resident memory, over the zoo and the
   committed sweep alone, then with 20 more sweeps of 35 models each (copies of the committed one, renamed)
   in ``page-sweeps/``. Sweeps are read lazily, so the 20 should cost only their summaries.
2. One client, many sessions: five gradio_client sessions from this machine each ask for a 100-model sweep
   (10 β × 10 k, 1 epoch); how many are accepted (the limit is per address, not per session).
3. Uploads: ten 10 MiB files in one request; then 30 one-picture uploads in a minute from one address.
4. Disk: six sweeps trained from the page one after another under a 10 MB budget for the page's sweeps;
   the page's sweeps on disk after each, and the server's memory after all of it.

    python benchmarks/bench_sharing.py [--data-dir ../shared/data]

Writes benchmarks/results/sharing.json.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "checkpoints" / "sweeps" / "mnist-grid"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def checkpoints_folder(extra_sweeps: int) -> Path:
    """The zoo and the committed sweep (linked), and ``extra_sweeps`` renamed copies of it in page-sweeps/."""
    root = Path(tempfile.mkdtemp(prefix="bench-sharing-"))
    for folder in (ROOT / "checkpoints").iterdir():
        if (folder / "checkpoint.json").is_file():  # the zoo only: not the sweeps a run of the app left
            (root / folder.name).symlink_to(folder)
    (root / "sweeps").mkdir()
    (root / "sweeps" / COMMITTED.name).symlink_to(COMMITTED)
    for i in range(extra_sweeps):
        name = f"mnist-run{i + 1}"
        target = root / "page-sweeps" / name
        shutil.copytree(COMMITTED, target)
        summary = json.loads((target / "sweep.json").read_text())
        summary["name"] = name
        for model in summary["models"]:
            new = model["name"].replace(COMMITTED.name, name, 1)
            (target / model["name"]).rename(target / new)
            meta = json.loads((target / new / "checkpoint.json").read_text())
            meta["name"] = new
            (target / new / "checkpoint.json").write_text(json.dumps(meta))
            model["name"] = new
        (target / "sweep.json").write_text(json.dumps(summary))
    return root


def start(root: Path, data_dir: str, *flags: str) -> tuple[subprocess.Popen, str, float]:
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "app.py"),
            "--checkpoints",
            str(root),
            "--port",
            str(port),
            "--data-dir",
            data_dir,
            *flags,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "LATENT_EXPLORER_OFFLINE": "1"},
    )
    for line in process.stdout:
        if line.startswith("Latent Explorer ready"):
            return process, f"http://127.0.0.1:{port}", time.perf_counter() - started
    raise RuntimeError("the app did not start")


def startup(data_dir: str) -> dict:
    out = {}
    for extra in (0, 20):
        root = checkpoints_folder(extra)
        disk = sum(f.stat().st_size for f in root.rglob("*") if f.is_file()) / 2**20
        times, memory = [], []
        for _ in range(3):
            process, url, seconds = start(root, data_dir)
            httpx.get(url, timeout=30)  # the page itself, as a first visitor
            times.append(round(seconds, 2))
            memory.append(round(rss_mb(process.pid)))
            process.terminate()
            process.wait()
        out[f"{extra} page sweeps"] = {"ready_s": times, "rss_mb": memory, "page_sweeps_mb_on_disk": round(disk)}
        shutil.rmtree(root, ignore_errors=True)
    return out


def one_client_many_sessions(url: str) -> dict:
    from gradio_client import Client

    betas = [0.1, 0.2, 0.3, 0.5, 1, 2, 3, 4, 6, 8]
    dims = [2, 3, 4, 5, 6, 8, 10, 12, 16, 20]
    accepted, refused = 0, []
    sessions = [Client(url, analytics_enabled=False, verbose=False) for _ in range(5)]
    for client in sessions:
        try:
            client.predict("mnist", betas, dims, 1, None, api_name="/sweep_train")
            accepted += 1
        except Exception as error:  # noqa: BLE001 -- the refusal's message is the figure
            refused.append(str(error).splitlines()[-1][:160])
    for client in sessions:  # cancel whatever was accepted
        try:
            client.predict(None, api_name="/sweep_cancel")
        except Exception:  # noqa: BLE001,S110 -- "no sweep of yours": fine
            pass
    return {
        "sessions": len(sessions),
        "sweeps_asked": len(sessions),
        "accepted": accepted,
        "refusals": sorted(set(refused)),
    }


def uploads(url: str) -> dict:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (28, 28)).save(buffer, format="PNG")
    png = buffer.getvalue()
    big = [("files", (f"f{i}.bin", b"\0" * (10 * 2**20), "application/octet-stream")) for i in range(10)]
    ten = httpx.post(f"{url}/gradio_api/upload", files=big, timeout=120)
    codes = [
        httpx.post(f"{url}/gradio_api/upload", files=[("files", ("a.png", png, "image/png"))]).status_code
        for _ in range(30)
    ]
    return {
        "ten_10MiB_files_in_one_request": [ten.status_code, ten.text.strip()],
        "accepted_of_30_in_a_minute": codes.count(200),
        "refused_429": codes.count(429),
    }


def disk_budget(url: str, root: Path, process) -> dict:
    from gradio_client import Client

    client = Client(url, analytics_enabled=False, verbose=False)
    sizes = []
    for _ in range(6):
        job = client.predict("mnist", [1, 4], [2, 8], 1, None, api_name="/sweep_train")
        del job
        deadline = time.time() + 600
        while time.time() < deadline:  # until this client's sweep is done: its folder appears
            done = len(list((root / "page-sweeps").glob("mnist-run*/sweep.json")))
            if done and not list((root / "page-sweeps").glob(".*.partial")):
                break
            time.sleep(0.5)
        time.sleep(1.0)  # the runner prunes right after adding the sweep
        mb = sum(f.stat().st_size for f in (root / "page-sweeps").rglob("*") if f.is_file()) / 2**20
        sizes.append(
            {
                "sweeps": sorted(p.name for p in (root / "page-sweeps").iterdir() if not p.name.startswith(".")),
                "mb": round(mb, 1),
            }
        )
        while True:  # the queue must be free before this client may ask again
            try:
                client.predict(None, api_name="/sweep_cancel")
            except Exception:  # noqa: BLE001 -- nothing of ours waits or trains: go on
                break
    return {"budget_mb": 10, "after_each_sweep": sizes, "server_rss_mb_after": round(rss_mb(process.pid))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir", default=os.environ.get("LATENT_EXPLORER_DATA", str(ROOT.parent / "shared" / "data"))
    )
    args = parser.parse_args()
    results = {"machine": f"{os.cpu_count()} cores", "startup": startup(args.data_dir)}
    print(json.dumps(results["startup"], indent=1), flush=True)
    root = checkpoints_folder(0)
    process, url, _ = start(root, args.data_dir, "--sweep-disk-mb", "10")
    try:
        results["one_client_many_sessions"] = one_client_many_sessions(url)
        print(json.dumps(results["one_client_many_sessions"], indent=1), flush=True)
        results["uploads"] = uploads(url)
        print(json.dumps(results["uploads"], indent=1), flush=True)
        results["disk_budget"] = disk_budget(url, root, process)
        print(json.dumps(results["disk_budget"], indent=1), flush=True)
    finally:
        process.terminate()
        process.wait()
        shutil.rmtree(root, ignore_errors=True)
    out = ROOT / "benchmarks" / "results" / "sharing.json"
    out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
