"""Compare tab (#7): a grid of β-VAEs (β values × latent sizes) trained at once, watched as it trains, then laid
out side by side: a results grid, the rate-distortion plane, summary charts. Click a model to open it in the
other tabs. With no training, it shows the committed sweep (``checkpoints/sweeps/``).

The training runs in a background thread, one sweep per device at a time (:mod:`explorer.core.jobs`); the page
polls its job with a timer while it waits or trains. Pure logic lives in :mod:`explorer.core.sweeps`,
:mod:`explorer.core.jobs`, :mod:`explorer.views.sweep_views` and :mod:`explorer.views.sweep_grid`.

The committed sweep, ``checkpoints/sweeps/mnist-grid`` (7 β × 5 k, 16 MB), was trained on a 2-core CPU in
1,292 s with a smaller hidden layer and a 2,000-image test subset, so that it fits the repository::

    python -m training sweep --data-dir ../shared/data --betas 0.1 0.25 0.5 1 2 4 8 --latent-dims 2 4 8 16 32 \
        --hidden-dim 100 --epochs 20 --train-subset 60000 --test-subset 2000 --weight-dtype float16 \
        --name mnist-grid --out-dir checkpoints/sweeps/mnist-grid
"""

from __future__ import annotations

import html
import threading

import gradio as gr

from explorer.core.inputs import InputError, whole_number
from explorer.core.jobs import DONE, RUNNING, Job, JobQueue, JobRefused, prepare, progress_line, queue_for, sweep_runner
from explorer.core.sharing import client_of
from explorer.core.store import Store
from explorer.core.sweeps import (
    MAX_EPOCHS,
    Sweep,
    SweepError,
    check_request,
    free_name,
    limits_for,
    sweep_config,
    trainable_datasets,
)
from explorer.page import components
from explorer.page.adapter import only_event_data, raw_values
from explorer.page.assets import Assets
from explorer.page.context import PRIVATE, QUICK, Page, refuse
from explorer.page.header import Header
from explorer.views import sweep_grid, sweep_views
from explorer.views.safe_html import emphasis, inline
from explorer.views.sweep_grid import MODES
from explorer.views.sweep_views import curves_figure
from training.objectives import ACTIVE_KL
from training.sweep import FULL_BETAS, FULL_LATENT_DIMS, default_grid
from training.train import resolve_device

TITLE = "Compare β × k"
POLL_S = 0.25  # the page asks for its job's progress this often from its start to its first curve points,
POLL_TRAINING_S = 1.0  # else this often (a poll is a few ms on the server, but ~0.1 s of the browser's CPU)
PLOT_HEIGHT = "clamp(300px, calc(100vh - 395px), 1200px)"
GRID_LOOK = {  # two lines beside the mode buttons at 1280 x 720
    "samples": "Same N(0, I) draws per column: small β sharp, often nonsense; large β blurry.",
    "recon": "Test images (top) decoded: sharp at small β and large k, blurred at large β.",
    "map": "2 most-used dims and the prior's 1σ, 2σ circles: small β spreads, large β packs.",
    "kl": f"KL per dim, largest first; pale: < {ACTIVE_KL:g} nats, unused. Large β turns dims off.",
}
RD_LOOK = (
    "One dot per model: rate (the KL: what the code tells) against distortion (what the decoder still gets "
    "wrong), test set, nats per image. Low β: low and right (sharp, a costly code); high β: high and left. "
    "Dashed: equal test loss. Click a dot to open it."
)
SUMMARY_LOOK = (
    "Test metrics against β (top, a line per k) and against k (bottom, a line per β). Active dims: KL "
    f"above {ACTIVE_KL:g} nats."
)  # then what the sweep shown shows (sweep_views.findings)
PROGRESS_CSS = """
.le-status { display: flex; align-items: center; gap: 10px; min-height: 26px; font-size: 15px; }
.le-status span { overflow-wrap: anywhere; }
.le-progress { flex: 0 0 180px; height: 14px; border-radius: 7px; background: #e5e7eb; overflow: hidden; }
.le-progress > div { height: 100%; background: var(--color-accent, #6366f1); transition: width 0.4s; }
.le-progress.failed > div { background: #d62728; }
"""
EMPTY_GRID = '<div class="le-sg-empty">No sweep yet: train one with the controls on the left.</div>'


