"""Plotly figures as plain dicts (plotly.js draws them in the page; no plotly import on the server).

A latent map is a *template*: layout and trace styles from here, point data fetched by the page
from a binary file (:func:`map_points`) so a map costs a few hundred bytes of JSON. Each trace
template carries an ``le`` field the page script (``explorer/static/maps.js``) fills in:

    {"points": c}          the points whose label is c
    {"points": "all"}      every point, coloured by label from ``palette`` (or, without one, on the
                           trace's colour scale: ordinal labels such as a frame number)
    {"overlay": name}      a mark the page moves: "selected" (ring), "yours" (star), "spot" (cross),
                           "posterior" (a VAE's 1- and 2-sigma ellipse of q(z|x) for the selected image)

The overlays come after the points, so WebGL draws them above. The map's layers (the prior's rings,
prior holes, decoder quality, the sampling grid's codes) are ``images`` and ``lines`` beside the
traces: see :mod:`explorer.map_layers`.
"""

from __future__ import annotations

import colorsys

import numpy as np
import torch

from explorer.core.entries import ModelEntry
from explorer.views.map_layers import map_layers
from explorer.views.safe_html import text as _t  # plotly draws some HTML in its text: names from files are escaped
from training.objectives import active_units

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf"]
FONT = {"size": 16, "family": "DejaVu Sans, system-ui, sans-serif"}
LEGEND_LIMIT = 12   # up to this many classes get a legend; more (40 faces) are coloured without one
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
    return (xy.float().numpy().astype("<f4").tobytes() + labels.numpy().astype("<i4").tobytes())


def latent_map(entry: ModelEntry, view: str, data_url: str, class_names: list[str] | None,
               label_name: str, n: int | None = None, layers: list[str] | tuple = (),
               samples: torch.Tensor | None = None) -> dict:
    """The template of one model's latent map (see the module docstring) of its first ``n`` codes (all),
    with its layers, those in ``layers`` visible (names of :data:`LAYERS`; "samples" draws ``samples``, the
    sampling grid's codes placed in ``view``, (m, 2))."""
    n_classes = len(class_names) if class_names else int(entry.labels.max()) + 1
    traces, legend = [], []
    label_name = _t(label_name)
    if class_names and n_classes <= LEGEND_LIMIT:  # one trace per class: a legend, and no per-point colours
        for c, name in enumerate(class_names):
            legend.append([name, PALETTE[c % 10]])  # drawn by the page as text
            traces.append({"type": "scattergl", "mode": "markers", "name": _t(name), "le": {"points": c},
                           "hovertemplate": f"{label_name} {_t(name)}<br>#%{{customdata}}<extra></extra>",
                           "marker": {"size": 6, "color": PALETTE[c % 10], "opacity": 0.75}})
        palette = None
    elif not class_names:  # ordinal labels (Frey's frame number): a continuous scale
        palette = None
        traces.append({"type": "scattergl", "mode": "markers", "name": label_name, "showlegend": False,
                       "le": {"points": "all"},
                       "hovertemplate": f"{label_name} %{{text}}<br>#%{{customdata}}<extra></extra>",
                       "marker": {"size": 9, "opacity": 0.9, "colorscale": "Viridis", "showscale": True,
                                  "colorbar": {"title": {"text": label_name}, "thickness": 14,
                                               "tickfont": {"size": 16}}}})
    else:
        palette = many_colours(n_classes)
        traces.append({"type": "scattergl", "mode": "markers", "name": label_name, "showlegend": False,
                       "le": {"points": "all"},
                       "hovertemplate": f"{label_name} %{{text}}<br>#%{{customdata}}<extra></extra>",
                       "marker": {"size": 12, "opacity": 0.9, "line": {"width": 1, "color": "#333"}}})
    traces += [
        {"type": "scattergl", "mode": "markers", "name": "selected", "le": {"overlay": "selected"},
         "hoverinfo": "skip", "showlegend": False,
         "marker": {"size": 30, "symbol": "circle-open", "color": "#000", "line": {"width": 5, "color": "#000"}}},
        {"type": "scattergl", "mode": "markers", "name": "your image", "le": {"overlay": "yours"},
         "hoverinfo": "skip", "showlegend": False,
         "marker": {"size": 30, "symbol": "star", "color": "gold", "line": {"width": 2, "color": "#000"}}},
        {"type": "scattergl", "mode": "lines", "name": "posterior", "le": {"overlay": "posterior"},
         "hoverinfo": "skip", "showlegend": False, "line": {"width": 3, "color": "#000"}},
        {"type": "scattergl", "mode": "markers", "name": "clicked spot", "le": {"overlay": "spot"},
         "hoverinfo": "skip", "showlegend": False,
         "marker": {"size": 22, "symbol": "x-thin-open", "color": "#000", "line": {"width": 4, "color": "#000"}}},
    ]
    x_title, y_title = AXIS_TITLES[view]
    mse = entry.meta["metrics"]["mse_per_pixel"]
    clickable = view == "dims" and entry.latent_dim == 2
    layout = {
        "title": {"text": f"<b>{_t(entry.label)}</b>  MSE {mse:.4f}", "x": 0.01, "font": {"size": 17}},
        "template": None, "paper_bgcolor": "white", "plot_bgcolor": "white", "font": FONT,
        "margin": {"l": 58, "r": 8, "t": 40, "b": 50}, "dragmode": "zoom", "hovermode": "closest",
        "xaxis": {"title": {"text": x_title}, "tickfont": {"size": 16}, "gridcolor": "#e6e6e6", "zeroline": False},
        "yaxis": {"title": {"text": y_title}, "tickfont": {"size": 16}, "gridcolor": "#e6e6e6", "zeroline": False},
        "legend": {"itemsizing": "constant", "font": {"size": 16}, "x": 1.0, "xanchor": "right", "y": 1.0,
                   "bgcolor": "rgba(255,255,255,0.75)", "tracegroupgap": 0},
        "showlegend": False,  # one legend for the row of maps: see ``legend``
    }
    return {"name": entry.name, "label": entry.label, "data": data_url, "n": len(entry.labels) if n is None else n,
            "traces": traces, "layout": layout, "palette": palette,
            "class_names": [_t(c) for c in class_names] if class_names else None,  # hover text: plotly's HTML
            "clickable": clickable, "legend": legend, **map_layers(entry, view, list(layers), samples)}


