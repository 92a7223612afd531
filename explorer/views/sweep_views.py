"""What the Compare tab plots for a sweep: training curves (live or finished), the rate-distortion plane and
summary charts (plotly figures as dicts, as in :mod:`explorer.plots`), and what its numbers show, in words.
The results grid is :mod:`explorer.sweep_grid`. No Gradio here.

Rate and distortion are the two terms of the negative ELBO on the test set, in nats per image: rate = KL(q(z|x)
‖ p(z)), distortion = −log p(x|z) (Alemi et al. 2018, "Fixing a Broken ELBO"). β weighs the rate; a β-VAE
trades one for the other along a curve for each latent size.
"""

from __future__ import annotations

import math

import numpy as np

from explorer.core.sweeps import Sweep
from explorer.views.plots import FONT, PALETTE
from training.objectives import active_units as count_active

MAX_CURVE_POINTS = 300  # per line of the training curves (a live sweep reports every 0.3 s)
_BETA_ANCHORS = ["#313695", "#4575b4", "#74add1", "#888888", "#f46d43", "#d73027", "#a50026"]  # blue → grey → red
_AXIS = {"tickfont": {"size": 14}, "gridcolor": "#e6e6e6", "zeroline": False}


def beta_colour(beta: float, low: float = 0.1, high: float = 8.0) -> str:
    """Small β blue, β = 1 grey, large β red (log scales over [low, 1] and [1, high])."""
    log = math.log(max(beta, 1e-6))
    t = 0.5 + 0.5 * (log / math.log(high) if log > 0 else -log / math.log(low))
    t = min(max(t, 0.0), 1.0) * (len(_BETA_ANCHORS) - 1)
    i = min(int(t), len(_BETA_ANCHORS) - 2)
    a, b = (np.array([int(c[j : j + 2], 16) for j in (1, 3, 5)]) for c in _BETA_ANCHORS[i : i + 2])
    r, g, bl = (a + (b - a) * (t - i)).round().astype(int)
    return f"#{r:02x}{g:02x}{bl:02x}"


def k_colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def active_units(model: dict) -> int:
    """A sweep model's active dimensions (the project's one rule: :func:`training.objectives.active_units`)."""
    return count_active(model["kl_per_dim"])


def _layout(**extra) -> dict:
    return {
        "template": None,
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "font": FONT,
        "margin": {"l": 60, "r": 10, "t": 40, "b": 45},
        "hovermode": "closest",
        **extra,
    }


def _domains(n: int, gap: float) -> list[list[float]]:
    width = (1 - gap * (n - 1)) / n
    return [[i * (width + gap), i * (width + gap) + width] for i in range(n)]


# ---- training curves ---------------------------------------------------------------------------------------------


def _title(text: str, column: list[float], size: int = 15) -> dict:
    """A bold title over the middle of a column of subplots."""
    return {
        "text": f"<b>{text}</b>",
        "x": sum(column) / 2,
        "y": 1.0,
        "xref": "paper",
        "yref": "paper",
        "yanchor": "bottom",
        "showarrow": False,
        "font": {"size": size},
    }


CURVE_ROWS = (("recon", "−log p(x|z)"), ("kl", "KL"))


def curves_figure(models: list[dict], curves: dict, tests: dict, epochs: int | None = None, sweep: str = "") -> dict:
    """Each model's loss terms against epochs, one column per latent size, a line per β: the reconstruction
    term (top) and the KL (bottom), nats per image. ``models``: [{name, beta, latent_dim}]; ``curves`` (lines:
    running training means) and ``tests`` (dots: the test set after each epoch): {name: {epoch, recon, kl}}."""
    dims = sorted({m["latent_dim"] for m in models})
    columns = _domains(max(len(dims), 1), 0.035)
    traces, legend_seen = [], set()
    layout = _layout(
        showlegend=True,
        margin={"l": 62, "r": 10, "t": 56, "b": 40},
        meta={"sweep": sweep},
        annotations=[_title(f"k = {k}", columns[c]) for c, k in enumerate(dims)],
        legend={"orientation": "h", "x": 1, "xanchor": "right", "y": 1.09, "yanchor": "bottom", "font": {"size": 14}},
    )
    for c, k in enumerate(dims):
        for row, (key, label) in enumerate(CURVE_ROWS):
            axis = "" if c * 2 + row == 0 else str(c * 2 + row + 1)
            layout[f"xaxis{axis}"], layout[f"yaxis{axis}"] = _curve_axes(axis, columns[c], c, row, label, epochs)
            for m in (m for m in models if m["latent_dim"] == k):
                traces += _curve_traces(m, key, axis, curves.get(m["name"], {}), tests.get(m["name"], {}), legend_seen)
    return {"data": traces, "layout": layout}


