"""Training speed and quality: our tensor loop vs the plain DataLoader + ToTensor loop.

Setup (the PyTorch examples VAE): MNIST, MLP VAE 784-400-20, Bernoulli (BCE) decoder, Adam 1e-3,
batch 128, 10 epochs. Both loops train the same model class from the same seed on the same
machine, in this one run; both report the test loss (BCE summed over pixels + KL, per image).

    python benchmarks/bench_training.py [--epochs 10] [--seeds 3] [--device auto] [--data-dir ../shared/data]

Prints a table and writes benchmarks/results/training-<device>.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from training import ModelConfig, TrainConfig, build_model, train  # noqa: E402
from training.data import resolve_data_dir  # noqa: E402
from training.train import resolve_device  # noqa: E402


def plain_loop(epochs: int, device: torch.device, data_dir: Path, seed: int = 0) -> dict:
    """The PyTorch examples loop: per-item PIL -> ToTensor, DataLoader batches, host -> device copies."""
    from torchvision import datasets, transforms

    torch.manual_seed(seed)
    to_tensor = transforms.ToTensor()
    train_set = datasets.MNIST(str(data_dir), train=True, download=False, transform=to_tensor)
    test_set = datasets.MNIST(str(data_dir), train=False, download=False, transform=to_tensor)
    train_loader = torch.utils.data.DataLoader(train_set, batch_size=128, shuffle=True)
    test_loader = torch.utils.data.DataLoader(test_set, batch_size=128)
    model = build_model(ModelConfig(kind="vae", latent_dim=20, hidden_dim=400)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    epoch_seconds = []
    for _ in range(epochs):
        model.train()
        start = time.perf_counter()
        for x, _ in train_loader:
            x = x.to(device)
            loss = model.loss(x)["loss"]
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        epoch_seconds.append(time.perf_counter() - start)
    model.eval()
    total = 0.0
    with torch.no_grad():
        for x, _ in test_loader:
            out = model.loss(x.to(device))
            total += float(out["recon"] + out["kl"]) * len(x)
    return {"seconds_per_epoch": sum(epoch_seconds) / epochs, "test_loss": total / len(test_set)}


def tensor_loop(epochs: int, device: torch.device, data_dir: Path, seed: int = 0) -> dict:
    config = TrainConfig(
        dataset="mnist",
        model=ModelConfig(kind="vae", latent_dim=20, hidden_dim=400),
        epochs=epochs,
        batch_size=128,
        lr=1e-3,
        seed=seed,
        device=str(device),
        umap=False,
    )
    start = time.perf_counter()
    checkpoint = train(config, out_dir=None, data_dir=data_dir, download=False, progress=False)
    total = time.perf_counter() - start
    # training_seconds covers the epochs (and the per-epoch test pass that fills the curves).
    return {
        "seconds_per_epoch": checkpoint.meta["training_seconds"] / epochs,
        "test_loss": checkpoint.meta["metrics"]["test_loss"],
        "wall_seconds_incl_data_and_eval": total,
        "test_loss_curve": checkpoint.meta["curves"]["test_loss"],
    }


def _summary(runs: list[dict]) -> dict:
    out = {"runs": runs}
    for key in ("seconds_per_epoch", "test_loss"):
        values = [r[key] for r in runs]
        out[key] = statistics.mean(values)
        out[f"{key}_std"] = statistics.stdev(values) if len(values) > 1 else 0.0
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seeds", type=int, default=3, help="repeat each loop with seeds 0..N-1 (loss varies ~0.2)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--skip-plain", action="store_true", help="only time our loop")
    args = parser.parse_args()
    device = resolve_device(args.device)
    data_dir = resolve_data_dir(args.data_dir)
    seeds = range(args.seeds)
    results = {
        "device": str(device),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "machine": platform.machine(),
        "epochs": args.epochs,
        "seeds": list(seeds),
        "ours": _summary([tensor_loop(args.epochs, device, data_dir, s) for s in seeds]),
    }
    if not args.skip_plain:
        results["plain"] = _summary([plain_loop(args.epochs, device, data_dir, s) for s in seeds])
        results["speedup"] = results["plain"]["seconds_per_epoch"] / results["ours"]["seconds_per_epoch"]
    print(f"{'loop':<10}{'s/epoch':>16}{'test loss':>18}   ({len(seeds)} seeds, mean ± std)")
    for key in ("plain", "ours"):
        if key in results:
            r = results[key]
            print(
                f"{key:<10}{r['seconds_per_epoch']:>10.2f} ± {r['seconds_per_epoch_std']:.2f}"
                f"{r['test_loss']:>12.2f} ± {r['test_loss_std']:.2f}"
            )
    if "speedup" in results:
        print(f"speed-up: {results['speedup']:.1f}x")
    out = Path(__file__).parent / "results" / f"training-{device.type}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
