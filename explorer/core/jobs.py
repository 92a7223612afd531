"""Sweeps trained from the page: one job at a time per device, the others waiting in line. No Gradio here.

:class:`JobQueue` runs each device's jobs one after another in its own thread; a request while one runs
waits (its place in line is :meth:`JobQueue.place`), up to ``max_waiting`` requests, and a client (an
address, :mod:`explorer.sharing`) has at most ``per_owner`` jobs waiting or running. :class:`Job` collects
the sweep's progress events (:mod:`training.sweep`) as curves the page polls. A cancelled job stops between
two training steps and writes nothing.

:func:`sweep_runner` is what a job does: train into a hidden folder beside the page's sweeps, rename it to
``<root>/page-sweeps/<name>`` once every checkpoint and ``sweep.json`` are written, add it to the store, and
remove the page's oldest sweeps beyond the disk budget. The training thread uses all cores but one and runs
at a lower priority, so the app keeps answering.
"""

from __future__ import annotations

import itertools
import logging
import os
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from explorer.core.inputs import InputError
from explorer.core.sweeps import over_budget, remember_name, staging_folder
from training.race import RaceCancelled
from training.sweep import SweepCancelled, SweepConfig

log = logging.getLogger(__name__)
REPORT_SECONDS = 0.3  # how often the training thread reports running losses (the first point comes after this)
TRAINING_NICE = 10  # the training thread's priority below the server's (Linux: per thread)
WAITING, RUNNING, DONE, CANCELLED, FAILED = "waiting", "running", "done", "cancelled", "failed"
_ids = itertools.count(1)


class JobRefused(InputError):
    """A request the queue cannot take now; the message says why and what to do."""


@dataclass(eq=False)
class Job:
    """One sweep to train. ``run(job)`` trains it and returns the finished sweep's name; ``record`` takes its
    progress events. Read it from other threads through :meth:`snapshot`."""

    config: SweepConfig
    owner: str
    run: Callable[[Job], str]
    id: int = field(default_factory=lambda: next(_ids))
    state: str = WAITING
    message: str = ""
    sweep: str | None = None  # the finished sweep's name
    submitted: float = field(default_factory=time.monotonic)
    started: float | None = None
    first_point: float | None = None  # when the first running loss arrived
    finished: float | None = None
    cancel_event: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _steps: int = 0
    _step: int = 0
    _evaluated: int = 0
    _models: list = field(default_factory=list)  # [{name, beta, latent_dim}] in grid order
    _curves: dict = field(default_factory=dict)  # name -> {"epoch": [...], "recon": [...], "kl": [...]}
    _tests: dict = field(default_factory=dict)  # name -> {"epoch": [...], "recon": [...], "kl": [...]}
    version: int = 0  # grows with every event: what the page has drawn
    noun: ClassVar[str] = "sweep"  # what the page calls a job of this kind

    @property
    def name(self) -> str:
        """The name its result will have (the sweep's)."""
        return self.config.sweep_name

    def describe(self) -> str:
        """What it trains, in a few words: "35 models"."""
        return _plural(len(self.config.runs()), "model")

    def record(self, event: dict) -> None:
        """A progress event of :func:`training.sweep.train_sweep` (called from the training thread)."""
        with self._lock:
            self.version += 1
            kind = event["event"]
            if kind == "start":
                self._steps, self._models = event["steps"], event["models"]
                self._curves = {m["name"]: {"epoch": [], "recon": [], "kl": []} for m in self._models}
                self._tests = {m["name"]: {"epoch": [], "recon": [], "kl": []} for m in self._models}
            elif kind == "train":
                self._step = event["step"]
                self.first_point = self.first_point or time.monotonic()
                for model in event["models"]:
                    curve = self._curves[model["name"]]
                    curve["epoch"].append(round(event["epoch"], 4))
                    curve["recon"].append(model["recon"])
                    curve["kl"].append(model["kl"])
            elif kind == "epoch":
                self._step = event["step"]
                for model in event["models"]:
                    if "test_recon" in model:
                        test = self._tests[model["name"]]
                        test["epoch"].append(event["epoch"])
                        test["recon"].append(model["test_recon"])
                        test["kl"].append(model["test_kl"])
            elif kind == "evaluated":
                self._evaluated += 1

    @property
    def active(self) -> bool:
        return self.state in (WAITING, RUNNING)

    def snapshot(self) -> dict:
        """What the page draws: {state, message, sweep, fraction (0-1 of the training steps), step, steps,
        evaluated, models, curves, tests, seconds (since it started), version}; lists are copies."""
        with self._lock:
            return {
                "id": self.id,
                "state": self.state,
                "message": self.message,
                "sweep": self.sweep,
                "fraction": self._step / self._steps if self._steps else 0.0,
                "step": self._step,
                "steps": self._steps,
                "evaluated": self._evaluated,
                "models": list(self._models),
                "curves": {n: {k: list(v) for k, v in c.items()} for n, c in self._curves.items()},
                "tests": {n: {k: list(v) for k, v in c.items()} for n, c in self._tests.items()},
                "seconds": (self.finished or time.monotonic()) - self.started if self.started else 0.0,
                "cancelling": self.cancel_event.is_set() and self.active,
                "version": self.version,
            }

    def _set(self, state: str, message: str = "", sweep: str | None = None) -> None:
        with self._lock:
            self.state, self.message, self.version = state, message, self.version + 1
            if sweep:
                self.sweep = sweep
            if state == RUNNING:
                self.started = time.monotonic()
            elif state in (DONE, CANCELLED, FAILED):
                self.finished = time.monotonic()


