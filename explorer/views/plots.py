"""The page's figures as plain dicts (no plotly import on the server).

A latent map is not a plotly figure: the page draws it on a canvas of its own (``explorer/page/static/
map_canvas.js``; plotly's start and WebGL contexts were most of a page load). Its *template* comes from here
(:func:`latent_map`): titles, axis names and the points' style, while the points themselves are fetched by the
page from a binary file (:func:`map_points`) so a map costs a few hundred bytes of JSON. The page draws the
marks it moves itself: the selected image's ring, your image's star, a clicked spot's cross and a VAE's 1- and
2-sigma ellipse of q(z|x). The map's layers (the prior's rings, prior holes, decoder quality, the sampling grid's
codes) are ``images`` and ``lines`` beside them: see :mod:`explorer.views.map_layers`. The other figures here are
plotly figures as plain dicts.
"""

from __future__ import annotations

import colorsys

import numpy as np
import torch

from explorer.core.entries import ModelEntry
from explorer.core.measures import measure
from explorer.views.map_layers import map_layers
from explorer.views.safe_html import text as _t  # plotly draws some HTML in its text: names from files are escaped
from training.objectives import active_units

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
FONT = {"size": 16, "family": "DejaVu Sans, system-ui, sans-serif"}
LEGEND_LIMIT = 12  # up to this many classes get a legend; more (40 faces) are coloured without one
AXIS_TITLES = {"dims": ("z₁", "z₂"), "pca": ("PC 1 of z", "PC 2 of z"), "umap": ("UMAP 1", "UMAP 2")}


def many_colours(n: int) -> list[str]:
    """n distinct categorical colours: golden-angle hues, alternating lightness."""
    colours = []
    for i in range(n):
        r, g, b = colorsys.hls_to_rgb((i * 0.618034) % 1.0, 0.38 if i % 2 else 0.55, 0.75)
        colours.append(f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}")
    return colours


def map_points(xy: torch.Tensor, labels: torch.Tensor) -> bytes:
    """The binary the page reads for one map: float32 x, y interleaved (N, 2), then int32 labels (N,)."""
    return xy.float().numpy().astype("<f4").tobytes() + labels.numpy().astype("<i4").tobytes()


VIRIDIS = [
    "#440154",
    "#48186a",
    "#472d7b",
    "#424086",
    "#3b528b",
    "#33638d",
    "#2c728e",
    "#26828e",
    "#21918c",
    "#1fa088",
    "#28ae80",
    "#3fbc73",
    "#5ec962",
    "#84d44b",
    "#addc30",
    "#d8e219",
    "#fde725",
]  # low to high


def _point_style(entry: ModelEntry, class_names: list[str] | None, label_name: str) -> dict:
    """How the page draws the points: {size (px), opacity, outline, colours (per label) or scale, legend}."""
    if class_names and len(class_names) <= LEGEND_LIMIT:  # a colour and a legend entry per class
        colours = [PALETTE[c % 10] for c in range(len(class_names))]
        style = {"size": 6, "opacity": 0.75, "outline": None, "colours": colours, "scale": None}
        return {**style, "legend": [[name, colours[c]] for c, name in enumerate(class_names)]}
    if not class_names:  # ordinal labels (Frey's frame number): a continuous scale with its colour bar
        low, high = (float(entry.labels.min()), float(entry.labels.max())) if len(entry.labels) else (0.0, 1.0)
        scale = {"colours": VIRIDIS, "title": label_name, "min": low, "max": high}
        return {"size": 9, "opacity": 0.9, "outline": None, "colours": None, "scale": scale, "legend": []}
    colours = many_colours(len(class_names))  # more classes (40 faces) than a legend can hold: outlined dots
    return {"size": 12, "opacity": 0.9, "outline": "#333", "colours": colours, "scale": None, "legend": []}


def map_title(entry: ModelEntry, view: str) -> dict:
    """A map's title: the model, its test MSE and, on a map of the first two dimensions, a subtitle with the share
    of its codes inside the prior's 2σ ring (and for a 2-D model, the share of the prior's mass in holes): the
    numbers a lesson quotes. Short, so that three maps side by side at 1280 px show it whole. Plain text."""
    title = {"text": entry.label, "detail": f"MSE {measure('mse', entry)}", "subtitle": None}
    if view == "dims":
        about = f"in 2σ ring: {measure('inside_2sd', entry)}"
        if entry.latent_dim == 2:
            about += f" · holes: {measure('hole_mass', entry)}"
        title["subtitle"] = about
    return title


