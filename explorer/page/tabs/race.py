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
import hashlib
import json
import time
from pathlib import Path

import gradio as gr
import torch

from explorer.core.inputs import InputError, real_number, whole_number
from explorer.core.jobs import JobRefused, queue_for
from explorer.core.races import (
    DEFAULT_RACERS,
    RACE_DATASETS,
    RACERS,
    Pokes,
    RaceJob,
    free_race_name,
    race_limits,
    race_line,
    race_request,
    race_runner,
)
from explorer.core.sweeps import trainable_datasets
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
    "beside each map: decodes of the same N(0, I) draws. **Play**: the AE's codes fly apart, the VAE's fill the "
    "rings. **Pause**, then click a map: what that model decodes there at that step."
)
NO_RACE = "No race is recorded here. Train one below, or record one with: python -m training race --name my-race"
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
            self.status = gr.HTML(
                line_html("Or train your own below: one race or sweep per computer at a time."),
                css_template=PROGRESS_CSS,
                elem_id="le-race-status",
            )
            self.gif_button = gr.Button("Export as GIF", size="md", scale=0, min_width=150)
        self.shown = gr.State(first)  # the recorded race in the view (None: a race training now)
        self._controls()
        self.view = components.race_view(self.spec(first) if first else None)
        self.poked = gr.JSON(None, visible="hidden")  # what a poke decoded: race.js shows it at the spot
        self.gif = gr.File(label="GIF", height=60, visible=False)
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
                with gr.Column(scale=0, min_width=140):
                    self.start_button = gr.Button(
                        "Start", variant="primary", elem_id="le-race-start", interactive=bool(self.datasets)
                    )
                    self.cancel_button = gr.Button("Cancel", elem_id="le-race-cancel")

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
        """The race chosen (in the list, or by a link) in the view, unless the view shows it already."""
        if name == shown:
            return {self.view: gr.skip()}
        self.recording(name)  # an unknown or damaged race: the page says so
        return {self.view: self.spec(name), self.shown: name, self.poked: None}

    def show_tab(self, tab, name) -> dict:
        """On showing the tab: the races' list, with those trained since (by anyone) in it."""
        if tab != "race":
            return {self.choice: gr.skip()}
        races = list(self.page.store.race_folders())
        return {self.choice: gr.update(choices=races, value=name if name in races else None, visible=len(races) > 1)}

    def export_gif(self, name) -> dict:
        recording = self.recording(name)
        palette = (self.spec(name) or {}).get("palette") or ["#1f77b4"]
        path = self.page.assets.download(race_gif(recording, palette), f"race-{name}.gif")
        return {self.gif: gr.update(value=str(path), visible=True)}

    # ---- a race trained here -------------------------------------------------------------------------------------
    def start(self, request: gr.Request, dataset, racers, epochs, images):
        """Train: check the request, queue it for this client, then stream its frames into the view as they come
        (bundled, at most every STREAM_GAP_S), and at the end name the recording in the list."""
        store = self.page.store
        try:
            taken = set(store.race_folders()) | {j.name for j in self.queue.jobs()}
            name = free_race_name(store.page_races_folder, str(dataset), taken)
            config = race_request(dataset, racers, epochs, images, self.datasets, self.limits, name)
            sharing = self.page.limits
            per_client = sharing.per_address(sharing.jobs_per_client)
            job = self.queue.submit(config, client(request), self.run, per_client, make=RaceJob)
        except (InputError, JobRefused, ValueError) as error:
            raise refuse(str(error)) from None
        self.jobs[job.id] = job
        for old in [i for i, j in self.jobs.items() if not j.active and i != job.id][:-4]:  # keep a few finished
            self.jobs.pop(old, None)
        test, info = load_test_split(config.dataset, store.data_dir, download=False)
        spec = live_spec(
            job.id, config, info.class_names, test.labels[race_indices(config, len(test))], info.image_shape
        )
        yield {
            self.job_id: job.id,
            self.view: spec,
            self.shown: None,
            self.poked: None,
            self.status: self.line(job),
            self.controls: gr.Accordion(open=False),  # room for the maps
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
        done = {self.view: live_frames(spec, seen, [], True, job.counts[1]), self.status: self.line(job)}
        if job.sweep in store.race_folders():  # done: the recording is in the list, chosen (the view keeps playing)
            races = list(store.race_folders())
            done.update({self.choice: gr.update(choices=races, value=job.sweep, visible=True), self.shown: job.sweep})
        yield done

    def line(self, job: RaceJob) -> str:
        kept, expected = job.counts
        fraction = kept / expected if expected else 0.0
        failed = job.state == "failed"
        return line_html(race_line(job, self.queue.place(job)), 1.0 if job.state == "done" else fraction, failed)

    def stop(self, job_id) -> dict:
        job = self.jobs.get(job_id)
        if job is None or not job.active:
            raise refuse("no race of yours is waiting or training")
        self.queue.cancel(job)
        return {self.status: self.line(job)}

    # ---- pause and poke ------------------------------------------------------------------------------------------
    def poke(self, data: dict) -> dict:
        """A click on a paused map: {name, live, model, frame, x, y}. What that model decodes at (x, y) as it was
        at that frame: {model, frame, x, y, picture (a PNG data URL), text}."""
        try:
            model = whole_number(data.get("model"), 0, 15, "model")
            frame = whole_number(data.get("frame"), 0, 10_000, "frame")
            x, y = (real_number(data.get(a), -1000.0, 1000.0, a) for a in ("x", "y"))
            config, step, codes = self._frame_of(data.get("name"), data.get("live"), frame, model)
        except InputError as error:
            raise refuse(str(error)) from None
        trained, difference = self.pokes.model_at(config, model, step, codes)
        picture = spot_picture(trained, x, y, config.latent_dim, DATASETS[config.dataset].n_classes)
        label = config.labels()[model]
        every_class = " as each class, from 0" if trained.conditional else ""
        text = f"{label} at step {step} decodes ({x:.2f}, {y:.2f}){every_class} as:"
        if difference > 1e-4:
            text += f" (replayed on this machine: its codes differ from the recording's by up to {difference:.2g})"
        png = base64.b64encode(png_bytes(picture))
        short = f"({x:.2f}, {y:.2f})" + (" replayed, not exact" if difference > 1e-4 else "")
        answer = {"model": model, "frame": frame, "x": x, "y": y, "text": text, "short": short}
        return {
            self.poked: {**answer, "picture": f"data:image/png;base64,{png.decode()}", "classes": trained.conditional}
        }

    def _frame_of(self, name, live, frame: int, model: int) -> tuple[RaceConfig, int, torch.Tensor]:
        """(the race's config, the step of its frame ``frame``, the codes that frame holds for ``model``): of this
        page's race ``live`` if it has it, else of the recorded race ``name``."""
        job = self.jobs.get(live) if isinstance(live, int) else None
        if job is not None and job.name == name:
            if frame >= job.counts[0] or model >= len(job.config.kinds):
                raise InputError(f"race {name} has no frame {frame} of model {model} (yet)")
            kept = job.frame(frame)
            return job.config, kept["step"], kept["codes"][model]
        recording = self.recording(name)
        if frame >= len(recording.steps) or model >= recording.codes.shape[1]:
            raise InputError(f"race {name} has no frame {frame} of model {model}")
        return RaceConfig(**recording.meta["config"]), recording.steps[frame], recording.codes[frame, model]

    def wire(self) -> None:
        self.choice.change(
            self.show, [self.choice, self.shown], [self.view, self.shown, self.poked], **PRIVATE, **QUICK
        )
        self.gif_button.click(self.export_gif, [self.choice], [self.gif], api_name="race_gif", **EXPORT)
        self.start_button.click(
            self.start,
            [self.dataset, self.racers, self.epochs, self.images],
            [self.job_id, self.view, self.shown, self.poked, self.status, self.choice, self.controls],
            api_name="race_train",
            show_progress="hidden",
            concurrency_limit=None,  # a stream mostly waits; the queue of jobs says who trains
        )
        self.cancel_button.click(
            self.stop, [self.job_id], [self.status], api_name="race_cancel", show_progress="hidden", **QUICK
        )
        self.view.select(only_event_data(self.poke), None, [self.poked], **PRIVATE, **QUICK)
        self.poked.change(
            None, [self.poked], None, js="(p) => { document.querySelector('#le-race .le-race')?.leRace?.poked(p); }"
        )
