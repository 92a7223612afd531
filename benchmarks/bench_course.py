"""The figures of the rest of the course on the committed zoo (MNIST): each model as a denoiser at several noise
levels, each model's anomaly AUCs against every outside set and score, and the conditional VAE's class accuracy as
read by a small classifier trained here.

    python benchmarks/bench_course.py [--data-dir ../shared/data]

Writes benchmarks/results/course.json and prints the tables (2,000 test digits for denoising, 1,000 per set for
the AUCs: explorer.core.anomaly.N_IMAGES).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from explorer.core import anomaly  # noqa: E402
from explorer.core.store import Store  # noqa: E402
from training import load_dataset  # noqa: E402
from training.models import corrupt  # noqa: E402

NOISE = (0.0, 0.25, 0.5, 0.75)


def denoising(store: Store) -> dict:
    out = {}
    for k in (2, 16):
        lineup = store.lineup("mnist", k, [f"mnist-{kind}-z{k}" for kind in ("pca", "ae", "dae", "vae", "cvae")])
        x = lineup.images.images[:2000]
        for level in NOISE:
            given = corrupt(x, "gaussian", level, torch.Generator().manual_seed(0)) if level else x
            for entry in lineup.models:
                y = entry.own_classes(slice(0, 2000))
                error = float((entry.decode(entry.encode(given, y), y) - x).pow(2).mean())
                out.setdefault(f"k={k}", {}).setdefault(entry.label, {})[f"σ={level:g}"] = round(error, 4)
    return out


def aucs(store: Store) -> dict:
    out = {}
    fashion = store.images("fashion-mnist").images[: anomaly.N_IMAGES]
    for k in (2, 16):
        lineup = store.lineup("mnist", k, [f"mnist-{kind}-z{k}" for kind in ("pca", "ae", "dae", "vae", "cvae")])
        test = lineup.images.images[: anomaly.N_IMAGES]
        outside = anomaly.outside_sets("mnist", test, {"fashion-mnist": fashion})
        for entry in lineup.models:
            inside = anomaly.scores(entry, test)
            for name, images in outside.items():
                theirs = anomaly.scores(entry, images)
                for score in inside:
                    auc = round(anomaly.roc_auc(inside[score], theirs[score]), 3)
                    out.setdefault(f"k={k}", {}).setdefault(f"{entry.label} {score}", {})[name] = auc
    return out


def cvae_accuracy(store: Store, data_dir) -> dict:
    train, test, _ = load_dataset("mnist", data_dir, download=False)
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
    optimiser = torch.optim.Adam(net.parameters(), lr=1e-3)
    for _ in range(5):
        for i in torch.randperm(60000).split(128):
            optimiser.zero_grad()
            torch.nn.functional.cross_entropy(net(train.images[i]), train.labels[i]).backward()
            optimiser.step()
    out = {}
    with torch.no_grad():
        out["classifier on test digits"] = round(float((net(test.images).argmax(1) == test.labels).float().mean()), 4)
        for k in (2, 16):
            cvae = store.entries[f"mnist-cvae-z{k}"]
            z = torch.randn(1000, k, generator=torch.Generator().manual_seed(1))
            y = torch.arange(10).repeat_interleave(100)
            out[f"CVAE k={k}: draws read as the class asked for"] = round(
                float((net(cvae.decode(z, y)).argmax(1) == y).float().mean()), 4
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    args = parser.parse_args()
    store = Store.load(ROOT / "checkpoints", args.data_dir)
    result = {
        "machine": f"{platform.machine()} {platform.processor() or ''} {torch.get_num_threads()} threads".strip(),
        "denoising MSE against the clean digits, Gaussian noise σ": denoising(store),
        "anomaly ROC AUC (MNIST test vs each set)": aucs(store),
        "CVAE class accuracy": cvae_accuracy(store, args.data_dir),
    }
    path = ROOT / "benchmarks" / "results" / "course.json"
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    print(json.dumps(result, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