def latent_map(
    entry: ModelEntry,
    view: str,
    data_url: str,
    class_names: list[str] | None,
    label_name: str,
    n: int | None = None,
    layers: list[str] | tuple = (),
    samples: torch.Tensor | None = None,
) -> dict:
    """The template of one model's latent map (see the module docstring) of its first ``n`` codes (all),
    with its layers, those in ``layers`` visible (names of :data:`LAYERS`; "samples" draws ``samples``, the
    sampling grid's codes placed in ``view``, (m, 2)). Every text in it is plain (the page draws it as text)."""
    style = _point_style(entry, class_names, label_name)
    return {
        "name": entry.name,
        "label": entry.label,
        "data": data_url,
        "n": len(entry.labels) if n is None else n,
        "title": map_title(entry, view),
        "axes": list(AXIS_TITLES[view]),
        "points": {k: style[k] for k in ("size", "opacity", "outline", "colours", "scale")},
        "class_names": list(class_names) if class_names else None,
        "label_name": label_name,
        "clickable": view == "dims" and entry.latent_dim == 2,
        "legend": style["legend"],
        **map_layers(entry, view, list(layers), samples),
    }


def _layout(**extra) -> dict:
    return {
        "template": None,
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "font": FONT,
        "margin": {"l": 70, "r": 10, "t": 50, "b": 50},
        **extra,
    }


def loss_curves(models: list[ModelEntry]) -> dict:
    """Per-epoch test curves: reconstruction term and total loss (left), KL (right), nats per image."""
    traces = []
    for i, entry in enumerate(m for m in models if m.meta.get("curves")):
        curves, label = entry.meta["curves"], _t(entry.label)
        epochs = list(range(1, len(curves["test_recon"]) + 1))
        line = {"color": PALETTE[(i + 1) % 10], "width": 3}
        traces.append(
            {"type": "scatter", "x": epochs, "y": curves["test_recon"], "name": f"{label} reconstruction", "line": line}
        )
        if "test_kl" in curves:
            traces.append(
                {
                    "type": "scatter",
                    "x": epochs,
                    "y": curves["test_loss"],
                    "name": f"{label} total",
                    "line": {**line, "dash": "dot"},
                }
            )
            traces.append(
                {
                    "type": "scatter",
                    "x": epochs,
                    "y": curves["test_kl"],
                    "name": f"{label} KL",
                    "line": {**line, "dash": "dash"},
                    "xaxis": "x2",
                    "yaxis": "y2",
                }
            )
    axis = {"tickfont": {"size": 16}, "gridcolor": "#e6e6e6"}
    titles = [("−log p(x|z) and loss", 0.0), ("KL(q(z|x) ‖ p(z))", 0.56)]  # each over its own plot, never touching
    layout = _layout(
        xaxis={**axis, "domain": [0, 0.46]},
        yaxis={**axis, "title": {"text": "nats / image"}},
        xaxis2={**axis, "domain": [0.56, 1], "anchor": "y2"},
        yaxis2={**axis, "anchor": "x2"},
        legend={"orientation": "h", "y": -0.14, "font": {"size": 16}},
        annotations=[
            {
                "text": text,
                "x": x,
                "xanchor": "left",
                "y": 1.06,
                "xref": "paper",
                "yref": "paper",
                "showarrow": False,
                "font": {"size": 17},
            }
            for text, x in titles
        ],
    )
    return {"data": traces, "layout": layout}


