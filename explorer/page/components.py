"""The page's own components: ``gr.HTML`` blocks whose script (``explorer/static/*.js``) draws them.

- :func:`plot`: any plotly figure dict. One long-lived plot per component, updated in place with
  ``Plotly.react`` (no new WebGL context per update) and resized whenever its box changes size
  (a figure that arrives while its tab is hidden is laid out again when the tab is shown).
- :func:`latent_maps`: a row of latent maps, one per model (see ``explorer/views/plots.py`` for the spec), drawn on
  canvases of the page's own (``map_canvas.js``): the first screen needs no plotly.js.
- :func:`live_pictures`: the traversal's live pictures, decoded in the page while a slider moves.
- :func:`sweep_grid`: the Compare tab's results grid; a click on a cell selects its model.

plotly.js comes from the installed plotly package and is served locally: the page works offline.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

import gradio as gr

from explorer.page.adapter import raw_values

STATIC = Path(__file__).parent / "static"


@cache
def plotly_js() -> Path:
    """plotly.min.js as shipped inside the plotly package (found without importing plotly)."""
    spec = importlib.util.find_spec("plotly")
    return Path(spec.submodule_search_locations[0]) / "package_data" / "plotly.min.js"


def static_paths() -> list[Path]:
    """Files the page loads that must be served: plotly.js."""
    return [plotly_js()]


PAGE_SCRIPTS = ("link.js", "decode.js", "plotly_adapter.js", "fit.js", "waiting.js", "keyboard.js")


def page_script() -> str:
    """The page-wide script (``launch(js=...)``): ``window.leLink`` keeps the page's state in its address bar,
    ``window.leDecode`` runs a decoder's exported ops, ``window.lePlotly`` reads whether a plot is drawn and its
    size (the one place the page relies on plotly's private layout), ``window.leFit`` sizes the main pictures to the
    window."""
    return "() => {\n" + "\n".join(f"{{\n{_script(name)}}}" for name in PAGE_SCRIPTS) + "\n}"


def _script(name: str) -> str:
    return (STATIC / name).read_text()


def _head() -> str:
    """plotly.js for a component that draws with it: loaded before the component's script runs, unless the page's
    head (:func:`page_head`) loads it already."""
    return f'<script src="/gradio_api/file={plotly_js()}"></script>'


def page_head() -> str:
    """The page's head (``launch(head=...)``): plotly.js (4.6 MB) is fetched at a low priority once the page has
    loaded, into the browser's cache, and run only when a plot mounts (its ``head``): the latent maps, the first
    screen, do not use it, so neither fetching nor running it delays them."""
    return f'<link rel="prefetch" as="script" href="/gradio_api/file={plotly_js()}">'


def plot(elem_id: str | None = None, height: str = "420px", **kwargs) -> gr.HTML:
    """A plotly figure ({'data': [...], 'layout': {...}}) drawn and updated in place."""
    return gr.HTML(
        None,
        html_template="",
        js_on_load=_script("plot.js"),
        head=_head(),
        elem_id=elem_id,
        elem_classes="le-plot-host",
        css_template=f".le-plot {{ height: {height}; }}",
        **kwargs,
    )


def latent_maps(elem_id: str = "le-maps") -> gr.HTML:
    """The lineup's latent maps; ``.select`` gets {index} for a point, ``.change`` gets {model, x, y}
    for a click on empty space (x, y null where the map is not a 2-D latent space)."""
    return gr.HTML(
        None,
        html_template="",
        js_on_load=_script("map_canvas.js") + _script("maps.js"),  # drawn without plotly: no plotly.js to wait for
        elem_id=elem_id,
        elem_classes="le-waitable",
    )


def live_pictures(elem_id: str = "le-live") -> gr.HTML:
    """The traversal's live pictures (value: {'spec': ..., 'frame': ...}; see ``explorer/tabs/traversal.py``)."""
    return gr.HTML(
        None,
        html_template="",
        js_on_load=_script("live.js"),
        elem_id=elem_id,
        min_height=200,
        elem_classes="le-waitable",
    )


def race_view(value: dict | None, elem_id: str = "le-race") -> gr.HTML:
    """A recorded race, replayed in the page (value: the spec of ``explorer/page/tabs/race.py``)."""
    return gr.HTML(value, html_template="", js_on_load=_script("race.js"), elem_id=elem_id, min_height=300)


def sweep_grid(elem_id: str = "le-sweep-grid") -> gr.HTML:
    """The Compare tab's grid (an HTML string, see ``explorer/sweep_grid.py``), fitted to the window's height;
    ``.select`` gets {value: model name} for a click on a cell."""
    return gr.HTML("", css_template=_script("sweep_grid.css"), js_on_load=_script("sweep_grid.js"), elem_id=elem_id)


def upload_box(**kwargs) -> gr.Image:
    """A picture upload whose handler gets the uploaded file (Gradio's FileData) undecoded, to read it
    with the limits of ``explorer/core/uploads.py``: gr.Image would decode any size, and misreads GIFs."""
    return raw_values(gr.Image(type="filepath", sources=["upload", "clipboard"], **kwargs))


def drawing_pad(elem_id: str = "le-sketch") -> gr.HTML:
    """A 280x280 pad ready to draw on; ``.submit`` gets {png: data URL} when "Encode my drawing" is pressed."""
    return gr.HTML(None, html_template="", js_on_load=_script("draw.js"), elem_id=elem_id)


def picture(label: str, elem_id: str | None = None, show_label: bool = False, **kwargs) -> gr.Image:
    """An output picture: a PNG file (lossless, downloaded under its own name), crisp when scaled."""
    kwargs["elem_classes"] = ["le-waitable", *_classes(kwargs.get("elem_classes", "pixelated"))]
    return gr.Image(
        label=label,
        show_label=show_label,
        format="png",
        type="filepath",
        interactive=False,
        buttons=["download", "fullscreen"],
        elem_id=elem_id,
        **kwargs,
    )


def _classes(value) -> list[str]:
    """elem_classes as a list (Gradio takes a string or a list)."""
    return [value] if isinstance(value, str) else list(value or [])
