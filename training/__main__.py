"""Command line: ``python -m training {train,sweep,zoo,report} --help``."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import typing
from pathlib import Path

from tqdm.auto import tqdm

from .checkpoint import CheckpointError
from .data import DATASETS, DatasetMissingError
from .train import TrainConfig, refuse_existing, train

HELP = {"dataset": f"one of {', '.join(DATASETS)}", "model": "pca, ae or vae", "backbone": "mlp or conv",
        "likelihood": "bernoulli (BCE) or gaussian (MSE)", "kl_schedule": "constant, linear or cyclical",
        "device": "auto (GPU when present), cpu or cuda", "beta": "KL weight (beta-VAE)",
        "iw_samples": "importance samples for the IW bound (0 skips it)",
        "train_subset": "use only the first N training images", "augment": "none or hflip (random mirroring)",
        "weight_dtype": "float32 or float16"}


def _add_config_arguments(parser: argparse.ArgumentParser) -> None:
    hints = typing.get_type_hints(TrainConfig)
    for field in dataclasses.fields(TrainConfig):
        flag = "--" + field.name.replace("_", "-")
        kind = hints[field.name]
        if kind is bool:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=field.default,
                                help=HELP.get(field.name))
            continue
        base = next((t for t in typing.get_args(kind) if t is not type(None)), kind)
        parser.add_argument(flag, type=base, default=field.default,
                            help=f"{HELP.get(field.name, '')} (default: {field.default})".strip())


def _add_io_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", help="dataset folder (default: $LATENT_EXPLORER_DATA or ./data)")
    parser.add_argument("--out-dir", default="checkpoints", help="where checkpoints are written")
    parser.add_argument("--no-download", dest="download", action="store_false", default=None,
                        help="never download; fail with a message if the data is missing")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace a checkpoint that is already there (by default the tools never do)")


def _add_sweep_arguments(parser: argparse.ArgumentParser) -> None:
    grid = "(default: the device's default grid; see training.sweep.default_grid)"
    parser.add_argument("--dataset", default="mnist", help=f"one of {', '.join(DATASETS)} (default: mnist)")
    parser.add_argument("--betas", type=float, nargs="+", help=f"KL weights to sweep {grid}")
    parser.add_argument("--latent-dims", type=int, nargs="+", help=f"latent sizes to sweep {grid}")
    parser.add_argument("--epochs", type=int, help=f"epochs for every model {grid}")
    parser.add_argument("--train-subset", type=int, help=f"use only the first N training images {grid}")
    parser.add_argument("--test-subset", type=int, help=f"use only the first N test images {grid}")
    for name, kind, default in (("--hidden-dim", int, 400), ("--batch-size", int, 128), ("--lr", float, 1e-3),
                                ("--seed", int, 0), ("--device", str, "auto"), ("--name", str, None),
                                ("--weight-dtype", str, "float32")):
        parser.add_argument(name, type=kind, default=default, help=f"{HELP.get(name[2:].replace('-', '_'), '')} "
                            f"(default: {default})".strip())
    parser.add_argument("--umap", action=argparse.BooleanOptionalAction, default=False,
                        help="also compute the slow UMAP view for k > 2 (default: off)")
    _add_io_arguments(parser)
    parser.set_defaults(out_dir=None)
    parser.epilog = ("Checkpoints <name>-b<beta>-z<k> and a summary sweep.json are written to --out-dir "
                     "(default: checkpoints/sweeps/<name>); nothing is written until every model is trained.")


def _run_sweep(args: argparse.Namespace) -> None:
    from .sweep import SweepConfig, default_grid, train_sweep

    grid = default_grid(args.device)
    filled = [f for f in ("betas", "latent_dims", "epochs", "train_subset", "test_subset") if getattr(args, f) is None]
    settings = {f: getattr(grid, f) if f in filled else getattr(args, f)
                for f in ("betas", "latent_dims", "epochs", "train_subset", "test_subset")}
    config = SweepConfig(dataset=args.dataset, hidden_dim=args.hidden_dim, batch_size=args.batch_size, lr=args.lr,
                         seed=args.seed, device=args.device, name=args.name, weight_dtype=args.weight_dtype,
                         umap=args.umap, **settings)
    if filled and grid.note:
        print(f"defaults for {', '.join(filled)} from the {grid.note}", file=sys.stderr)
    out_dir = args.out_dir or f"checkpoints/sweeps/{config.sweep_name}"
    with tqdm(total=1, disable=args.quiet, desc=config.sweep_name, unit="step") as bar:
        def show(event: dict) -> None:
            if event["event"] == "start":
                bar.reset(total=event["steps"])
            elif event["event"] in ("train", "epoch"):
                bar.update(event["step"] - bar.n)
            if event["event"] == "epoch":
                losses = [m["test_loss"] for m in event["models"] if "test_loss" in m]
                lost = len(event["models"]) - len(losses)
                said = (f"test loss {min(losses):.1f} to {max(losses):.1f} over {len(losses)} models"
                        if losses else "no model left")
                bar.write(f"epoch {event['epoch']}: {said}" + (f" ({lost} diverged)" if lost else ""))

        result = train_sweep(config, out_dir, args.data_dir, args.download, progress=show, overwrite=args.overwrite)
    for model in result.summary["models"]:
        print(f"{model['name']}: test loss {model['test_loss']:.2f}, KL {model['test_kl']:.2f}, "
              f"active units {model['active_units']} of {model['latent_dim']}")
    for model in result.summary["diverged"]:
        print(f"{model['name']}: {model['error']}")
    print(f"wrote {len(result.checkpoints)} checkpoints and {result.path} in {result.summary['wall_seconds']:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training", description="Train latent-variable models "
                                     "(PCA, AE, VAE) and write safetensors checkpoints.")
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("train", help="train one model")
    _add_config_arguments(one)
    _add_io_arguments(one)
    sweep = commands.add_parser("sweep", help="train a grid of beta-VAEs (betas x latent sizes) as one batched run")
    _add_sweep_arguments(sweep)
    zoo = commands.add_parser("zoo", help="rebuild the committed checkpoints from scratch")
    zoo.add_argument("--only", help="only the zoo entries whose name contains this")
    zoo.add_argument("--device", default="auto", help="auto, cpu or cuda")
    zoo.add_argument("--list", action="store_true", help="list the entries and exit")
    _add_io_arguments(zoo)
    report = commands.add_parser("report", help="print the metrics table (and update README.md)")
    report.add_argument("--checkpoints", default="checkpoints")
    report.add_argument("--readme", help="rewrite the table between the metrics markers of this file")
    args = parser.parse_args(argv)

    try:
        if args.command == "train":
            fields = {f.name for f in dataclasses.fields(TrainConfig)}
            config = TrainConfig(**{k: v for k, v in vars(args).items() if k in fields})
            checkpoint = train(config, args.out_dir, args.data_dir, args.download, progress=not args.quiet,
                               overwrite=args.overwrite)
            print(f"wrote {checkpoint.path}")
            print(json.dumps({k: v for k, v in checkpoint.meta["metrics"].items() if not isinstance(v, list)}))
        elif args.command == "sweep":
            _run_sweep(args)
        elif args.command == "zoo":
            from .zoo import zoo_configs

            configs = zoo_configs(args.only)
            if not configs:
                raise ValueError(f"no zoo entry's name contains {args.only!r}; see them with --list")
            if not args.list and not args.overwrite:  # before any training: a run that stops halfway helps nobody
                for config in configs:
                    refuse_existing(Path(args.out_dir) / config.run_name)
            for config in configs:
                if args.list:
                    print(config.run_name)
                    continue
                config = dataclasses.replace(config, device=args.device)
                checkpoint = train(config, args.out_dir, args.data_dir, args.download, progress=not args.quiet,
                                   overwrite=args.overwrite)
                print(f"wrote {checkpoint.path} in {checkpoint.meta['training_seconds']:.0f} s: "
                      f"mse/pixel {checkpoint.meta['metrics']['mse_per_pixel']:.4f}", flush=True)
        else:
            from .report import metrics_table, update_readme

            if args.readme:
                update_readme(args.readme, args.checkpoints)  # says what to do when it cannot
            print(metrics_table(args.checkpoints))
    except (DatasetMissingError, CheckpointError, ValueError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
