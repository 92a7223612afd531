"""Anomaly and out-of-distribution detection: a model reconstructs what it has seen and fails on what it has not.

Each model gives every image a score, larger for a more unusual image (:func:`scores`):

- ``recon``: the reconstruction error, mean squared per pixel (every kind);
- ``elbo``: the negative ELBO in nats (VAEs): −log p(x|z) at the posterior mean plus KL(q(z|x) ‖ p(z));
- ``iw``: the importance-weighted bound on −log p(x) in nats (VAEs, :data:`IW_SAMPLES` samples).

A conditional model scores an image under the class that reconstructs it best (:func:`best_classes`).
The test set is scored against out-of-distribution sets (:func:`outside_sets`: another dataset, noise, the test
images flipped or rotated), and :func:`roc_auc` says how well each score separates them: 0.5 is chance, 1 perfect.
Which kind separates best is measured here, not assumed. No Gradio here.
"""

from __future__ import annotations

import threading

import numpy as np
import torch

from explorer.core.entries import ModelEntry
from training.evaluate import decoder_nll, iw_nll

SCORES = {"recon": "reconstruction error (MSE)", "elbo": "−ELBO (nats)", "iw": "IW bound on −log p(x) (nats)"}
SHORT_SCORES = {"recon": "MSE", "elbo": "−ELBO", "iw": "IW bound"}
IW_SAMPLES = 20
N_IMAGES = 1000  # test images (and of each outside set) scored: an AUC to about ±0.01, a few seconds a model on a CPU
OUTSIDE = {  # name: what it is, for the page
    "fashion-mnist": "Fashion-MNIST clothes",
    "mnist": "MNIST digits",
    "noise": "uniform noise",
    "flipped": "test images flipped left to right",
    "rotated": "test images turned 90°",
}
SHORT = {
    "fashion-mnist": "Fashion-MNIST",
    "mnist": "MNIST",
    "noise": "noise",
    "flipped": "flipped",
    "rotated": "turned",
}


@torch.no_grad()
def scores(entry: ModelEntry, x: torch.Tensor, seed: int = 0, batch: int = 500) -> dict[str, torch.Tensor]:
    """Every score (:data:`SCORES`) ``entry`` gives the images x (n, C, H, W), each (n,), larger is more unusual.
    A conditional model: each image under the class that explains it best."""
    if entry.conditional:
        return _scores(entry, x, best_classes(entry, x, batch), seed, batch)
    return _scores(entry, x, None, seed, batch)


def best_classes(entry: ModelEntry, x: torch.Tensor, batch: int = 500) -> torch.Tensor:
    """For a conditional model, the class (n,) under which each image is reconstructed best."""
    errors = []
    for c in range(entry.model.config.n_classes):
        per_class = []
        for start in range(0, len(x), batch):
            part = x[start : start + batch].float()
            y = entry.class_of(None, c, len(part))
            per_class.append((entry.decode(entry.encode(part, y), y) - part).pow(2).flatten(1).mean(1))
        errors.append(torch.cat(per_class))
    return torch.stack(errors).argmin(0)


def _scores(entry: ModelEntry, x: torch.Tensor, y, seed: int, batch: int) -> dict[str, list]:
    out: dict[str, list] = {}
    generator = torch.Generator().manual_seed(seed)
    for start in range(0, len(x), batch):
        part = x[start : start + batch].float()
        yp = None if y is None else y[start : start + batch]
        recon = entry.decode(entry.encode(part, yp), yp)
        out.setdefault("recon", []).append((recon - part).pow(2).flatten(1).mean(1))
        q = entry.posterior(part, yp)
        if q is not None:
            model = entry.model
            kl = (-0.5 * (1 + q.logvar - q.mean.pow(2) - q.logvar.exp())).sum(1)
            out.setdefault("elbo", []).append(decoder_nll(model, q.mean, part, yp) + kl)
            out.setdefault("iw", []).append(iw_nll(model, part, yp, q, IW_SAMPLES, generator))
    return {name: torch.cat(values) for name, values in out.items()}


def outside_sets(dataset: str, test: torch.Tensor, others: dict[str, torch.Tensor], n: int = N_IMAGES, seed: int = 0):
    """Out-of-distribution images for a model of ``dataset``, each (n, C, H, W) in [0, 1]: another dataset of the
    same shape (``others``: name -> test images) where there is one, uniform noise, and the test images flipped left
    to right and turned 90° (square images only)."""
    generator = torch.Generator().manual_seed(seed)
    shape = test.shape[1:]
    sets = {name: images[:n] for name, images in others.items() if name != dataset and images.shape[1:] == shape}
    sets["noise"] = torch.rand(n, *shape, generator=generator)
    sets["flipped"] = test[:n].flip(-1)
    if shape[-1] == shape[-2]:
        sets["rotated"] = test[:n].rot90(1, (-2, -1))
    return sets


def roc_auc(inside: torch.Tensor, outside: torch.Tensor) -> float:
    """The area under the ROC curve of telling ``outside`` scores from ``inside`` ones by "larger is outside":
    the chance that a random outside image scores above a random inside one (ties count half)."""
    from sklearn.metrics import roc_auc_score

    labels = np.r_[np.zeros(len(inside)), np.ones(len(outside))]
    return float(roc_auc_score(labels, np.r_[inside.numpy(), outside.numpy()]))


def percentile(score: float, inside: torch.Tensor) -> float:
    """The share (0 to 1) of the test images scoring below ``score``: "more unusual than 97% of test digits"."""
    return float((inside < score).float().mean())


def extremes(inside: torch.Tensor, n: int = 8) -> tuple[list[int], list[int]]:
    """Indices of the ``n`` most typical (lowest scores) and the ``n`` most unusual (highest) test images."""
    order = torch.argsort(inside)
    return order[:n].tolist(), order.flip(0)[:n].tolist()


_RESULTS: dict[tuple[int, str], dict] = {}
_LOCK = threading.Lock()


def results(store, entry: ModelEntry) -> dict:
    """``entry``'s scores of the first :data:`N_IMAGES` test images of its dataset and of each outside set (the other
    datasets of ``store`` with real images, noise, flipped and turned test images), computed once per store and
    model (a few seconds on a CPU) and kept: {"inside": {score: (n,)}, "outside": {set: {score: (n,)}}}. The page's
    Anomalies tab and a lesson's numbers both read them."""
    key = (id(store), entry.name)
    with _LOCK:
        if key not in _RESULTS:
            test = store.images(entry.dataset).images[:N_IMAGES]
            others = {}
            for name in store.datasets():
                images = store.images(name)
                if name != entry.dataset and images.originals:
                    others[name] = images.images[:N_IMAGES]
            outside = outside_sets(entry.dataset, test, others)
            _RESULTS[key] = {
                "inside": scores(entry, test),
                "outside": {name: scores(entry, images) for name, images in outside.items()},
            }
        return _RESULTS[key]


def auc(store, entry: ModelEntry, outside: str, score: str = "recon") -> float:
    """The ROC AUC of ``entry``'s ``score`` (its reconstruction error where it gives no other) against ``outside``."""
    found = results(store, entry)
    used = score if score in entry.anomaly_scores else "recon"
    return roc_auc(found["inside"][used], found["outside"][outside][used])