# ---- views: no Gradio ---------------------------------------------------------------------------------------------


def default_sweep(store: Store) -> str | None:
    """The sweep the tab opens on: the committed one (the largest of ``checkpoints/sweeps``), never a sweep
    someone made from the page unless there is no other."""
    if not store.sweeps:
        return None
    return max(store.sweeps.values(), key=lambda s: (not store.made_in_page(s.name), len(s.models), s.name)).name


def status_line(queue: JobQueue, job: Job | None, sweep: Sweep | None = None, snap: dict | None = None) -> str:
    """One line beside the sweep shown: this session's job with its progress bar (its result while it is the
    sweep shown), else another session's job training on the device, else what the sweep shown is."""
    if job is None or (not job.active and sweep is not None and sweep.name != job.sweep):
        running = next(iter(queue.jobs()), None)
        if running is not None:
            fraction = running.snapshot()["fraction"]
            return line_html(
                f"Another {running.noun} is training on this {queue.device} ({fraction:.0%}); yours would wait.",
                fraction,
            )
        return line_html(f"{sweep.describe()}." if sweep else "No sweep yet: train one.")
    return line_html(*progress_line(queue, job, snap))


def line_html(text: str, fraction: float | None = None, failed: bool = False) -> str:
    """A progress bar (unless ``fraction`` is None) and ``text`` (**bold** allowed), on one line."""
    bar = (
        ""
        if fraction is None
        else (
            f'<div class="le-progress{" failed" if failed else ""}">'
            f'<div style="width: {fraction * 100:.1f}%"></div></div>'
        )
    )
    return f'<div class="le-status">{bar}<span title="{html.escape(text)}">{inline(text)}</span></div>'


def poll_plan(snap: dict, seen, interval: float) -> tuple[list | None, float | None]:
    """What a poll sends: (a new [version, points] of the curves when they should be sent (at once when the first
    points come, then about once a second, and when the job ends), else None; the timer's new pace, or None to
    keep it). A poll costs the browser ~0.1 s: fast only until the first points come."""
    points = sum(len(c["epoch"]) for c in snap["curves"].values())
    sent_version, sent_points = seen if isinstance(seen, list | tuple) else (-1, 0)
    active = snap["state"] in ("waiting", RUNNING)
    send = None
    if (
        points
        and snap["version"] != sent_version
        and (not sent_points or snap["version"] - sent_version >= 2 or not active)
    ):
        send = [snap["version"], points]
    pace = POLL_S if snap["state"] == RUNNING and not sent_points else POLL_TRAINING_S
    return send, pace if pace != interval else None


def grid_models(config) -> list[dict]:
    return [{"name": r.run_name, "beta": r.model.beta, "latent_dim": r.model.latent_dim} for r in config.runs()]


def controls_note(note: str, limits, datasets: list[str], store: Store) -> str:
    text = (f"{note}." if note else "The full grid, on the GPU.") + (
        f" One sweep trains at a time (at most {limits.work} models × epochs); others wait in line."
    )
    if not datasets:
        text += (
            f" ⚠️ Training needs a dataset's files on disk (none found in {store.data_dir or 'data'}): start "
            "the app with --data-dir."
        )
    return text


