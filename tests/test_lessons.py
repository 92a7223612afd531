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


def test_the_shipped_lesson_has_seven_steps_that_name_real_models(zoo_models):
    lessons, skipped = load_lessons(REPO / "lessons", zoo_models)
    assert skipped == {} and list(lessons) == ["why-vaes-sample-well", "wider-uses-of-autoencoders"]
    lesson = lessons["why-vaes-sample-well"]
    assert len(lesson.steps) == 7
    assert [s.page["tab"] for s in lesson.steps] == ["latent_map"] * 5 + ["traversal", "race"]
    assert all(s.show and s.show_revealed for s in lesson.steps)  # each says what on the page proves it
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


def test_the_lessons_numbers_are_the_zoos_and_say_what_they_claim(zoo):
    """Every number the lesson states is filled in from the committed checkpoints by the function the page shows
    it with (explorer/core/measures.py), and each claim the text makes around one holds."""
    from explorer.core.measures import fill, hole_mass, inside_ring, nearest_code, placeholders, ring_share, spread

    lessons, skipped = load_lessons(REPO / "lessons", {n: (e.dataset, e.latent_dim) for n, e in zoo.entries.items()})
    assert skipped == {}
    for lesson in lessons.values():
        for step in lesson.steps:
            for text in (step.question, step.answer):
                assert "{" not in fill(text, zoo.entries, zoo), text  # every placeholder known, every model there
                assert all(model in zoo.entries for _, model in placeholders(text))
    text = LESSON.read_text()
    assert "39% and 86%" in text  # N(0, I)'s 1- and 2-sigma rings in two dimensions (not 68 and 95: one dimension)
    assert (round(100 * ring_share(1)), round(100 * ring_share(2))) == (39, 86)
    ae2, vae2, ae16 = (zoo.entries[n] for n in ("mnist-ae-z2", "mnist-vae-z2", "mnist-ae-z16"))
    assert inside_ring(ae2) < 0.2 < 0.6 < inside_ring(vae2)  # "only ... of the AE's" / "a round blob that fills"
    assert hole_mass(ae2) > 2 * hole_mass(vae2)
    draws = torch.randn(4096, 16, generator=torch.Generator().manual_seed(0))
    assert nearest_code(ae16) > 6 and float((draws.norm(dim=1) < 6).float().mean()) > 0.99  # "within 6"
    assert spread(ae16) > 3 and 0.8 < spread(zoo.entries["mnist-vae-z16"]) < 1.25
    beta4 = zoo.entries["mnist-vae-z16-beta4"]
    assert float(beta4.importance[beta4.axes(16)[13]]) < 0.1  # its 14th axis carries none
    other = zoo.entries["mnist-vae-z16"]
    assert float(other.importance[other.axes(16)[13]]) > 0.1  # ... while the others' does


def test_the_second_lessons_numbers_say_what_it_claims(zoo):
    """The rest of the course: the DAE denoises the tab's noisy row better than the AE; the AE tells clothes from
    digits best by its reconstruction error, then the VAE, then PCA; flipped digits are harder for the AE."""
    from explorer.core.measures import auc, denoised_error

    dae, ae, vae, pca = (zoo.entries[f"mnist-{kind}-z2"] for kind in ("dae", "ae", "vae", "pca"))
    assert denoised_error(dae, zoo) < 0.8 * denoised_error(ae, zoo)
    fashion = {e.kind_label: auc(zoo, e, "fashion-mnist") for e in (pca, ae, vae)}
    assert fashion["AE"] > fashion["VAE"] > fashion["PCA"] + 0.05 and fashion["PCA"] > 0.7
    assert auc(zoo, ae, "flipped") < fashion["AE"] - 0.1
    text = (REPO / "lessons" / "wider-uses-of-autoencoders.toml").read_text()
    assert "The AE, with an AUC" in text and "The DAE's:" in text  # what the checks above hold