class JobQueue:
    """The training jobs of one device: one runs (in this queue's thread), at most ``max_waiting`` wait."""

    def __init__(self, device: str, max_waiting: int = 3):
        self.device = device
        self.max_waiting = max_waiting
        self._lock = threading.Condition()
        self._waiting: deque[Job] = deque()
        self._running: Job | None = None
        self._thread: threading.Thread | None = None

    def submit(self, config, owner: str, run: Callable[[Job], str], per_owner: int = 1, make: type[Job] = Job) -> Job:
        """Queue a job (``make(config, owner, run)``: a sweep, or a race) for ``owner`` (a client:
        :func:`explorer.sharing.client_of`); raises :class:`JobRefused` when ``owner`` has ``per_owner`` jobs
        (sweeps and races alike) waiting or running already, or the line is full."""
        with self._lock:
            mine = [job for job in self.jobs() if job.owner == owner]
            if len(mine) >= per_owner:
                raise JobRefused(
                    f"a {mine[0].noun} from your computer's address is still waiting or training: wait for it, or "
                    "cancel it first (a class that shares one address: start the app with --clients-per-address)"
                    if per_owner == 1
                    else f"{len(mine)} {_nouns(mine)} from your address are waiting or training "
                    "already: wait for one, or cancel one first"
                )
            if len(self._waiting) >= self.max_waiting and (self._running is not None or self._waiting):
                raise JobRefused(
                    f"{len(self._waiting)} {_nouns(self._waiting)} are waiting to train on this {self.device} "
                    "already; try again when one has finished"
                )
            job = make(config, owner, run)
            self._waiting.append(job)
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name=f"sweeps-{self.device}", daemon=True)
                self._thread.start()
            self._lock.notify()
            return job

    def jobs(self) -> list[Job]:
        """The running job (if any), then those waiting, in order."""
        with self._lock:
            return ([self._running] if self._running else []) + list(self._waiting)

    def place(self, job: Job) -> int:
        """0: ``job`` is training; n >= 1: it is n-th in line; -1: it is finished (or was never here)."""
        with self._lock:
            if job is self._running:
                return 0
            return next((i + 1 for i, waiting in enumerate(self._waiting) if waiting is job), -1)

    def find(self, job_id) -> Job | None:
        """The waiting or running job with id ``job_id``."""
        return next((job for job in self.jobs() if job.id == job_id), None)

    def cancel(self, job: Job) -> None:
        """Stop ``job``: a waiting job leaves the line at once, a running one stops before its next step
        (its thread sees the event). Either way nothing is written."""
        with self._lock:
            job.cancel_event.set()
            if job in self._waiting:
                self._waiting.remove(job)
                job._set(CANCELLED, "cancelled before it started; nothing was written")

    def _work(self) -> None:
        while True:
            with self._lock:
                while not self._waiting:
                    self._lock.wait()
                job = self._running = self._waiting.popleft()
                job._set(RUNNING)
            try:
                name = job.run(job)
            except (SweepCancelled, RaceCancelled):
                job._set(CANCELLED, "cancelled; nothing was written")
            except Exception as error:  # noqa: BLE001 -- the page says what went wrong; the queue goes on
                log.exception("%s %s failed", job.noun, job.name)
                expected = isinstance(error, ValueError | OSError | RuntimeError)  # missing data, diverged, disk
                job._set(FAILED, str(error) if expected else f"{type(error).__name__}: {error}")
            else:
                job._set(DONE, f"finished: {job.noun} {name}", sweep=name)
            finally:
                with self._lock:
                    self._running = None


