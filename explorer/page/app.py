"""The Gradio page, put together: the header, the lesson bar, each tab (``explorer/page/tabs/``), then the one
table of what changes what (:mod:`explorer.page.changes`)."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from explorer.core.lessons import load_lessons
from explorer.core.sharing import SharingLimits
from explorer.core.store import Store
from explorer.page.adapter import check_calls
from explorer.page.assets import Assets
from explorer.page.changes import Changes
from explorer.page.components import STATIC
from explorer.page.context import Page, unavailable_page
from explorer.page.header import Header
from explorer.page.lesson_bar import LessonBar
from explorer.page.tabs import modules

CSS = (STATIC / "page.css").read_text()
LESSONS = Path(__file__).resolve().parents[2] / "lessons"


def build_app(
    store: Store,
    cache_dir: Path,
    browser_decoding: bool = True,
    lessons: Path = LESSONS,
    limits: SharingLimits | None = None,
) -> gr.Blocks:
    """The page over ``store``, with the lessons in the folder ``lessons``. ``demo.warm_up()``
    (:meth:`Page.warm`) prepares the first views' data: start it in a thread once the server listens.
    ``demo.skipped_lessons`` says why each lesson file that could not be used was left out."""
    models = {name: (entry.dataset, entry.latent_dim) for name, entry in store.entries.items()}
    lessons_found, skipped_lessons = load_lessons(lessons, models)
    page = Page(store, Assets(cache_dir), browser_decoding, lessons_found, limits or SharingLimits())
    with gr.Blocks(title="Latent Explorer") as demo:  # uploads are removed by app.clean_uploads
        if not store.datasets():
            unavailable_page(store)
            demo.warm_up = demo.fetch_data = lambda: None
            demo.skipped_lessons = {}
            check_calls(demo)
            return demo
        header = Header(page)
        tabs, blocks = {}, {}
        with gr.Row(equal_height=False, elem_id="le-workspace"):
            with gr.Column(scale=1, min_width=0, elem_id="le-main-column"):
                with gr.Tabs(elem_id="le-tabs") as tab_box:
                    for name, module in modules():
                        with gr.Tab(module.TITLE, id=name) as blocks[name]:
                            tabs[name] = module.Tab(page, header)
            lesson = LessonBar(page)  # a card beside the tabs while a lesson is chosen
        header.wire()
        for tab in tabs.values():
            tab.wire()
        Changes(page, header, lesson, tabs, tab_box, blocks).wire(demo)
    demo.warm_up = page.warm
    demo.fetch_data = store.fetch_missing
    demo.skipped_lessons = skipped_lessons
    check_calls(demo)
    return demo


def page_theme() -> gr.themes.Theme:
    """Gradio's Soft theme with every text at a contrast of at least 4.5:1 (WCAG AA, checked by axe-core in the
    browser tests): labels, selected choices and primary buttons one shade darker, subdued text two."""
    return gr.themes.Soft(text_size="md", spacing_size="sm", font=["DejaVu Sans", "system-ui", "sans-serif"]).set(
        block_label_text_color="*primary_700",
        block_title_text_color="*primary_700",
        body_text_color_subdued="*neutral_600",
        color_accent="*primary_600",
        checkbox_label_background_fill_selected="*primary_600",
        button_primary_background_fill="*primary_600",
        button_primary_background_fill_hover="*primary_700",
        button_primary_border_color="*primary_600",
        input_placeholder_color="*neutral_500",
    )