def _layout(**extra) -> dict:
    return {"template": None, "paper_bgcolor": "white", "plot_bgcolor": "white", "font": FONT,
            "margin": {"l": 70, "r": 10, "t": 50, "b": 50}, **extra}


def loss_curves(models: list[ModelEntry]) -> dict:
    """Per-epoch test curves: reconstruction term and total loss (left), KL (right), nats per image."""
    traces = []
    for i, entry in enumerate(m for m in models if m.meta.get("curves")):
        curves = entry.meta["curves"]
        epochs = list(range(1, len(curves["test_recon"]) + 1))
        line = {"color": PALETTE[(i + 1) % 10], "width": 3}
        traces.append({"type": "scatter", "x": epochs, "y": curves["test_recon"],
                       "name": f"{_t(entry.label)} reconstruction", "line": line})
        if "test_kl" in curves:
            traces.append({"type": "scatter", "x": epochs, "y": curves["test_loss"], "name": f"{_t(entry.label)} total",
                           "line": {**line, "dash": "dot"}})
            traces.append({"type": "scatter", "x": epochs, "y": curves["test_kl"], "name": f"{_t(entry.label)} KL",
                           "line": {**line, "dash": "dash"}, "xaxis": "x2", "yaxis": "y2"})
    axis = {"tickfont": {"size": 16}, "gridcolor": "#e6e6e6"}
    layout = _layout(
        xaxis={**axis, "domain": [0, 0.46]},
        yaxis={**axis, "title": {"text": "nats / image"}},
        xaxis2={**axis, "domain": [0.56, 1], "anchor": "y2"},
        yaxis2={**axis, "anchor": "x2"},
        legend={"orientation": "h", "y": -0.14, "font": {"size": 16}},
        annotations=[{"text": "−log p(x|z) solid, loss dotted", "x": 0.23, "y": 1.06,
                      "xref": "paper", "yref": "paper", "showarrow": False, "font": {"size": 17}},
                     {"text": "KL(q(z|x) ‖ p(z))", "x": 0.80, "y": 1.06, "xref": "paper", "yref": "paper",
                      "showarrow": False, "font": {"size": 17}}])
    return {"data": traces, "layout": layout}