def progress_line(queue: JobQueue, job: Job, snap: dict | None = None) -> tuple[str, float, bool]:
    """What the page says of ``job``: (one line, **bold** allowed; the fraction of its progress bar; whether it
    failed)."""
    snap = snap or job.snapshot()
    models = job.describe()
    place = queue.place(job) if snap["state"] == WAITING else 0
    if place > 0:
        return waiting_line(queue, job, place), 0, False
    if snap["state"] == DONE:
        return f"Done in {snap['seconds']:.0f} s: **{snap['sweep']}** ({models}) is shown.", 1, False
    if snap["state"] == CANCELLED:
        return f"Cancelled: {snap['message']}.", 0, False
    if snap["state"] == FAILED:
        return f"Failed: {snap['message']}", 1, True
    if snap["cancelling"]:
        return "Cancelling…", snap["fraction"], False
    if not snap["steps"]:  # out of the line, loading the data
        return f"Starting: loading {job.config.dataset}, building {models}…", 0, False
    if snap["step"] >= snap["steps"]:
        return f"Evaluating on the test set: {snap['evaluated']} of {models}…", 1, False
    elapsed, fraction, epochs = snap["seconds"], snap["fraction"], job.config.epochs
    left = f", about {elapsed / fraction - elapsed:.0f} s left" if fraction > 0.05 else ""
    return (
        f"Training {models}: epoch {min(int(fraction * epochs) + 1, epochs)} of {epochs}, {elapsed:.0f} s{left}.",
        fraction,
        False,
    )


def waiting_line(queue: JobQueue, job: Job, place: int) -> str:
    """What the page says of ``job``, ``place``-th in line."""
    running = queue.jobs()[:1]
    first = f"another {running[0].noun}" if running and running[0] is not job else "another job"
    return f"Waiting: {_ordinal(place)} in line for the {queue.device} ({job.describe()}); {first} trains first."


def _nouns(jobs) -> str:
    """ "sweeps", "races" or "sweeps and races": what ``jobs`` are."""
    nouns = sorted({job.noun for job in jobs}, reverse=True)
    return " and ".join(f"{noun}s" for noun in nouns)


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


_queues: dict[str, JobQueue] = {}
_queues_lock = threading.Lock()


def queue_for(device: str, max_waiting: int | None = None) -> JobQueue:
    """The one queue of ``device`` in this process (every app and session shares it: one job per device);
    ``max_waiting`` sets how many may wait in its line."""
    with _queues_lock:
        queue = _queues.setdefault(device, JobQueue(device))
        if max_waiting is not None:
            queue.max_waiting = max_waiting
        return queue


THREADS_ENV = "LATENT_EXPLORER_TRAINING_THREADS"


def training_threads() -> int:
    """Threads for the training thread: $LATENT_EXPLORER_TRAINING_THREADS, else every core but one, so the
    server keeps one (two cores: 1)."""
    if os.environ.get(THREADS_ENV, "").isdigit() and int(os.environ[THREADS_ENV]) > 0:
        return int(os.environ[THREADS_ENV])
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, cores - 1)


def share_the_machine(threads: int) -> None:
    """In the training thread: its own number of torch threads (a per-thread setting) and a lower priority
    than the server's threads (Linux sets a thread's nice value by its id; elsewhere this is skipped)."""
    import torch

    torch.set_num_threads(threads)
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), TRAINING_NICE)
    except (AttributeError, OSError):
        pass


def sweep_runner(
    store, data_dir, threads: int | None = None, report_seconds: float = REPORT_SECONDS, disk_budget_mb: int = 500
) -> Callable[[Job], str]:
    """What a job does: train its sweep into ``<root>/page-sweeps/.<name>.partial`` (held while it trains),
    rename that folder to ``<root>/page-sweeps/<name>`` once everything is written, add the sweep to ``store``,
    and remove the oldest of the page's sweeps until they fit ``disk_budget_mb`` (never the one just made; the
    committed and command-line sweeps in ``<root>/sweeps`` are never touched). A cancel, a failure or a kill
    leaves no sweep behind (a killed run's hidden folder is never loaded, and removed at the next start)."""

    def run(job: Job) -> str:
        from training.sweep import train_sweep

        share_the_machine(threads or training_threads())
        name = job.config.sweep_name
        folder = store.page_sweeps_folder
        remember_name(folder, name)
        with staging_folder(folder, name) as staging:
            train_sweep(
                job.config,
                staging,
                data_dir,
                download=False,
                progress=job.record,
                cancel=job.cancel_event,
                report_seconds=report_seconds,
            )
            os.rename(staging, folder / name)
        store.add_sweep(folder / name)
        for old in over_budget(folder, disk_budget_mb << 20, keep=name):
            store.remove_sweep(old.name)
            shutil.rmtree(old, ignore_errors=True)
            log.info("removed the page's sweep %s: the page's sweeps are kept within %d MB", old.name, disk_budget_mb)
        return name

    return run


def prepare() -> None:
    """Import what a first sweep needs (torchvision's dataset readers take ~1.5 s), so its first point
    comes quickly; run in a thread once the page is open."""
    import torchvision.datasets  # noqa: F401

    import training.sweep  # noqa: F401
