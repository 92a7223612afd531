import dataclasses
import json
import re
import subprocess
import sys

import pytest
import torch

from training import Autoencoder, ModelConfig, TrainConfig, load_checkpoint, train
from training.__main__ import main
from training.train import CheckpointExistsError, NonFiniteLossError


@pytest.mark.parametrize(
    "model,dataset,backbone",
    [
        ("pca", "mnist", "mlp"),
        ("ae", "mnist", "mlp"),
        ("vae", "mnist", "mlp"),
        ("vae", "faces", "conv"),
        ("ae", "frey", "conv"),
    ],
)
def test_smoke_train_writes_a_loadable_checkpoint(tmp_path, data_dir, model, dataset, backbone):
    config = TrainConfig(
        dataset=dataset,
        model=ModelConfig(kind=model, latent_dim=3, backbone=backbone, hidden_dim=64),
        augment="hflip" if dataset == "faces" else "none",
        epochs=2,
        batch_size=32,
        train_subset=512,
        test_subset=200,
        iw_samples=5,
        umap=False,
        device="cpu",
    )
    checkpoint = train(config, tmp_path, data_dir, download=False, progress=False)
    loaded = load_checkpoint(tmp_path / config.run_name)
    metrics = loaded.meta["metrics"]
    assert 0 < metrics["mse_per_pixel"] < 0.25
    n_test = loaded.meta["dataset"]["n_test"]
    assert n_test == min(200, {"mnist": 10000, "faces": 80, "frey": 197}[dataset])
    assert loaded.latents["z"].shape == (n_test, 3) and loaded.latents["view_pca"].shape == (n_test, 2)
    x = checkpoint.model.encode(torch.zeros(1, *checkpoint.model.config.image_shape))
    assert torch.allclose(loaded.model.encode(torch.zeros(1, *loaded.model.config.image_shape)), x)
    if model == "vae":
        assert metrics["test_loss"] == pytest.approx(metrics["test_recon"] + metrics["test_kl"])
        assert metrics["iw_nll"] <= metrics["test_loss"] + 5  # the IW bound is (about) tighter than the ELBO
        assert len(metrics["kl_per_dim"]) == 3 and len(loaded.meta["curves"]["test_kl"]) == 2
    if model == "pca":
        assert metrics["mse_per_pixel"] < 0.06  # 3 components already explain much of the variance
    else:
        train_loss = loaded.meta["curves"]["train_loss"]
        assert train_loss[1] < train_loss[0]  # it learns


def test_training_is_reproducible(tmp_path, data_dir):
    config = TrainConfig(
        model=ModelConfig(kind="vae", latent_dim=2, hidden_dim=32),
        epochs=1,
        train_subset=256,
        test_subset=64,
        umap=False,
        device="cpu",
    )
    a = train(config, None, data_dir, download=False, progress=False)
    b = train(config, None, data_dir, download=False, progress=False)
    assert torch.equal(a.latents["z"], b.latents["z"])


def test_kl_warmup_is_recorded_in_the_curves(data_dir):
    config = TrainConfig(
        model=ModelConfig(kind="vae", latent_dim=2, hidden_dim=32),
        epochs=3,
        train_subset=256,
        test_subset=64,
        batch_size=64,
        kl_schedule="linear",
        warmup_epochs=2,
        umap=False,
        device="cpu",
    )
    curves = train(config, None, data_dir, download=False, progress=False).meta["curves"]
    assert curves["kl_weight"][0] < curves["kl_weight"][1] <= 1.0 == curves["kl_weight"][2]


