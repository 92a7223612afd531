"""The numbers a lesson states and the page shows, each computed by one function here (so the two never differ).

A lesson's text names one as ``{measure:model}`` (``{inside_2sd:mnist-ae-z2}``); the page shows the same value
where the step's evidence is (a map's title, the code spread's title, a picture's caption). :data:`MEASURES` maps
each name to (what it is, the function of a model entry that gives its text).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import torch

from explorer.core.anomaly import auc
from explorer.core.entries import ModelEntry
from explorer.core.latent import denoised, sample_indices
from training.models import corrupt
from training.objectives import active_units


def inside_ring(entry: ModelEntry, sigmas: float = 2.0) -> float:
    """The share of the test codes inside the ``sigmas`` ring of the model's sampling Gaussian, in the map of its
    first two dimensions (for N(0, I): 2 sigma holds 86% of the draws in two dimensions)."""
    mean, std = entry.prior()
    u = (entry.z[:, :2] - mean[:2]) / std[:2]
    return float((u.pow(2).sum(1) <= sigmas**2).float().mean())


def hole_mass(entry: ModelEntry) -> float:
    """The share of the prior's mass where the test codes are less dense than the prior (2-D models): the prior
    holes layer, integrated."""
    xs, ys = entry.layer_grid
    cell = float((xs[1] - xs[0]) * (ys[1] - ys[0]))
    return float(entry.prior_holes.sum()) * cell


def nearest_code(entry: ModelEntry) -> float:
    """How far the test code nearest the sampling Gaussian's centre lies from it, in its standard deviations."""
    mean, std = entry.prior()
    return float(((entry.z - mean) / std).norm(dim=1).min())


def spread(entry: ModelEntry) -> float:
    """How many times wider than the sampling Gaussian the codes spread, per dimension (the median over
    dimensions of the codes' 95% range over the Gaussian's)."""
    _, std = entry.prior()
    q = torch.quantile(entry.z.float(), torch.tensor([0.025, 0.975]), dim=0)
    return float(((q[1] - q[0]) / (2 * 1.96 * std)).median())


DENOISE = ("gaussian", 0.5, 0, 8)  # the Reconstruction tab at noise 0.5, seed 0: its 8 test images


def denoised_error(entry: ModelEntry, store) -> float:
    """The mean error against the clean images of ``entry``'s outputs given the Reconstruction tab's 8 test images
    (seed 0) with Gaussian noise of σ = 0.5: the number its picture's label shows for the model."""
    corruption, level, seed, count = DENOISE
    images = store.images(entry.dataset).images
    indices = sample_indices(min(len(images), len(entry.z)), seed, count)
    x = images[indices]
    noisy = corrupt(x, corruption, level, torch.Generator().manual_seed(seed))
    return float(denoised(entry, x, noisy, indices)[1].mean())


def test_mse(entry: ModelEntry) -> float:
    """The test set's mean squared error per pixel, as the checkpoint measured it."""
    return float(entry.meta["metrics"]["mse_per_pixel"])


def _percent(value: float) -> str:
    return f"{value:.0%}"


MEASURES: dict[str, tuple[str, Callable[[ModelEntry], str]]] = {  # of the model alone
    "inside_2sd": ("codes inside the 2σ ring", lambda e: _percent(inside_ring(e))),
    "hole_mass": ("the prior's mass in holes", lambda e: _percent(hole_mass(e))),
    "nearest": ("nearest code to the centre", lambda e: f"{nearest_code(e):.1f}"),
    "spread": ("how much wider the codes spread", lambda e: f"{spread(e):.1f}"),
    "active": ("active dimensions", lambda e: f"{active_units(e.importance)} of {e.latent_dim}"),
    "mse": ("test MSE per pixel", lambda e: f"{test_mse(e):.4f}"),
}
DATA_MEASURES: dict[str, tuple[str, Callable]] = {  # of the model and the test images (a Store): f(entry, store)
    "denoised": ("error against the clean images at noise 0.5", lambda e, s: f"{denoised_error(e, s):.4f}"),
    "auc_fashion": (
        "AUC of the reconstruction error against Fashion-MNIST",
        lambda e, s: f"{auc(s, e, 'fashion-mnist'):.3f}",
    ),
    "auc_flipped": (
        "AUC of the reconstruction error against flipped digits",
        lambda e, s: f"{auc(s, e, 'flipped'):.3f}",
    ),
}
PLACEHOLDER = re.compile(r"\{(\w+):([A-Za-z0-9][A-Za-z0-9._=-]*)\}")


def measure(name: str, entry: ModelEntry, store=None) -> str:
    """The text of measure ``name`` for ``entry``, as the page shows it (a measure of :data:`DATA_MEASURES` reads
    the test images of ``store``)."""
    if name in DATA_MEASURES:
        return DATA_MEASURES[name][1](entry, store)
    return MEASURES[name][1](entry)


def placeholders(text: str) -> list[tuple[str, str]]:
    """The (measure, model) pairs a text names as ``{measure:model}``."""
    return PLACEHOLDER.findall(text)


def fill(text: str, entries: dict[str, ModelEntry], store=None) -> str:
    """``text`` with each ``{measure:model}`` replaced by its value (a model not in ``entries`` keeps the
    placeholder, which the lesson's check at start refuses; so does a measure of the test images without
    ``store``)."""

    def value(match: re.Match) -> str:
        name, model = match.groups()
        known = name in MEASURES or (name in DATA_MEASURES and store is not None)
        return measure(name, entries[model], store) if known and model in entries else match.group(0)

    return PLACEHOLDER.sub(value, text)


def ring_share(sigmas: float, dims: int = 2) -> float:
    """The share of a standard normal's draws inside radius ``sigmas``, in ``dims`` dimensions (2: 39%, 86%)."""
    return float(torch.special.gammainc(torch.tensor(dims / 2), torch.tensor(sigmas**2 / 2))) if dims else math.nan
