"""Sweeps in the explorer, without a browser: loading sweep folders beside the zoo (and keeping them out of the
header's way), the checks on a request to train one, the job queue (one job per device, places in line, a
cancel writes nothing), and what the Compare tab draws."""

import json
import shutil
import threading
import time

import pytest
from helpers import small_sweep

from explorer.core.inputs import InputError
from explorer.core.jobs import (
    CANCELLED,
    DONE,
    FAILED,
    RUNNING,
    WAITING,
    JobQueue,
    JobRefused,
    progress_line,
    sweep_runner,
)
from explorer.core.sharing import RateWindow, SharingLimits, client_of
from explorer.core.store import Store
from explorer.core.sweeps import (
    check_request,
    free_name,
    limits_for,
    read_sweep,
    remember_name,
    remove_stale_staging,
    staging_folder,
    sweep_config,
)
from explorer.views import sweep_grid, sweep_views
from training.sweep import SweepCancelled, train_sweep

CPU = limits_for("cpu", 300, 100)


@pytest.fixture(scope="module")
def tiny_sweep(tmp_path_factory, data_dir):
    """A finished sweep of 2 betas x latent sizes 2 and 5 (the zoo has k = 2 and 3, not 5)."""
    out = tmp_path_factory.mktemp("sweeps") / "tiny"
    train_sweep(small_sweep((0.5, 4.0), (2, 5), 1, "tiny"), out, data_dir, download=False)
    return out


@pytest.fixture
def root(tmp_path, tiny_zoo, tiny_sweep):
    """A checkpoints folder: the tiny zoo (linked) and, under sweeps/, the tiny sweep (copied)."""
    for folder in tiny_zoo.iterdir():
        (tmp_path / folder.name).symlink_to(folder)
    shutil.copytree(tiny_sweep, tmp_path / "sweeps" / "tiny")
    return tmp_path


def test_a_sweep_loads_beside_the_zoo_without_crowding_the_header(root, data_dir):
    store = Store.load(root, data_dir)
    assert store.errors == [] and list(store.sweeps) == ["tiny"]
    assert not [n for n in store.entries if n.startswith("tiny")]  # only its summary is read at start
    names = ["tiny-b0.5-z2", "tiny-b0.5-z5", "tiny-b4-z2", "tiny-b4-z5"]
    assert list(store.sweep_entries("tiny")) == names  # its checkpoints: when first asked for
    assert [n for n in store.entries if n.startswith("tiny")] == names
    assert {store.entries[n].sweep for n in names} == {"tiny"}
    # The header offers the zoo's latent sizes and models, and the same default lineup as without the sweep.
    assert store.latent_dims("mnist") == [2, 3]
    zoo_k2 = ["mnist-pca-z2", "mnist-ae-z2", "mnist-vae-z2", "mnist-vae-z2-beta4"]
    assert [e.name for e in store.models("mnist", 2)] == zoo_k2
    assert store.default_names("mnist", 2) == ["mnist-pca-z2", "mnist-ae-z2", "mnist-vae-z2"]
    # Once a model of the sweep is in the lineup: its size, and its sweep's models of that size after the zoo's.
    assert store.latent_dims("mnist", ["tiny-b4-z2"]) == [2, 3]
    assert store.latent_dims("mnist", ["tiny-b4-z5"]) == [2, 3, 5]
    offered = store.models("mnist", 2, ["tiny-b4-z2"])
    assert [e.name for e in offered] == [*zoo_k2, "tiny-b0.5-z2", "tiny-b4-z2"]
    assert [e.label for e in offered][-2:] == ["VAE β=0.5 · tiny", "VAE β=4 · tiny"]
    # A size only the sweep has: its models, and the one nearest β = 1 by default.
    assert [e.name for e in store.models("mnist", 5)] == ["tiny-b0.5-z5", "tiny-b4-z5"]
    assert store.default_names("mnist", 5) == ["tiny-b0.5-z5"]
    # Any sweep model opens in a lineup, alone or beside the zoo's.
    lineup = store.lineup("mnist", 2, ["tiny-b4-z2", "mnist-vae-z2"])
    assert [m.name for m in lineup.models] == ["mnist-vae-z2", "tiny-b4-z2"]
    assert lineup.n_images == 100  # the sweep's codes: its first 100 test images
    assert [m.name for m in store.lineup("mnist", 5, None).models] == ["tiny-b0.5-z5"]
    with pytest.raises(InputError, match=r"choose from mnist-pca-z2, .*mnist-vae-z2-beta4 \(or 2 sweep models\)"):
        store.lineup("mnist", 2, ["nope"])


