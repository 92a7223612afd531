"""Compare tab (#7): a grid of β-VAEs (β values × latent sizes) trained at once, watched as it trains, then
laid out side by side: a results grid, the rate-distortion plane, summary charts. Click a model to open it
in the other tabs. With no training, it shows the committed sweep (``checkpoints/sweeps/``).

The training runs in a background thread, one sweep per device at a time (:mod:`explorer.jobs`); the page
polls its job with a timer while it waits or trains. Pure logic lives in :mod:`explorer.sweeps`,
:mod:`explorer.jobs` and :mod:`explorer.sweep_views`; this module is layout and wiring.

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

from training.sweep import FULL_BETAS, FULL_LATENT_DIMS, default_grid
from training.train import resolve_device

from .. import components, sweep_grid, sweep_views
from ..inputs import InputError, whole_number
from ..jobs import DONE, RUNNING, JobRefused, prepare, progress_line, queue_for, sweep_runner
from ..page import QUICK, Page, _error, event_data
from ..safe_html import emphasis, inline
from ..sharing import client_of
from ..sweep_grid import MODES
from ..sweep_views import ACTIVE_KL, curves_figure
from ..sweeps import MAX_EPOCHS, SweepError, check_request, free_name, limits_for, sweep_config, trainable_datasets

TITLE = "Compare β × k"
POLL_S = 0.25          # the page asks for its job's progress this often from its start to its first curve points,
POLL_TRAINING_S = 1.0  # else this often (a poll is a few ms on the server, but ~0.1 s of the browser's CPU)
PLOT_HEIGHT = "clamp(300px, calc(100vh - 395px), 1200px)"
GRID_LOOK = {  # two lines beside the mode buttons at 1280 x 720
    "samples": "Same N(0, I) draws per column: small β sharp, often nonsense; large β blurry.",
    "recon": "Test images (top) decoded: sharp at small β and large k, blurred at large β.",
    "map": "2 most-used dims and the prior's 1σ, 2σ circles: small β spreads, large β packs.",
    "kl": f"KL per dim, largest first; pale: < {ACTIVE_KL:g} nats, unused. Large β turns dims off.",
}
RD_LOOK = ("One dot per model: rate (the KL: what the code tells) against distortion (what the decoder still gets "
           "wrong), test set, nats per image. Low β: low and right (sharp, a costly code); high β: high and left. "
           "Dashed: equal test loss. Click a dot to open it.")
SUMMARY_LOOK = ("Test metrics against β (top, a line per k) and against k (bottom, a line per β). Active dims: KL "
                f"above {ACTIVE_KL:g} nats.")  # then what the sweep shown shows (sweep_views.findings)
PROGRESS_CSS = """
.le-status { display: flex; align-items: center; gap: 10px; height: 26px; font-size: 15px; white-space: nowrap; }
.le-status span { overflow: hidden; text-overflow: ellipsis; }
.le-progress { flex: 0 0 180px; height: 14px; border-radius: 7px; background: #e5e7eb; overflow: hidden; }
.le-progress > div { height: 100%; background: var(--color-accent, #6366f1); transition: width 0.4s; }
.le-progress.failed > div { background: #d62728; }
"""


def build(page: Page) -> None:
    store = page.store
    device = resolve_device("auto")
    grid_defaults = default_grid(device)
    limits = limits_for(device.type, grid_defaults.train_subset, grid_defaults.test_subset)
    datasets = trainable_datasets(store.datasets(), store.data_dir)
    sharing = page.limits
    queue = queue_for(device.type, sharing.jobs_waiting)
    run = sweep_runner(store, store.data_dir, disk_budget_mb=sharing.sweep_disk_mb)
    jobs: dict[int, object] = {}   # this page's jobs by id (a session holds the id of its own)
    made: dict[str, dict] = {}     # what each finished sweep draws, made once
    made_lock = threading.Lock()
    max_epochs = 20 if device.type == "cpu" else MAX_EPOCHS

    with gr.Row(equal_height=False, elem_id="le-compare"):
        with gr.Column(scale=0, min_width=380, elem_id="le-compare-controls"):
            dataset = gr.Dropdown(datasets, value=datasets[0] if datasets else None, label="Train a sweep on",
                                  info=_note(grid_defaults.note, limits, datasets, store),
                                  interactive=bool(datasets), elem_id="le-sweep-dataset")
            betas = gr.CheckboxGroup([(f"{b:g}", b) for b in FULL_BETAS], value=list(grid_defaults.betas),
                                     label="β values", elem_id="le-sweep-betas")
            dims = gr.CheckboxGroup(list(FULL_LATENT_DIMS), value=list(grid_defaults.latent_dims),
                                    label="Latent sizes k", elem_id="le-sweep-dims")
            epochs = gr.Slider(1, max_epochs, value=grid_defaults.epochs, step=1, label="Epochs",
                               elem_id="le-sweep-epochs")
            for box in (dataset, betas, dims, epochs):  # the handler checks the raw values (explorer.sweeps)
                box.preprocess = lambda payload: payload
            with gr.Row():
                train = gr.Button("Train", variant="primary", interactive=bool(datasets), elem_id="le-sweep-train",
                                  min_width=100)
                cancel = gr.Button("Cancel", elem_id="le-sweep-cancel", min_width=100)
            with gr.Accordion("Teacher: cancel anyone's sweep", open=False, elem_id="le-teacher"):
                token = gr.Textbox(label="Admin token (not needed on the machine the app runs on)", type="password",
                                   max_lines=1, elem_id="le-admin-token")
                with gr.Row():
                    someone = gr.Dropdown([], label="Sweeps waiting or training", scale=3, allow_custom_value=True,
                                          elem_id="le-any-job")
                    any_cancel = gr.Button("Cancel it", scale=1, min_width=100, elem_id="le-any-cancel")
        with gr.Column(scale=1, min_width=500):
            with gr.Row(equal_height=True, elem_id="le-sweep-bar"):
                shown = gr.Dropdown(list(store.sweeps), value=_default_sweep(store), show_label=False, container=False,
                                    scale=0, min_width=220, elem_id="le-sweep-shown")
                progress = gr.HTML(_status(queue, None, store.sweeps.get(_default_sweep(store))),
                                   css_template=PROGRESS_CSS, elem_id="le-sweep-progress", js_on_load=None)
            with gr.Tabs(elem_id="le-compare-views") as view_tabs:
                with gr.Tab("Grid", id="grid"):
                    with gr.Row(equal_height=True):
                        grid_look = gr.Markdown(GRID_LOOK["samples"], elem_classes="look")
                        mode = gr.Radio([(text, name) for name, text in MODES.items()], value="samples",
                                        show_label=False, container=False, scale=0, min_width=450,
                                        elem_id="le-sweep-mode")
                    grid = components.sweep_grid("le-sweep-grid")
                with gr.Tab("Rate–distortion", id="rd"):
                    gr.Markdown(RD_LOOK, elem_classes="look")
                    plane = components.plot("le-sweep-rd", height=PLOT_HEIGHT)
                with gr.Tab("Summary", id="summary"):
                    summary_look = gr.HTML(emphasis(SUMMARY_LOOK), elem_classes="look")
                    summary = components.plot("le-sweep-summary", height=PLOT_HEIGHT)
                with gr.Tab("Training", id="curves"):
                    curves_look = gr.HTML("", elem_classes="look")
                    curves = components.plot("le-sweep-curves", height=PLOT_HEIGHT)
    job_id = gr.State(None)     # this session's job
    drawn = gr.State(None)      # the sweep the views show
    # Set by the polls, read by their own events (a hidden box's change fires in the page; a State's did not here):
    seen_state = gr.JSON(None, visible="hidden")          # [job version, points] of the curves the page has
    finished = gr.Textbox("", visible="hidden")            # the sweep this session trained last, once it is done
    picked = gr.State(None)     # the model clicked
    timer = gr.Timer(POLL_S, active=False)
    finished_outputs = [grid, plane, summary, summary_look, curves, curves_look, drawn]

    # ---- drawing a finished sweep --------------------------------------------------------------------------------
    def views_of(name: str) -> dict:
        """Everything the views draw for the sweep ``name``, made once."""
        sweep = store.sweeps.get(name)
        if sweep is None:
            raise InputError(f"no sweep named {name!r}; choose one of {', '.join(store.sweeps) or '(none yet)'}")
        try:
            entries = store.sweep_entries(name)
        except (SweepError, KeyError) as error:
            raise InputError(f"the sweep {name} cannot be shown: {error}") from None
        with made_lock:
            if name not in made or not all(path.exists() for path in made[name]["files"]):
                rows, columns = sweep_grid.CELL_IMAGES
                originals = store.images(sweep.dataset).images[:rows * columns]
                models, lines, dots = sweep_views.summary_curves(sweep)
                files = []

                def url(picture, stem: str) -> str:  # a file: the page value stays small (it is copied often)
                    files.append(page.assets.picture_path(picture, stem))
                    return page.assets.url(files[-1])
                made[name] = {"grid": sweep_grid.results_grid(sweep, entries, originals, url=url),
                              "files": files,
                              "plane": sweep_views.rate_distortion(sweep), "summary": sweep_views.summary_charts(sweep),
                              "curves": curves_figure(models, lines, dots, sweep.summary["epochs"], sweep.name),
                              "about": sweep.describe(), "findings": " ".join(
                                  [SUMMARY_LOOK, sweep_views.findings(sweep), sweep_views.active_note(sweep)])}
            return made[name]

    def draw(name, mode_value, with_curves: bool = True) -> dict:
        if not name:
            empty = '<div class="le-sg-empty">No sweep yet: train one with the controls on the left.</div>'
            return {grid: empty, drawn: None}
        views = views_of(name)
        mode_value = mode_value if mode_value in MODES else "samples"
        shown_grid = views["grid"].replace('data-mode="samples"', f'data-mode="{mode_value}"', 1)  # made for samples
        out = {grid: shown_grid, plane: views["plane"], summary: views["summary"],
               summary_look: emphasis(views["findings"]), drawn: name}
        if with_curves:
            out.update({curves: views["curves"],
                        curves_look: emphasis(f"**{name}**: {views['about']}. Lines: training loss terms each epoch; "
                                              "circles: the test set's.")})
        return out

    def show_tab(tab, name, mode_value, drawn_name, job):
        """On the tab's first showing (and after a sweep was trained elsewhere): the sweeps' list, and the sweep."""
        if tab != "compare":
            return {shown: gr.skip()}
        prepare_once()
        names = list(store.sweeps)
        name = name if name in store.sweeps else _default_sweep(store)
        out = {shown: gr.update(choices=names, value=name),
               progress: _status(queue, jobs.get(job), store.sweeps.get(name))}
        if name != drawn_name:
            out.update(draw(name, mode_value))
        return out

    def choose(name, mode_value, job):
        try:
            return {**draw(name, mode_value), progress: _status(queue, jobs.get(job), store.sweeps.get(name))}
        except InputError as error:
            raise _error(str(error)) from None

    # ---- training ------------------------------------------------------------------------------------------------
    def start(request: gr.Request, dataset_value, beta_values, dim_values, epoch_count, job):
        """Train: check the request, queue it, start polling."""
        try:
            checked = check_request(dataset_value, beta_values, dim_values, epoch_count, datasets, limits)
            if checked[3] > max_epochs:
                raise InputError(f"epochs {checked[3]} is out of range: at most {max_epochs} on this {device.type}")
            taken = set(store.sweeps) | {j.config.sweep_name for j in queue.jobs()}
            config = sweep_config(*checked, name=free_name(store.page_sweeps_folder, checked[0], taken),
                                  device=device.type, limits=limits)
            new = queue.submit(config, _client(request), run, sharing.per_address(sharing.jobs_per_client))
        except (InputError, JobRefused, ValueError) as error:
            raise _error(str(error)) from None
        jobs[new.id] = new
        for old in [i for i, j in jobs.items() if not j.active and i != new.id][:-8]:  # keep a few finished
            jobs.pop(old, None)
        return {job_id: new.id, seen_state: None, timer: gr.Timer(POLL_S, active=True), progress: _status(queue, new),
                view_tabs: gr.Tabs(selected="curves"),
                curves: curves_figure(_grid_models(config), {}, {}, config.epochs, config.sweep_name),
                curves_look: emphasis(f"Training **{config.sweep_name}**: {len(config.runs())} models; lines: running "
                                      "means of the training loss terms, circles: the test set after each epoch.")}

    def poll(job, seen, interval):
        """The timer: the progress line; when the curves should be sent, a new ``seen_state`` (whose change
        sends them); its own pace (``interval``: fast only until the first points come: a poll costs the
        browser ~0.1 s); when the job ends, the timer off and the finished sweep's name."""
        current = jobs.get(job)
        if current is None:
            return {timer: gr.Timer(active=False)}
        snap = current.snapshot()
        out = {progress: _status(queue, current, snap=snap)}
        points = sum(len(c["epoch"]) for c in snap["curves"].values())
        sent_version, sent_points = seen if isinstance(seen, list | tuple) else (-1, 0)
        # The curves: at once when the first points come, then about once a second, and when the job ends.
        if points and snap["version"] != sent_version and \
                (not sent_points or snap["version"] - sent_version >= 2 or not current.active):
            out[seen_state] = [snap["version"], points]
        pace = POLL_S if snap["state"] == RUNNING and not sent_points else POLL_TRAINING_S
        if pace != interval:
            out[timer] = gr.Timer(pace, active=True)
        if not current.active:
            out[timer] = gr.Timer(active=False)
            if snap["state"] == DONE and snap["sweep"] in store.sweeps:
                out[finished] = snap["sweep"]
        return out

    def send_curves(job):
        current = jobs.get(job)
        if current is None:
            return {curves: gr.skip()}
        snap = current.snapshot()
        return {curves: curves_figure(snap["models"], snap["curves"], snap["tests"], current.config.epochs,
                                      current.config.sweep_name)}

    def show_finished(name, mode_value):
        """The sweep this session just trained: its results, in the grid."""
        if name not in store.sweeps:
            return {shown: gr.skip()}
        return {**draw(name, mode_value, with_curves=False), view_tabs: gr.Tabs(selected="grid"),
                shown: gr.update(choices=list(store.sweeps), value=name)}

    def stop(job):
        current = jobs.get(job)
        if current is None or not current.active:
            raise _error("no sweep of yours is waiting or training")
        queue.cancel(current)
        return {progress: _status(queue, current)}

    def list_jobs():
        choices = [(f"{job.config.sweep_name}: {len(job.config.runs())} models, {job.state}", job.id)
                   for job in queue.jobs()]
        return gr.update(choices=choices, value=choices[0][1] if choices else None)

    def cancel_any(request: gr.Request, token_value, chosen):
        """A teacher's cancel: from the app's own machine, or with the admin token."""
        if not sharing.is_admin(_client(request), token_value):
            raise _error("only the teacher can cancel someone else's sweep: type the admin token the app was "
                         "started with (--admin-token), or cancel from the machine the app runs on")
        try:
            current = queue.find(whole_number(chosen, 0, 1 << 40, "the sweep to cancel"))
        except InputError as error:
            raise _error(str(error)) from None
        if current is None:
            raise _error("that sweep is no longer waiting or training")
        queue.cancel(current)
        return list_jobs()

    prepared = threading.Event()

    def prepare_once():
        if not prepared.is_set() and datasets:
            prepared.set()
            threading.Thread(target=prepare, name="sweep-prepare", daemon=True).start()

    # ---- opening a model in the other tabs -----------------------------------------------------------------------
    def pick(event: gr.EventData):
        return event_data(event).get("value")

    def open_model(request, dataset_value, latent_dim, name):
        entry = store.entry(name)
        if entry is None:
            raise InputError(f"no model named {name!r}")
        return {"dataset": entry.dataset, "k": entry.latent_dim, "models": [entry.name], "tab": "latent_map"}

    # ---- wiring --------------------------------------------------------------------------------------------------
    private = {"api_visibility": "private", "show_progress": "hidden"}
    page.tab.change(show_tab, [page.tab, shown, mode, drawn, job_id], [shown, progress, *finished_outputs],
                    **private, **QUICK)
    shown.input(choose, [shown, mode, job_id], [progress, *finished_outputs], **private, **QUICK)
    mode.change(lambda m: GRID_LOOK.get(m, ""), [mode], [grid_look], **private, queue=False,  # the grid: in the page
                js="(mode) => { const g = document.querySelector('#le-sweep-grid .le-sg'); "
                   "if (g) g.dataset.mode = mode; return mode; }")
    train.click(start, [dataset, betas, dims, epochs, job_id],  # the progress line says "Starting" itself
                [job_id, seen_state, timer, progress, view_tabs, curves, curves_look], api_name="sweep_train",
                show_progress="hidden", **QUICK)
    # A poll's outputs are small: for every event the page copies the value of each of its outputs, returned or
    # not (measured on two cores: a poll that could also set the curves and the results took 0.2 s of the
    # browser's CPU, four times a second, while it trained). The curves and the results have their own events.
    timer.tick(poll, [job_id, seen_state, timer], [progress, seen_state, timer, finished], **private,
               queue=False)  # unqueued: never behind the sliders or grids of others, nor they behind it
    seen_state.change(send_curves, [job_id], [curves], **private, queue=False)
    finished.change(show_finished, [finished, mode], [shown, view_tabs, *finished_outputs], **private, **QUICK)
    cancel.click(stop, [job_id], [progress], api_name="sweep_cancel", show_progress="hidden", **QUICK)
    someone.focus(list_jobs, None, [someone], **private, queue=False)
    any_cancel.click(cancel_any, [token, someone], [someone], api_name="sweep_cancel_any", show_progress="hidden",
                     **QUICK)
    for clickable in (grid, plane):
        page.set_state(clickable.select(pick, None, [picked], **private, **QUICK).then, open_model, [picked])


def _grid_models(config) -> list[dict]:
    return [{"name": r.run_name, "beta": r.beta, "latent_dim": r.latent_dim} for r in config.runs()]


def _default_sweep(store) -> str | None:
    """The sweep the tab opens on: the committed one (the largest of ``checkpoints/sweeps``), never a sweep
    someone made from the page unless there is no other."""
    if not store.sweeps:
        return None
    return max(store.sweeps.values(), key=lambda s: (not store.made_in_page(s.name), len(s.models), s.name)).name


def _client(request) -> str:
    """The client (an address: :func:`explorer.sharing.client_of`) a request comes from."""
    return client_of(getattr(getattr(request, "client", None), "host", None))


def _note(note: str, limits, datasets: list[str], store) -> str:
    text = (f"{note}." if note else "The full grid, on the GPU.") + (
        f" One sweep trains at a time (at most {limits.work} models × epochs); others wait in line.")
    if not datasets:
        text += (f" ⚠️ Training needs a dataset's files on disk (none found in {store.data_dir or 'data'}): start "
                 "the app with --data-dir.")
    return text


def _status(queue, job, sweep=None, snap: dict | None = None) -> str:
    """One line beside the sweep shown: this session's job with its progress bar (its result while it is the
    sweep shown), else another session's job training on the device, else what the sweep shown is."""
    if job is None or (not job.active and sweep is not None and sweep.name != job.sweep):
        running = next(iter(queue.jobs()), None)
        if running is not None:
            fraction = running.snapshot()["fraction"]
            return _line(f"Another sweep is training on this {queue.device} ({fraction:.0%}); yours would wait.",
                         fraction)
        return _line(f"{sweep.describe()}." if sweep else "No sweep yet: train one.")
    return _line(*progress_line(queue, job, snap))


def _line(text: str, fraction: float | None = None, failed: bool = False) -> str:
    """A progress bar (unless ``fraction`` is None) and ``text`` (**bold** allowed), on one line."""
    body = inline(text)
    bar = "" if fraction is None else (f'<div class="le-progress{" failed" if failed else ""}">'
                                       f'<div style="width: {fraction * 100:.1f}%"></div></div>')
    return f'<div class="le-status">{bar}<span title="{html.escape(text)}">{body}</span></div>'
