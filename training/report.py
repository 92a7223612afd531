"""The metrics table of the README, generated from the checkpoints' JSON files."""

from __future__ import annotations

import re
from pathlib import Path

from .checkpoint import list_checkpoints, load_metadata
from .objectives import active_units

START, END = "<!-- metrics:start -->", "<!-- metrics:end -->"


def _fmt(value, digits: int = 4) -> str:
    return "–" if value is None else f"{value:.{digits}g}" if isinstance(value, float) else str(value)


def metrics_table(root: str | Path = "checkpoints") -> str:
    """A Markdown table, one row per checkpoint under ``root``."""
    header = (
        "| checkpoint | model | k | β | test MSE / pixel | test loss (BCE+KL) | IW bound (k samples) "
        "| active units | explained var. | train time |"
    )
    rows = [header, "|---|---|---|---|---|---|---|---|---|---|"]
    for path in list_checkpoints(root):
        meta = load_metadata(path)
        m, model = meta["metrics"], meta["model"]
        iw = f"{m['iw_nll']:.2f} ({m['iw_samples']})" if "iw_nll" in m else "–"
        active = f"{active_units(m['kl_per_dim'])} / {model['latent_dim']}" if "kl_per_dim" in m else "–"
        evr = f"{sum(m['explained_variance_ratio']):.1%}" if "explained_variance_ratio" in m else "–"
        loss = f"{m['test_loss']:.2f}" if "test_loss" in m else "–"
        beta = _fmt(model["beta"], 3) if model["kind"] == "vae" else "–"
        method = model["backbone"] if model["kind"] != "pca" else "SVD"
        rows.append(
            f"| `{meta['name']}` | {model['kind'].upper()} ({method}) "
            f"| {model['latent_dim']} | {beta} | {m['mse_per_pixel']:.4f} | {loss} | {iw} | {active} | {evr} "
            f"| {meta['training_seconds']:.0f} s |"
        )
    return "\n".join(rows)


def update_readme(readme: str | Path = "README.md", root: str | Path = "checkpoints") -> bool:
    """Replace the text between the metrics markers in ``readme``; True if the file changed."""
    readme = Path(readme)
    try:
        text = readme.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(
            f"cannot read {readme} ({getattr(error, 'strerror', None) or error}); give --readme the "
            "path of the README to update"
        ) from None
    if START not in text or END not in text:
        raise ValueError(f"{readme} has no {START} ... {END} markers")
    new = re.sub(
        re.escape(START) + ".*?" + re.escape(END), lambda _: f"{START}\n{metrics_table(root)}\n{END}", text, flags=re.S
    )
    try:
        readme.write_text(new, encoding="utf-8")
    except OSError as error:
        raise ValueError(f"cannot write {readme} ({error.strerror or error})") from None
    return new != text