def kl_bars(models: list[ModelEntry], axes: int) -> dict:
    """KL(q(z|x) ‖ p(z)) per dimension of each VAE, in the traversal sliders' order (most-used first; the
    axes past the sliders' ``axes`` paler), and in its legend entry how many of its dimensions are active (carry
    information: :func:`training.objectives.active_units`). Empty without a VAE."""
    traces = []
    for i, entry in enumerate(m for m in models if m.importance_name == "KL"):
        order = entry.axes(entry.latent_dim)
        kl = [float(entry.importance[d]) for d in order]
        traces.append(
            {
                "type": "bar",
                "x": [str(j + 1) for j in range(len(order))],
                "y": kl,
                "name": f"{_t(entry.label)}: {active_units(kl)} of {entry.latent_dim} active",
                "text": [f"z{d + 1}" for d in order],
                "textposition": "none",
                "hovertemplate": "%{text}: KL %{y:.2f}<extra></extra>",
                "marker": {
                    "color": PALETTE[(i + 2) % 10],
                    "opacity": [1.0 if j < axes else 0.35 for j in range(len(order))],
                },
            }
        )
    axis = {"tickfont": {"size": 14}, "gridcolor": "#e6e6e6"}
    return {
        "data": traces,
        "layout": _layout(
            margin={"l": 44, "r": 8, "t": 10, "b": 30},
            barmode="group",
            showlegend=True,  # a model per line above the bars, with its count of active dimensions
            xaxis={**axis, "type": "category"},
            yaxis=axis,
            legend={
                "title": {"text": "<b>KL per axis</b>, nats, by slider", "side": "top", "font": {"size": 15}},
                "font": {"size": 14},
                "orientation": "h",
                "x": 0,
                "y": 1.02,
                "yanchor": "bottom",
            },
        ),
    }


def code_spread(models: list[ModelEntry]) -> dict:
    """Each model's codes, dimension by dimension, against the Gaussian its samples are drawn from: a box per
    dimension (quartiles, whiskers at the 2.5 and 97.5 percentiles) over the band where 95% of the samples fall.
    Where a box sits outside its band, samples land where the model put no codes. Every model on one y scale, so
    "four times wider" shows as four times taller."""
    width = 1 / len(models)
    axes = ["" if i == 0 else str(i + 1) for i in range(len(models))]
    titles = [
        {
            "text": f"<b>{_t(m.label)}</b>: codes {measure('spread', m)}× as wide as the samples (grey)<br>"
            f"nearest code {measure('nearest', m)}σ from 0",
            "x": i * width + 0.01,
            "y": 1.0,
            "yanchor": "bottom",
            "xref": "paper",
            "yref": "paper",
            "showarrow": False,
            "xanchor": "left",
            "font": {"size": 15},
        }
        for i, m in enumerate(models)
    ]
    layout = _layout(
        margin={"l": 50, "r": 10, "t": 64, "b": 30},
        annotations=titles,
        shapes=[band for m, axis in zip(models, axes) for band in _sampling_bands(m, axis)],
    )
    for i, axis in enumerate(axes):
        layout[f"xaxis{axis}"] = {
            "domain": [i * width + 0.02, (i + 1) * width - 0.02],
            "anchor": f"y{axis}",
            "tickfont": {"size": 14},
            "type": "category",
        }
        layout[f"yaxis{axis}"] = {
            "anchor": f"x{axis}",
            "tickfont": {"size": 14},
            "gridcolor": "#e6e6e6",
            **({"matches": "y"} if i else {}),
        }  # one scale for every model
    return {"data": [_code_boxes(m, i, axis) for i, (m, axis) in enumerate(zip(models, axes))], "layout": layout}


def _code_boxes(entry: ModelEntry, i: int, axis: str) -> dict:
    """A box per dimension of ``entry``'s codes: quartiles, whiskers at the 2.5 and 97.5 percentiles."""
    q = torch.quantile(entry.z.float(), torch.tensor([0.025, 0.25, 0.5, 0.75, 0.975]), dim=0).tolist()
    return {
        "type": "box",
        "x": [f"z{d + 1}" for d in range(entry.latent_dim)],
        "lowerfence": q[0],
        "q1": q[1],
        "median": q[2],
        "q3": q[3],
        "upperfence": q[4],
        "name": _t(entry.label),
        "showlegend": False,
        "marker": {"color": PALETTE[(i + 1) % 10]},
        "xaxis": f"x{axis}",
        "yaxis": f"y{axis}",
        "hoverinfo": "skip",
    }


def _sampling_bands(entry: ModelEntry, axis: str) -> list[dict]:
    """Grey bands where 95% of the samples' codes fall, one per dimension."""
    mean, std = entry.prior()
    return [
        {
            "type": "rect",
            "xref": f"x{axis}",
            "yref": f"y{axis}",
            "x0": d - 0.45,
            "x1": d + 0.45,
            "y0": float(mean[d] - 1.96 * std[d]),
            "y1": float(mean[d] + 1.96 * std[d]),
            "fillcolor": "rgba(0,0,0,0.18)",
            "line": {"width": 0},
            "layer": "below",
        }
        for d in range(entry.latent_dim)
    ]


