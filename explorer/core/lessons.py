"""Lessons: guided paths through the page, written as data (``lessons/*.toml``) so a teacher can edit one
or add another without touching code. The format is described at the top of ``lessons/why-vaes-sample-well.toml``.

Each step holds the page state it opens on and what "Reveal" changes, in the fields of
:mod:`explorer.state`. Every lesson is checked when the app starts, against the state's fields and the
models the app has; a lesson with a mistake is skipped with a message naming the file, the step and
the field, as a checkpoint that cannot be loaded is.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from explorer.core.measures import DATA_MEASURES, MEASURES, placeholders
from explorer.core.state import NAME, read_state

LESSON_FIELDS = {"lesson", "step", "revealed", "presenter"}  # a link's own fields, not a step's
MAX_LESSON_BYTES = 1 << 20


SHOW = {  # the page parts a step's claim rests on: each must be on screen, whole, when the step is shown
    "maps": "the latent maps",
    "rings": "the prior's rings on the maps",
    "holes": "the prior holes on the maps",
    "samples": "the sampling grid",
    "spread": "each dimension's codes against N(0, 1)",
    "kl": "the KL per axis",
    "sliders": "the traversal's sliders",
    "live": "the traversal's pictures",
    "reconstructions": "the reconstructions",
    "classes": "a conditional model's codes drawn as every class",
    "histograms": "the anomaly scores' histograms",
    "aucs": "the anomaly scores' AUC table",
    "race": "the recorded race's maps and samples",
}
SHOW_SLIDER = re.compile(r"slider:(\d{1,2})")  # "slider:14": that slider, in view


@dataclass(frozen=True)
class Step:
    title: str
    question: str
    answer: str
    page: dict  # the state the step opens on (fields of explorer.core.state)
    reveal: dict  # the state "Reveal" adds
    show: tuple[str, ...] = ()  # parts of SHOW (or "slider:N") on screen when it is asked
    show_revealed: tuple[str, ...] = ()  # ... and when its answer is shown


@dataclass(frozen=True)
class Lesson:
    name: str  # the file's name without .toml: what a link says
    title: str
    steps: tuple[Step, ...]

    def state(self, step: int, revealed: bool) -> dict:
        """The page state of ``step`` (1-based), with its reveal applied when ``revealed``."""
        chosen = self.steps[step - 1]
        return {**chosen.page, **(chosen.reveal if revealed else {})}


class LessonError(ValueError):
    """A lesson file that cannot be used; the message names the file, the step and what to fix."""


def read_lesson(path: Path, models: dict[str, tuple[str, int]] | None = None) -> Lesson:
    """The lesson in ``path``, checked. ``models`` maps each model name the app has to its (dataset, k):
    when given, every step's models must exist and match the step's dataset and k."""
    name = path.stem
    if not NAME.fullmatch(name):
        raise LessonError(f"{path}: a lesson's file name must be letters, digits, '.', '-' or '_'")
    try:
        if path.stat().st_size > MAX_LESSON_BYTES:
            raise LessonError(f"{path}: larger than {MAX_LESSON_BYTES >> 20} MB; is it a lesson?")
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise LessonError(f"{path}: not readable as TOML ({error})") from None
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        raise LessonError(f'{path}: give the lesson a title = "..."')
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps or not all(isinstance(s, dict) for s in raw_steps):
        raise LessonError(f"{path}: a lesson needs at least one [[steps]] table")
    steps = tuple(_step(raw, f"{path}, step {i}", models) for i, raw in enumerate(raw_steps, 1))
    return Lesson(name, title.strip(), steps)


STEP_FIELDS = ("title", "question", "answer", "page", "reveal", "show", "show_revealed")


def _step(raw: dict, where: str, models) -> Step:
    unknown = set(raw) - set(STEP_FIELDS)
    if unknown:
        raise LessonError(
            f"{where}: unknown field(s) {', '.join(sorted(unknown))} (a step has {', '.join(STEP_FIELDS)})"
        )
    texts = {}
    for key in ("title", "question", "answer"):
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            raise LessonError(f'{where}: give the step a {key} = "..."')
        texts[key] = value.strip()
    page, reveal = (_state(raw.get(key, {}), f"{where}, {key}") for key in ("page", "reveal"))
    if "dataset" not in page:
        raise LessonError(f'{where}, page: say which dataset the step opens on (dataset = "mnist")')
    if models is not None:
        _check_models({**page, **reveal}, where, models)
        _check_numbers(texts, where, models)
    shown = tuple(_show(raw.get(key, []), f"{where}, {key}") for key in ("show", "show_revealed"))
    return Step(texts["title"], texts["question"], texts["answer"], page, reveal, *shown)


def _show(raw, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(
        isinstance(p, str) and (p in SHOW or SHOW_SLIDER.fullmatch(p)) for p in raw
    ):
        raise LessonError(f"{where} must list parts of the page: {', '.join(SHOW)} or slider:N, got {raw!r:.80}")
    return tuple(raw)


def _check_numbers(texts: dict, where: str, models) -> None:
    """Every ``{measure:model}`` a step's text names is a known measure of a model the app has."""
    for key, text in texts.items():
        for name, model in placeholders(text):
            if name not in MEASURES and name not in DATA_MEASURES:
                known = ", ".join([*MEASURES, *DATA_MEASURES])
                raise LessonError(f"{where}, {key}: no measure {name!r}; the measures are {known}")
            if model not in models:
                raise LessonError(f"{where}, {key}: {{{name}:{model}}} names a model the app does not have")


def _state(raw, where: str) -> dict:
    if not isinstance(raw, dict):
        raise LessonError(f'{where} must be a table such as {{ tab = "sampling" }}')
    state, notes = read_state({k: v for k, v in raw.items() if k not in LESSON_FIELDS}, where)
    notes += [f"{where}: {k} belongs to a link, not a step" for k in raw if k in LESSON_FIELDS]
    if notes:
        raise LessonError("; ".join(notes))
    return state


def _check_models(state: dict, where: str, models: dict[str, tuple[str, int]]) -> None:
    for name in state.get("models", []):
        if name not in models:
            raise LessonError(f"{where}: the app has no model {name!r}; train it, or name one of its models")
        dataset, k = models[name]
        if dataset != state["dataset"] or ("k" in state and k != state["k"]):
            raise LessonError(
                f"{where}: {name!r} is a {dataset} model with k = {k}, but the step shows "
                f"{state['dataset']} at k = {state.get('k')}"
            )


def load_lessons(
    folder: Path, models: dict[str, tuple[str, int]] | None = None
) -> tuple[dict[str, Lesson], dict[str, str]]:
    """Every lesson in ``folder`` (``*.toml``, by name), and for each file skipped, why."""
    lessons, skipped = {}, {}
    for path in sorted(Path(folder).glob("*.toml")):
        try:
            lesson = read_lesson(path, models)
        except LessonError as error:
            skipped[path.name] = str(error)
            continue
        lessons[lesson.name] = lesson
    return lessons, skipped
