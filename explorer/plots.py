"""Plotly figures: latent maps (WebGL scatter), loss curves, explained variance.

Every latent map carries the test-set index of each point in ``customdata`` and its model's kind in
``layout.meta``, which the page script (``explorer/static/bridge.js``) reads to report clicks; the
last two traces are the "selected" ring and the "your image" star, which the script can move.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import torch

from .store import KIND_LABEL, ModelEntry

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf"]
FONT = dict(size=14, family="Inter, system-ui, sans-serif")


def latent_map(entry: ModelEntry, xy: torch.Tensor, view: str, class_names: list[str] | None,
               label_name: str, selected: int | None = None, yours: torch.Tensor | None = None) -> go.Figure:
    """A scatter of the test codes' 2-D positions ``xy`` (N, 2), coloured by label.

    ``selected``: a test index to ring. ``yours``: (2,) position of the user's own image, or None.
    """
    xy_np = xy.numpy().astype(np.float32)
    labels = entry.labels.numpy()
    index = np.arange(len(labels))
    figure = go.Figure()
    if class_names and len(class_names) <= 12:  # one trace per class: a legend, and no per-point strings
        for c, name in enumerate(class_names):
            mask = labels == c
            figure.add_trace(go.Scattergl(
                x=xy_np[mask, 0], y=xy_np[mask, 1], mode="markers", name=name, customdata=index[mask].astype(np.int32),
                hovertemplate=f"{label_name} %{{fullData.name}}<br>#%{{customdata}}<extra></extra>",
                marker=dict(size=4, color=PALETTE[c % 10], opacity=0.7)))
    else:
        figure.add_trace(go.Scattergl(
            x=xy_np[:, 0], y=xy_np[:, 1], mode="markers", name=label_name, customdata=index.astype(np.int32),
            hovertemplate=f"{label_name} %{{marker.color}}<br>#%{{customdata}}<extra></extra>", showlegend=False,
            marker=dict(size=7, color=labels, colorscale="Turbo", opacity=0.85,
                        colorbar=dict(title=dict(text=label_name), thickness=12))))
    sel = [] if selected is None else [selected]
    figure.add_trace(go.Scatter(
        x=xy_np[sel, 0], y=xy_np[sel, 1], mode="markers", name="selected", customdata=sel, hoverinfo="skip",
        marker=dict(size=26, symbol="circle-open", color="black", line=dict(width=4)), showlegend=False))
    mine = [] if yours is None else [yours.tolist()]
    figure.add_trace(go.Scatter(
        x=[p[0] for p in mine], y=[p[1] for p in mine], mode="markers", name="your image", hoverinfo="skip",
        marker=dict(size=20, symbol="star", color="gold", line=dict(color="black", width=1.5)),
        showlegend=bool(mine)))
    axis = {"dims": ("z₁", "z₂"), "pca": ("PC 1 of z", "PC 2 of z"), "umap": ("UMAP 1", "UMAP 2")}[view]
    mse = entry.meta["metrics"]["mse_per_pixel"]
    figure.update_layout(
        title=dict(text=f"<b>{entry.label}</b>  ·  test MSE {mse:.4f}", x=0.02, font=dict(size=17)),
        template="plotly_white", font=FONT, height=430, margin=dict(l=50, r=10, t=45, b=40),
        xaxis_title=axis[0], yaxis_title=axis[1], dragmode="pan", hovermode="closest",
        legend=dict(itemsizing="constant", font=dict(size=13), orientation="v", x=1.0, xanchor="left"),
        meta={"model": entry.kind, "view": view, "clickable_space": view == "dims" and entry.latent_dim == 2},
        uirevision=f"{entry.name}-{view}")
    return figure


def loss_curves(entries: list[ModelEntry]) -> go.Figure:
    """Per-epoch test curves: reconstruction term (left) and KL (right, VAEs), nats per image."""
    from plotly.subplots import make_subplots

    titles = ("Reconstruction −log p(x|z) (solid) and total loss (dotted)", "KL(q(z|x) ‖ p(z))")
    figure = make_subplots(rows=1, cols=2, subplot_titles=titles)
    for i, entry in enumerate(e for e in entries if e.meta.get("curves")):
        curves = entry.meta["curves"]
        epochs = list(range(1, len(curves["test_recon"]) + 1))
        style = dict(color=PALETTE[i + 1], width=3)
        figure.add_trace(go.Scatter(x=epochs, y=curves["test_recon"], name=f"{entry.label} reconstruction",
                                    line=style), 1, 1)
        if "test_kl" in curves:
            figure.add_trace(go.Scatter(x=epochs, y=curves["test_loss"], name=f"{entry.label} total",
                                        line=dict(style, dash="dot")), 1, 1)
            figure.add_trace(go.Scatter(x=epochs, y=curves["test_kl"], name=f"{entry.label} KL",
                                        line=dict(style, dash="dash")), 1, 2)
    figure.update_layout(template="plotly_white", font=FONT, height=420, margin=dict(l=60, r=10, t=50, b=40),
                         legend=dict(orientation="h", y=-0.18))
    figure.update_xaxes(title_text="epoch")
    figure.update_yaxes(title_text="nats / image", col=1)
    return figure


def explained_variance(entry: ModelEntry | None) -> go.Figure:
    """PCA's explained-variance ratio per component and its running total."""
    figure = go.Figure()
    if entry is not None:
        ratio = np.asarray(entry.meta["metrics"]["explained_variance_ratio"])
        k = np.arange(1, len(ratio) + 1)
        figure.add_trace(go.Bar(x=k, y=ratio, name="per component", marker_color=PALETTE[0]))
        figure.add_trace(go.Scatter(x=k, y=np.cumsum(ratio), name="cumulative", mode="lines+markers",
                                    marker_color=PALETTE[1]))
    figure.update_layout(template="plotly_white", font=FONT, height=400, margin=dict(l=60, r=10, t=40, b=40),
                         title=f"{KIND_LABEL['pca']} explained variance ratio", xaxis_title="component",
                         yaxis=dict(tickformat=".0%", range=[0, 1]))
    return figure
