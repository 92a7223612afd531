"""A race recorded (training/race.py): each frame holds the real codes of those weights at that step, a recording
round-trips through its files, and the committed race shows what the view is for."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from training.models import build_model
from training.race import RaceConfig, encode_points, load_race, run_race, save_race
from training.train import CheckpointExistsError, seed_everything

REPO = Path(__file__).resolve().parents[1]
COMMITTED = REPO / "checkpoints" / "races" / "mnist-ae-vae-beta4"
TINY = RaceConfig(kinds=("ae", "vae"), betas=(1.0, 1.0), epochs=1, train_subset=512, points=100, samples=4, every=2)


@pytest.fixture(scope="module")
def race(data_dir):
    return run_race(TINY, data_dir, download=False)


def test_each_frame_holds_the_codes_of_the_weights_at_its_step(race, data_dir):
    """The first frame is the untrained models' codes (rebuilt from the seed), the last the trained ones'."""
    recording, models = race
    assert recording.steps == [0, 2, 4]  # 512 images in batches of 128, a frame every 2 steps
    for m, config in enumerate(TINY.model_configs()):
        seed_everything(TINY.seed)
        start = build_model(config)
        torch.testing.assert_close(recording.codes[0, m], encode_points(start, recording, data_dir))
        torch.testing.assert_close(recording.codes[-1, m], encode_points(models[m], recording, data_dir))
        with torch.no_grad():  # what the last frame says it decodes from its draws, the trained model decodes
            draws = torch.randn(TINY.samples, TINY.latent_dim, generator=torch.Generator().manual_seed(TINY.seed))
            decoded = models[m].decode(draws).clamp(0, 1).mul(255).round().to(torch.uint8)
        assert torch.equal(recording.samples[-1, m], decoded)
    assert not torch.equal(recording.codes[0], recording.codes[-1])  # they learned something


def test_a_recording_round_trips_and_is_never_replaced_unasked(race, tmp_path):
    recording, _ = race
    save_race(recording, tmp_path / "tiny")
    back = load_race(tmp_path / "tiny")
    assert torch.equal(back.codes, recording.codes) and torch.equal(back.samples, recording.samples)
    assert back.steps == recording.steps and back.meta["models"] == ["AE", "VAE"] and back.meta["device"] == "cpu"
    assert all(math.isnan(v) for v in back.losses[0])  # no training before the first frame
    assert back.losses[1] == pytest.approx(recording.losses[1])
    with pytest.raises(CheckpointExistsError, match="--overwrite"):
        save_race(recording, tmp_path / "tiny")
    (tmp_path / "tiny" / "frames.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(ValueError, match="record it again"):
        load_race(tmp_path / "tiny")


def test_the_committed_race_shows_the_ae_leaving_the_prior_and_the_vaes_filling_it():
    """The point of the view, measured on the committed recording: at the end, the share of each model's codes
    inside N(0, I)'s 95% ring."""
    recording = load_race(COMMITTED)
    assert recording.meta["models"] == ["AE", "VAE", "β-VAE (β = 4)"]
    inside = (recording.codes[-1].norm(dim=-1) < 2.4477).float().mean(-1).tolist()
    assert inside[0] < 0.2 < 0.5 < inside[1] < inside[2]  # measured: AE 0.08, VAE 0.67, beta = 4 0.86


def test_the_race_exports_as_a_gif_of_its_frames(shots):
    """Every third frame and the last, the last held: the README's animation is this test's output."""
    import io

    from PIL import Image

    from explorer.page.tabs.race import race_gif
    from explorer.views.plots import PALETTE

    recording = load_race(COMMITTED)
    data = race_gif(recording, PALETTE, every=3, size=160)
    image = Image.open(io.BytesIO(data))
    chosen = len({*range(0, len(recording.steps), 3), len(recording.steps) - 1})
    assert image.format == "GIF" and image.n_frames == chosen  # the held last frame is one, shown longer
    image.seek(chosen - 1)
    assert image.info["duration"] >= 2000
    (shots / "race.gif").write_bytes(data)


def test_a_model_replayed_alone_to_a_frame_has_that_frames_codes(race, data_dir):
    """What pause-and-poke decodes with: the model trained again alone from the race's seed to a frame's step is the
    model that frame recorded (its codes are the frame's, exactly), for every kind in the race."""
    from training.race import replay

    recording, _ = race
    for m in range(len(TINY.kinds)):
        for frame in (0, 1, len(recording.steps) - 1):
            model = replay(TINY, m, recording.steps[frame], data_dir)
            assert torch.equal(encode_points(model, recording, data_dir), recording.codes[frame, m])
    with pytest.raises(ValueError, match="step"):
        replay(TINY, 0, recording.steps[-1] + 1, data_dir)


def test_a_race_stops_between_two_steps_when_cancelled(data_dir):
    import threading

    from training.race import RaceCancelled

    cancel, seen = threading.Event(), []

    def on_frame(frame):
        seen.append(frame["step"])
        if frame["step"] >= 2:
            cancel.set()

    with pytest.raises(RaceCancelled, match="nothing was written"):
        run_race(TINY, data_dir, download=False, on_frame=on_frame, cancel=cancel)
    assert seen == [0, 2]  # a frame every 2 steps; it stopped before the third step


def test_a_conditional_model_races_with_its_classes(data_dir):
    """A CVAE in a race: trained on each batch's classes, its codes those of the test images with their classes, and
    draw i decoded as class i mod 10 (so its samples show every class); replayed alone, exactly, as is the DAE
    beside it (its corruption drawn from its own generator)."""
    from training.race import race_draws, replay

    config = RaceConfig(kinds=("cvae", "dae"), betas=(1.0, 1.0), epochs=1, train_subset=256, points=60, samples=12)
    recording, models = run_race(config, data_dir, download=False)
    assert recording.meta["models"] == ["CVAE", "DAE"]
    torch.testing.assert_close(recording.codes[-1, 0], encode_points(models[0], recording, data_dir))
    draws, classes = race_draws(config, 10, "cpu")
    assert classes.tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    with torch.no_grad():
        decoded = models[0].decode(draws, classes).clamp(0, 1).mul(255).round().to(torch.uint8)
    assert torch.equal(recording.samples[-1, 0], decoded)
    for m in (0, 1):
        alone = replay(config, m, recording.steps[-1], data_dir)
        assert torch.equal(encode_points(alone, recording, data_dir), recording.codes[-1, m])