class SweepDrawings:
    """Everything the views draw for each sweep, made once (and again if its picture files were removed)."""

    def __init__(self, store: Store, assets: Assets):
        self.store, self.assets, self._made, self._lock = store, assets, {}, threading.Lock()

    def of(self, name: str) -> dict:
        store = self.store
        sweep = store.sweeps.get(name)
        if sweep is None:
            raise InputError(f"no sweep named {name!r}; choose one of {', '.join(store.sweeps) or '(none yet)'}")
        try:
            entries = store.sweep_entries(name)
        except (SweepError, KeyError) as error:
            raise InputError(f"the sweep {name} cannot be shown: {error}") from None
        with self._lock:
            if name not in self._made or not all(path.exists() for path in self._made[name]["files"]):
                self._made[name] = self._make(sweep, entries)
            return self._made[name]

    def _make(self, sweep: Sweep, entries) -> dict:
        rows, columns = sweep_grid.CELL_IMAGES
        originals = self.store.images(sweep.dataset).images[: rows * columns]
        models, lines, dots = sweep_views.summary_curves(sweep)
        files = []

        def url(picture, stem: str) -> str:  # a file: the page value stays small (it is copied often)
            files.append(self.assets.picture_path(picture, stem))
            return self.assets.url(files[-1])

        return {
            "grid": sweep_grid.results_grid(sweep, entries, originals, url=url),
            "files": files,
            "plane": sweep_views.rate_distortion(sweep),
            "summary": sweep_views.summary_charts(sweep),
            "curves": curves_figure(models, lines, dots, sweep.summary["epochs"], sweep.name),
            "about": sweep.describe(),
            "findings": f"{SUMMARY_LOOK} {sweep_views.findings(sweep)}",
        }


# ---- layout, handlers and wiring -----------------------------------------------------------------------------------


