"""Command line: ``python -m training {train,zoo,report} --help``."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import typing

from .checkpoint import CheckpointError
from .data import DATASETS, DatasetMissingError
from .train import TrainConfig, train

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training", description="Train latent-variable models "
                                     "(PCA, AE, VAE) and write safetensors checkpoints.")
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("train", help="train one model")
    _add_config_arguments(one)
    _add_io_arguments(one)
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
            checkpoint = train(config, args.out_dir, args.data_dir, args.download, progress=not args.quiet)
            print(f"wrote {checkpoint.path}")
            print(json.dumps({k: v for k, v in checkpoint.meta["metrics"].items() if not isinstance(v, list)}))
        elif args.command == "zoo":
            from .zoo import zoo_configs

            for config in zoo_configs(args.only):
                if args.list:
                    print(config.run_name)
                    continue
                config = dataclasses.replace(config, device=args.device)
                checkpoint = train(config, args.out_dir, args.data_dir, args.download, progress=not args.quiet)
                print(f"wrote {checkpoint.path} in {checkpoint.meta['training_seconds']:.0f} s: "
                      f"mse/pixel {checkpoint.meta['metrics']['mse_per_pixel']:.4f}", flush=True)
        else:
            from .report import metrics_table, update_readme

            if args.readme:
                update_readme(args.readme, args.checkpoints)
            print(metrics_table(args.checkpoints))
    except (DatasetMissingError, CheckpointError, ValueError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
