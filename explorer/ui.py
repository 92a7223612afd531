"""The Gradio page: the shared header, then each tab (``explorer/tabs/``), then the wiring between them."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from . import lesson_bar
from .assets import Assets
from .lessons import load_lessons
from .page import Page, check_calls, unavailable_page
from .sharing import SharingLimits
from .store import Store
from .tabs import modules

CSS = """
.gradio-container { max-width: none !important; padding: 4px 14px !important; font-size: 16px; }
#le-header { align-items: end; gap: 10px; flex-wrap: nowrap; }
#le-here .image-container { padding-top: 30px; }
#le-header > * { min-height: 0; }
#le-title { flex: 0 0 185px !important; min-width: 185px !important; max-width: 185px !important; }
#le-title h3 { margin: 0; font-size: 20px; line-height: 1.15; white-space: nowrap; }
#le-title p { margin: 0; font-size: 15px; color: var(--body-text-color-subdued); }
#le-status { font-size: 14px; min-height: 0; margin: 0 0 0 2px; flex: 1 1 auto !important; }
#le-bar { align-items: center; gap: 8px; margin: -6px 0 -4px 0; flex-wrap: nowrap; }
#le-bar > * { min-height: 0; }
#le-lesson { gap: 10px; align-items: center; padding: 6px 10px; border-radius: 8px;
  background: var(--color-accent-soft, #eef2ff); border: 1px solid var(--color-accent, #6366f1); }
#le-lesson-text { font-size: 16px; line-height: 1.35; }
#le-lesson-text p { margin: 0 0 3px 0; }
body:has(#le-lesson) .look, body:has(#le-lesson) #le-view { display: none; }  /* the lesson's text leads */
body:has(#le-lesson) .le-live figure { max-width: 165px; }  /* the KL bars beside the sliders stay in view */
body:has(#le-lesson) .le-map { height: clamp(220px, calc(100vh - 440px), 800px); }
body:has(#le-lesson) .le-main img { max-height: calc(100vh - 430px) !important; }
#le-presenter { flex: 0 0 130px !important; min-width: 130px !important; }
/* Presenter: larger type for the back of a room; the header one line of controls, without their labels. */
body.le-presenter { --text-sm: 16px; --text-md: 19px; --text-lg: 21px; --block-label-text-size: 17px;
  --button-small-text-size: 17px; --input-text-size: 19px; --checkbox-label-text-size: 18px; }
body.le-presenter .gradio-container { font-size: 20px; }
body.le-presenter #le-title p, body.le-presenter #le-header [data-testid="block-info"],
body.le-presenter .look { display: none !important; }
body.le-presenter #le-header { align-items: center; }
body.le-presenter #le-lesson-text { font-size: 19px; }
body.le-presenter .tab-wrapper button { font-size: 20px; }
body.le-presenter .le-legend { font-size: 20px; }
body.le-presenter .le-map { height: clamp(250px, calc(100vh - 250px), 800px); }
body.le-presenter:has(#le-lesson) .le-map { height: clamp(220px, calc(100vh - 450px), 800px); }
#le-status p { margin: 0; }
.look { font-size: 16px; color: var(--body-text-color-subdued); margin: 0; }
#le-layers { margin: -2px 0 -4px 0; gap: 4px 10px; }
#le-layers label { font-size: 15px; padding: 2px 8px; }
.look p { margin: 0; }
.tab-wrapper { margin-bottom: 2px; }
.pixelated img { image-rendering: pixelated; object-fit: contain; }
.le-legend { display: flex; flex-wrap: wrap; gap: 2px 14px; font-size: 16px; margin: 0 0 2px 4px; min-height: 0; }
.le-legend span { display: inline-flex; align-items: center; gap: 5px; }
.le-legend i { display: inline-block; width: 13px; height: 13px; border-radius: 50%; }
.le-maps { display: grid; gap: 6px; width: 100%; }
.le-map { height: clamp(250px, calc(100vh - 345px), 800px); min-width: 0; position: relative; }
.le-plot-area { width: 100%; height: 100%; }
.le-overlay { position: absolute; pointer-events: none; z-index: 3; }
.le-main img { max-height: calc(100vh - 370px) !important; }
#le-yours img { max-height: 180px !important; }
#le-selection img { max-height: calc(100vh - 470px) !important; }
#le-here img { max-height: 150px !important; }
.le-plot { width: 100%; }
.le-live { display: flex; flex-wrap: wrap; gap: 12px; width: 100%; }
.le-live figure { flex: 1 1 140px; margin: 0; max-width: 300px; }
.le-live figcaption { font-weight: 600; font-size: 17px; margin-bottom: 2px; }
.le-live figcaption small { display: block; font-weight: 400; font-size: 14px; color: var(--body-text-color-subdued); }
.le-frame { position: relative; width: 100%; }
.le-frame img, .le-frame canvas { position: absolute; inset: 0; width: 100%; height: 100%; image-rendering: pixelated; }
.le-frame canvas { z-index: 1; }
.le-paper { width: 100%; max-width: 280px; aspect-ratio: 1; border: 2px solid #999; border-radius: 6px;
  touch-action: none; cursor: crosshair; background: #fff; }
.le-paper-buttons { display: flex; gap: 8px; margin-top: 6px; max-width: 280px; }
.le-button { flex: 1; padding: 8px; border-radius: 8px; border: 1px solid #bbb; background: #f4f4f5; font-size: 16px; }
.le-button.primary { background: var(--button-primary-background-fill, #6366f1); color: white; border: none; }
#le-preview { position: fixed; z-index: 1000; pointer-events: none; display: none; background-repeat: no-repeat;
  image-rendering: pixelated; border: 3px solid #222; border-radius: 4px; box-shadow: 0 4px 14px rgba(0,0,0,.35); }
"""


LESSONS = Path(__file__).resolve().parent.parent / "lessons"


def build_app(store: Store, cache_dir: Path, browser_decoding: bool = True, lessons: Path = LESSONS,
              limits: SharingLimits | None = None) -> gr.Blocks:
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
        page.header()
        lesson_bar.build(page)
        with gr.Tabs(elem_id="le-tabs") as page.tabs:
            for name, tab in modules():
                with gr.Tab(tab.TITLE, id=name) as block:
                    tab.build(page)
                page.add_tab(name, block)
        page.on_load(demo)
        page.finish()
    demo.warm_up = page.warm
    demo.fetch_data = store.fetch_missing
    demo.skipped_lessons = skipped_lessons
    check_calls(demo)
    return demo