def explained_variance(entry: ModelEntry | None) -> dict:
    """PCA's explained-variance ratio per component and its running total (empty without a PCA)."""
    traces = []
    if entry is not None:
        ratio = np.asarray(entry.meta["metrics"]["explained_variance_ratio"])
        k = list(range(1, len(ratio) + 1))
        traces = [
            {"type": "bar", "x": k, "y": ratio.tolist(), "name": "per component", "marker": {"color": PALETTE[0]}},
            {
                "type": "scatter",
                "x": k,
                "y": np.cumsum(ratio).tolist(),
                "name": "cumulative",
                "mode": "lines+markers",
                "marker": {"color": PALETTE[1]},
            },
        ]
    axis = {"tickfont": {"size": 16}, "gridcolor": "#e6e6e6"}
    return {
        "data": traces,
        "layout": _layout(
            title={"text": "PCA explained variance ratio", "font": {"size": 18}},
            xaxis={**axis, "title": {"text": "component"}},
            yaxis={**axis, "tickformat": ".0%", "range": [0, 1]},
            legend={"font": {"size": 16}},
        ),
    }


def _histogram_panel(i: int, n: int, label: str, used: str, inside, other, inside_name: str, outside_name: str):
    """Panel ``i`` of ``n`` of :func:`score_histograms`: (its two histograms, its axes, its title with the AUC)."""
    from explorer.core.anomaly import SCORES, roc_auc

    axis = "" if i == 0 else str(i + 1)
    both = np.r_[inside.numpy(), other.numpy()]
    low, high = np.percentile(both, [0.5, 99.5])
    bins = {"start": float(low), "end": float(high), "size": float(high - low) / 40 or 1.0}
    traces = [
        {
            "type": "histogram",
            "x": values.tolist(),
            "xbins": bins,
            "histnorm": "probability",
            "name": name,
            "marker": {"color": colour},
            "opacity": 0.6,
            "xaxis": f"x{axis}",
            "yaxis": f"y{axis}",
            "showlegend": i == 0,
        }
        for values, name, colour in ((inside, inside_name, PALETTE[0]), (other, outside_name, PALETTE[1]))
    ]
    gap = 0.04
    width = (1 - gap * (n - 1)) / n
    start = i * (width + gap)
    axes = {
        f"xaxis{axis}": {
            "domain": [start, start + width],
            "title": {"text": SCORES[used], "font": {"size": 15}},
            "tickfont": {"size": 14},
            "anchor": f"y{axis}",
        },
        f"yaxis{axis}": {"tickfont": {"size": 14}, "anchor": f"x{axis}", "showticklabels": i == 0},
    }
    annotation = {
        "text": f"<b>{_t(label)}</b>  AUC {roc_auc(inside, other):.3f}",
        "x": start,
        "xanchor": "left",
        "y": 1.02,
        "yanchor": "bottom",
        "xref": "paper",
        "yref": "paper",
        "showarrow": False,
        "font": {"size": 16},
    }
    return traces, axes, annotation


def score_histograms(
    models: list[ModelEntry], results: dict, score: str, outside: str, inside_name: str, outside_name: str
) -> dict:
    """A panel per model: the histogram of its ``score`` on the test images against the ``outside`` set's, with the
    ROC AUC in its title (``results``: model name -> :func:`explorer.core.anomaly.results`). A model that does not
    give ``score`` shows its reconstruction error."""
    traces, annotations, layout, n = [], [], {}, max(len(models), 1)
    for i, entry in enumerate(models):
        used = score if score in entry.anomaly_scores else "recon"
        inside, other = results[entry.name]["inside"][used], results[entry.name]["outside"][outside][used]
        panel_traces, axes, annotation = _histogram_panel(
            i, n, entry.label, used, inside, other, inside_name, outside_name
        )
        traces += panel_traces
        layout.update(axes)
        annotations.append(annotation)
    return {
        "data": traces,
        "layout": _layout(
            barmode="overlay",
            annotations=annotations,
            legend={
                "orientation": "h",
                "x": 1,
                "xanchor": "right",
                "y": 1.12,
                "yanchor": "bottom",
                "font": {"size": 15},
            },
            margin={"l": 50, "r": 10, "t": 70, "b": 50},
            **layout,
        ),
    }
