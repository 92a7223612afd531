"""Races trained from the page (Watch them learn): checked requests, the job that trains one and streams its frames,
and the models poked at a paused frame. No Gradio here.

A race is a job of the Compare tab's queue (:mod:`explorer.core.jobs`): one job per device at a time, one job
(sweep or race) per client waiting or training, the same line. :class:`RaceJob` keeps the frames as they come
(:func:`training.race.run_race`) for the page to stream (:meth:`RaceJob.frames_since`); :func:`race_runner` trains
it, then writes the recording into ``<root>/page-races/<name>`` (whole or not at all) where the store finds it,
keeping the newest :data:`KEEP_PAGE_RACES`.

Pause and poke: :class:`Pokes` gives a race's model as it was at a frame, trained again alone from the race's seed
(:func:`training.race.replay`; the replay of a frame holds exactly that frame's codes, checked on each replay), and
keeps the last few.
"""

from __future__ import annotations

import math
import os
import shutil
import threading
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from typing import ClassVar

import torch

from explorer.core.inputs import InputError, whole_number
from explorer.core.jobs import Job, JobQueue, share_the_machine, training_threads, waiting_line
from explorer.core.sweeps import remember_name, staging_folder
from training.data import DatasetMissingError, Split, load_dataset
from training.race import RACE_FILE, RaceConfig, race_indices, replay, run_race, save_race

MAX_POKE_STEPS = 5000  # a poke replays its model to its frame's step: about 1 ms a step on a CPU
EXACT = 1e-4  # a replay whose codes differ from its frame's by more is not that frame's model
KEEP_PAGE_RACES = 12  # the page's races kept on disk, newest first (about 2 MB each)
MAX_RACE_FRAMES = 150  # a page race keeps a frame every so many steps that it has at most this many
RACERS = {  # what the page offers to race: label -> (kind, beta)
    "AE": ("ae", 1.0),
    "DAE": ("dae", 1.0),
    "VAE": ("vae", 1.0),
    "β-VAE, β = 4": ("vae", 4.0),
    "β-VAE, β = 0.25": ("vae", 0.25),
    "CVAE": ("cvae", 1.0),
}
DEFAULT_RACERS = ("AE", "VAE")
RACE_DATASETS = ("mnist", "fashion-mnist")  # 60,000 training images each: enough steps for a race to show


@dataclass(frozen=True)
class RaceLimits:
    """How big a race the page may train on this device: images and epochs (defaults and most)."""

    images: int
    most_images: int
    epochs: int
    most_epochs: int


def race_limits(device_type: str) -> RaceLimits:
    """On a CPU, two models on 10,000 images train in seconds; on a GPU, all of MNIST does."""
    if device_type == "cpu":
        return RaceLimits(images=10_000, most_images=20_000, epochs=5, most_epochs=10)
    return RaceLimits(images=60_000, most_images=60_000, epochs=5, most_epochs=20)


def race_request(dataset, racers, epochs, images, datasets: list[str], limits: RaceLimits, name: str) -> RaceConfig:
    """A race to train from the page's raw values, checked: a :class:`InputError` says what is wrong. ``datasets``:
    those it may train on (of :data:`RACE_DATASETS`, with their files here)."""
    if dataset not in datasets:
        raise InputError(f"dataset must be one of {', '.join(datasets) or 'none here'}, got {str(dataset)[:40]!r}")
    if (
        not isinstance(racers, list | tuple)
        or not racers
        or any(not isinstance(r, str) or r not in RACERS for r in racers)
    ):
        raise InputError(f"choose 1 to {len(RACERS)} models to race from: {', '.join(RACERS)}")
    racers = list(dict.fromkeys(racers))
    epochs = whole_number(epochs, 1, limits.most_epochs, "epochs")
    images = whole_number(images, 1000, limits.most_images, "training images")
    total = math.ceil(images / 128) * epochs
    return RaceConfig(
        dataset=dataset,
        kinds=tuple(RACERS[r][0] for r in racers),
        betas=tuple(RACERS[r][1] for r in racers),
        epochs=epochs,
        train_subset=images,
        every=max(1, math.ceil(total / (MAX_RACE_FRAMES - 1))),
        name=name,
    )


@dataclass(eq=False)
class RaceJob(Job):
    """A race to train: its frames as they come (dicts of :func:`training.race.run_race`, each with ``kept``, the
    time it was kept), read by the page with :meth:`frames_since`."""

    noun: ClassVar[str] = "race"
    _frames: list = field(default_factory=list)
    _expected: int = 0
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    @property
    def name(self) -> str:
        return self.config.name

    def describe(self) -> str:
        return " vs ".join(self.config.labels())

    def add_frame(self, frame: dict) -> None:
        with self._arrived:
            self._frames.append({**frame, "kept": time.time()})
            self._arrived.notify_all()

    def progress(self, frame: int, frames: int) -> None:
        self._expected = frames

    def snapshot(self) -> dict:
        """As a sweep's (:meth:`Job.snapshot`), its fraction the frames kept of those the race will keep."""
        snap = super().snapshot()
        kept, expected = self.counts
        return {**snap, "fraction": kept / expected if expected else 0.0}

    def frames_since(self, seen: int, timeout: float) -> list[dict]:
        """The frames after the first ``seen``, once there are any, the job has ended, or ``timeout`` s passed."""
        with self._arrived:
            self._arrived.wait_for(lambda: len(self._frames) > seen or not self.active, timeout)
            return self._frames[seen:]

    def frame(self, index: int) -> dict:
        with self._arrived:
            return self._frames[index]

    @property
    def counts(self) -> tuple[int, int]:
        """(frames kept so far, frames the race will keep; 0 until it has started)."""
        with self._arrived:
            return len(self._frames), self._expected

    def _set(self, state: str, message: str = "", sweep: str | None = None) -> None:
        super()._set(state, message, sweep)
        with self._arrived:
            self._arrived.notify_all()


