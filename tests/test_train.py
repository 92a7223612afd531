import subprocess
import sys

import pytest
import torch

from training import TrainConfig, load_checkpoint, train


@pytest.mark.parametrize("model,dataset,backbone", [("pca", "mnist", "mlp"), ("ae", "mnist", "mlp"),
                                                    ("vae", "mnist", "mlp"), ("vae", "faces", "conv"),
                                                    ("ae", "frey", "conv")])
def test_smoke_train_writes_a_loadable_checkpoint(tmp_path, data_dir, model, dataset, backbone):
    config = TrainConfig(dataset=dataset, model=model, latent_dim=3, backbone=backbone, hidden_dim=64,
                         augment="hflip" if dataset == "faces" else "none",
                         epochs=2, batch_size=32, train_subset=512, test_subset=200, iw_samples=5,
                         umap=False, device="cpu")
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
    config = TrainConfig(model="vae", latent_dim=2, hidden_dim=32, epochs=1, train_subset=256, test_subset=64,
                         umap=False, device="cpu")
    a = train(config, None, data_dir, download=False, progress=False)
    b = train(config, None, data_dir, download=False, progress=False)
    assert torch.equal(a.latents["z"], b.latents["z"])


def test_kl_warmup_is_recorded_in_the_curves(data_dir):
    config = TrainConfig(model="vae", latent_dim=2, hidden_dim=32, epochs=3, train_subset=256, test_subset=64,
                         batch_size=64, kl_schedule="linear", warmup_epochs=2, umap=False, device="cpu")
    curves = train(config, None, data_dir, download=False, progress=False).meta["curves"]
    assert curves["kl_weight"][0] < curves["kl_weight"][1] <= 1.0 == curves["kl_weight"][2]


@pytest.mark.parametrize("bad", [dict(augment="rotate"), dict(kl_schedule="sawtooth"), dict(epochs=-1),
                                 dict(weight_dtype="int8")])
def test_train_config_rejects_bad_values(bad):
    with pytest.raises(ValueError):
        TrainConfig(**bad)


def test_cli_help_lists_commands_and_options():
    out = subprocess.run([sys.executable, "-m", "training", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "zoo" in out.stdout and "report" in out.stdout
    out = subprocess.run([sys.executable, "-m", "training", "train", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "--kl-schedule" in out.stdout and "--latent-dim" in out.stdout


def test_training_package_does_not_import_gradio():
    code = "import sys, training, training.__main__; assert 'gradio' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
