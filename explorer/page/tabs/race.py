"""Watch them learn: models trained side by side from one seed, their codes moving as they learn. From one seed, the
AE's codes fly apart into far-flung islands while the VAE's are pulled into one round cloud inside the prior's rings,
and what each decodes from the same N(0, I) draws sharpens for the one and not the other.

- A recorded race (``python -m training race``, or one trained here before): the page plays, pauses, speeds up and
  scrubs its frames by itself (``static/race.js``); the server hands it the recording once.
- A race trained here: a job of the Compare tab's queue (:mod:`explorer.core.races`); its frames stream to the page
  as they are kept (a generator event), and it is recorded under ``page-races`` once done.
- Pause and poke: paused, a click on a map sends (model, frame, spot); the server decodes the spot with that model
  as it was at that frame (:class:`explorer.core.races.Pokes`), and the page shows the picture at the spot.

What the tab draws is :mod:`explorer.views.race_views`."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import threading
import time
from pathlib import Path

import gradio as gr
import torch

from explorer.core.inputs import InputError, real_number, whole_number
from explorer.core.jobs import WAITING, JobRefused, queue_for
from explorer.core.races import (
    DEFAULT_RACERS,
    EXACT,
    RACE_DATASETS,
    RACERS,
    Pokes,
    RaceJob,
    race_limits,
    race_line,
    race_request,
    race_runner,
)
from explorer.core.sweeps import free_name, trainable_datasets
from explorer.page import components
from explorer.page.adapter import only_event_data, raw_values
from explorer.page.context import EXPORT, PRIVATE, QUICK, Page, refuse
from explorer.page.header import Header
from explorer.page.tabs.compare import PROGRESS_CSS, client, line_html
from explorer.views.images import png_bytes
from explorer.views.race_views import live_frames, live_spec, race_gif, race_spec, spec_files, spot_picture
from training.data import DATASETS, load_test_split
from training.files import write_atomic
from training.race import FRAMES_FILE, RACE_FILE, RaceConfig, Recording, race_indices
from training.train import resolve_device

TITLE = "Watch them learn"
LOOK = (
    "Models trained side by side from one seed. Dots: test images' codes; dashed rings: 68% and 95% of N(0, I); "
    "by each map: decodes of the same N(0, I) draws. **Play**: the AE's codes fly apart, the VAE's fill the "
    "rings. **Pause**, then click a map: what that model decodes there at that step."
)
NO_RACE = "No race is recorded here. Train one below, or record one with: python -m training race --name my-race"
POKES = {"concurrency_id": "race-pokes", "concurrency_limit": 1}  # a first poke at a frame trains: never 4 at once
STREAM_GAP_S = 0.02  # at most ~50 messages a second to the page while a race trains (each bundles what came)


class Tab:
    def __init__(self, page: Page, header: Header):
        self.page, self.header, store = page, header, page.store
        self.device = resolve_device("auto")
        self.limits = race_limits(self.device.type)
        self.datasets = trainable_datasets(list(RACE_DATASETS), store.data_dir)
        self.queue = queue_for(self.device.type, page.limits.jobs_waiting)
        self.run = race_runner(store, store.data_dir, self.device.type)
        self.jobs: dict[int, RaceJob] = {}  # the page's races by job id (a session holds the id of its own)
        self.pokes = Pokes(store.data_dir)
        self._naming = threading.Lock()  # a race's free name chosen and taken at once; self.jobs changed
        races = list(store.race_folders())
        first = races[0] if races else None
        gr.Markdown(LOOK if races else NO_RACE, elem_classes="look")
        with gr.Row(equal_height=True, elem_id="le-race-bar"):
            self.choice = raw_values(  # checked by self.recording, in the app's own words
                gr.Dropdown(
                    races,
                    value=first,
                    label="Race shown",
                    show_label=False,
                    container=False,
                    scale=0,
                    min_width=240,
                    elem_id="le-race-choice",
                )
            )
            self.status = gr.HTML(line_html(""), css_template=PROGRESS_CSS, elem_id="le-race-status")
            self.cancel_button = gr.Button(  # usable while this page's race waits or trains
                "Cancel the race", elem_id="le-race-cancel", size="md", scale=0, min_width=150, interactive=False
            )
            self.gif_button = gr.Button("Export as GIF", size="md", scale=0, min_width=150)
            self.gif = gr.DownloadButton("Download the GIF", size="md", scale=0, min_width=150, visible=False)
        self.shown = gr.State(first)  # the recorded race in the view (None: a race training now)
        self.finished = gr.Textbox("", visible="hidden")  # the race this page trained, once recorded
        self._controls()
        self.view = components.race_view(self.spec(first) if first else None)
        self.reply = gr.JSON(None, visible="hidden")  # a poke's picture, or frames missed: race.js reads it
        self.job_id = gr.State(None)

    def _controls(self) -> None:
        limits = self.limits
        with gr.Accordion(
            "Race them yourself: train models side by side and watch them learn", open=False
        ) as self.controls:
            with gr.Row(equal_height=False):
                self.dataset = raw_values(
                    gr.Dropdown(
                        self.datasets,
                        value=self.datasets[0] if self.datasets else None,
                        label="Dataset",
                        interactive=bool(self.datasets),
                        elem_id="le-race-dataset",
                        min_width=160,
                    )
                )
                self.racers = raw_values(
                    gr.CheckboxGroup(
                        list(RACERS), value=list(DEFAULT_RACERS), label="Models (k = 2)", elem_id="le-race-racers"
                    )
                )
                self.epochs = raw_values(
                    gr.Slider(
                        1, limits.most_epochs, value=limits.epochs, step=1, label="Epochs", elem_id="le-race-epochs"
                    )
                )
                self.images = raw_values(
                    gr.Slider(
                        1000,
                        limits.most_images,
                        value=limits.images,
                        step=1000,
                        label="Training images",
                        elem_id="le-race-images",
                    )
                )
                self.start_button = gr.Button(
                    "Start", variant="primary", elem_id="le-race-start", interactive=bool(self.datasets), scale=0,
                    min_width=140,
                )  # fmt: skip

    # ---- a recorded race -----------------------------------------------------------------------------------------
    def recording(self, name) -> Recording:
        """The race ``name`` (from the page or the API: checked here, with the app's own words)."""
        names = list(self.page.store.race_folders())
        if not isinstance(name, str) or name not in names:
            raise refuse(f"no race named {str(name)[:60]!r}; choose one of {', '.join(names) or 'none'}")
        try:
            return self.page.store.race(name)
        except ValueError as error:
            raise refuse(str(error)) from None

    def spec(self, name: str) -> dict | None:
        """The race's spec, kept in the cache folder beside the files it names: a start that finds it there reads
        a few kB instead of the recording (5 MB) and encoding its sprites (0.13 s of the start on two cores)."""
        folder = self.page.store.race_folders().get(name)
        if folder is None:
            return None
        stats = [(folder / f).stat() for f in (RACE_FILE, FRAMES_FILE)]
        key = hashlib.sha1(repr([(s.st_size, s.st_mtime_ns) for s in stats]).encode()).hexdigest()[:12]
        kept = self.page.assets.folder / f"race-{name}-{key}.json"
        try:
            spec = json.loads(kept.read_text())
            if all(Path(url.split("file=", 1)[1]).exists() for url in spec_files(spec)):
                return spec
        except (OSError, ValueError, KeyError, IndexError):
            pass  # not kept yet, or its files were cleaned away
        try:
            spec = race_spec(self.page.store.race(name), self.page.assets, name)
        except ValueError:  # damaged: named in the terminal (store.skipped) and left out of the page
            return None
        write_atomic(kept, json.dumps(spec).encode())
        return spec

    def show(self, name, shown) -> dict:
        """The race chosen (in the list, or by a link) in the view, unless the view shows it already (or none is
        chosen: a race of this page trains)."""
        if name == shown or name is None:
            return {self.view: gr.skip()}
        self.recording(name)  # an unknown or damaged race: the page says so
        return {self.view: self.spec(name), self.shown: name, self.reply: None}

    def show_tab(self, tab, name) -> dict:
        """On showing the tab: the races' list, with those trained since (by anyone) in it."""
        if tab != "race":
            return {self.choice: gr.skip()}
        races = list(self.page.store.race_folders())
        return {self.choice: gr.update(choices=races, value=name if name in races else (races or [None])[0])}

    def export_gif(self, name) -> dict:
        recording = self.recording(name)
        palette = (self.spec(name) or {}).get("palette") or ["#1f77b4"]
        data = race_gif(recording, palette)
        path = self.page.assets.download(data, f"race-{name}.gif")
        label = f"Download the GIF ({len(data) / 2**20:.1f} MB)"
        return {self.gif: gr.update(value=str(path), label=label, visible=True)}

    def adopt(self, finished, name) -> dict:
        """The race this page trained, recorded: chosen in the list, unless another was chosen meanwhile."""
        races = list(self.page.store.race_folders())
        if finished not in races:
            return {self.choice: gr.skip()}
        if name is not None:  # the user chose a race meanwhile: it stays
            return {self.choice: gr.update(choices=races)}
        return {self.choice: gr.update(choices=races, value=finished), self.shown: finished}

    # ---- a race trained here -------------------------------------------------------------------------------------
    def start(self, request: gr.Request, dataset, racers, epochs, images, job_id):
        """Train: check the request, queue it for this client, then stream its frames into the view as they come
        (bundled, at most every STREAM_GAP_S), and at the end name the recording in the list. A page that leaves
        while its race still waits in line takes it out of the line."""
        job = self._submit(client(request), dataset, racers, epochs, images, job_id)
        try:
            yield from self._stream(job)
        finally:
            if job.state == WAITING:
                self.queue.cancel(job)

    def _submit(self, owner: str, dataset, racers, epochs, images, job_id) -> RaceJob:
        """The race asked for, checked and queued for ``owner`` under a free name (chosen and taken at once)."""
        store, sharing = self.page.store, self.page.limits
        mine = self.jobs.get(job_id)
        try:
            if mine is not None and mine.active:
                raise InputError("your race is still waiting or training: wait for it, or cancel it first")
            config = race_request(dataset, racers, epochs, images, self.datasets, self.limits, "race")
            with self._naming:
                taken = set(store.race_folders()) | {j.name for j in self.queue.jobs()}
                name = free_name(store.page_races_folder, config.dataset, taken, stem="race")
                config = dataclasses.replace(config, name=name)
                per_client = sharing.per_address(sharing.jobs_per_client)
                job = self.queue.submit(config, owner, self.run, per_client, make=RaceJob)
        except (InputError, JobRefused, ValueError) as error:
            raise refuse(str(error)) from None
        with self._naming:
            self.jobs[job.id] = job
            for old in [i for i, j in list(self.jobs.items()) if not j.active and i != job.id][:-2]:
                self.jobs.pop(old, None)  # a few finished races stay, for pokes and missed frames
        return job

    def _stream(self, job: RaceJob):
        """What the page gets of ``job``: the view's spec, then each batch of frames as it comes, and the end."""
        store, spec = self.page.store, self._live_spec(job)
        yield {
            self.job_id: job.id,
            self.view: spec,
            self.shown: None,
            self.reply: None,
            self.status: self.line(job),
            self.controls: gr.Accordion(open=False),  # room for the maps
            self.choice: None,  # no recorded race is shown (see show and adopt)
            self.cancel_button: gr.Button(interactive=True),
        }
        seen, said = 0, None
        while True:
            frames = job.frames_since(seen, timeout=0.5)
            out, line = {}, self.line(job)
            if frames:
                out[self.view] = live_frames(spec, seen, frames, False, job.counts[1])
                seen += len(frames)
            if line != said:
                out[self.status], said = line, line
            if out:
                yield out
            if not job.active and seen == job.counts[0]:
                break
            time.sleep(STREAM_GAP_S)  # a pace for the page, not a wait for a condition: frames_since waits
        yield {
            self.view: live_frames(spec, seen, [], True, job.counts[1]),
            self.status: self.line(job),
            self.cancel_button: gr.Button(interactive=False),
            self.finished: job.sweep if job.sweep in store.race_folders() else "",  # recorded: see adopt
        }

    def _live_spec(self, job: RaceJob) -> dict:
        config = job.config
        test, info = load_test_split(config.dataset, self.page.store.data_dir, download=False)
        labels = test.labels[race_indices(config, len(test))]
        return live_spec(job.id, config, info.class_names, labels, info.image_shape)

    def line(self, job: RaceJob) -> str:
        kept, expected = job.counts
        fraction = kept / expected if expected else 0.0
        failed = job.state == "failed"
        return line_html(race_line(self.queue, job), 1.0 if job.state == "done" else fraction, failed)

    def stop(self, request: gr.Request, job_id) -> dict:
        """Cancel this page's race, or (after a reload) the race of this client still waiting or training."""
        job = self.jobs.get(job_id)
        if job is None or not job.active:
            owner = client(request)
            job = next((j for j in self.queue.jobs() if isinstance(j, RaceJob) and j.owner == owner), None)
        if job is None:
            raise refuse("no race of yours is waiting or training")
        self.queue.cancel(job)
        return {self.status: self.line(job), self.cancel_button: gr.Button(interactive=False)}

    # ---- pause and poke, and frames a page missed ---------------------------------------------------------------
    def answer(self, data: dict) -> dict:
        """A request from the view: {poke: n, name, live, model, frame, x, y} (a click on a paused map), or
        {resend: first, live} (frames a page missed). The reply goes to ``reply``, which the view reads."""
        try:
            if "resend" in data:
                return {self.reply: self._resend(data.get("live"), whole_number(data["resend"], 0, 10_000, "frame"))}
            return {self.reply: self._poke(data)}
        except (InputError, ValueError) as error:
            raise refuse(str(error)) from None

    def _poke(self, data: dict) -> dict:
        """What the model decodes at (x, y) as it was at that frame: {kind, n, model, frame, x, y, picture (a PNG
        data URL), text, short, classes}."""
        n = whole_number(data.get("poke"), 0, 1 << 40, "poke")
        model = whole_number(data.get("model"), 0, 15, "model")
        frame = whole_number(data.get("frame"), 0, 10_000, "frame")
        x, y = (real_number(data.get(a), -1000.0, 1000.0, a) for a in ("x", "y"))
        config, step, codes, device = self._frame_of(data.get("name"), data.get("live"), frame, model)
        trained, difference = self.pokes.model_at(config, model, step, codes, device)
        picture = spot_picture(trained, x, y, config.latent_dim, DATASETS[config.dataset].n_classes)
        label = config.labels()[model]
        every_class = " as each class, from 0" if trained.conditional else ""
        text = f"{label} at step {step} decodes ({x:.2f}, {y:.2f}){every_class} as:"
        if difference > EXACT:
            text += f" (replayed on this machine: its codes differ from the recording's by up to {difference:.2g})"
        short = f"({x:.2f}, {y:.2f})" + (" replayed, not exact" if difference > EXACT else "")
        png = base64.b64encode(png_bytes(picture)).decode()
        return {"kind": "poke", "n": n, "model": model, "frame": frame, "x": x, "y": y, "text": text, "short": short,
                "picture": f"data:image/png;base64,{png}", "classes": trained.conditional}  # fmt: skip

    def _frame_of(self, name, live, frame: int, model: int) -> tuple[RaceConfig, int, torch.Tensor, str]:
        """(the race's config, the step of its frame ``frame``, the codes that frame holds for ``model``, the device
        it trained on): of this page's race ``live`` if it has it, else of the recorded race ``name``."""
        job = self.jobs.get(live) if isinstance(live, int) else None
        if job is not None and job.name == name:
            if frame >= job.counts[0] or model >= len(job.config.kinds):
                raise InputError(f"race {name} has no frame {frame} of model {model} (yet)")
            kept = job.frame(frame)
            return job.config, kept["step"], kept["codes"][model], self.device.type
        recording = self.recording(name)
        if frame >= len(recording.steps) or model >= recording.codes.shape[1]:
            raise InputError(f"race {name} has no frame {frame} of model {model}")
        config = RaceConfig(**recording.meta["config"])
        if config.latent_dim < 2:
            raise InputError(f"race {name} has one latent axis: there is no map to poke")
        device = recording.meta.get("device", "cpu")
        if device != "cpu" and device != self.device.type:
            raise InputError(
                f"race {name} was trained on a {device}, which this machine has not: it cannot be replayed"
            )
        return config, recording.steps[frame], recording.codes[frame, model], device

    def _resend(self, live, first: int) -> dict:
        """Frames of this page's race ``live`` from ``first`` on, as the stream sent them (a page that missed some)."""
        job = self.jobs.get(live) if isinstance(live, int) else None
        if job is None:
            raise InputError("that race is no longer held here: choose it in the list to replay it")
        spec = self._live_spec(job)
        kept, expected = job.counts
        frames = [job.frame(i) for i in range(first, kept)]
        return {
            "kind": "frames",
            **live_frames(spec, first, frames, not job.active and kept == job.counts[0], expected),
        }

    def wire(self) -> None:
        self.choice.change(
            self.show, [self.choice, self.shown], [self.view, self.shown, self.reply], **PRIVATE, **QUICK
        )
        self.gif_button.click(self.export_gif, [self.choice], [self.gif], api_name="race_gif", **EXPORT)
        self.start_button.click(
            self.start,
            [self.dataset, self.racers, self.epochs, self.images, self.job_id],
            [
                self.job_id,
                self.view,
                self.shown,
                self.reply,
                self.status,
                self.choice,
                self.controls,
                self.cancel_button,
                self.finished,
            ],
            api_name="race_train",
            show_progress="hidden",
            concurrency_limit=None,  # a stream mostly waits; the queue of jobs says who trains
        )
        self.cancel_button.click(
            self.stop,
            [self.job_id],
            [self.status, self.cancel_button],
            api_name="race_cancel",
            show_progress="hidden",
            **QUICK,
        )
        self.finished.change(self.adopt, [self.finished, self.choice], [self.choice, self.shown], **PRIVATE, **QUICK)
        self.view.select(  # the last request waiting wins: a quick second poke is answered, not dropped
            only_event_data(self.answer), None, [self.reply], trigger_mode="always_last", **PRIVATE, **POKES
        )
        self.reply.change(
            None, [self.reply], None, js="(r) => { document.querySelector('#le-race .le-race')?.leRace?.reply(r); }"
        )