def test_broken_or_unfinished_sweeps_are_skipped_with_a_reason(root, data_dir):
    sweeps = root / "sweeps"
    shutil.copytree(sweeps / "tiny", sweeps / ".tiny2.partial")  # a run killed before its rename: never read
    shutil.copytree(sweeps / "tiny", sweeps / "unfinished")
    (sweeps / "unfinished" / "sweep.json").unlink()  # no commit point: not a sweep (yet)
    shutil.copytree(sweeps / "tiny", sweeps / "edited")
    summary = json.loads((sweeps / "edited" / "sweep.json").read_text())
    summary["models"][0].pop("kl_per_dim")
    (sweeps / "edited" / "sweep.json").write_text(json.dumps(summary))
    shutil.copytree(sweeps / "tiny", sweeps / "twin")  # a copy claiming tiny's models
    store = Store.load(root, data_dir)
    assert list(store.sweeps) == ["tiny"]
    assert set(store.skipped) == {"sweeps/edited", "sweeps/twin"}
    assert "'kl_per_dim' must be 2 numbers" in store.skipped["sweeps/edited"]
    assert "a model named tiny-b0.5-z2 is loaded already" in store.skipped["sweeps/twin"]
    with pytest.raises(ValueError, match="loaded already"):
        store.add_sweep(sweeps / "tiny")
    # A checkpoint missing from a sweep shows when the sweep is first opened: all or nothing, with a reason.
    shutil.rmtree(sweeps / "tiny" / "tiny-b4-z5")
    with pytest.raises(InputError, match="no model named 'tiny-b4-z2'"):
        store.lineup("mnist", 2, ["tiny-b4-z2"])
    assert "tiny" not in store.sweeps and not [n for n in store.entries if store.entries[n].sweep]
    assert "tiny-b4-z5" in store.skipped["sweeps/tiny"] and "checkpoint.json" in store.skipped["sweeps/tiny"]


