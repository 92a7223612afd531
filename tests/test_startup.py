"""The app always starts: whatever lies in its checkpoints folder it serves the good models and lists
the broken ones (in the page and over the API); a model with fewer stored test codes works like any
other; command-line mistakes and a busy port get one line each."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[1]
GOOD = ["mnist-pca-z2", "mnist-vae-z2"]


def _edit(folder: Path, change) -> None:
    meta_file = folder / "checkpoint.json"
    meta = json.loads(meta_file.read_text())
    change(meta)
    meta_file.write_text(json.dumps(meta))


@pytest.fixture(scope="module")
def odd_zoo(tmp_path_factory, data_dir):
    """Two committed MNIST checkpoints, three broken copies, and a model trained with --test-subset 100."""
    from training import ModelConfig, TrainConfig, train

    root = tmp_path_factory.mktemp("odd-zoo")
    for name in GOOD:
        shutil.copytree(REPO / "checkpoints" / name, root / name)
    broken = [root / f"broken-{i}" for i in range(3)]
    for folder in broken:
        shutil.copytree(REPO / "checkpoints" / "mnist-ae-z2", folder)
    _edit(broken[0], lambda m: m["model"].update(hidden_dim=10_000_000))  # 31 GB if it were built first
    _edit(broken[1], lambda m: m.pop("dataset"))
    weights = next(broken[2].glob("weights-*.safetensors"))
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])  # half-copied from a USB stick
    train(
        TrainConfig(
            model=ModelConfig(kind="ae", latent_dim=2, hidden_dim=32),
            epochs=1,
            train_subset=2000,
            test_subset=100,
            umap=False,
            device="cpu",
            name="mnist-ae-z2-subset100",
        ),
        root,
        data_dir,
        download=False,
        progress=False,
    )
    return root


@pytest.fixture(scope="module")
def odd_app(odd_zoo, data_dir, tmp_path_factory):
    import app

    demo, kwargs = app.create_app(odd_zoo, data_dir)
    demo.launch(server_name="127.0.0.1", server_port=None, prevent_thread_lock=True, quiet=True, **kwargs)
    yield demo.local_url.rstrip("/")
    demo.close()


def test_broken_checkpoints_are_listed_with_their_reasons_and_the_good_ones_served(odd_app):
    from gradio_client import Client

    client = Client(odd_app, analytics_enabled=False, verbose=False)
    broken = client.predict(api_name="/broken_checkpoints")
    assert len(broken) == 3 and all("broken-" in reason for reason in broken)
    text = " ".join(broken)
    assert "hidden_dim" in text or "shape" in text  # the config does not match its weights
    assert "'dataset'" in text
    assert "SHA-256" in text or "truncated" in text
    picture = client.predict("mnist", 2, GOOD, 5, api_name="/select")
    assert Path(picture).suffix == ".png"


def test_the_page_names_the_skipped_checkpoints(odd_zoo, data_dir):
    from explorer.core.store import Store
    from explorer.page.context import skipped_note

    store = Store.load(odd_zoo, data_dir)
    note = skipped_note(store)
    assert "3 checkpoint(s) skipped: broken-0, broken-1, broken-2" in note
    assert note.count("<li>") == 3 and "'dataset'" in note  # each reason


def test_a_model_with_fewer_test_codes_works_beside_the_others(odd_app, odd_zoo, data_dir):
    from gradio_client import Client

    from explorer.core.store import Store

    store = Store.load(odd_zoo, data_dir)
    full = store.lineup("mnist", 2, GOOD)
    mixed = store.lineup("mnist", 2, [*GOOD, "mnist-ae-z2-subset100"])
    assert full.images.originals and mixed.images.originals  # not thrown into offline mode
    assert full.n_images == 10_000 and mixed.n_images == 100
    client = Client(odd_app, analytics_enabled=False, verbose=False)
    names = [*GOOD, "mnist-ae-z2-subset100"]
    assert Path(client.predict("mnist", 2, names, 99, api_name="/select")).suffix == ".png"
    with pytest.raises(Exception, match="image index 150 is out of range: it must be between 0 and 99"):
        client.predict("mnist", 2, names, 150, api_name="/select")
    spec = client.predict("mnist", 2, names, "dims", 0, api_name="/maps")
    assert [m["n"] for m in spec["maps"]] == [100, 100, 100]  # the same images in every map
    for figure in spec["maps"]:
        assert len(httpx.get(odd_app + figure["data"], timeout=30).content) == 12 * 100
    assert Path(client.predict("mnist", 2, GOOD, 5000, api_name="/select")).suffix == ".png"


def test_files_removed_while_the_app_runs_are_made_again(odd_app):
    from gradio_client import Client

    client = Client(odd_app, analytics_enabled=False, verbose=False)
    spec = client.predict("mnist", 2, GOOD, "dims", 0, api_name="/maps")
    sprite = Path(spec["sprite"]["url"].split("=", 1)[1])
    sprite.unlink()
    shutil.rmtree(sprite.parent / "pictures", ignore_errors=True)
    again = client.predict("mnist", 2, GOOD, "dims", 0, api_name="/maps")
    assert httpx.get(odd_app + again["sprite"]["url"], timeout=30).status_code == 200
    assert Path(client.predict("mnist", 2, GOOD, 6, 3, api_name="/samples")).is_file()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _app(*args, env=None, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO / "app.py"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        cwd=REPO,
    )


def test_a_busy_port_gives_one_clear_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _app("--port", str(port), "--checkpoints", str(tmp_path))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert f"port {port} is in use" in result.stderr and f"--port {port + 1}" in result.stderr


@pytest.mark.parametrize(
    "args,message",
    [
        (["--port", "abc"], "'abc' is not a port number"),
        (["--port", "70000"], "port 70000 is out of range"),
        (["--device", "banana"], "'banana' is not a device"),
        (["--host", "no.such.host.invalid"], "unknown host"),
        (["--frobnicate"], "unrecognized arguments: --frobnicate"),
    ],
)
def test_command_line_mistakes_get_one_line_and_exit_2(args, message, tmp_path):
    result = _app(*args, "--checkpoints", str(tmp_path))
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_gradio_server_port_is_honoured_and_an_empty_folder_still_starts(tmp_path):
    """With no checkpoints at all the page explains what to do; GRADIO_SERVER_PORT picks the port."""
    port = _free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1"}
    server = subprocess.Popen(
        [sys.executable, str(REPO / "app.py"), "--checkpoints", str(tmp_path)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        line = server.stdout.readline()
        assert f"http://127.0.0.1:{port}" in line, line
        page = httpx.get(f"http://127.0.0.1:{port}/config", timeout=30).text
        assert "no models to show" in page and "python -m training zoo" in page
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_missing_dataset_is_downloaded_in_the_background_and_then_shown(tmp_path, data_dir, monkeypatch):
    """No dataset folder: the app starts on reconstructions; once the loader has fetched the test set (here
    a stand-in that copies it, as there is no network in the tests) a new lineup shows the originals."""
    import explorer.core.store as store_module
    from explorer.core.store import Store

    empty = tmp_path / "data"
    monkeypatch.delenv("LATENT_EXPLORER_OFFLINE", raising=False)
    store = Store.load(REPO / "checkpoints", empty)
    before = store.lineup("frey", 2, None)
    assert not before.images.originals and "Expected: frey_rawface.mat" in before.images.message

    asked = []

    def fake_download(dataset, data_dir, download=None):
        asked.append((dataset, download))
        if dataset != "frey":
            raise store_module.DatasetMissingError("no network")
        Path(data_dir).mkdir(parents=True, exist_ok=True)
        shutil.copy(data_dir_of_tests / "frey_rawface.mat", Path(data_dir) / "frey_rawface.mat")

    data_dir_of_tests = data_dir
    monkeypatch.setattr(store_module, "load_test_split", fake_download)
    assert store.fetch_missing() == ["frey"]
    assert {d for d, _ in asked} == {"mnist", "fashion-mnist", "faces", "frey"} and all(d for _, d in asked)
    monkeypatch.undo()
    after = store.lineup("frey", 2, None)
    assert after.images.originals and after.n_images == before.n_images
    failed = store.lineup("mnist", 2, None).images  # says why, instead of promising a download
    assert not failed.originals and failed.message.endswith("no network")
    monkeypatch.setenv("LATENT_EXPLORER_OFFLINE", "1")
    assert Store.load(REPO / "checkpoints", empty).fetch_missing() == []  # downloads off: nothing tried
