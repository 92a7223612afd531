"""The batched beta x latent-size sweep: each model trains as ``train`` trains it alone, padded dimensions
stay inert, a cancel writes nothing, and the CLI writes checkpoints the explorer loads."""

import json
import threading

import pytest
import torch
from helpers import small_sweep

from training import ModelConfig, TrainConfig, build_model, list_checkpoints, load_checkpoint, train
from training.__main__ import main
from training.batched import StackedVAE
from training.sweep import SweepCancelled, default_grid, train_sweep
from training.train import NonFiniteLossError


def test_each_model_trains_as_train_would_alone(data_dir):
    # Two betas x two latent sizes in one batch; over 2 epochs the k = 2 and k = 3 models see different batches.
    config = small_sweep((0.5, 4.0), (2, 3), 2)
    events = []
    result = train_sweep(config, None, data_dir, download=False, progress=events.append, report_seconds=0)
    assert result.path is None and [c.name for c in result.checkpoints] == [r.run_name for r in config.runs()]
    assert [c.name for c in result.checkpoints] == [
        "mnist-vae-b0.5-z2",
        "mnist-vae-b0.5-z3",
        "mnist-vae-b4-z2",
        "mnist-vae-b4-z3",
    ]
    for run, batched in zip(config.runs(), result.checkpoints):
        alone = train(run, None, data_dir, download=False, progress=False)
        for key, tensor in alone.model.state_dict().items():
            torch.testing.assert_close(batched.model.state_dict()[key], tensor, rtol=1e-4, atol=1e-5)
        for key, values in alone.meta["curves"].items():
            assert batched.meta["curves"][key] == pytest.approx(values, rel=1e-5), key
        for key in ("test_recon", "test_kl", "test_loss", "mse_per_pixel", "active_units"):
            assert batched.meta["metrics"][key] == pytest.approx(alone.meta["metrics"][key], rel=1e-5), key
        assert batched.meta["metrics"]["kl_per_dim"] == pytest.approx(alone.meta["metrics"]["kl_per_dim"], rel=1e-4)
        torch.testing.assert_close(batched.latents["z"], alone.latents["z"], rtol=1e-5, atol=1e-5)
        assert batched.meta["train"] == alone.meta["train"]  # the record names the run that reproduces it
    kinds = [e["event"] for e in events]
    assert kinds == ["start", *["train"] * 3, "epoch", *["train"] * 3, "epoch", *["evaluated"] * 4]
    assert events[0]["steps"] == 6 and events[1]["models"][0].keys() == {"name", "loss", "recon", "kl"}
    assert events[4]["models"][3]["test_loss"] == result.checkpoints[3].meta["curves"]["test_loss"][0]
    json.dumps(events, allow_nan=False)  # a UI can send them as they are


def test_padded_dimensions_get_exactly_zero_gradient_and_stay_zero():
    torch.manual_seed(0)
    models = [build_model(ModelConfig(latent_dim=k, hidden_dim=16, beta=b)) for k, b in ((2, 1.0), (5, 4.0))]
    stack = StackedVAE(models)
    optimizer = torch.optim.Adam(stack.parameters(), lr=1e-2, fused=True)
    x = torch.rand(2, 8, 1, 28, 28)
    for _ in range(3):
        noise = torch.randn(2, 8, 5) * stack.mask[:, None]  # as the sweep draws it: 0 beyond each model's k
        out = stack.loss(x, noise)
        optimizer.zero_grad()
        out["loss"].sum().backward()
        optimizer.step()
        # Weights are stored (M, in, out). Model 0 (k = 2 of K = 5): mu outputs 0-1, logvar outputs 5-6.
        weight, bias = stack.params["encoder.net.3.weight"], stack.params["encoder.net.3.bias"]
        padded = [2, 3, 4, 7, 8, 9]
        for tensor in (weight, weight.grad, bias[:, None], bias.grad[:, None]):
            assert torch.count_nonzero(tensor[0, :, padded]) == 0
        assert torch.count_nonzero(weight.grad[0, :, [0, 1, 5, 6]]) > 0
        decoder_in = stack.params["decoder.net.0.weight"]
        assert torch.count_nonzero(decoder_in.grad[0, 2:]) == 0 and torch.count_nonzero(decoder_in[0, 2:]) == 0
        assert torch.count_nonzero(decoder_in.grad[0, :2]) > 0 and torch.count_nonzero(decoder_in.grad[1]) > 0
        assert torch.count_nonzero(out["kl_per_dim"][0, 2:]) == 0
    for m, model in enumerate(models):  # the stacked loss is each model's own loss
        stack.copy_to(m, model)
        k = model.latent_dim
        noise = torch.zeros(2, 8, 5)
        noise[m, :, :k] = torch.randn(8, k, generator=torch.Generator().manual_seed(1))
        alone = model.loss(x[m], generator=torch.Generator().manual_seed(1))
        batched = stack.loss(x, noise)
        for key in ("loss", "recon", "kl"):
            torch.testing.assert_close(batched[key][m], alone[key])


