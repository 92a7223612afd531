"""Races trained from the page (explorer/core/races.py): a request checked, the job in the Compare tab's queue and
limits, its frames streamed as they come and then recorded whole, the page's races kept few, and a poke's model."""

from __future__ import annotations

import threading
import time

import pytest
import torch
from helpers import small_sweep

from explorer.core.inputs import InputError
from explorer.core.jobs import CANCELLED, DONE, JobQueue, JobRefused
from explorer.core.races import (
    Pokes,
    RaceJob,
    race_limits,
    race_request,
    race_runner,
)
from explorer.core.store import Store
from explorer.core.sweeps import free_name
from training.race import RaceConfig, encode_points, load_race, run_race, save_race

LIMITS = race_limits("cpu")


def tiny(name: str = "mnist-race1", every: int = 1) -> RaceConfig:
    return RaceConfig(
        kinds=("ae", "vae"), betas=(1.0, 1.0), epochs=1, train_subset=384, points=50, samples=4, every=every, name=name
    )


def finish(job, timeout: float = 120.0) -> None:
    """Wait for ``job`` to end: on its condition (a frame kept, or the job ended), never a fixed sleep."""
    deadline = time.monotonic() + timeout
    while job.active:
        assert time.monotonic() < deadline, "the race did not end"
        job.frames_since(job.counts[0], timeout=1.0)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (("cifar", ["AE"], 1, 1000), "dataset must be one of mnist"),
        (("mnist", [], 1, 1000), "choose 1 to 6 models"),
        (("mnist", ["AE", "GAN"], 1, 1000), "choose 1 to 6 models"),
        (("mnist", "AE", 1, 1000), "choose 1 to 6 models"),
        (("mnist", [["AE"]], 1, 1000), "choose 1 to 6 models"),
        (("mnist", [{"a": 1}], 1, 1000), "choose 1 to 6 models"),
        (("m" * 300, ["AE"], 1, 1000), "dataset must be one of mnist"),
        (("mnist", ["AE"], 11, 1000), "epochs"),
        (("mnist", ["AE"], "two", 1000), "epochs"),
        (("mnist", ["AE"], 1, 999_999), "training images"),
    ],
)
def test_a_race_request_is_checked_in_the_apps_words(values, message):
    with pytest.raises(InputError, match=message):
        race_request(*values, datasets=["mnist"], limits=LIMITS, name="mnist-race1")


def test_a_race_request_keeps_at_most_150_frames_and_races_each_model_once():
    config = race_request("mnist", ["AE", "VAE", "AE", "β-VAE, β = 4"], 10, 20_000, ["mnist"], LIMITS, "mnist-race1")
    assert config.kinds == ("ae", "vae", "vae") and config.betas == (1.0, 1.0, 4.0)
    total = config.total_steps(20_000)
    assert total == 157 * 10 and total // config.every + 2 <= 150


def test_a_race_shares_the_queue_and_the_one_job_per_client_of_the_sweeps():
    queue = JobQueue("cpu", max_waiting=3)
    hold, started = threading.Event(), threading.Event()
    queue.submit(tiny(), "10.0.0.1", lambda job: started.set() or (hold.wait(30) and "mnist-race1"), make=RaceJob)
    try:
        assert started.wait(30)  # the race is training (before, the sweep could be second, behind it waiting)
        with pytest.raises(JobRefused, match="a race from your computer.s address is still waiting or training"):
            queue.submit(small_sweep((1.0,), (2,), 1, "q"), "10.0.0.1", lambda job: "x")
        waiting = queue.submit(small_sweep((1.0,), (2,), 1, "q"), "10.0.0.2", lambda job: "x")
        assert queue.place(waiting) == 1  # a sweep waits behind the race: one job per device
    finally:
        hold.set()


def test_a_race_job_streams_its_frames_then_records_them_whole(tmp_path, data_dir):
    store = Store.load(tmp_path, data_dir)
    queue = JobQueue("cpu")
    job = queue.submit(tiny(), "10.0.0.1", race_runner(store, data_dir, threads=1), make=RaceJob)
    seen = []
    while True:  # as the page does: what came since, until the job ends
        frames = job.frames_since(len(seen), timeout=5.0)
        seen += frames
        if not job.active and len(seen) == job.counts[0]:
            break
    assert job.state == DONE and job.sweep == "mnist-race1"
    assert [f["step"] for f in seen] == [0, 1, 2, 3] and job.counts == (4, 4)
    assert all(f["kept"] > 0 for f in seen)
    recording = load_race(tmp_path / "page-races" / "mnist-race1")
    assert torch.equal(torch.stack([f["codes"] for f in seen]), recording.codes)  # what streamed is what is recorded
    assert list(store.race_folders()) == ["mnist-race1"] and store.race("mnist-race1").steps == [0, 1, 2, 3]
    assert free_name(store.page_races_folder, "mnist", set(store.race_folders()), stem="race") == "mnist-race2"


class CancelledAtItsFirstFrame(RaceJob):
    def add_frame(self, frame: dict) -> None:
        super().add_frame(frame)
        self.cancel_event.set()  # as the Cancel button does, at a known moment


def test_a_cancelled_race_writes_nothing(tmp_path, data_dir):
    store = Store.load(tmp_path, data_dir)
    queue = JobQueue("cpu")
    job = queue.submit(tiny(), "10.0.0.1", race_runner(store, data_dir, threads=1), make=CancelledAtItsFirstFrame)
    finish(job)
    assert job.state == CANCELLED and "nothing was written" in job.message
    assert job.counts[0] == 1
    assert not list(store.page_races_folder.iterdir()) or [p.name for p in store.page_races_folder.iterdir()] == [
        ".used-names"
    ]


def test_the_pages_races_are_kept_few_and_a_committed_race_is_never_removed(tmp_path, data_dir):
    recording, _ = run_race(tiny(every=3), data_dir, download=False)
    save_race(recording, tmp_path / "races" / "committed")
    store = Store.load(tmp_path, data_dir)
    queue, run = JobQueue("cpu"), race_runner(store, data_dir, threads=1, keep=2)
    for n in (1, 2, 3):
        job = queue.submit(tiny(f"mnist-race{n}", every=3), "10.0.0.1", run, make=RaceJob)
        finish(job)
        assert job.state == DONE, job.message
    assert list(store.race_folders()) == ["committed", "mnist-race3", "mnist-race2"]  # committed first, newest next


def test_a_poke_gets_the_model_of_that_frame_exactly(data_dir):
    config = tiny(every=2)
    recording, models = run_race(config, data_dir, download=False)
    pokes = Pokes(data_dir, size=2)
    last = len(recording.steps) - 1
    model, difference = pokes.model_at(config, 1, recording.steps[last], recording.codes[last, 1])
    assert difference == 0.0
    torch.testing.assert_close(encode_points(model, recording, data_dir), encode_points(models[1], recording, data_dir))
    again, _ = pokes.model_at(config, 1, recording.steps[last], recording.codes[last, 1])
    assert again is model  # kept: the next poke at that frame is a decode, not a replay
    _, off = Pokes(data_dir).model_at(config, 1, recording.steps[last], recording.codes[last, 1] + 0.5)
    assert off == pytest.approx(0.5, abs=1e-5)  # a replay that does not match its recording says by how much
