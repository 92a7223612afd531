"""Fault tests for checkpoint saves: writers killed with SIGKILL at staged moments of a save, and two
writers racing a reader. A reader must only ever get a whole checkpoint, the old one or a new one.

Writers are forked from the test process (no interpreter start-up), each saving in a loop; the parent
kills them or reads beside them.
"""

import collections
import itertools
import multiprocessing
import os
import random
import signal
import time

import pytest
import torch

from training import ModelConfig, build_model, load_checkpoint
from training.checkpoint import META_FILE, save_checkpoint

FORK = multiprocessing.get_context("fork")


@pytest.fixture(scope="module")
def versions():
    """Three different checkpoints of one architecture, by name: (model, meta, latents)."""
    found = {}
    for seed, name in enumerate("abc"):
        torch.manual_seed(seed)
        model = build_model(ModelConfig(kind="ae", latent_dim=3, hidden_dim=256))  # 1.6 MB of weights
        meta = {
            "name": name,
            "dataset": {"name": "mnist", "class_names": list("0123456789")},
            "metrics": {"mse_per_pixel": 0.1 + seed},
            "training_seconds": 1.0,
        }
        found[name] = (model, meta, {"z": torch.randn(500, 3), "labels": torch.randint(0, 10, (500,))})
    return found


def _save_forever(path, versions, names, ready):
    """A writer process: saves the ``names`` versions in turn until it is killed."""
    torch.set_num_threads(1)  # a forked child must not use the parent's thread pool
    ready.set()
    for name in itertools.cycle(names):
        save_checkpoint(path, *versions[name])


def _start_writer(path, versions, names):
    ready = FORK.Event()
    writer = FORK.Process(target=_save_forever, args=(path, versions, names, ready), daemon=True)
    writer.start()
    assert ready.wait(10), "the writer did not start"
    return writer


def _kill(writer):
    os.kill(writer.pid, signal.SIGKILL)
    writer.join()


def _whole_version(path, versions) -> str:
    """Load ``path`` and check that it is exactly one of ``versions``, all files together; its name."""
    loaded = load_checkpoint(path)
    model, meta, latents = versions[loaded.meta["name"]]
    assert loaded.meta["metrics"] == meta["metrics"]
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.model.state_dict()[key], value), key
    for key, value in latents.items():
        assert torch.equal(loaded.latents[key], value), key
    return loaded.meta["name"]


def test_a_save_killed_at_any_moment_leaves_the_old_or_the_new_checkpoint_whole(tmp_path, versions):
    path = tmp_path / "c"
    save_checkpoint(path, *versions["a"])
    started = time.perf_counter()
    save_checkpoint(path, *versions["a"])
    save_seconds = time.perf_counter() - started
    rng = random.Random(0)
    seen, interrupted = collections.Counter(), 0
    for kill in range(16):  # kill points spread over the first four saves of each writer, in 16 steps
        writer = _start_writer(path, versions, "bc")
        time.sleep((kill + rng.random()) * save_seconds / 4)
        _kill(writer)
        files = {p.name for p in path.iterdir()}
        interrupted += any(name.endswith(".tmp") for name in files) or len(files) > 3
        seen[_whole_version(path, versions)] += 1
    assert len(seen) >= 2, seen  # the kills landed after commits as well as before
    print(f"versions after kills: {dict(seen)}; {interrupted} of 16 kills left a save's files behind")

    save_checkpoint(path, *versions["a"])  # the next save removes what the killed writers left
    assert _whole_version(path, versions) == "a"
    assert len(list(path.glob("*.safetensors"))) == 2 and not list(path.glob(".*"))


def test_two_writers_racing_a_reader_never_show_it_a_mixed_or_missing_checkpoint(tmp_path, versions):
    path = tmp_path / "c"
    save_checkpoint(path, *versions["a"])
    writers = [_start_writer(path, versions, name) for name in ("b", "c")]
    seen = collections.Counter()
    try:
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            seen[_whole_version(path, versions)] += 1
    finally:
        for writer in writers:
            _kill(writer)
    assert seen["b"] and seen["c"], seen  # both writers committed while the reader read
    assert _whole_version(path, versions) in ("b", "c") and (path / META_FILE).is_file()