def race_line(queue: JobQueue, job: RaceJob) -> str:
    """What the page says of ``job``, a job of ``queue``; **bold** allowed."""
    snap = job.snapshot()
    kept, expected = job.counts
    place = queue.place(job) if snap["state"] == "waiting" else 0
    if place > 0:
        return waiting_line(queue, job, place)
    if snap["state"] == "done":
        return f"Done in {snap['seconds']:.1f} s: **{job.name}** is recorded; replay it, poke it, export it."
    if snap["state"] in ("cancelled", "failed"):
        return f"{snap['state'].capitalize()}: {snap['message']}"
    if snap["cancelling"]:
        return "Cancelling…"
    if not expected:
        return f"Starting: loading {job.config.dataset}, building {job.describe()}…"
    step = job.frame(kept - 1)["step"] if kept else 0
    total = job.config.total_steps(job.config.train_subset or 60_000)
    return f"Training {job.describe()}: step {step} of {total}, {snap['seconds']:.1f} s."


def race_runner(store, data_dir, device: str = "cpu", threads: int | None = None, keep: int = KEEP_PAGE_RACES):
    """What a race job does: train it (streaming its frames into the job), write the recording into
    ``<root>/page-races/.<name>.partial`` and rename it to ``<name>`` once whole, then remove the page's oldest
    races beyond ``keep``. A cancel or a failure writes nothing."""

    def run(job: RaceJob) -> str:
        share_the_machine(threads or training_threads())
        folder, name = store.page_races_folder, job.config.name
        remember_name(folder, name)
        recording, _ = run_race(
            job.config,
            data_dir,
            download=False,
            device=device,
            progress=job.progress,
            on_frame=job.add_frame,
            cancel=job.cancel_event,
        )
        with staging_folder(folder, name) as staging:
            save_race(recording, staging, overwrite=True)
            os.rename(staging, folder / name)
        races = sorted(folder.glob(f"*/{RACE_FILE}"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in [p.parent for p in races if p.parent.name != name][keep - 1 :]:
            store.forget_race(old.name)
            shutil.rmtree(old, ignore_errors=True)
        return name

    return run


class Pokes:
    """A race's models as they were at a frame, for pause and poke: each replayed on first use (a second or two on
    a CPU, on the device the race trained on), the last ``size`` exact ones kept, and the last race's images too
    (its training subset and the test images its frames hold, not the whole training set)."""

    def __init__(self, data_dir, size: int = 6):
        self.data_dir, self.size = data_dir, size
        self._kept: OrderedDict = OrderedDict()
        self._images: tuple = (None, None)  # ((dataset, subset, seed, points), (train split, points, labels))
        self._lock = threading.Lock()

    def model_at(self, config: RaceConfig, model: int, step: int, codes: torch.Tensor, device: str = "cpu"):
        """(the ``model``-th model of the race ``config`` at ``step``, the largest difference between its codes and
        ``codes``, the frame's: 0 when the replay is exact). A replay that is not exact is not kept. Raises
        :class:`InputError` for a step too far to replay for a poke, or a dataset missing here."""
        if step > MAX_POKE_STEPS:
            raise InputError(f"step {step} is too far into this race to replay for a poke (at most {MAX_POKE_STEPS})")
        key = (repr(asdict(config)), model, step, device)
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
        try:
            train_split, points, labels = self._race_images(config)
        except DatasetMissingError as error:
            raise InputError(f"cannot replay this race here: {error}") from None
        trained = replay(config, model, step, device=device, train_split=train_split.to(device))
        with torch.no_grad():
            difference = float((trained.encode(points.to(device), labels.to(device)).cpu() - codes).abs().max())
        if difference <= EXACT:
            with self._lock:
                self._kept[key] = (trained, difference)
                while len(self._kept) > self.size:
                    self._kept.popitem(last=False)
        return trained, difference

    def _race_images(self, config: RaceConfig):
        which = (config.dataset, config.train_subset, config.seed, config.points)
        with self._lock:
            if self._images[0] == which:
                return self._images[1]
        train_split, test_split, _ = load_dataset(config.dataset, self.data_dir, download=False)
        indices = race_indices(config, len(test_split))
        train = train_split.subset(config.train_subset)
        images = (
            Split(train.images.clone(), train.labels.clone()),
            test_split.images[indices],
            test_split.labels[indices],
        )
        with self._lock:
            self._images = (which, images)
        return images
