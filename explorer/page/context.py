"""What the page's parts share, with no wiring of their own: the :class:`Page` (the store, the page's files, the
app's settings), the concurrency groups its events run in, and how a handler says no (:func:`refuse` for the
panel that asked, :func:`warn` for a note).

A handler of a tab takes the resolved :class:`~explorer.core.store.Lineup` first, then its own values, and returns
``{component: value}``; :meth:`Page.on_lineup` makes it a Gradio function of (dataset, k, models, *values), with
bad input (:class:`~explorer.core.inputs.InputError`) shown as a short message on that handler's outputs only.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import gradio as gr
import numpy as np

from explorer.core.inputs import InputError
from explorer.core.lessons import Lesson
from explorer.core.sharing import SharingLimits
from explorer.core.store import Lineup, Store
from explorer.core.uploads import ImageInputError
from explorer.page.assets import Assets
from explorer.views import safe_html
from explorer.views.images import png_bytes

# Concurrency: what answers a hand on a control (a slider's picture, a click in a map) has its own workers,
# never queued behind the heavier work (sampling grids, GIFs, uploads, interpolations) of thirty others.
QUICK = {"concurrency_id": "quick", "concurrency_limit": 4}
HEAVY = {"concurrency_id": "heavy", "concurrency_limit": 2}
CHANGE_STEPS = {"concurrency_id": "changes", "concurrency_limit": 3}  # the steps after a lineup or selection change
EXPORT = {"concurrency_id": "export", "concurrency_limit": 1}  # GIFs: long, and rare
PRIVATE = {"api_visibility": "private", "show_progress": "hidden"}  # the page's own events, not the API's


@dataclass
class Page:
    """What every part of the page reads: the models (``store``), the files the page fetches (``assets``), and the
    app's settings. Read-only once the page is built; per-user data lives in ``gr.State``."""

    store: Store
    assets: Assets
    browser_decoding: bool = True
    lessons: dict[str, Lesson] = field(default_factory=dict)
    limits: SharingLimits = field(default_factory=SharingLimits)

    def on_lineup(self, fn):
        """fn(lineup, *values) -> {component: value} as a Gradio function of (dataset, k, models, *values)."""

        def run(dataset, latent_dim, names, *values):
            try:
                return fn(self.store.lineup(dataset, latent_dim, names), *values)
            except (InputError, ImageInputError) as error:
                raise refuse(str(error)) from None

        run.__name__, run.__doc__ = getattr(fn, "__name__", "handler"), fn.__doc__  # not __wrapped__: Gradio
        return run  # reads the real signature

    def model_choices(self, dataset: str, latent_dim: int, names=()) -> list[tuple[str, str]]:
        """The models offered: the zoo's, and the sweeps' of the models ``names`` (see ``Store.models``)."""
        return [(entry.label, entry.name) for entry in self.store.models(dataset, int(latent_dim), names)]

    def picture_file(self, picture: np.ndarray, name: str, alt: str) -> dict:
        """``picture`` as a PNG named ``name``.png (the name a download gets), stored by content, for a gr.Image:
        its file and ``alt``, the text a screen reader says for it (which models, what image or code)."""
        return gr.update(value=str(self.assets.download(png_bytes(picture), f"{_slug(name)}.png")), alt_text=alt)

    def warm(self, after_s: float = 20.0) -> None:
        """Prepare every lineup but the first (its test images, sprite, map points, decoders) ``after_s`` seconds
        from now, so a first switch is as quick as the next. The first lineup is left to the first request:
        measured, preparing it in a thread at start only slowed the start down (two cores)."""
        time.sleep(after_s)
        lineups = [(d, k) for d in self.store.datasets() for k in self.store.latent_dims(d)]
        for dataset, k in lineups[1:]:
            lineup = self.store.lineup(dataset, k, None)
            self.assets.sprite(lineup)
            for entry in lineup.models:
                self.assets.map_points(entry, "dims")
                self.assets.decoder(entry)
        for entry in list(self.store.entries.values()):  # the map layers of 2-D models, once each
            if entry.latent_dim == 2:
                entry.prior_holes, entry.decoder_quality  # noqa: B018 -- computed and cached on first use

    def start_warming(self) -> None:
        threading.Thread(target=self.warm, name="warm-up", daemon=True).start()


