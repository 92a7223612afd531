"""The batched beta x latent-size sweep against a loop of ``train()`` over the same models, in one run.

Both sides train the same grid (MLP VAEs 784-400-k, Adam 1e-3, batch 128) from the same seed and evaluate
every model on the test split; neither writes checkpoints. Wall time runs from the call to the last
model evaluated: dataset loading, the copy to the device, training, per-epoch test losses and the final
evaluation (each ``train()`` call loads the dataset and copies it again, as a loop of runs does).

    python benchmarks/bench_sweep.py [--grid full|cpu|tiny] [--device auto] [--repeats 1] [--skip-sequential]

Grids: ``full`` 7 betas x 5 latent sizes, 5 epochs on all of MNIST (the issue's GPU target: <= 15 s, >= 8x);
``cpu`` the CPU default grid of ``training.sweep.default_grid`` (target: <= 2 minutes on a 2-core CPU);
``tiny`` 2 x 2 models, 2 epochs on 5,000 images. With ``--repeats N`` the two sides take turns N times
and each side's quietest run counts (the least CPU used by other processes per second, then the fastest);
every run is recorded as [wall seconds, CPU seconds other processes used meanwhile]. Prints a table and
records the run in benchmarks/results/sweep.json under "<device type>-<grid>" (other entries are kept).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from training import load_dataset, train  # noqa: E402
from training.data import resolve_data_dir  # noqa: E402
from training.sweep import FULL_BETAS, FULL_LATENT_DIMS, SweepConfig, default_grid, train_sweep  # noqa: E402
from training.train import TrainConfig, _device_name, resolve_device  # noqa: E402


def _busy_cpu_seconds() -> tuple[float, float] | None:
    """(CPU seconds every process on the machine has used, this process's), or None without /proc/stat."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + fields[4]  # idle + iowait
    times = os.times()
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK"), times.user + times.system


def timed(run, config: SweepConfig, data_dir: Path, device: torch.device) -> dict:
    """``run``'s result plus "other_cpu_seconds": CPU time that other processes took meanwhile (0 on a quiet
    machine; on a 2-core machine, 1 s of it is about 1 s of wall time taken from the run)."""
    before = _busy_cpu_seconds()
    result = run(config, data_dir, device)
    after = _busy_cpu_seconds()
    if before and after:
        result["other_cpu_seconds"] = round((after[0] - before[0]) - (after[1] - before[1]), 1)
    return result


def _quietness(timing: dict) -> tuple[float, float]:
    """Sort key: the share of the machine's CPUs other processes took during the run, then its wall time."""
    share = (timing.get("other_cpu_seconds") or 0.0) / ((os.cpu_count() or 1) * timing["wall_seconds"])
    return round(share, 2), timing["wall_seconds"]


def grid_config(grid: str, device: str) -> SweepConfig:
    if grid == "full":
        return SweepConfig(TrainConfig(epochs=5, device=device, umap=False), FULL_BETAS, FULL_LATENT_DIMS)
    if grid == "cpu":
        return default_grid("cpu").config(TrainConfig(device=device, umap=False))
    base = TrainConfig(epochs=2, train_subset=5000, test_subset=1000, device=device, umap=False)
    return SweepConfig(base, (1.0, 4.0), (2, 16))


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def batched(config: SweepConfig, data_dir: Path, device: torch.device) -> dict:
    started = time.perf_counter()
    first_point = []
    result = train_sweep(
        config,
        None,
        data_dir,
        download=False,
        progress=lambda event: (
            first_point.append(time.perf_counter() - started) if event["event"] == "train" and not first_point else None
        ),
    )
    _synchronize(device)
    return {
        "wall_seconds": time.perf_counter() - started,
        "training_seconds": result.summary["training_seconds"],
        "first_live_point_seconds": first_point[0] if first_point else None,
        "test_loss": {m["name"]: m["test_loss"] for m in result.summary["models"]},
    }


def sequential(config: SweepConfig, data_dir: Path, device: torch.device, runs=None) -> dict:
    """A loop of ``train()`` over the models of ``config`` (or over ``runs``, some of them)."""
    started, training_seconds, losses = time.perf_counter(), 0.0, {}
    for run in runs or config.runs():
        checkpoint = train(run, None, data_dir, download=False, progress=False)
        training_seconds += checkpoint.meta["training_seconds"]
        losses[run.run_name] = checkpoint.meta["metrics"]["test_loss"]
    _synchronize(device)
    return {
        "wall_seconds": time.perf_counter() - started,
        "training_seconds": round(training_seconds, 2),
        "test_loss": losses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grid", choices=("full", "cpu", "tiny"), default="tiny")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default: 2)")
    parser.add_argument("--repeats", type=int, default=1, help="take turns N times; the fastest run counts")
    parser.add_argument("--skip-sequential", action="store_true", help="only time the batched sweep")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    data_dir = resolve_data_dir(args.data_dir)
    config = grid_config(args.grid, str(device))
    load_dataset(config.dataset, data_dir, download=False)  # the files in the OS cache for both sides
    (torch.ones(2, 2, device=device) @ torch.ones(2, 2, device=device)).sum().item()  # CUDA and cuBLAS started

    results = {
        "grid": args.grid,
        "device": _device_name(device),
        "machine": platform.machine(),
        "torch": torch.__version__,
        "models": len(config.runs()),
        "betas": list(config.betas),
        "latent_dims": list(config.latent_dims),
        "epochs": config.epochs,
        "train_subset": config.base.train_subset,
        "test_subset": config.base.test_subset,
    }
    sides = {"batched": batched} | ({} if args.skip_sequential else {"sequential": sequential})
    for _ in range(args.repeats):
        for side, run in sides.items():
            timing = timed(run, config, data_dir, device)
            walls = results.get(side, {}).get("all_wall_seconds", []) + [
                (round(timing["wall_seconds"], 2), timing.get("other_cpu_seconds"))
            ]
            if side not in results or _quietness(timing) < _quietness(results[side]):
                results[side] = timing
            results[side]["all_wall_seconds"] = walls
    if not args.skip_sequential:
        results["speedup"] = results["sequential"]["wall_seconds"] / results["batched"]["wall_seconds"]
        pairs = [(results["batched"]["test_loss"][k], v) for k, v in results["sequential"]["test_loss"].items()]
        results["max_relative_test_loss_difference"] = max(abs(a - b) / abs(b) for a, b in pairs)

    print(
        f"{config.epochs} epochs, {results['models']} models ({len(config.betas)} betas x "
        f"{len(config.latent_dims)} latent sizes), train subset {config.base.train_subset or 'all'}, "
        f"{results['device']}"
    )
    print(f"{'':<12}{'wall s':>10}{'training s':>12}{'other CPU s':>14}   (other CPU s: other processes meanwhile)")
    for side in ("batched", "sequential"):
        if side in results:
            r = results[side]
            print(
                f"{side:<12}{r['wall_seconds']:>10.1f}{r['training_seconds']:>12.1f}"
                f"{r.get('other_cpu_seconds', float('nan')):>14.1f}"
            )
    print(f"first live point after {results['batched']['first_live_point_seconds']:.2f} s")
    for side in sides:
        share = _quietness(results[side])[0]
        if share > 0.05:
            print(
                f"warning: other processes took {share:.0%} of the CPU during the {side} run counted; "
                "its time is inflated"
            )
    if "speedup" in results:
        print(
            f"speed-up: {results['speedup']:.2f}x; test losses agree to "
            f"{results['max_relative_test_loss_difference']:.1e} (relative)"
        )
    out = Path(__file__).parent / "results" / "sweep.json"
    recorded = json.loads(out.read_text()) if out.exists() else {}
    recorded[f"{device.type}-{args.grid}"] = results
    out.write_text(json.dumps(recorded, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