def _curve_axes(axis: str, column: list[float], c: int, row: int, label: str, epochs: int | None) -> tuple[dict, dict]:
    x_axis = {**_AXIS, "domain": column, "anchor": f"y{axis}", "showticklabels": row == 1}
    y_axis = {
        **_AXIS,
        "domain": [0.53, 1.0] if row == 0 else [0.0, 0.45],
        "anchor": f"x{axis}",
        "showticklabels": c == 0,
    }
    if c:  # one y scale per row (matching the x axes too left plotly with no autorange at all)
        y_axis["matches"] = "y" if row == 0 else "y2"
    else:
        y_axis["title"] = {"text": f"{label}, nats", "font": {"size": 14}}
    if epochs:
        x_axis["range"] = [0, epochs * 1.02]
    return x_axis, y_axis


def _curve_traces(m: dict, key: str, axis: str, line: dict, dots: dict, legend_seen: set) -> list[dict]:
    """Model ``m``'s line (training means) and dots (test losses) of loss term ``key``, on subplot ``axis``."""
    colour, name, k = beta_colour(m["beta"]), f"β={m['beta']:g}", m["latent_dim"]
    on = {"legendgroup": name, "xaxis": f"x{axis}", "yaxis": f"y{axis}"}
    traces = [
        {
            "type": "scatter",
            "x": _thin(line.get("epoch", [])),
            "y": _thin(line.get(key, [])),
            "name": name,
            "mode": "lines" if len(line.get("epoch", [])) > 2 else "lines+markers",  # seen at once
            "showlegend": name not in legend_seen,
            "line": {"color": colour, "width": 2},
            **on,
            "hovertemplate": f"{name}, k={k}<br>epoch %{{x:.2f}}: %{{y:.1f}}<extra></extra>",
        }
    ]
    legend_seen.add(name)
    if dots.get("epoch"):
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": dots["epoch"],
                "y": dots[key],
                "name": name,
                "showlegend": False,
                "marker": {"color": colour, "size": 7, "symbol": "circle-open", "line": {"width": 2}},
                **on,
                "hovertemplate": f"{name}, k={k}, test after epoch %{{x}}: %{{y:.1f}}<extra></extra>",
            }
        )
    return traces


def _thin(values: list) -> list:
    """At most about :data:`MAX_CURVE_POINTS` of ``values``, evenly spaced, always with the last (the newest)."""
    step = len(values) // MAX_CURVE_POINTS + 1
    return values if step == 1 else values[::step] + ([values[-1]] if (len(values) - 1) % step else [])


def summary_curves(sweep: Sweep) -> tuple[list[dict], dict, dict]:
    """(models, curves, tests) of a finished sweep for :func:`curves_figure`: each epoch's training means
    (lines) and test losses (dots)."""
    models, curves, tests = [], {}, {}
    for m in sweep.models:
        c = m["curves"]
        epochs = list(range(1, len(c.get("train_recon", [])) + 1))
        models.append({"name": m["name"], "beta": m["beta"], "latent_dim": m["latent_dim"]})
        curves[m["name"]] = {"epoch": epochs, "recon": c.get("train_recon", []), "kl": c.get("train_kl", [])}
        tests[m["name"]] = {"epoch": epochs, "recon": c.get("test_recon", []), "kl": c.get("test_kl", [])}
    return models, curves, tests


# ---- rate-distortion and summaries -------------------------------------------------------------------------------


def _hover(m: dict) -> str:
    return (
        f"<b>β = {m['beta']:g}, k = {m['latent_dim']}</b><br>rate (KL) {m['test_kl']:.1f} nats<br>"
        f"distortion −log p(x|z) {m['test_recon']:.1f} nats<br>MSE/pixel {m['mse_per_pixel']:.4f}<br>"
        f"{active_units(m)} of {m['latent_dim']} dims active<br><i>click: open it in the other tabs</i>"
    )