def refuse(message: str) -> gr.Error:
    """The message shown in the page (or returned over the API) for bad input, as the text it is (it may quote a
    link, a file or an API value); no traceback in the server's terminal, since nothing went wrong there."""
    return gr.Error(safe_html.text(message), duration=8, print_exception=False)


def warn(message: str, duration: float = 8) -> None:
    """A warning in the page: ``message`` shown as the text it is."""
    gr.Warning(safe_html.text(message), duration=duration)


def lineup_slug(lineup: Lineup) -> str:
    return f"{lineup.dataset}-k{lineup.latent_dim}"


def lineup_words(lineup: Lineup) -> str:
    """The lineup in words, for a picture's text alternative: "AE, VAE (mnist, k = 2)"."""
    return f"{', '.join(m.label for m in lineup.models)} ({lineup.dataset}, k = {lineup.latent_dim})"


def _slug(text: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_." else "-" for c in text.replace("β=", "beta"))
    return "-".join(part for part in keep.split("-") if part)[:120] or "picture"


def skipped_note(store: Store) -> str:
    """HTML naming the checkpoints that could not be loaded, their reasons folded under it ('' when none):
    all of them over the API's /broken_checkpoints."""
    if not store.errors:
        return ""
    reasons = "".join(f"<li>{safe_html.text(error)}</li>" for error in store.errors)
    return (
        f"<details><summary>⚠️ {len(store.errors)} checkpoint(s) skipped: "
        f"{safe_html.text(', '.join(store.skipped))} (why?)</summary><ul>{reasons}</ul></details>"
    )


def broken_checkpoints(store: Store) -> None:
    """The API endpoint /broken_checkpoints: the checkpoints that could not be loaded, each with its reason."""
    report = gr.JSON(visible=False)
    gr.Button(visible=False).click(lambda: store.errors, None, report, api_name="broken_checkpoints", queue=False)


def unavailable_page(store: Store) -> None:
    """What the page shows when no checkpoint could be loaded: why, and how to make some."""
    reasons = (
        "".join(f"<li>{safe_html.text(error)}</li>" for error in store.errors)
        or "<li>the folder has no checkpoints</li>"
    )
    gr.HTML(
        f"<h2>Latent Explorer: no models to show</h2><p>No checkpoint in <code>{safe_html.text(store.root)}</code>"
        f" could be loaded:</p><ul>{reasons}</ul><p>Train the standard set with "
        "<code>python -m training zoo</code>, or start the app with <code>--checkpoints</code> pointing at a "
        "folder of checkpoints.</p>",
        elem_id="le-unavailable",
    )
    broken_checkpoints(store)


def publish(fn: Callable, inputs: list, outputs: list, api_name: str, **options) -> None:
    """Publish ``fn`` (a page handler, wired to the page's own events as private) as the API's ``api_name``, on a
    hidden button of its own, with the same inputs and outputs. The page gets each picture with its text
    alternative (:meth:`Page.picture_file`); an API caller gets the picture's file, as a script expects."""
    gr.Button(visible=False).click(files_only(fn), inputs, outputs, api_name=api_name, **options)


def files_only(fn: Callable) -> Callable:
    """``fn`` with each picture's update ({value, alt_text}) replaced by its file."""

    def run(*args):
        out = fn(*args)
        if not isinstance(out, dict):
            return out
        return {c: v["value"] if isinstance(v, dict) and "alt_text" in v else v for c, v in out.items()}

    run.__name__, run.__doc__ = getattr(fn, "__name__", "handler"), fn.__doc__
    return run
