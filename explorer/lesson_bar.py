"""The lesson bar under the header: a lesson's step sets the page, asks a question, and reveals its answer.

A lesson is data (``lessons/*.toml``, read by :mod:`explorer.lessons`); the lesson chosen, its step and
whether the answer is shown are fields of the page's link, so a link reopens the same step.
"""

from __future__ import annotations

import gradio as gr

from . import safe_html
from .inputs import InputError, whole_number
from .lessons import Lesson
from .page import Page, _error


def build(page: Page) -> None:
    """The step's panel (shown while a lesson is chosen in the header's lesson box) and its wiring."""
    with gr.Row(visible=False, equal_height=True, elem_id="le-lesson") as panel:
        text = gr.HTML(elem_id="le-lesson-text")
        with gr.Column(scale=0, min_width=150):
            reveal = gr.Button("Reveal", variant="primary", size="md", elem_id="le-reveal")
            with gr.Row():
                back = gr.Button("◀", size="md", min_width=60, elem_id="le-back")
                forward = gr.Button("Next ▶", size="md", min_width=80, elem_id="le-next")
    step = gr.Number(None, visible="hidden", elem_id="le-step")
    revealed = gr.Checkbox(False, visible="hidden", elem_id="le-revealed")
    page.remember("step", step)
    page.remember("revealed", revealed)

    def lesson_of(name) -> Lesson | None:
        if name in ("", None):
            return None
        if name not in page.lessons:
            raise InputError(f"no lesson {name!r}; choose one of {', '.join(page.lessons) or 'none'}")
        return page.lessons[name]

    def render(state: dict) -> dict:
        """The panel for the link or step ``state`` (nothing to change when it names no lesson)."""
        if "lesson" not in state:
            return {}
        lesson = lesson_of(state["lesson"])
        if lesson is None:
            return {panel: gr.update(visible=False), step: None, revealed: False}
        number = min(state.get("step", 1), len(lesson.steps))
        shown = state.get("revealed", False)
        current = lesson.steps[number - 1]
        words = (f"<p><b>Step {number} of {len(lesson.steps)} · {safe_html.text(current.title)}</b></p>"
                 + safe_html.emphasis(current.question))
        if shown:
            words += f"<div class=\"le-answer\"><b>Answer:</b> {safe_html.emphasis(current.answer)}</div>"
        return {panel: gr.update(visible=True), text: words, step: number, revealed: shown,
                reveal: gr.update(interactive=not shown), back: gr.update(interactive=number > 1),
                forward: gr.update(interactive=number < len(lesson.steps))}

    page.on_apply(render, [panel, text, step, revealed, reveal, back, forward])

    def go(name, number, shown: bool) -> dict:
        """The state of step ``number`` of lesson ``name`` (its answer shown when ``shown``): its page, and
        the lesson fields that draw its panel ({"lesson": ""} closes the panel)."""
        try:
            lesson = lesson_of(name)
            if lesson is None:
                return {"lesson": ""}
            number = whole_number(number, 1, len(lesson.steps), "lesson step")
        except InputError as error:
            raise _error(str(error)) from None
        return {**lesson.state(number, shown), "lesson": lesson.name, "step": number, "revealed": shown}

    inputs = [page.lesson, step]
    page.set_state(page.lesson.input, lambda request, dataset, k, name, n: go(name, 1, False), inputs)
    page.set_state(forward.click, lambda request, dataset, k, name, n: go(name, (n or 0) + 1, False), inputs)
    page.set_state(back.click, lambda request, dataset, k, name, n: go(name, (n or 2) - 1, False), inputs)
    page.set_state(reveal.click, lambda request, dataset, k, name, n: go(name, n or 1, True), inputs)