@pytest.mark.parametrize(
    "bad,field",
    [
        (dict(augment="rotate"), "augment"),
        (dict(kl_schedule="sawtooth"), "KL schedule"),
        (dict(epochs=-1), "epochs"),
        (dict(weight_dtype="int8"), "weight_dtype"),
        (dict(matmul="bf16"), "matmul"),
        (dict(cuda_graphs="yes"), "cuda_graphs"),
        (dict(epochs=0), "epochs"),
        (dict(epochs=1.5), "epochs"),
        (dict(lr=0.0), "lr"),
        (dict(lr=float("nan")), "lr"),
        (dict(lr=float("inf")), "lr"),
        (dict(beta=-0.5), "beta"),
        (dict(beta=float("nan")), "beta"),
        (dict(latent_dim=0), "latent_dim"),
        (dict(latent_dim=5000), "latent_dim"),
        (dict(batch_size=0), "batch_size"),
        (dict(train_subset=0), "train_subset"),
        (dict(test_subset=0), "test_subset"),
        (dict(hidden_dim=0), "hidden_dim"),
        (dict(hidden_dim=10_000_000), "parameters"),
        (dict(seed=-1), "seed"),
        (dict(iw_samples=-1), "iw_samples"),
        (dict(gaussian_sigma=0.0), "gaussian_sigma"),
        (dict(device="gpu"), "device"),
        (dict(dataset="cifar"), "dataset"),
        (dict(warmup_epochs=-1), "warmup_epochs"),
        (dict(kl_cycles=0), "kl_cycles"),
        (dict(name="../evil"), "name"),
        (dict(name="/tmp/evil"), "name"),
        (dict(name="a\\b"), "name"),
        (dict(name=""), "name"),
        (dict(name=".hidden"), "name"),
        (dict(name="a\nb"), "name"),
        (dict(name=".."), "name"),
    ],
)
def test_train_config_rejects_bad_values_naming_the_field(bad, field):
    with pytest.raises(ValueError, match=field):
        TrainConfig.from_record(bad)  # flat, as records before the model was a config of its own


def _diverging_loss(monkeypatch, after_calls: int):
    """Make the autoencoder's training loss NaN from its ``after_calls``-th training step on."""
    real_loss, calls = Autoencoder.loss, []

    def loss(self, x, y=None, **kwargs):
        out = real_loss(self, x, y, **kwargs)
        calls.append(self.training)
        if sum(calls) >= after_calls:
            out["loss"] = out["loss"] * float("nan")
        return out

    monkeypatch.setattr(Autoencoder, "loss", loss)


def test_a_diverging_run_stops_with_a_clear_error_and_leaves_the_old_checkpoint(tmp_path, data_dir, monkeypatch):
    config = TrainConfig(
        model=ModelConfig(kind="ae", latent_dim=2, hidden_dim=32),
        epochs=3,
        batch_size=64,
        train_subset=256,
        test_subset=64,
        umap=False,
        device="cpu",
        name="run",
    )
    train(config, tmp_path, data_dir, download=False, progress=False)
    before = {p.name: p.read_bytes() for p in (tmp_path / "run").iterdir()}
    _diverging_loss(monkeypatch, after_calls=6)  # 4 steps per epoch: the 2nd step of epoch 2
    with pytest.raises(NonFiniteLossError, match="loss became nan at epoch 2 step 2 of 4; nothing was saved"):
        train(config, tmp_path, data_dir, download=False, progress=False, overwrite=True)
    assert {p.name: p.read_bytes() for p in (tmp_path / "run").iterdir()} == before
    with pytest.raises(NonFiniteLossError):
        train(dataclasses.replace(config, name="fresh"), tmp_path, data_dir, download=False, progress=False)
    assert not (tmp_path / "fresh").exists()


CLI_RUN = [
    "train",
    "--model",
    "ae",
    "--hidden-dim",
    "32",
    "--epochs",
    "1",
    "--batch-size",
    "64",
    "--train-subset",
    "256",
    "--test-subset",
    "64",
    "--no-umap",
    "--device",
    "cpu",
    "--quiet",
    "--no-download",
]


def test_cli_reports_a_diverging_run_and_writes_nothing(tmp_path, data_dir, capsys):
    out = tmp_path / "out"
    assert main([*CLI_RUN, "--lr", "1e30", "--data-dir", str(data_dir), "--out-dir", str(out)]) == 2
    err = capsys.readouterr().err
    assert re.match(r"error: training diverged: loss became (nan|inf) at epoch 1 step \d+ of 4", err), err
    assert "Lower --lr" in err and not out.exists()


