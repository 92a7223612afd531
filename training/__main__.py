"""Command line: ``python -m training {train,sweep,zoo,report} --help``.

The ``train`` and ``sweep`` options are generated from the configs themselves (:class:`~training.models.ModelConfig`
inside :class:`~training.train.TrainConfig`, inside :class:`~training.sweep.SweepConfig`), so a new field is a new
option with no line here; :data:`HELP` only words them.
"""

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
from .models import MODEL_KINDS, ModelConfig
from .race import RaceConfig
from .train import TrainConfig, refuse_existing, train

HELP = {
    "dataset": f"one of {', '.join(DATASETS)}",
    "kind": f"the model: {', '.join(MODEL_KINDS)}",
    "backbone": "mlp or conv",
    "likelihood": "bernoulli (BCE) or gaussian (MSE)",
    "kl_schedule": "constant, linear or cyclical",
    "device": "auto (GPU when present), cpu or cuda",
    "beta": "KL weight (beta-VAE)",
    "iw_samples": "importance samples for the IW bound (0 skips it)",
    "train_subset": "use only the first N training images",
    "augment": "none or hflip (random mirroring)",
    "weight_dtype": "float32 or float16",
    "corruption": "dae: gaussian or mask",
    "corruption_level": "dae: the noise's std, or the share of pixels masked",
}
FROM_THE_DATASET = ("image_shape", "n_classes")  # a model's, set from its dataset
GRID_FIELDS = ("epochs", "train_subset", "test_subset")  # a sweep's defaults: the device's default grid
MODEL_FLAG = {"kind": "model"}  # --model vae, not --kind vae


def _add_fields(parser, cls, skip=(), defaults=None, prefix="") -> None:
    """An option per field of the dataclass ``cls`` (bools as --x / --no-x); ``defaults`` overrides theirs."""
    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):
        if field.name in skip or dataclasses.is_dataclass(hints[field.name]):
            continue
        flag = "--" + MODEL_FLAG.get(field.name, field.name).replace("_", "-")
        default = (defaults or {}).get(
            field.name, field.default if field.default is not dataclasses.MISSING else field.default_factory()
        )
        kind = hints[field.name]
        help_text = HELP.get(field.name, "")
        if kind is bool:
            parser.add_argument(
                flag,
                dest=prefix + field.name,
                action=argparse.BooleanOptionalAction,
                default=default,
                help=help_text or None,
            )
            continue
        base = next((t for t in typing.get_args(kind) if t is not type(None)), kind)
        parser.add_argument(
            flag, dest=prefix + field.name, type=base, default=default, help=f"{help_text} (default: {default})".strip()
        )


def _add_io_arguments(parser: argparse.ArgumentParser, out_dir: str | None = "checkpoints") -> None:
    parser.add_argument("--data-dir", help="dataset folder (default: $LATENT_EXPLORER_DATA or ./data)")
    parser.add_argument("--out-dir", default=out_dir, help="where checkpoints are written")
    parser.add_argument(
        "--no-download",
        dest="download",
        action="store_false",
        default=None,
        help="never download; fail with a message if the data is missing",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace a checkpoint that is already there (by default the tools never do)",
    )


def _train_config(args: argparse.Namespace, **overrides) -> TrainConfig:
    """The TrainConfig the options ``args`` say (model fields under ``model.``)."""
    values = vars(args)
    model = ModelConfig(**{k[6:]: v for k, v in values.items() if k.startswith("model.")})
    names = {f.name for f in dataclasses.fields(TrainConfig)} - {"model"}
    return TrainConfig(model=model, **{**{k: v for k, v in values.items() if k in names}, **overrides})


def _add_sweep_arguments(parser: argparse.ArgumentParser) -> None:
    grid = "(default: the device's default grid; see training.sweep.default_grid)"
    parser.add_argument("--betas", type=float, nargs="+", help=f"KL weights to sweep {grid}")
    parser.add_argument("--latent-dims", type=int, nargs="+", help=f"latent sizes to sweep {grid}")
    _add_fields(parser, TrainConfig, skip=("name",), defaults={**dict.fromkeys(GRID_FIELDS), "umap": False})
    _add_fields(
        parser,
        ModelConfig,
        skip=("kind", "beta", "latent_dim", "backbone", "corruption", "corruption_level", *FROM_THE_DATASET),
        prefix="model.",
    )
    parser.add_argument("--name", help="the sweep's name: checkpoints <name>-b<beta>-z<k> (default: <dataset>-vae)")
    _add_io_arguments(parser, out_dir=None)
    parser.epilog = (
        "Checkpoints <name>-b<beta>-z<k> and a summary sweep.json are written to --out-dir "
        "(default: checkpoints/sweeps/<name>); nothing is written until every model is trained."
    )