def test_read_sweep_says_what_is_wrong(tmp_path, tiny_sweep):
    assert read_sweep(tiny_sweep).describe().startswith("2 β × 2 k = 4 models, 1 epochs on 300 mnist images")
    (tmp_path / "sweep.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        read_sweep(tmp_path)
    (tmp_path / "sweep.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(ValueError, match="not a Latent Explorer sweep summary"):
        read_sweep(tmp_path)


@pytest.mark.parametrize(
    "args,message",
    [
        (("cifar", [1], [2], 5), r"dataset must be one of mnist, got 'cifar'"),
        (("mnist", [], [2], 5), r"choose at least one of the β values"),
        (("mnist", [1], [], 5), r"choose at least one of the latent sizes"),
        (("mnist", ["abc"], [2], 5), r"β must be a number between 0.01 and 100, got 'abc'"),
        (("mnist", [1e9], [2], 5), r"β must be a number between 0.01 and 100"),
        (("mnist", [float("nan")], [2], 5), r"β must be a number"),
        (("mnist", [1, 1.0], [2], 5), r"β values must not repeat a value"),
        (("mnist", [1], [0], 5), r"latent size k 0 is out of range: it must be between 1 and 64"),
        (("mnist", [1], ["two"], 5), r"latent size k must be a whole number, got 'two'"),
        (("mnist", [1], [2.5], 5), r"latent size k must be a whole number, got 2.5"),
        (("mnist", "1, 4", 2, 5), r"latent sizes must be a list, got 2"),
        (("mnist", [1], [2], "abc"), r"epochs must be a whole number, got 'abc'"),
        (("mnist", [1], [2], 0), r"epochs 0 is out of range"),
        (("mnist", list(range(1, 12)), list(range(1, 11)), 1), r"110 models is more than 100"),
        (
            ("mnist", [0.1, 0.25, 0.5, 1, 2, 4, 8], [2, 4, 8, 16, 32], 5),
            r"7 β × 5 k = 35 models × 5 epochs is too much for one sweep on this CPU \(at most 120 model-epochs\)",
        ),
    ],
)
def test_a_request_with_bad_values_gets_one_short_message(args, message):
    with pytest.raises(InputError, match=message):
        check_request(*args, datasets=["mnist"], limits=CPU)


def test_a_request_is_normalised_into_the_sweep_the_app_trains(tmp_path):
    dataset, betas, dims, epochs = check_request("mnist", "4 0.25, 1", ["8", 2], 5.0, ["mnist"], CPU)
    assert (betas, dims, epochs) == ([0.25, 1.0, 4.0], [2, 8], 5)
    config = sweep_config(dataset, betas, dims, epochs, name="mnist-run1", device="cpu", limits=CPU)
    assert (config.base.train_subset, config.base.test_subset, config.base.weight_dtype) == (300, 100, "float16")
    assert [r.run_name for r in config.runs()][:2] == ["mnist-run1-b0.25-z2", "mnist-run1-b0.25-z8"]
    (tmp_path / "mnist-run1").mkdir()
    assert free_name(tmp_path, "mnist", {"mnist-run2"}) == "mnist-run3"


# ---- the job queue ----------------------------------------------------------------------------------------------


def _config(name="q"):
    return small_sweep((1.0,), (2,), 1, name)


class Gate:
    """A fake training run that waits until released (or cancelled), then returns its sweep's name."""

    def __init__(self):
        self.release, self.started = threading.Event(), []

    def __call__(self, job):
        self.started.append(job.config.sweep_name)
        while not self.release.wait(0.01):
            if job.cancel_event.is_set():
                raise SweepCancelled("cancelled")
        return job.config.sweep_name


def _until(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_one_job_per_device_the_others_wait_in_line_in_order():
    queue, gate = JobQueue("cpu", max_waiting=2), Gate()
    first = queue.submit(_config("a"), "alice", gate)
    _until(lambda: first.state == RUNNING)
    second = queue.submit(_config("b"), "bob", gate)
    third = queue.submit(_config("c"), "carol", gate)
    assert [queue.place(j) for j in (first, second, third)] == [0, 1, 2]
    assert second.state == third.state == WAITING and gate.started == ["a"]
    assert progress_line(queue, third)[0] == ("Waiting: 2nd in line for the cpu (1 model); another sweep trains first.")
    with pytest.raises(JobRefused, match="a sweep from your computer.s address is still waiting or training"):
        queue.submit(_config("b2"), "bob", gate)  # one job per user
    with pytest.raises(JobRefused, match="2 sweeps are waiting to train on this cpu already"):
        queue.submit(_config("d"), "dave", gate)  # the line is full
    queue.cancel(second)  # a waiting job leaves the line at once
    assert second.state == CANCELLED and queue.place(second) == -1 and queue.place(third) == 1
    gate.release.set()
    _until(lambda: third.state == DONE)
    assert first.state == DONE and first.sweep == "a" and gate.started == ["a", "c"]
    assert queue.jobs() == [] and queue.place(first) == -1


def test_cancelling_a_running_job_stops_it_and_a_failure_does_not_stop_the_queue():
    queue, gate = JobQueue("cpu"), Gate()
    running = queue.submit(_config("a"), "alice", gate)
    _until(lambda: running.state == RUNNING)

    def broken(job):
        raise RuntimeError("dataset 'mnist' not found")

    failing = queue.submit(_config("b"), "bob", broken)
    queue.cancel(running)
    _until(lambda: failing.state == FAILED)
    assert running.state == CANCELLED and failing.message == "dataset 'mnist' not found"
    gate.release.set()
    after = queue.submit(_config("c"), "alice", gate)  # alice may train again
    _until(lambda: after.state == DONE)


def test_a_real_job_trains_saves_and_adds_its_sweep_and_a_cancel_writes_nothing(root, data_dir):
    store = Store.load(root, data_dir)
    queue, run = JobQueue("cpu"), sweep_runner(store, data_dir, threads=1, report_seconds=0)
    made = root / "page-sweeps"  # the page's sweeps: apart from the committed and command-line ones
    before = sorted(p.name for p in (root / "sweeps").iterdir())
    job = queue.submit(_config("live"), "alice", run)
    _until(lambda: not job.active, timeout=120)
    assert job.state == DONE, job.message
    snap = job.snapshot()
    assert snap["fraction"] == 1.0 and snap["evaluated"] == 1 and snap["models"][0]["name"] == "live-b1-z2"
    assert snap["curves"]["live-b1-z2"]["recon"] and snap["tests"]["live-b1-z2"]["epoch"] == [1]
    assert "live" in store.sweeps and store.entries["live-b1-z2"].sweep == "live" and store.made_in_page("live")
    assert sorted(p.name for p in (root / "sweeps").iterdir()) == before
    assert sorted(p.name for p in made.iterdir()) == [".used-names", "live"]

    stopped = []

    def cancel_after_epoch_1(job):  # as a click on Cancel would, while it trains
        record = job.record

        def spy(event):
            record(event)
            if event["event"] == "epoch" and not stopped:
                stopped.append(event["step"])
                queue.cancel(job)

        job.record = spy
        return run(job)

    job = queue.submit(small_sweep((1.0, 4.0), (2,), 3, "stopped"), "alice", cancel_after_epoch_1)
    _until(lambda: not job.active, timeout=120)
    assert job.state == CANCELLED and "nothing was written" in job.message and stopped
    assert sorted(p.name for p in made.iterdir()) == [".used-names", "live"]  # no folder, hidden or not
    assert "stopped" not in store.sweeps and not any(n.startswith("stopped") for n in store.entries)


# ---- what the Compare tab draws ---------------------------------------------------------------------------------


def test_the_views_draw_every_model_and_a_dot_names_its_model(root, data_dir):
    store = Store.load(root, data_dir)
    sweep = store.sweeps["tiny"]
    page = sweep_grid.results_grid(sweep, store.sweep_entries("tiny"), store.images("mnist").images[:10], "map")
    assert page.count('data-model="') == 4 and 'data-model="tiny-b4-z5"' in page and 'data-mode="map"' in page
    assert page.count('<img class="m-samples"') == 4 and page.count('<svg class="m-kl"') == 4
    plane = sweep_views.rate_distortion(sweep)
    dots = {
        name: (x, y) for t in plane["data"] if "customdata" in t for name, x, y in zip(t["customdata"], t["x"], t["y"])
    }
    assert set(dots) == {m["name"] for m in sweep.models}
    for m in sweep.models:
        assert dots[m["name"]] == (m["test_kl"], m["test_recon"])  # rate, distortion
    curves = sweep_views.curves_figure(*sweep_views.summary_curves(sweep), epochs=1)
    for figure in (plane, sweep_views.summary_charts(sweep), curves):
        json.dumps(figure, allow_nan=False)
    model = {"kl_per_dim": [2.0, 0.5, 0.05, 0.0], "latent_dim": 4}
    assert sweep_views.active_units(model) == 2  # KL above 0.1 nats
    assert sweep_views.beta_colour(1.0) == "#888888" and sweep_views.beta_colour(100) == "#a50026"


# ---- sharing the machine -----------------------------------------------------------------------------------------


def test_one_client_holds_at_most_its_share_of_the_queue_however_many_pages_it_opens():
    queue, gate = JobQueue("cpu", max_waiting=5), Gate()
    client = client_of("10.0.0.7")  # every page load from this address is the same client
    first = queue.submit(_config("a"), client, gate)
    with pytest.raises(JobRefused, match="a sweep from your computer.s address is still waiting or training"):
        queue.submit(_config("b"), client_of("10.0.0.7"), gate)
    classroom = SharingLimits(clients_per_address=2)  # a class of two behind one address: two jobs
    second = queue.submit(_config("b"), client, gate, per_owner=classroom.per_address(classroom.jobs_per_client))
    with pytest.raises(JobRefused, match="2 sweeps from your address are waiting or training already"):
        queue.submit(_config("c"), client, gate, per_owner=2)
    other = queue.submit(_config("d"), client_of("10.0.0.8"), gate)
    assert client_of("127.0.0.1") == client_of("::1") == client_of(None) == "local"
    assert [j.owner for j in queue.jobs()] == ["10.0.0.7", "10.0.0.7", "10.0.0.8"]
    assert queue.find(other.id) is other and queue.find(10**9) is None
    for job in (first, second, other):
        queue.cancel(job)
    gate.release.set()
    _until(lambda: not queue.jobs())


def test_only_the_local_machine_or_the_admin_token_may_cancel_anyones_job():
    limits = SharingLimits(admin_token="open-sesame")
    assert limits.is_admin("local", None)
    assert not limits.is_admin("10.0.0.7", None) and not limits.is_admin("10.0.0.7", "guess")
    assert limits.is_admin("10.0.0.7", "open-sesame")
    assert not SharingLimits().is_admin("10.0.0.7", "")  # no token set: nobody else
    with pytest.raises(ValueError, match="at least 8 characters"):
        SharingLimits(admin_token="short")
    with pytest.raises(ValueError, match="jobs_per_client must be a whole number from 1 to 100"):
        SharingLimits(jobs_per_client=0)


def test_the_pages_sweeps_are_kept_within_their_disk_budget_and_the_committed_one_never_moves(root, data_dir):
    store = Store.load(root, data_dir)
    run = sweep_runner(store, data_dir, threads=1, report_seconds=0, disk_budget_mb=0)
    queue = JobQueue("cpu")
    for name in ("old", "new"):
        job = queue.submit(_config(name), "local", run)
        _until(lambda job=job: not job.active, timeout=120)
        assert job.state == DONE, job.message
    made = root / "page-sweeps"
    assert sorted(p.name for p in made.iterdir()) == [".used-names", "new"]  # over budget: the oldest went
    assert "old" not in store.sweeps and not any(n.startswith("old-") for n in store.entries)
    assert free_name(made, "mnist", set()) == "mnist-run1"
    for name in ("mnist-run1", "mnist-run2"):  # given once, never again: a link to a removed sweep's model
        remember_name(made, name)  # must not open another model under its name
    assert free_name(made, "mnist", set()) == "mnist-run3"
    assert (root / "sweeps" / "tiny" / "sweep.json").exists() and "tiny" in store.sweeps
    # The Compare tab opens on the committed sweep, not on the newest one someone made.
    from explorer.page.tabs.compare import default_sweep

    assert default_sweep(store) == "tiny"


def test_a_staging_folder_left_by_a_killed_sweep_is_removed_at_the_next_start_but_a_live_one_is_kept(root, data_dir):
    made = root / "page-sweeps"
    (made / ".dead.partial" / "x").mkdir(parents=True)
    with staging_folder(made, "alive") as live:
        Store.load(root, data_dir)
        assert sorted(p.name for p in made.iterdir()) == [".alive.partial"] and live.exists()
    assert not live.exists()
    assert remove_stale_staging(made) == []


def test_upload_limits_are_per_client_over_a_sliding_minute():
    now = [0.0]
    window = RateWindow(3, 60.0, clock=lambda: now[0])
    assert all(window.allow("a") for _ in range(3)) and not window.allow("a") and window.allow("b")
    assert window.wait("a") == 60.0
    now[0] = 59.9
    assert not window.allow("a")
    now[0] = 60.1
    assert window.allow("a", 2) and not window.allow("a", 2)