def rate_distortion(sweep: Sweep) -> dict:
    """One dot per model at (rate, distortion); a line through the models of each latent size (coloured by k)
    and a dotted one through those of each β; dashed diagonals where rate + distortion (the negative ELBO) is
    constant. A dot's ``customdata`` is its model's name (a click opens it)."""
    rates = [m["test_kl"] for m in sweep.models]
    distortions = [m["test_recon"] for m in sweep.models]
    pad_x, pad_y = (max(rates) - min(rates)) * 0.08 + 1, (max(distortions) - min(distortions)) * 0.08 + 1
    x_range = [max(0, min(rates) - pad_x), max(rates) + 3 * pad_x]
    y_range = [min(distortions) - pad_y, max(distortions) + pad_y]
    widest = max(sweep.latent_dims)
    labels = [
        {
            "x": m["test_kl"],
            "y": m["test_recon"],
            "text": f"β={m['beta']:g}",
            "showarrow": False,
            "xanchor": "left",
            "yanchor": "bottom",
            "xshift": 8,
            "font": {"size": 13, "color": "#333"},
        }
        for m in sorted((m for m in sweep.models if m["latent_dim"] == widest), key=lambda m: m["beta"])
    ]
    shapes, levels = _equal_loss([r + d for r, d in zip(rates, distortions)], x_range, y_range)
    layout = _layout(
        xaxis={**_AXIS, "title": {"text": "rate: KL(q(z|x) ‖ p(z)), nats per image"}, "range": x_range},
        yaxis={**_AXIS, "title": {"text": "distortion: −log p(x|z), nats"}, "range": y_range},
        legend={"font": {"size": 14}, "x": 1, "xanchor": "right", "y": 1, "bgcolor": "rgba(255,255,255,0.8)"},
        shapes=shapes,
        annotations=labels + levels,
        margin={"l": 70, "r": 10, "t": 20, "b": 55},
    )
    return {"data": _rd_lines(sweep), "layout": layout}


def _rd_lines(sweep: Sweep) -> list[dict]:
    """A dotted line through each β's models, then a line with the dots through each latent size's."""
    traces = []
    for b in sweep.betas:
        row = sorted((m for m in sweep.models if m["beta"] == b), key=lambda m: m["latent_dim"])
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": [m["test_kl"] for m in row],
                "y": [m["test_recon"] for m in row],
                "hoverinfo": "skip",
                "showlegend": False,
                "line": {"color": beta_colour(b), "width": 1.5, "dash": "dot"},
            }
        )
    for i, k in enumerate(sweep.latent_dims):
        row = sorted((m for m in sweep.models if m["latent_dim"] == k), key=lambda m: m["beta"])
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": f"k = {k}",
                "x": [m["test_kl"] for m in row],
                "y": [m["test_recon"] for m in row],
                "customdata": [m["name"] for m in row],
                "text": [_hover(m) for m in row],
                "hovertemplate": "%{text}<extra></extra>",
                "line": {"color": k_colour(i), "width": 2.5},
                "marker": {
                    "size": 13,
                    "color": [beta_colour(m["beta"]) for m in row],
                    "line": {"color": k_colour(i), "width": 3},
                },
            }
        )
    return traces


def _equal_loss(elbos: list[float], x_range: list[float], y_range: list[float]) -> tuple[list[dict], list[dict]]:
    """Dashed lines R + D = total at round totals, each labelled where it leaves the plot: (shapes, labels)."""
    shapes, labels = [], []
    for total in _round_levels(min(elbos), max(elbos)):
        shapes.append(
            {
                "type": "line",
                "x0": 0,
                "y0": total,
                "x1": total,
                "y1": 0,
                "layer": "below",
                "line": {"color": "#c8c8c8", "width": 1, "dash": "dash"},
            }
        )
        x, y = total - y_range[0], y_range[0]  # at the bottom, else the right edge
        if not x_range[0] <= x <= x_range[1]:
            x, y = x_range[1], total - x_range[1]
        if y_range[0] <= y <= y_range[1]:
            labels.append(
                {
                    "x": x,
                    "y": y,
                    "text": f"R+D = {total:g}",
                    "showarrow": False,
                    "xanchor": "right",
                    "yanchor": "bottom",
                    "font": {"size": 12, "color": "#999"},
                }
            )
    return shapes, labels


def _round_levels(low: float, high: float, count: int = 4) -> list[float]:
    """About ``count`` round numbers spread over [low, high]."""
    step = 10 ** math.floor(math.log10(max((high - low) / count, 1e-9)))
    step *= next((m for m in (1, 2, 5, 10) if (high - low) / (step * m) <= count), 10)
    return [round(v, 6) for v in np.arange(math.ceil(low / step) * step, high + step / 2, step)]


SUMMARY_METRICS = [
    ("mse_per_pixel", "MSE / pixel"),
    ("test_kl", "KL, nats"),
    ("test_loss", "−ELBO, nats"),
    ("active", "active dims"),
]


