"""The lesson bar under the header: a lesson's step sets the page, asks a question, and reveals its answer.

A lesson is data (``lessons/*.toml``, read by :mod:`explorer.core.lessons`); the lesson chosen, its step and
whether the answer is shown are fields of the page's link, so a link reopens the same step. The lesson's text is
shown as written, with only **bold** and *italic* (:func:`explorer.views.safe_html.emphasis`).
"""

from __future__ import annotations

import html
import json

import gradio as gr

from explorer.core.inputs import InputError, whole_number
from explorer.core.lessons import Lesson
from explorer.core.measures import fill
from explorer.page.context import Page, refuse
from explorer.views import safe_html

PARTS = {  # each part a step may show (explorer.core.lessons.SHOW), and where it is on the page
    "maps": "#le-maps .le-maps",
    "rings": "#le-maps .le-map-top",
    "holes": "#le-maps .le-plot-area",
    "samples": "#le-samples img",
    "spread": "#le-spread .le-plot",
    "kl": "#le-kl .le-plot",
    "sliders": "#le-sliders",
    "live": "#le-live .le-live",
    "reconstructions": "#le-reconstruction img",
    "classes": "#le-classes img",
    "histograms": "#le-histograms .le-plot",
    "aucs": "#le-aucs table",
    "race": "#le-race .le-race-grid",
}


def part_selector(part: str) -> str:
    """Where a step's part is on the page (``slider:N``: that slider)."""
    return f"#le-axis-{int(part.split(':')[1]) - 1}" if part.startswith("slider:") else PARTS[part]


def step_html(lesson: Lesson, number: int, revealed: bool, entries: dict | None = None, store=None) -> str:
    """The text of step ``number`` (1-based) of ``lesson``, its answer too when ``revealed``, its numbers filled in
    from ``entries`` (name -> model: :func:`explorer.core.measures.fill`): HTML. It names the parts the step
    shows (``data-show``: their selectors), which the page brings into view."""
    step = lesson.steps[number - 1]

    def words(text: str) -> str:
        return safe_html.emphasis(fill(text, entries or {}, store))

    parts = step.show_revealed if revealed else step.show
    selectors = html.escape(json.dumps([part_selector(p) for p in parts]), quote=True)
    out = (
        f'<div class="le-step" data-show="{selectors}"><p><b>Step {number} of {len(lesson.steps)} · '
        f"{safe_html.text(step.title)}</b></p>{words(step.question)}"
    )
    if revealed:
        out += f'<div class="le-answer"><b>Answer:</b> {words(step.answer)}</div>'
    return out + "</div>"


class LessonBar:
    """The step's panel (shown while a lesson is chosen in the header's lesson box) and its step's state."""

    def __init__(self, page: Page):
        self.page = page
        # The step's state stays mounted while the card is hidden (the link follows its changes).
        self.step = gr.Number(None, label="Lesson step", visible="hidden", elem_id="le-step")
        self.revealed = gr.Checkbox(False, label="Answer shown", visible="hidden", elem_id="le-revealed")
        with gr.Column(visible=False, scale=0, min_width=340, elem_id="le-lesson") as self.panel:
            self.text = gr.HTML(elem_id="le-lesson-text")
            with gr.Row(elem_id="le-lesson-buttons"):
                self.back = gr.Button("◀ Back", size="md", min_width=70, elem_id="le-back")
                self.reveal = gr.Button("Reveal", variant="primary", size="md", min_width=90, elem_id="le-reveal")
                self.forward = gr.Button("Next ▶", size="md", min_width=80, elem_id="le-next")

    @property
    def outputs(self) -> list:
        """What :meth:`render` sets."""
        return [self.panel, self.text, self.step, self.revealed, self.reveal, self.back, self.forward]

    def lesson_of(self, name) -> Lesson | None:
        if name in ("", None):
            return None
        if name not in self.page.lessons:
            raise InputError(f"no lesson {name!r}; choose one of {', '.join(self.page.lessons) or 'none'}")
        return self.page.lessons[name]

    def render(self, state: dict) -> dict:
        """The panel for the link or step ``state`` (nothing to change when it names no lesson)."""
        if "lesson" not in state:
            return {}
        lesson = self.lesson_of(state["lesson"])
        if lesson is None:
            return {self.panel: gr.update(visible=False), self.step: None, self.revealed: False}
        number = min(state.get("step", 1), len(lesson.steps))
        shown = state.get("revealed", False)
        return {
            self.panel: gr.update(visible=True),
            self.text: step_html(lesson, number, shown, self.page.store.entries, self.page.store),
            self.step: number,
            self.revealed: shown,
            self.reveal: gr.update(interactive=not shown),
            self.back: gr.update(interactive=number > 1),
            self.forward: gr.update(interactive=number < len(lesson.steps)),
        }

    def go(self, name, number, shown: bool) -> dict:
        """The state of step ``number`` of lesson ``name`` (its answer shown when ``shown``): its page, and the
        lesson fields that draw its panel ({"lesson": ""} closes the panel)."""
        try:
            lesson = self.lesson_of(name)
            if lesson is None:
                return {"lesson": ""}
            number = whole_number(number, 1, len(lesson.steps), "lesson step")
        except InputError as error:
            raise refuse(str(error)) from None
        return {**lesson.state(number, shown), "lesson": lesson.name, "step": number, "revealed": shown}

    # What each control asks for: fn(request, dataset, k, lesson name, step) -> the state to set.
    def first_step(self, request, dataset, k, name, number) -> dict:
        return self.go(name, 1, False)

    def next_step(self, request, dataset, k, name, number) -> dict:
        return self.go(name, (number or 0) + 1, False)

    def previous_step(self, request, dataset, k, name, number) -> dict:
        return self.go(name, (number or 2) - 1, False)

    def reveal_step(self, request, dataset, k, name, number) -> dict:
        return self.go(name, number or 1, True)