class Tab:
    def __init__(self, page: Page, header: Header):
        self.page, self.header, store = page, header, page.store
        self.device = resolve_device("auto")
        self.defaults = default_grid(self.device)
        self.limits = limits_for(self.device.type, self.defaults.train_subset, self.defaults.test_subset)
        self.datasets = trainable_datasets(store.datasets(), store.data_dir)
        self.queue = queue_for(self.device.type, page.limits.jobs_waiting)
        self.run = sweep_runner(store, store.data_dir, disk_budget_mb=page.limits.sweep_disk_mb)
        self.jobs: dict[int, Job] = {}  # this page's jobs by id (a session holds the id of its own)
        self.drawings = SweepDrawings(store, page.assets)
        self.max_epochs = 20 if self.device.type == "cpu" else MAX_EPOCHS
        self._prepared = threading.Event()
        with gr.Row(equal_height=False, elem_id="le-compare"):
            self._controls()
            with gr.Column(scale=1, min_width=500):
                self._views()
        self.job_id = gr.State(None)  # this session's job
        self.drawn = gr.State(None)  # the sweep the views show
        # Set by the polls, read by their own events (a hidden box's change fires in the page; a State's did not):
        self.seen = gr.JSON(None, visible="hidden")  # [job version, points] of the curves the page has
        self.finished = gr.Textbox("", visible="hidden")  # the sweep this session trained last, once it is done
        self.picked = gr.State(None)  # the model clicked
        self.timer = gr.Timer(POLL_S, active=False)

    def _controls(self) -> None:
        defaults = self.defaults
        with gr.Column(scale=0, min_width=320, elem_id="le-compare-controls"):
            # The handler checks the raw values (explorer.core.sweeps).
            self.dataset = raw_values(
                gr.Dropdown(
                    self.datasets,
                    value=self.datasets[0] if self.datasets else None,
                    label="Train a sweep on",
                    info=controls_note(defaults.note, self.limits, self.datasets, self.page.store),
                    interactive=bool(self.datasets),
                    elem_id="le-sweep-dataset",
                )
            )
            self.betas = raw_values(
                gr.CheckboxGroup(
                    [(f"{b:g}", b) for b in FULL_BETAS],
                    value=list(defaults.betas),
                    label="β values",
                    elem_id="le-sweep-betas",
                )
            )
            self.dims = raw_values(
                gr.CheckboxGroup(
                    list(FULL_LATENT_DIMS),
                    value=list(defaults.latent_dims),
                    label="Latent sizes k",
                    elem_id="le-sweep-dims",
                )
            )
            self.epochs = raw_values(
                gr.Slider(1, self.max_epochs, value=defaults.epochs, step=1, label="Epochs", elem_id="le-sweep-epochs")
            )
            with gr.Row():
                self.train = gr.Button(
                    "Train", variant="primary", interactive=bool(self.datasets), elem_id="le-sweep-train", min_width=100
                )
                self.cancel = gr.Button("Cancel", elem_id="le-sweep-cancel", min_width=100)
            with gr.Accordion("Teacher: cancel anyone's sweep", open=False, elem_id="le-teacher"):
                self.token = gr.Textbox(
                    label="Admin token (not needed on the machine the app runs on)",
                    type="password",
                    max_lines=1,
                    elem_id="le-admin-token",
                )
                with gr.Row():
                    self.someone = gr.Dropdown(
                        [], label="Sweeps waiting or training", scale=3, allow_custom_value=True, elem_id="le-any-job"
                    )
                    self.any_cancel = gr.Button("Cancel it", scale=1, min_width=100, elem_id="le-any-cancel")

    def _views(self) -> None:
        store, first = self.page.store, default_sweep(self.page.store)
        with gr.Row(equal_height=True, elem_id="le-sweep-bar"):
            self.shown = gr.Dropdown(
                list(store.sweeps),
                value=first,
                label="Sweep shown",
                show_label=False,
                container=False,
                scale=0,
                min_width=220,
                elem_id="le-sweep-shown",
            )
            self.progress = gr.HTML(
                status_line(self.queue, None, store.sweeps.get(first)),
                css_template=PROGRESS_CSS,
                elem_id="le-sweep-progress",
                js_on_load=None,
            )
        with gr.Tabs(elem_id="le-compare-views") as self.view_tabs:
            with gr.Tab("Grid", id="grid"):
                with gr.Row(equal_height=True):
                    self.grid_look = gr.Markdown(GRID_LOOK["samples"], elem_classes="look")
                    self.mode = gr.Radio(
                        [(text, name) for name, text in MODES.items()],
                        value="samples",
                        label="Show in each cell",
                        show_label=False,
                        container=False,
                        scale=0,
                        min_width=450,
                        elem_id="le-sweep-mode",
                    )
                self.grid = components.sweep_grid("le-sweep-grid")
            with gr.Tab("Rate–distortion", id="rd"):
                gr.Markdown(RD_LOOK, elem_classes="look")
                self.plane = components.plot("le-sweep-rd", height=PLOT_HEIGHT)
            with gr.Tab("Summary", id="summary"):
                self.summary_look = gr.HTML(emphasis(SUMMARY_LOOK), elem_classes="look")
                self.summary = components.plot("le-sweep-summary", height=PLOT_HEIGHT)
            with gr.Tab("Training", id="curves"):
                self.curves_look = gr.HTML("", elem_classes="look")
                self.curves = components.plot("le-sweep-curves", height=PLOT_HEIGHT)

    @property
    def finished_outputs(self) -> list:
        return [self.grid, self.plane, self.summary, self.summary_look, self.curves, self.curves_look, self.drawn]

    def status(self, job_id, name) -> str:
        return status_line(self.queue, self.jobs.get(job_id), self.page.store.sweeps.get(name))

    # ---- handlers: drawing a finished sweep ----------------------------------------------------------------------
    def draw(self, name, mode_value, with_curves: bool = True) -> dict:
        if not name:
            return {self.grid: EMPTY_GRID, self.drawn: None}
        views = self.drawings.of(name)
        mode_value = mode_value if mode_value in MODES else "samples"
        grid = views["grid"].replace('data-mode="samples"', f'data-mode="{mode_value}"', 1)  # made for samples
        out = {
            self.grid: grid,
            self.plane: views["plane"],
            self.summary: views["summary"],
            self.summary_look: emphasis(views["findings"]),
            self.drawn: name,
        }
        if with_curves:
            out.update(
                {
                    self.curves: views["curves"],
                    self.curves_look: emphasis(
                        f"**{name}**: {views['about']}. Lines: training loss terms each epoch; circles: the test set's."
                    ),
                }
            )
        return out

    def show_tab(self, tab, name, mode_value, drawn_name, job_id) -> dict:
        """On the tab's first showing (and after a sweep was trained elsewhere): the sweeps' list, and the sweep."""
        if tab != "compare":
            return {self.shown: gr.skip()}
        self._prepare_once()
        store = self.page.store
        name = name if name in store.sweeps else default_sweep(store)
        out = {self.shown: gr.update(choices=list(store.sweeps), value=name), self.progress: self.status(job_id, name)}
        if name != drawn_name:
            out.update(self.draw(name, mode_value))
        return out

    def choose(self, name, mode_value, job_id) -> dict:
        try:
            return {**self.draw(name, mode_value), self.progress: self.status(job_id, name)}
        except InputError as error:
            raise refuse(str(error)) from None

    def _prepare_once(self) -> None:
        if not self._prepared.is_set() and self.datasets:
            self._prepared.set()
            threading.Thread(target=prepare, name="sweep-prepare", daemon=True).start()

    # ---- handlers: training --------------------------------------------------------------------------------------
    def start(self, request: gr.Request, dataset_value, beta_values, dim_values, epoch_count, job_id) -> dict:
        """Train: check the request, queue it for this client, start polling."""
        store, sharing = self.page.store, self.page.limits
        try:
            checked = check_request(dataset_value, beta_values, dim_values, epoch_count, self.datasets, self.limits)
            if checked[3] > self.max_epochs:
                raise InputError(
                    f"epochs {checked[3]} is out of range: at most {self.max_epochs} on this {self.device.type}"
                )
            taken = set(store.sweeps) | {j.name for j in self.queue.jobs()}
            config = sweep_config(
                *checked,
                name=free_name(store.page_sweeps_folder, checked[0], taken),
                device=self.device.type,
                limits=self.limits,
            )
            new = self.queue.submit(config, client(request), self.run, sharing.per_address(sharing.jobs_per_client))
        except (InputError, JobRefused, ValueError) as error:
            raise refuse(str(error)) from None
        self.jobs[new.id] = new
        for old in [i for i, j in self.jobs.items() if not j.active and i != new.id][:-8]:  # keep a few finished
            self.jobs.pop(old, None)
        return {
            self.job_id: new.id,
            self.seen: None,
            self.timer: gr.Timer(POLL_S, active=True),
            self.progress: status_line(self.queue, new),
            self.view_tabs: gr.Tabs(selected="curves"),
            self.curves: curves_figure(grid_models(config), {}, {}, config.epochs, config.sweep_name),
            self.curves_look: emphasis(
                f"Training **{config.sweep_name}**: {len(config.runs())} models; lines: "
                "running means of the training loss terms, circles: the test set after "
                "each epoch."
            ),
        }

    def poll(self, job_id, seen, interval) -> dict:
        """The timer: the progress line, the curves' version when they should be sent (its change sends them), its
        own pace, and when the job ends, the timer off and the finished sweep's name."""
        current = self.jobs.get(job_id)
        if current is None:
            return {self.timer: gr.Timer(active=False)}
        snap = current.snapshot()
        out = {self.progress: status_line(self.queue, current, snap=snap)}
        send, pace = poll_plan(snap, seen, interval)
        if send is not None:
            out[self.seen] = send
        if pace is not None:
            out[self.timer] = gr.Timer(pace, active=True)
        if not current.active:
            out[self.timer] = gr.Timer(active=False)
            if snap["state"] == DONE and snap["sweep"] in self.page.store.sweeps:
                out[self.finished] = snap["sweep"]
        return out

    def send_curves(self, job_id) -> dict:
        current = self.jobs.get(job_id)
        if current is None:
            return {self.curves: gr.skip()}
        snap = current.snapshot()
        return {
            self.curves: curves_figure(
                snap["models"], snap["curves"], snap["tests"], current.config.epochs, current.config.sweep_name
            )
        }

    def show_finished(self, name, mode_value) -> dict:
        """The sweep this session just trained: its results, in the grid."""
        store = self.page.store
        if name not in store.sweeps:
            return {self.shown: gr.skip()}
        return {
            **self.draw(name, mode_value, with_curves=False),
            self.view_tabs: gr.Tabs(selected="grid"),
            self.shown: gr.update(choices=list(store.sweeps), value=name),
        }

    def stop(self, job_id) -> dict:
        current = self.jobs.get(job_id)
        if current is None or not current.active:
            raise refuse("no sweep of yours is waiting or training")
        self.queue.cancel(current)
        return {self.progress: status_line(self.queue, current)}

    def list_jobs(self) -> dict:
        choices = [(f"{job.noun} {job.name}: {job.describe()}, {job.state}", job.id) for job in self.queue.jobs()]
        return gr.update(choices=choices, value=choices[0][1] if choices else None)

    def cancel_any(self, request: gr.Request, token_value, chosen) -> dict:
        """A teacher's cancel: from the app's own machine, or with the admin token."""
        if not self.page.limits.is_admin(client(request), token_value):
            raise refuse(
                "only the teacher can cancel someone else's sweep: type the admin token the app was "
                "started with (--admin-token), or cancel from the machine the app runs on"
            )
        try:
            current = self.queue.find(whole_number(chosen, 0, 1 << 40, "the sweep to cancel"))
        except InputError as error:
            raise refuse(str(error)) from None
        if current is None:
            raise refuse("that sweep is no longer waiting or training")
        self.queue.cancel(current)
        return self.list_jobs()

    def open_model(self, request, dataset_value, latent_dim, name) -> dict:
        """A cell or a dot clicked: that model's state, in the Latent map (a page change: explorer.page.changes)."""
        entry = self.page.store.entry(name)
        if entry is None:
            raise InputError(f"no model named {name!r}")
        return {"dataset": entry.dataset, "k": entry.latent_dim, "models": [entry.name], "tab": "latent_map"}

    # ---- the tab's own controls ---------------------------------------------------------------------------------
    def wire(self) -> None:
        self.shown.input(
            self.choose,
            [self.shown, self.mode, self.job_id],
            [self.progress, *self.finished_outputs],
            **PRIVATE,
            **QUICK,
        )
        self.mode.change(
            lambda m: GRID_LOOK.get(m, ""),
            [self.mode],
            [self.grid_look],
            **PRIVATE,
            queue=False,
            js="(mode) => { const g = document.querySelector('#le-sweep-grid .le-sg'); "
            "if (g) g.dataset.mode = mode; return mode; }",
        )  # the grid switches in the page
        self.train.click(
            self.start,
            [self.dataset, self.betas, self.dims, self.epochs, self.job_id],
            [self.job_id, self.seen, self.timer, self.progress, self.view_tabs, self.curves, self.curves_look],
            api_name="sweep_train",
            show_progress="hidden",
            **QUICK,
        )
        # A poll's outputs are small: for every event the page copies the value of each of its outputs, returned or
        # not (measured on two cores: a poll that could also set the curves and the results took 0.2 s of the
        # browser's CPU, four times a second, while it trained). The curves and the results have their own events.
        self.timer.tick(
            self.poll,
            [self.job_id, self.seen, self.timer],
            [self.progress, self.seen, self.timer, self.finished],
            **PRIVATE,
            queue=False,
        )  # unqueued: never behind the sliders or grids of others, nor they it
        self.seen.change(self.send_curves, [self.job_id], [self.curves], **PRIVATE, queue=False)
        self.finished.change(
            self.show_finished,
            [self.finished, self.mode],
            [self.shown, self.view_tabs, *self.finished_outputs],
            **PRIVATE,
            **QUICK,
        )
        self.cancel.click(
            self.stop, [self.job_id], [self.progress], api_name="sweep_cancel", show_progress="hidden", **QUICK
        )
        self.someone.focus(self.list_jobs, None, [self.someone], **PRIVATE, queue=False)
        self.any_cancel.click(
            self.cancel_any,
            [self.token, self.someone],
            [self.someone],
            api_name="sweep_cancel_any",
            show_progress="hidden",
            **QUICK,
        )

    def picks(self) -> list:
        """The events that pick a model to open (a cell of the grid, a dot of the plane): each sets ``picked``."""
        pick = only_event_data(lambda data: data.get("value"))
        return [
            clickable.select(pick, None, [self.picked], **PRIVATE, **QUICK) for clickable in (self.grid, self.plane)
        ]


def client(request) -> str:
    """The client (an address: :func:`explorer.core.sharing.client_of`) a request comes from."""
    return client_of(getattr(getattr(request, "client", None), "host", None))