def summary_charts(sweep: Sweep) -> dict:
    """Test metrics against β (top row: a line per latent size, its legend beside it) and against k (bottom row:
    a line per β, its legend beside it)."""
    columns = [[0.88 * a, 0.88 * b] for a, b in _domains(len(SUMMARY_METRICS), 0.055)]  # the legends on the right
    legend = {"font": {"size": 13}, "x": 0.9, "xanchor": "left", "tracegroupgap": 0, "itemwidth": 30}
    layout = _layout(
        showlegend=True,
        margin={"l": 45, "r": 5, "t": 30, "b": 45},
        legend={**legend, "y": 1.0, "yanchor": "top"},
        legend2={**legend, "y": 0.42, "yanchor": "top"},
        annotations=[_title(label, columns[c], 14) for c, (_, label) in enumerate(SUMMARY_METRICS)],
    )
    traces = []
    for c, (key, _) in enumerate(SUMMARY_METRICS):
        for row in (0, 1):
            n = row * len(SUMMARY_METRICS) + c + 1
            axis = "" if n == 1 else str(n)
            ticks = sweep.betas if row == 0 else sweep.latent_dims
            layout[f"xaxis{axis}"] = {
                **_AXIS,
                "domain": columns[c],
                "anchor": f"y{axis}",
                "type": "log",
                "tickvals": ticks,
                "ticktext": [f"{t:g}" for t in ticks],
                "tickfont": {"size": 12},
                "title": {"text": "β" if row == 0 else "latent size k", "font": {"size": 14}, "standoff": 4},
            }
            layout[f"yaxis{axis}"] = {
                **_AXIS,
                "domain": [0.57, 0.95] if row == 0 else [0.0, 0.38],
                "anchor": f"x{axis}",
                "tickfont": {"size": 12},
            }
            traces += _summary_lines(sweep, key, row, axis, show_legend=c == 0)
    return {"data": traces, "layout": layout}


def _summary_lines(sweep: Sweep, key: str, row: int, axis: str, show_legend: bool) -> list[dict]:
    """Metric ``key`` against β, a line per latent size (row 0), or against k, a line per β (row 1)."""
    if row == 0:
        lines = [
            (
                f"k = {k}",
                k_colour(i),
                sorted((m for m in sweep.models if m["latent_dim"] == k), key=lambda m: m["beta"]),
                "beta",
            )
            for i, k in enumerate(sweep.latent_dims)
        ]
    else:
        lines = [
            (
                f"β = {b:g}",
                beta_colour(b),
                sorted((m for m in sweep.models if m["beta"] == b), key=lambda m: m["latent_dim"]),
                "latent_dim",
            )
            for b in sweep.betas
        ]
    return [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": name,
            "legendgroup": name,
            "legend": "legend" if row == 0 else "legend2",
            "showlegend": show_legend,
            "x": [m[along] for m in models],
            "y": [active_units(m) if key == "active" else m[key] for m in models],
            "line": {"color": colour, "width": 2},
            "marker": {"size": 6},
            "xaxis": f"x{axis}",
            "yaxis": f"y{axis}",
            "hovertemplate": f"{name}, {'β' if along == 'beta' else 'k'} = %{{x}}: %{{y:.4g}}<extra></extra>",
        }
        for name, colour, models, along in lines
    ]


def findings(sweep: Sweep, better: float = 0.05) -> str:
    """What the sweep shows about k, in one sentence: for each β, the latent size past which reconstructions stop
    improving (no larger k has an MSE more than ``better`` lower) and how many dims it uses at most there."""
    stops: dict[int, list[str]] = {}
    widest = max(sweep.latent_dims)
    for b in sweep.betas:
        row = sorted((m for m in sweep.models if m["beta"] == b), key=lambda m: m["latent_dim"])
        if len(row) < 2:
            continue
        mse = [m["mse_per_pixel"] for m in row]
        i = next(i for i in range(len(row)) if min(mse[i:]) >= mse[i] * (1 - better))
        used = max(active_units(m) for m in row)
        stops.setdefault(row[i]["latent_dim"], []).append(
            f"{b:g}" if row[i]["latent_dim"] == widest else f"{b:g} ({used} dims used)"
        )
    if not stops:
        return ""
    parts = [f"past k = {k} for β = {', '.join(betas)}" for k, betas in sorted(stops.items()) if k != widest]
    text = "Reconstructions stop improving " + "; ".join(parts) + "." if parts else ""
    if widest in stops:
        text += f" They still improve at k = {widest} for β = {', '.join(stops[widest])}."
    return text.strip()
