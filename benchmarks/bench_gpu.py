"""Every GPU figure of the GPU issue, in one run of a few minutes on one CUDA GPU (``bash benchmarks/gpu.sh``).

1. The graph path against the eager path: 4 MLP VAEs (beta 1, 4 x k 2, 8), 2 epochs on 10,000 images, same seed,
   once replayed as a CUDA graph and once op by op: whether the graph was used, and the largest difference in
   the models' test losses (float tolerance expected, not equality: a replay may order a sum differently).
2. Sweeps of 1, 7, 35 and 100 models (MNIST, all 60,000 images, 5 epochs), wall from the call to the last model
   evaluated, with graphs; the 35-model sweep again without graphs and with TF32 matmuls, and the test losses
   those two change (TF32's effect on the loss, stated).
3. A loop of ``train()`` over 5 of the 35 models (5 epochs each), scaled to 35: what the batched sweep is measured
   against (the whole loop took 204.7 s on an H200 before; 5 keep this run short).
4. Train pressed -> first live curve point: from the sweep's call to its first "train" event.
5. Watch them learn on the GPU (#19's goal: four models on all 60,000 images, at least 10 frames a second): AE, DAE,
   VAE and beta = 4 raced for 5 epochs as the page would (at most 150 frames of 2,000 codes each), timed frame by
   frame as the trainer keeps them; and a poke's replay there, checked against its frame.

    python benchmarks/bench_gpu.py --data-dir DATA [--out benchmarks/results/gpu.json]

Writes JSON (the machine, torch's version, every figure) to --out and prints it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.bench_sweep import sequential  # noqa: E402
from training.sweep import FULL_BETAS, FULL_LATENT_DIMS, SweepConfig, train_sweep  # noqa: E402
from training.train import TrainConfig  # noqa: E402

BETAS_100 = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)
DIMS_100 = (2, 4, 8, 12, 16, 24, 32, 48, 64, 96)


def sweep(betas, dims, data_dir, epochs=5, train_subset=None, test_subset=None, **train) -> dict:
    """One sweep on the GPU, nothing written: wall seconds, first live point, graphs used, test losses."""
    base = TrainConfig(
        epochs=epochs, train_subset=train_subset, test_subset=test_subset, device="cuda", umap=False, **train
    )
    config = SweepConfig(base, betas, dims)
    events = {"first_point": None, "cuda_graphs": None}
    torch.cuda.synchronize()
    started = time.perf_counter()

    def progress(event):
        if event["event"] == "train" and events["first_point"] is None:
            events["first_point"] = time.perf_counter() - started
        if event["event"] == "epoch":
            events["cuda_graphs"] = event["cuda_graphs"]

    result = train_sweep(config, None, data_dir, download=False, progress=progress)
    torch.cuda.synchronize()
    return {
        "models": len(betas) * len(dims),
        "wall_seconds": round(time.perf_counter() - started, 2),
        "training_seconds": result.summary["training_seconds"],
        "first_live_point_seconds": round(events["first_point"], 3) if events["first_point"] else None,
        "cuda_graphs": events["cuda_graphs"],
        "test_loss": {m["name"]: m["test_loss"] for m in result.summary["models"]},
    }


def race(data, device: str = "cuda", images: int = 60_000, epochs: int = 5) -> dict:
    """The page's race of four models on ``device``: frames kept per second while it trains, the gaps between
    them, and a middle frame's replay against its codes (0: exact)."""
    from explorer.core.races import race_limits, race_request
    from training.race import encode_points, replay, run_race

    limits = race_limits(device)
    limits = type(limits)(images, max(images, limits.most_images), epochs, max(epochs, limits.most_epochs))
    config = race_request("mnist", ["AE", "DAE", "VAE", "β-VAE, β = 4"], epochs, images, ["mnist"], limits, "gpu-race")
    kept = []
    started = time.perf_counter()
    recording, _ = run_race(
        config, data, download=False, device=device, on_frame=lambda f: kept.append(time.perf_counter())
    )
    wall = time.perf_counter() - started
    gaps = sorted(1000 * (b - a) for a, b in zip(kept[1:], kept[2:]))  # after the first step's frame
    middle = len(recording.steps) // 2
    again = replay(config, 1, recording.steps[middle], data, device=device)
    difference = float((encode_points(again, recording, data) - recording.codes[middle, 1]).abs().max())
    return {
        "models": recording.meta["models"],
        "frames": len(recording.steps),
        "wall_seconds": round(wall, 2),
        "frames_per_second_while_training": round((len(kept) - 1) / (kept[-1] - kept[0]), 1),
        "frame_gap_ms": {"p50": round(gaps[len(gaps) // 2], 1), "max": round(gaps[-1], 1)},
        "poke_replay_largest_difference": difference,
    }


def largest_difference(a: dict, b: dict) -> float | None:
    """The largest test-loss difference over the models both runs kept (a model may diverge in one only)."""
    both = a["test_loss"].keys() & b["test_loss"].keys()
    return max((abs(a["test_loss"][name] - b["test_loss"][name]) for name in both), default=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "gpu.json"))
    args = parser.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("error: no CUDA GPU here; this benchmark measures the GPU path (see benchmarks/gpu.sh)")
    data = Path(args.data_dir)
    results = {"device": torch.cuda.get_device_name(), "torch": torch.__version__}

    small = dict(epochs=2, train_subset=10_000, test_subset=2_000)
    graphed = sweep((1.0, 4.0), (2, 8), data, **small)
    eager = sweep((1.0, 4.0), (2, 8), data, cuda_graphs=False, **small)
    results["graph_against_eager"] = {
        "cuda_graphs_used": graphed["cuda_graphs"],
        "largest_test_loss_difference": largest_difference(graphed, eager),
        "graphed_wall_seconds": graphed["wall_seconds"],
        "eager_wall_seconds": eager["wall_seconds"],
    }
    print(json.dumps(results["graph_against_eager"]), flush=True)

    results["sweeps"] = {}
    for name, betas, dims in [
        ("1", (1.0,), (2,)),
        ("7", FULL_BETAS, (2,)),
        ("35", FULL_BETAS, FULL_LATENT_DIMS),
        ("100", BETAS_100, DIMS_100),
    ]:
        results["sweeps"][name] = sweep(betas, dims, data)
        print(name, results["sweeps"][name]["wall_seconds"], flush=True)
    full = results["sweeps"]["35"]
    results["sweeps"]["35-eager"] = sweep(FULL_BETAS, FULL_LATENT_DIMS, data, cuda_graphs=False)
    results["sweeps"]["35-tf32"] = tf32 = sweep(FULL_BETAS, FULL_LATENT_DIMS, data, matmul="tf32")
    results["tf32_largest_test_loss_change"] = largest_difference(full, tf32)

    config = SweepConfig(TrainConfig(epochs=5, device="cuda", umap=False), FULL_BETAS, FULL_LATENT_DIMS)
    runs = config.runs()[::7][:5]  # 5 of the 35, across the betas and latent sizes
    loop = sequential(config, data, torch.device("cuda"), runs=runs)
    per_model = loop["wall_seconds"] / len(runs)
    results["loop_of_train"] = {"models": len(runs), "wall_seconds": round(loop["wall_seconds"], 2)}
    results["loop_of_train_35_estimated_seconds"] = round(35 * per_model, 1)
    results["sweep_35_against_the_loop"] = round(35 * per_model / full["wall_seconds"], 1)
    results["first_live_point_seconds"] = full["first_live_point_seconds"]
    results["race"] = race(data)
    print(json.dumps(results["race"]), flush=True)

    text = json.dumps(results, indent=1)
    print(text)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