@pytest.mark.parametrize(
    "args,field",
    [
        (["--name", "../evil"], "name"),
        (["--name", "OUTSIDE"], "name"),
        (["--lr", "nan"], "lr"),
        (["--lr", "-1"], "lr"),
        (["--epochs", "0"], "epochs"),
        (["--latent-dim", "0"], "latent_dim"),
        (["--batch-size", "0"], "batch_size"),
        (["--beta", "-1"], "beta"),
        (["--train-subset", "0"], "train_subset"),
    ],
)
def test_cli_refuses_bad_arguments_with_one_line_and_exit_code_2(tmp_path, capsys, args, field):
    out, outside = tmp_path / "out", tmp_path.parent / f"{tmp_path.name}-evil"  # an absolute path beside it
    args = [str(outside) if a == "OUTSIDE" else a for a in args]
    assert main([*CLI_RUN, "--out-dir", str(out), *args]) == 2
    assert not outside.exists()
    err = capsys.readouterr().err
    assert err.startswith("error: ") and field in err and err.count("\n") == 1 and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # nothing written, inside --out-dir or beside it


def test_cli_help_lists_commands_and_options():
    out = subprocess.run([sys.executable, "-m", "training", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "zoo" in out.stdout and "report" in out.stdout
    out = subprocess.run([sys.executable, "-m", "training", "train", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "--kl-schedule" in out.stdout and "--latent-dim" in out.stdout


def test_training_package_does_not_import_gradio():
    code = "import sys, training, training.__main__; assert 'gradio' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_training_never_replaces_a_checkpoint_unless_asked(tmp_path, data_dir, capsys):
    config = TrainConfig(
        model=ModelConfig(kind="pca", latent_dim=2),
        train_subset=256,
        test_subset=64,
        umap=False,
        device="cpu",
        name="kept",
    )
    train(config, tmp_path, data_dir, download=False, progress=False)
    before = {p.name: p.read_bytes() for p in (tmp_path / "kept").iterdir()}
    with pytest.raises(CheckpointExistsError, match=r"kept holds a checkpoint already .*--overwrite"):
        train(
            dataclasses.replace(config, model=dataclasses.replace(config.model, latent_dim=3)),
            tmp_path,
            data_dir,
            download=False,
            progress=False,
        )
    assert {p.name: p.read_bytes() for p in (tmp_path / "kept").iterdir()} == before
    # The command line: one line, exit 2, nothing written; --overwrite replaces it.
    args = [
        "train",
        "--model",
        "pca",
        "--latent-dim",
        "3",
        "--train-subset",
        "256",
        "--test-subset",
        "64",
        "--no-umap",
        "--device",
        "cpu",
        "--quiet",
        "--no-download",
        "--name",
        "kept",
        "--out-dir",
        str(tmp_path),
    ]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "--overwrite" in err and err.count("\n") == 1
    assert {p.name: p.read_bytes() for p in (tmp_path / "kept").iterdir()} == before
    assert main([*args, "--overwrite"]) == 0
    assert json.loads((tmp_path / "kept" / "checkpoint.json").read_text())["model"]["latent_dim"] == 3


def test_the_zoo_command_refuses_to_rebuild_over_the_zoo_and_says_so(tmp_path, capsys):
    (tmp_path / "mnist-pca-z2").mkdir()
    (tmp_path / "mnist-pca-z2" / "checkpoint.json").write_text("{}")
    assert main(["zoo", "--only", "mnist-pca", "--out-dir", str(tmp_path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "mnist-pca-z2 holds a checkpoint already" in err and err.count("\n") == 1
    assert (tmp_path / "mnist-pca-z2" / "checkpoint.json").read_text() == "{}"
    assert not (tmp_path / "mnist-pca-z16").exists()  # refused before any training
    assert main(["zoo", "--only", "no-such-model", "--list"]) == 2
    assert "no zoo entry's name contains 'no-such-model'" in capsys.readouterr().err


def test_report_to_a_missing_readme_says_so_in_one_line(tmp_path, capsys):
    assert main(["report", "--readme", str(tmp_path / "nope.md"), "--checkpoints", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot read ") and "nope.md" in err and "Traceback" not in err


def test_a_sweep_whose_every_model_diverges_says_so(tmp_path, data_dir, capsys):
    out = tmp_path / "sweep"
    code = main(
        [
            "sweep",
            "--betas",
            "1e300",
            "--latent-dims",
            "2",
            "--epochs",
            "1",
            "--train-subset",
            "256",
            "--test-subset",
            "64",
            "--hidden-dim",
            "16",
            "--device",
            "cpu",
            "--quiet",
            "--no-download",
            "--data-dir",
            str(data_dir),
            "--out-dir",
            str(out),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "every model of the sweep diverged" in err and "min()" not in err, err
    assert not out.exists()
