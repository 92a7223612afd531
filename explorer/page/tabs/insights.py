"""Insights tab: loss curves, PCA's explained variance, and every model's test metrics."""

from __future__ import annotations

import gradio as gr

from explorer.core.store import Lineup, Store
from explorer.page import components
from explorer.page.context import Page
from explorer.page.header import Header
from explorer.views.plots import explained_variance, loss_curves
from training.objectives import active_units

TITLE = "Insights"
LOOK = (
    "How training went and how the models compare: lower MSE is a sharper reconstruction; the VAE trades "
    "some of it for a latent space you can sample."
)
HEADERS = [
    "checkpoint",
    "model",
    "k",
    "test MSE/pixel",
    "test loss (nats)",
    "IW bound (nats)",
    "active dims",
    "train s",
]


# ---- views: no Gradio ---------------------------------------------------------------------------------------------


def metrics_rows(store: Store, lineup: Lineup) -> list[list]:
    """One row of test metrics per model offered at the lineup's dataset and k (see :data:`HEADERS`)."""
    rows = []
    for entry in store.models(lineup.dataset, lineup.latent_dim, [m.name for m in lineup.models]):
        m = entry.meta["metrics"]
        rows.append(
            [
                entry.name,
                entry.label,
                entry.latent_dim,
                f"{m['mse_per_pixel']:.4f}",
                f"{m['test_loss']:.2f}" if "test_loss" in m else "–",
                f"{m['iw_nll']:.2f}" if "iw_nll" in m else "–",
                f"{active_units(m['kl_per_dim'])} / {entry.latent_dim}" if "kl_per_dim" in m else "–",
                f"{entry.meta['training_seconds']:.0f}",
            ]
        )
    return rows


def variance_figure(store: Store, dataset: str) -> dict:
    """PCA's explained variance at the dataset's widest latent size (an empty chart without a PCA)."""
    widest = max(store.latent_dims(dataset))
    pca = next((e for e in store.models(dataset, widest) if "explained_variance_ratio" in e.meta["metrics"]), None)
    return explained_variance(pca)


# ---- layout and handlers --------------------------------------------------------------------------------------------


class Tab:
    def __init__(self, page: Page, header: Header):
        self.page, self.header = page, header
        gr.Markdown(LOOK, elem_classes="look")
        with gr.Row():
            with gr.Column(scale=2):
                self.curves = components.plot("le-curves", height="400px")
            with gr.Column(scale=1):
                self.variance = components.plot("le-variance", height="400px")
        self.metrics = gr.Dataframe(
            headers=HEADERS, interactive=False, label="Metrics (test set)", elem_id="le-metrics"
        )

    def show(self, lineup: Lineup) -> dict:
        store = self.page.store
        return {
            self.curves: loss_curves(lineup.models),
            self.variance: variance_figure(store, lineup.dataset),
            self.metrics: metrics_rows(store, lineup),
        }

    def wire(self) -> None:
        """Nothing of its own: it follows the lineup (:mod:`explorer.page.changes`)."""
