"""Anomalies tab: a model reconstructs what it has seen and fails on what it has not. Each model's score of every
test image against images from elsewhere (another dataset, noise, flipped or turned test images), how well the
score tells them apart (ROC AUC), the most typical and most unusual test images, and a picture of your own scored
against the test set ("more unusual than 97% of test digits")."""

from __future__ import annotations

import gradio as gr
import numpy as np

from explorer.core import anomaly
from explorer.core.entries import ModelEntry
from explorer.core.inputs import InputError
from explorer.core.store import Lineup
from explorer.core.uploads import read_picture, upload_payload
from explorer.page import components
from explorer.page.context import HEAVY, PRIVATE, Page, lineup_slug, lineup_words
from explorer.page.header import Header
from explorer.views import safe_html
from explorer.views.images import panel, prepare_upload
from explorer.views.plots import score_histograms
from training.data import DATASETS

TITLE = "Anomalies"
LOOK = (
    "Each model scores every image: how badly it reconstructs it (and for a VAE, −ELBO and the IW bound on "
    "−log p(x)). Test images (blue) against images the models never saw (orange): the further apart, the better "
    "the score detects them. AUC: 0.5 is chance, 1 tells every one apart."
)
SCORE_CHOICES = [(label, name) for name, label in anomaly.SCORES.items()]


# ---- views: no Gradio ---------------------------------------------------------------------------------------------


def score_of(entry: ModelEntry, score: str) -> str:
    """``score`` if ``entry`` gives it, else its reconstruction error."""
    return score if score in entry.anomaly_scores else "recon"


def auc_rows(lineup: Lineup, results: dict, score: str) -> tuple[list[str], list[list]]:
    """(headers, a row per model: its score and its AUC against each outside set)."""
    sets = list(next(iter(results.values()))["outside"])
    headers = ["model", "score", *(f"vs {anomaly.SHORT.get(s, s)}" for s in sets)]
    rows = []
    for entry in lineup.models:
        used, result = score_of(entry, score), results[entry.name]
        aucs = [anomaly.roc_auc(result["inside"][used], result["outside"][s][used]) for s in sets]  # = anomaly.auc
        rows.append([entry.label, anomaly.SHORT_SCORES[used], *(f"{a:.3f}" for a in aucs)])
    return headers, rows


def extremes_picture(lineup: Lineup, results: dict, score: str, n: int = 8) -> np.ndarray:
    """For each model, its most typical and its most unusual test images by ``score``."""
    rows = []
    images = lineup.images.images
    for entry in lineup.models:
        used = score_of(entry, score)
        typical, unusual = anomaly.extremes(results[entry.name]["inside"][used], n)
        rows.append((f"{entry.label}: most typical", images[typical], None))
        rows.append((f"{entry.label}: most unusual", images[unusual], None))
    return panel(rows, factor=2 if images.shape[-1] <= 32 else 1, title="Test images by score", font_size=19)


def yours_words(lineup: Lineup, results: dict, picture, score: str) -> str:
    """How unusual a picture from outside is for each model, against the test images' scores."""
    info = DATASETS.get(lineup.dataset)
    x = prepare_upload(picture, lineup.image_shape, info.upload_style if info else "face")
    noun = info.noun if info else "image"
    parts = []
    for entry in lineup.models:
        used = score_of(entry, score)
        mine = float(anomaly.scores(entry, x)[used][0])
        share = anomaly.percentile(mine, results[entry.name]["inside"][used])
        parts.append(f"<b>{safe_html.text(entry.label)}</b>: more unusual than {share:.0%} of test {noun}s")
    return "<p>Your picture: " + "; ".join(parts) + ".</p>"


# ---- layout, handlers and wiring -----------------------------------------------------------------------------------


class Tab:
    def __init__(self, page: Page, header: Header):
        self.page, self.header = page, header
        with gr.Row(equal_height=True):
            gr.Markdown(LOOK, elem_classes="look")
            self.score = gr.Radio(
                SCORE_CHOICES, value="recon", label="score", scale=0, min_width=420, elem_id="le-score"
            )
            self.outside = gr.Dropdown(  # its choices: the outside sets of the lineup's dataset
                [(anomaly.OUTSIDE[s], s) for s in anomaly.OUTSIDE],
                value="fashion-mnist",
                label="against",
                scale=0,
                min_width=260,
                elem_id="le-outside",
                allow_custom_value=True,
            )
        self.aucs = gr.Dataframe(  # first: the numbers a lesson quotes, then the histograms they come from
            interactive=False, label="ROC AUC: how well each score tells them apart", elem_id="le-aucs"
        )
        self.histograms = components.plot(elem_id="le-histograms", height="280px")
        with gr.Row(equal_height=False):
            self.extremes = components.picture("Most typical and most unusual", elem_id="le-extremes", scale=3)
            with gr.Column(scale=1, min_width=260):
                self.upload = components.upload_box(
                    label="Score a picture of your own", elem_id="le-anomaly-upload", height=170
                )
                self.verdict = gr.HTML(elem_id="le-verdict")

    @property
    def reads(self) -> list:
        return [self.header.tab, self.score, self.outside]

    @property
    def outputs(self) -> list:
        return [self.histograms, self.aucs, self.extremes, self.outside]

    # ---- handlers: {component: value} --------------------------------------------------------------------------
    def show(self, lineup: Lineup, tab, score, outside) -> dict:
        """Everything, when the tab is shown (its scores take a few seconds a model the first time)."""
        if tab != "anomalies":
            return {self.histograms: gr.skip()}
        if score not in anomaly.SCORES:
            raise InputError(f"score must be one of {', '.join(anomaly.SCORES)}, got {score!r}")
        results = {entry.name: anomaly.results(self.page.store, entry) for entry in lineup.models}
        sets = list(next(iter(results.values()))["outside"])
        outside = outside if outside in sets else sets[0]
        headers, rows = auc_rows(lineup, results, score)
        noun = DATASETS[lineup.dataset].noun if lineup.dataset in DATASETS else "image"
        figure = score_histograms(
            lineup.models, results, score, outside, f"test {noun}s", anomaly.OUTSIDE.get(outside, outside)
        )
        alt = f"{lineup_words(lineup)}: each model's most typical and most unusual test images"
        return {
            self.histograms: figure,
            self.aucs: gr.update(value=rows, headers=headers),
            self.extremes: self.page.picture_file(
                extremes_picture(lineup, results, score), f"{lineup_slug(lineup)}-typical-unusual", alt
            ),
            self.outside: gr.update(choices=[(anomaly.OUTSIDE.get(s, s), s) for s in sets], value=outside),
        }

    def score_upload(self, lineup: Lineup, payload, score) -> dict:
        results = {entry.name: anomaly.results(self.page.store, entry) for entry in lineup.models}
        return {self.verdict: yours_words(lineup, results, read_picture(upload_payload(payload)), score)}

    # ---- the tab's own controls ---------------------------------------------------------------------------------
    def wire(self) -> None:
        page, lineup_inputs = self.page, self.header.lineup_inputs
        show = page.on_lineup(self.show)
        gr.on(
            [self.score.input, self.outside.input, self.header.tab.change],
            show,
            [*lineup_inputs, *self.reads],
            self.outputs,
            **PRIVATE,
            **HEAVY,
        )
        self.upload.upload(
            page.on_lineup(self.score_upload),
            [*lineup_inputs, self.upload, self.score],
            [self.verdict],
            **PRIVATE,
            **HEAVY,
        )
