"""The fresh-machine check: the README's two commands are the whole set-up, and the run command starts
the app from a fresh clone with no dataset folder and no network (the page shows reconstructions of
the stored codes). The clone shares this checkout's .venv, so no packages are downloaded here; making
.venv itself is what `bash scripts/test` just did on a fresh clone in CI."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    section = REPO.joinpath("README.md").read_text().split("## The two commands", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", section, re.S)]


def test_the_readme_gives_two_commands_and_ci_runs_the_test_command():
    run, test = readme_commands()
    assert run == "bash scripts/run" and test == "bash scripts/test"
    ci = [
        line.strip()
        for line in REPO.joinpath(".ci/run").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert ci[-1] == test


def test_the_run_command_starts_a_fresh_clone_without_data_or_network(tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True, timeout=120)
    (clone / ".venv").symlink_to(REPO / ".venv")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LATENT_EXPLORER", "GRADIO_"))}
    env.update(HOME=str(tmp_path), LATENT_EXPLORER_OFFLINE="1")  # no network: nothing to download
    run = readme_commands()[0]
    server = subprocess.Popen(
        ["bash", "-c", f"{run} --port {port}"],
        cwd=clone,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline, lines = time.time() + 300, []
        while time.time() < deadline:
            line = server.stdout.readline()
            lines.append(line)
            if "ready" in line or not line:
                break
        assert f"http://127.0.0.1:{port}" in lines[-1], "".join(lines)[-2000:]
        assert not (clone / "data").exists()  # no dataset folder was made or needed
        from gradio_client import Client

        client = Client(f"http://127.0.0.1:{port}", analytics_enabled=False, verbose=False)
        names = ["mnist-pca-z2", "mnist-ae-z2", "mnist-vae-z2"]
        picture = client.predict("mnist", 2, names, 3, api_name="/select")
        assert Path(picture).suffix == ".png"
        spec = client.predict("mnist", 2, names, "dims", 0, api_name="/maps")
        assert spec["sprite"]["caption"] == "reconstruction"  # offline: the stored codes, decoded
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=30).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