@pytest.mark.parametrize("when", ["train", "epoch", "evaluated"])
def test_a_cancel_from_the_progress_callback_writes_nothing(tmp_path, data_dir, when):
    cancel, seen = threading.Event(), []

    def progress(event):
        seen.append(event["event"])
        if event["event"] == when:
            cancel.set()

    config = small_sweep((1.0, 2.0), (2,), 2)
    with pytest.raises(SweepCancelled, match="nothing was written"):
        train_sweep(
            config, tmp_path / "sweep", data_dir, download=False, progress=progress, cancel=cancel, report_seconds=0
        )
    assert seen[-1] == when and seen.count(when) == 1  # stopped at the next step, test batch or evaluation
    assert list(tmp_path.rglob("*")) == []  # no checkpoint folder, checkpoint.json, summary or temporary file


def test_a_diverged_model_is_left_out_and_the_others_saved(tmp_path, data_dir, monkeypatch):
    real_loss, calls = StackedVAE.loss, []

    def loss(self, x, noise, kl_weight=1.0):  # model 1's training loss becomes NaN at its 2nd step
        out = real_loss(self, x, noise, kl_weight)
        calls.append(torch.is_grad_enabled())
        if sum(calls) >= 2 and torch.is_grad_enabled():
            out["loss"] = out["loss"] * torch.tensor([1.0, float("nan")])
        return out

    monkeypatch.setattr(StackedVAE, "loss", loss)
    config = small_sweep((1.0, 2.0), (2,), 1)
    result = train_sweep(config, tmp_path, data_dir, download=False)
    assert [c.name for c in result.checkpoints] == ["mnist-vae-b1-z2"]
    assert [p.name for p in list_checkpoints(tmp_path)] == ["mnist-vae-b1-z2"]
    summary = json.loads((tmp_path / "sweep.json").read_text())
    assert [m["name"] for m in summary["models"]] == ["mnist-vae-b1-z2"]
    (diverged,) = summary["diverged"]
    assert diverged["name"] == "mnist-vae-b2-z2" and "loss became nan at epoch 1 step 2 of 3" in diverged["error"]


def test_a_sweep_where_every_model_diverges_raises_and_writes_nothing(tmp_path, data_dir):
    config = small_sweep((1.0,), (2, 3), 1, lr=1e30)
    with pytest.raises(NonFiniteLossError, match="every model of the sweep diverged"):
        train_sweep(config, tmp_path / "sweep", data_dir, download=False)
    assert list(tmp_path.iterdir()) == []


CLI_SWEEP = [
    "sweep",
    "--betas",
    "1",
    "4",
    "--latent-dims",
    "2",
    "3",
    "--epochs",
    "1",
    "--hidden-dim",
    "32",
    "--train-subset",
    "256",
    "--test-subset",
    "100",
    "--device",
    "cpu",
    "--quiet",
    "--no-download",
]