def kl_bars(models: list[ModelEntry], axes: int) -> dict:
    """KL(q(z|x) ‖ p(z)) per dimension of each VAE, in the traversal sliders' order (most-used first; the
    axes past the sliders' ``axes`` paler), and in the title how many of its dimensions are active (carry
    information: :func:`training.objectives.active_units`). Empty without a VAE."""
    traces, counts = [], []
    for i, entry in enumerate(m for m in models if m.importance_name == "KL"):
        order = entry.axes(entry.latent_dim)
        kl = [float(entry.importance[d]) for d in order]
        counts.append(f"{_t(entry.label)} {active_units(kl)} of {entry.latent_dim} active")
        traces.append({"type": "bar", "x": [str(j + 1) for j in range(len(order))], "y": kl, "name": _t(entry.label),
                       "text": [f"z{d + 1}" for d in order], "hovertemplate": "%{text}: KL %{y:.2f}<extra></extra>",
                       "marker": {"color": PALETTE[(i + 2) % 10],
                                  "opacity": [1.0 if j < axes else 0.35 for j in range(len(order))]}})
    axis = {"tickfont": {"size": 14}, "gridcolor": "#e6e6e6"}
    return {"data": traces, "layout": _layout(
        margin={"l": 44, "r": 8, "t": 30, "b": 30}, barmode="group", showlegend=len(traces) > 1,
        title={"text": f"KL per axis, nats (slider no. below) · {' · '.join(counts)}", "font": {"size": 15},
               "x": 0.01},
        xaxis={**axis, "type": "category"}, yaxis=axis, legend={"font": {"size": 14}})}


def code_spread(models: list[ModelEntry]) -> dict:
    """Each model's codes, dimension by dimension, against the Gaussian its samples are drawn from: a box
    per dimension (quartiles, whiskers at the 2.5 and 97.5 percentiles) over the band where 95% of the
    samples fall. Where a box sits outside its band, samples land where the model put no codes."""
    traces, shapes, annotations = [], [], []
    width = 1 / len(models)
    for i, entry in enumerate(models):
        axis = "" if i == 0 else str(i + 1)
        q = torch.quantile(entry.z.float(), torch.tensor([0.025, 0.25, 0.5, 0.75, 0.975]), dim=0)
        dims = [f"z{d + 1}" for d in range(entry.latent_dim)]
        traces.append({"type": "box", "x": dims, "lowerfence": q[0].tolist(), "q1": q[1].tolist(),
                       "median": q[2].tolist(), "q3": q[3].tolist(), "upperfence": q[4].tolist(),
                       "name": _t(entry.label), "marker": {"color": PALETTE[(i + 1) % 10]}, "showlegend": False,
                       "xaxis": f"x{axis}", "yaxis": f"y{axis}", "hoverinfo": "skip"})
        mean, std = entry.prior()
        for d in range(entry.latent_dim):
            shapes.append({"type": "rect", "xref": f"x{axis}", "yref": f"y{axis}", "x0": d - 0.45, "x1": d + 0.45,
                           "y0": float(mean[d] - 1.96 * std[d]), "y1": float(mean[d] + 1.96 * std[d]),
                           "fillcolor": "rgba(0,0,0,0.12)", "line": {"width": 0}, "layer": "below"})
        annotations.append({"text": f"<b>{_t(entry.label)}</b>: codes · samples (grey)",
                            "x": i * width + 0.01, "y": 1.08, "xref": "paper", "yref": "paper",
                            "showarrow": False, "xanchor": "left", "font": {"size": 15}})
    layout = _layout(margin={"l": 50, "r": 10, "t": 40, "b": 30}, shapes=shapes, annotations=annotations)
    for i in range(len(models)):
        axis = "" if i == 0 else str(i + 1)
        layout[f"xaxis{axis}"] = {"domain": [i * width + 0.02, (i + 1) * width - 0.02], "anchor": f"y{axis}",
                                  "tickfont": {"size": 12}, "type": "category"}
        layout[f"yaxis{axis}"] = {"anchor": f"x{axis}", "tickfont": {"size": 13}, "gridcolor": "#e6e6e6"}
    return {"data": traces, "layout": layout}


def explained_variance(entry: ModelEntry | None) -> dict:
    """PCA's explained-variance ratio per component and its running total (empty without a PCA)."""
    traces = []
    if entry is not None:
        ratio = np.asarray(entry.meta["metrics"]["explained_variance_ratio"])
        k = list(range(1, len(ratio) + 1))
        traces = [{"type": "bar", "x": k, "y": ratio.tolist(), "name": "per component",
                   "marker": {"color": PALETTE[0]}},
                  {"type": "scatter", "x": k, "y": np.cumsum(ratio).tolist(), "name": "cumulative",
                   "mode": "lines+markers", "marker": {"color": PALETTE[1]}}]
    axis = {"tickfont": {"size": 16}, "gridcolor": "#e6e6e6"}
    return {"data": traces, "layout": _layout(
        title={"text": "PCA explained variance ratio", "font": {"size": 18}},
        xaxis={**axis, "title": {"text": "component"}}, yaxis={**axis, "tickformat": ".0%", "range": [0, 1]},
        legend={"font": {"size": 16}})}
