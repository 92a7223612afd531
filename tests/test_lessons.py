"""The page's state as a link, lessons as data, and the numbers the shipped lesson states about the zoo."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl

import pytest
import torch

from explorer.core.lessons import LessonError, load_lessons, read_lesson
from explorer.core.state import query_string, read_state
from explorer.core.store import Store

REPO = Path(__file__).resolve().parent.parent
LESSON = REPO / "lessons" / "why-vaes-sample-well.toml"


# ---- the link -----------------------------------------------------------------------------------------------


def test_a_link_reads_back_what_was_written():
    state = {
        "dataset": "mnist",
        "k": 16,
        "models": ["mnist-ae-z16", "mnist-vae-z16-beta0.5"],
        "tab": "sampling",
        "image": 7,
        "seed": 3,
        "layers": [],
        "view": "pca",
        "axes": [1.5, 0.0, -2.25],
        "lesson": "why",
        "step": 2,
        "revealed": True,
        "presenter": False,
    }
    text = query_string(state)
    assert "models=mnist-ae-z16,mnist-vae-z16-beta0.5" in text and "layers=&" in text
    again, notes = read_state(dict(parse_qsl(text, keep_blank_values=True)))
    assert notes == [] and again == state


def test_a_bad_or_unknown_field_is_left_out_with_a_note_and_the_rest_kept():
    state, notes = read_state(
        {
            "dataset": "mnist",
            "k": "two",
            "tab": "nowhere",
            "axes": "9",
            "image": "-1",
            "layers": "prior,glitter",
            "models": "../../etc",
            "colour": "red",
            "seed": "5",
        }
    )
    assert state == {"dataset": "mnist", "seed": 5}
    assert len(notes) == 7
    assert any("latent size k must be a whole number" in n for n in notes)
    assert any("tab must be one of latent_map" in n for n in notes)
    assert any("unknown field 'colour'" in n for n in notes)
    assert any("slider 1 must be a number between -3 and 3" in n for n in notes)


# ---- lessons as data -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def zoo_models() -> dict:
    store = Store.load(REPO / "checkpoints")
    return {name: (entry.dataset, entry.latent_dim) for name, entry in store.entries.items()}


def test_the_shipped_lesson_has_six_steps_that_name_real_models(zoo_models):
    lessons, skipped = load_lessons(REPO / "lessons", zoo_models)
    assert skipped == {} and list(lessons) == ["why-vaes-sample-well"]
    lesson = lessons["why-vaes-sample-well"]
    assert len(lesson.steps) == 6
    assert [s.page["tab"] for s in lesson.steps] == ["latent_map"] * 5 + ["reconstruction"]
    assert all(s.reveal for s in lesson.steps)  # every step changes the page when its answer is revealed
    assert lesson.state(2, True)["tab"] == "sampling" and lesson.state(2, False)["tab"] == "latent_map"
    # The AE's samples are asked about at k = 2 (where they pass) and at k = 16 (where they fail).
    assert [lesson.steps[i].page["k"] for i in (1, 2)] == [2, 16]


STEP = "title = 'x'\n[[steps]]\ntitle='a'\nquestion='b'\nanswer='c'\n"  # a lesson of one step, so far


@pytest.mark.parametrize(
    "text, message",
    [
        ("title = 'x'", "at least one [[steps]]"),
        ("steps = 3", "give the lesson a title"),
        (STEP + "page={k=2}", "say which dataset"),
        (STEP + "page={dataset='mnist', tab='maps'}", "step 1, page: tab must be one of"),
        (
            "title = 'x'\n[[steps]]\ntitle='a'\nquestion=''\nanswer='c'\npage={dataset='mnist'}",
            "give the step a question",
        ),
        (STEP + "hint='d'\npage={dataset='mnist'}", "unknown field(s) hint"),
        (STEP + "page={dataset='mnist', models=['mnist-vae-z9']}", "no model 'mnist-vae-z9'"),
        (STEP + "page={dataset='mnist', k=16, models=['mnist-vae-z2']}", "is a mnist model with k = 2"),
        (STEP + "page={dataset='mnist', step=2}", "step belongs to a link"),
        ("title = 'x\n", "not readable as TOML"),
    ],
)
def test_a_lesson_with_a_mistake_is_refused_naming_the_file_the_step_and_the_field(tmp_path, zoo_models, text, message):
    path = tmp_path / "mine.toml"
    path.write_text(text)
    with pytest.raises(LessonError) as error:
        read_lesson(path, zoo_models)
    assert message in str(error.value) and str(path) in str(error.value)


def test_a_broken_lesson_is_skipped_and_the_good_ones_kept(tmp_path, zoo_models):
    (tmp_path / "good.toml").write_text(LESSON.read_text())
    (tmp_path / "broken.toml").write_bytes(b"\xff\xfe not text")
    lessons, skipped = load_lessons(tmp_path, zoo_models)
    assert list(lessons) == ["good"] and list(skipped) == ["broken.toml"]


# ---- the lesson's claims are the zoo's numbers --------------------------------------------------------------


@pytest.fixture(scope="module")
def zoo():
    return Store.load(REPO / "checkpoints")


def _inside(z: torch.Tensor, radius: float) -> float:
    return float((z[:, :2].norm(dim=1) < radius).float().mean())


def test_the_lessons_numbers_are_the_zoos(zoo):
    """Every number the lesson's answers state, computed from the committed checkpoints."""
    text = LESSON.read_text()
    ae2, vae2 = zoo.entries["mnist-ae-z2"], zoo.entries["mnist-vae-z2"]
    assert round(100 * _inside(ae2.z, 2.0)) == 15 and "15%" in text  # codes inside N(0, I)'s 2-sigma ring
    assert round(100 * _inside(vae2.z, 2.0)) == 72 and "72%" in text
    assert float(ae2.z[:, 1].min()) < -40 and "−45" in text  # "down to about −45"

    def hole_mass(entry) -> float:
        xs, ys = entry.layer_grid
        return float(entry.prior_holes.sum() * (xs[1] - xs[0]) * (ys[1] - ys[0]))

    assert 0.2 < hole_mass(vae2) < 0.3 and "a quarter" in text
    assert 0.75 < hole_mass(ae2) < 0.85 and "80%" in text

    ae16 = zoo.entries["mnist-ae-z16"]
    assert float(ae16.z.norm(dim=1).min()) > 6 and "no AE code lies within distance 6 of 0" in text
    draws = torch.randn(4096, 16, generator=torch.Generator().manual_seed(0))
    assert float((draws.norm(dim=1) < 6).float().mean()) > 0.99  # "while nearly every draw does"
    spread = float(ae16.z.std(0).mean())
    assert 3.5 < spread < 4.5 and "about four times wider" in text

    beta4, beta05 = zoo.entries["mnist-vae-z16-beta4"], zoo.entries["mnist-vae-z16-beta0.5"]
    assert beta4.meta["metrics"]["active_units"] == 12 and "12 of 16 active" in text
    assert f"{beta4.meta['metrics']['mse_per_pixel']:.4f}" == "0.0176" and "0.0176" in text
    assert f"{beta05.meta['metrics']['mse_per_pixel']:.4f}" == "0.0092" and "0.0092" in text
    assert zoo.entries["mnist-vae-z16"].meta["metrics"]["active_units"] == 16