def _run_sweep(args: argparse.Namespace) -> None:
    from .sweep import SweepConfig, default_grid, train_sweep

    grid = default_grid(args.device)
    filled = [f for f in ("betas", "latent_dims", *GRID_FIELDS) if getattr(args, f) is None]
    settings = {f: getattr(grid, f) if f in filled else getattr(args, f) for f in GRID_FIELDS}
    base = _train_config(argparse.Namespace(**{**vars(args), "model.kind": "vae", "model.backbone": "mlp"}), **settings)
    config = SweepConfig(base, args.betas or grid.betas, args.latent_dims or grid.latent_dims, args.name)
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
                said = (
                    f"test loss {min(losses):.1f} to {max(losses):.1f} over {len(losses)} models"
                    if losses
                    else "no model left"
                )
                bar.write(f"epoch {event['epoch']}: {said}" + (f" ({lost} diverged)" if lost else ""))

        result = train_sweep(config, out_dir, args.data_dir, args.download, progress=show, overwrite=args.overwrite)
    for model in result.summary["models"]:
        print(
            f"{model['name']}: test loss {model['test_loss']:.2f}, KL {model['test_kl']:.2f}, "
            f"active dims {model['active_units']} of {model['latent_dim']}"
        )
    for model in result.summary["diverged"]:
        print(f"{model['name']}: {model['error']}")
    print(f"wrote {len(result.checkpoints)} checkpoints and {result.path} in {result.summary['wall_seconds']:.0f} s")


def _run_zoo(args: argparse.Namespace) -> None:
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
        checkpoint = train(
            config, args.out_dir, args.data_dir, args.download, progress=not args.quiet, overwrite=args.overwrite
        )
        print(
            f"wrote {checkpoint.path} in {checkpoint.meta['training_seconds']:.0f} s: "
            f"mse/pixel {checkpoint.meta['metrics']['mse_per_pixel']:.4f}",
            flush=True,
        )


def _run_race(args: argparse.Namespace) -> None:
    from .race import run_race, save_race

    names = {f.name for f in dataclasses.fields(RaceConfig)}
    config = RaceConfig(**{k: v for k, v in vars(args).items() if k in names and v is not None})
    out = Path(args.out_dir or "checkpoints/races") / config.name
    if (out / "race.json").exists() and not args.overwrite:  # before any training
        raise ValueError(f"{out} holds a race already; record under another --name, or pass --overwrite")
    with tqdm(total=1, disable=args.quiet, desc=config.name, unit="frame") as bar:

        def show(frame: int, frames: int) -> None:
            bar.total = frames
            bar.update(frame - bar.n)

        recording, _ = run_race(config, args.data_dir, args.download, args.device, progress=show)
    save_race(recording, out, overwrite=args.overwrite)
    print(
        f"wrote {out}: {len(recording.steps)} frames of {', '.join(recording.meta['models'])} in "
        f"{recording.meta['seconds']:.0f} s"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m training",
        description="Train latent-variable models (PCA, AE, DAE, VAE, CVAE) and write safetensors checkpoints.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("train", help="train one model")
    _add_fields(one, TrainConfig)
    _add_fields(one, ModelConfig, skip=FROM_THE_DATASET, prefix="model.")
    _add_io_arguments(one)
    sweep = commands.add_parser("sweep", help="train a grid of beta-VAEs (betas x latent sizes) as one batched run")
    _add_sweep_arguments(sweep)
    zoo = commands.add_parser("zoo", help="rebuild the committed checkpoints from scratch")
    zoo.add_argument("--only", help="only the zoo entries whose name contains this")
    zoo.add_argument("--device", default="auto", help="auto, cpu or cuda")
    zoo.add_argument("--list", action="store_true", help="list the entries and exit")
    _add_io_arguments(zoo)
    race = commands.add_parser("race", help="train a few models side by side and record them learning")
    race.add_argument("--kinds", nargs="+", help="the models' kinds: ae, dae or vae (default: ae vae vae)")
    race.add_argument("--betas", type=float, nargs="+", help="each model's beta (default: 1 1 4)")
    _add_fields(race, RaceConfig, skip=("kinds", "betas"))
    race.add_argument("--device", default="cpu", help="cpu or cuda")
    _add_io_arguments(race, out_dir=None)
    race.epilog = "The recording is written to --out-dir/<name> (default: checkpoints/races/<name>)."
    report = commands.add_parser("report", help="print the metrics table (and update README.md)")
    report.add_argument("--checkpoints", default="checkpoints")
    report.add_argument("--readme", help="rewrite the table between the metrics markers of this file")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "train":
            checkpoint = train(
                _train_config(args),
                args.out_dir,
                args.data_dir,
                args.download,
                progress=not args.quiet,
                overwrite=args.overwrite,
            )
            print(f"wrote {checkpoint.path}")
            print(json.dumps({k: v for k, v in checkpoint.meta["metrics"].items() if not isinstance(v, list)}))
        elif args.command == "sweep":
            _run_sweep(args)
        elif args.command == "zoo":
            _run_zoo(args)
        elif args.command == "race":
            _run_race(args)
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
