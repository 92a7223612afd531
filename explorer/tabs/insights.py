"""Insights tab: loss curves, PCA's explained variance, and every model's test metrics."""

from __future__ import annotations

import gradio as gr

from .. import components
from ..page import Page
from ..plots import explained_variance, loss_curves
from ..store import Lineup

TITLE = "Insights"
LOOK = ("How training went and how the models compare: lower MSE is a sharper reconstruction; the VAE trades "
        "some of it for a latent space you can sample.")
HEADERS = ["checkpoint", "model", "k", "test MSE/pixel", "test loss (nats)", "IW bound (nats)", "active units",
           "train s"]


def build(page: Page) -> None:
    gr.Markdown(LOOK, elem_classes="look")
    with gr.Row():
        with gr.Column(scale=2):
            curves = components.plot("le-curves", height="400px")
        with gr.Column(scale=1):
            variance = components.plot("le-variance", height="400px")
    metrics = gr.Dataframe(headers=HEADERS, interactive=False, label="Metrics (test set)", elem_id="le-metrics")

    def show(lineup: Lineup) -> dict:
        rows = []
        for entry in page.store.models(lineup.dataset, lineup.latent_dim, [m.name for m in lineup.models]):
            m = entry.meta["metrics"]
            rows.append([entry.name, entry.label, entry.latent_dim, f"{m['mse_per_pixel']:.4f}",
                         f"{m['test_loss']:.2f}" if "test_loss" in m else "–",
                         f"{m['iw_nll']:.2f}" if "iw_nll" in m else "–",
                         f"{m['active_units']} / {entry.latent_dim}" if "active_units" in m else "–",
                         f"{entry.meta['training_seconds']:.0f}"])
        widest = max(page.store.latent_dims(lineup.dataset))
        pca = next((e for e in page.store.models(lineup.dataset, widest)
                    if "explained_variance_ratio" in e.meta["metrics"]), None)
        return {curves: loss_curves(lineup.models), variance: explained_variance(pca), metrics: rows}

    page.subscribe("lineup", show, [], [curves, variance, metrics])