def test_sweep_cli_writes_checkpoints_the_explorer_loads_and_a_summary(tmp_path, data_dir, capsys):
    out = tmp_path / "grid"
    assert (
        main(
            [
                *CLI_SWEEP,
                "--data-dir",
                str(data_dir),
                "--out-dir",
                str(out),
                "--name",
                "grid",
                "--weight-dtype",
                "float16",
            ]
        )
        == 0
    )
    assert f"wrote 4 checkpoints and {out / 'sweep.json'}" in capsys.readouterr().out
    names = ["grid-b1-z2", "grid-b1-z3", "grid-b4-z2", "grid-b4-z3"]
    assert [p.name for p in list_checkpoints(out)] == names
    summary = json.loads((out / "sweep.json").read_text())
    assert summary["format"] == "latent-explorer-sweep" and summary["dataset"] == "mnist"
    assert summary["betas"] == [1.0, 4.0] and summary["latent_dims"] == [2, 3] and summary["epochs"] == 1
    assert summary["n_train"] == 256 and summary["n_test"] == 100 and summary["diverged"] == []
    assert summary["device"].startswith("cpu") and summary["wall_seconds"] >= summary["training_seconds"] > 0
    for entry, name in zip(summary["models"], names):
        checkpoint = load_checkpoint(out / name)
        assert entry["name"] == checkpoint.name == name
        assert (entry["beta"], entry["latent_dim"]) == (checkpoint.model.config.beta, checkpoint.model.latent_dim)
        assert entry["test_loss"] == checkpoint.meta["metrics"]["test_loss"]
        assert len(entry["kl_per_dim"]) == entry["latent_dim"] and len(entry["curves"]["test_loss"]) == 1
        assert 0 <= entry["active_units"] <= entry["latent_dim"] and entry["seconds"] > 0
        assert checkpoint.meta["train"]["weight_dtype"] == "float16" and checkpoint.meta["sweep"]["name"] == "grid"
        weights = checkpoint.meta["files"]["weights"]
        with open(out / name / weights, "rb") as f:
            assert b'"F16"' in f.read(2000)  # stored as float16, as the zoo's
    assert not list(out.rglob("*.tmp"))


@pytest.mark.parametrize(
    "args,field",
    [
        (["--betas", "-1"], "beta"),
        (["--betas", "nan"], "beta"),
        (["--betas", "1", "1"], "betas"),
        (["--betas", "0.1", "0.1000000001"], "names"),
        (["--latent-dims", "0"], "latent_dim"),
        (["--latent-dims", "2", "2"], "latent_dims"),
        (["--epochs", "0"], "epochs"),
        (["--name", "../evil"], "name"),
        (["--device", "gpu"], "device"),
        (["--weight-dtype", "int8"], "weight_dtype"),
        (["--dataset", "cifar"], "dataset"),
        (["--lr", "-1"], "lr"),
        (["--train-subset", "0"], "train_subset"),
        (["--betas", *map(str, range(11)), "--latent-dims", *map(str, range(1, 11))], "110 models"),
    ],
)
def test_sweep_cli_refuses_bad_values_with_one_line_and_exit_code_2(tmp_path, capsys, args, field):
    assert main([*CLI_SWEEP, "--out-dir", str(tmp_path / "out"), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and field in err and err.count("\n") == 1 and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_default_grid_is_the_full_grid_on_a_gpu_and_a_small_one_on_the_cpu(monkeypatch):
    cpu = default_grid("cpu")
    assert cpu.note and len(cpu.betas) * len(cpu.latent_dims) < 35 and cpu.train_subset
    assert cpu.config(TrainConfig(device="cpu")).runs()[0].train_subset == cpu.train_subset
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    full = default_grid("auto")
    assert (full.betas, full.latent_dims, full.epochs) == ((0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0), (2, 4, 8, 16, 32), 5)
    assert full.note == "" and full.train_subset is None and len(full.config().runs()) == 35
