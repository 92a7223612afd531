import json
import os

import pytest
import torch

from training import CheckpointError, ModelConfig, build_model, load_checkpoint
from training.checkpoint import META_FILE, save_checkpoint


def _save(path, model, dtype=torch.float32, name="x"):
    latents = {"z": torch.randn(10, model.latent_dim), "labels": torch.arange(10)}
    return save_checkpoint(path, model, {"name": name}, latents, dtype)


@pytest.fixture
def vae():
    torch.manual_seed(0)
    return build_model(ModelConfig(kind="vae", latent_dim=3, hidden_dim=16))


def test_save_load_is_bit_exact(tmp_path, vae):
    _save(tmp_path / "c", vae)
    loaded = load_checkpoint(tmp_path / "c")
    for key, value in vae.state_dict().items():
        assert torch.equal(loaded.model.state_dict()[key], value)
    assert loaded.meta["model"]["latent_dim"] == 3 and loaded.latents["z"].shape == (10, 3)


def test_float16_weights_load_as_the_rounded_float32_values(tmp_path, vae):
    _save(tmp_path / "c", vae, torch.float16)
    loaded = load_checkpoint(tmp_path / "c")
    for key, value in vae.state_dict().items():
        assert torch.equal(loaded.model.state_dict()[key], value.half().float())


def test_pca_buffers_round_trip(tmp_path):
    pca = build_model(ModelConfig(kind="pca", latent_dim=2)).fit(torch.rand(50, 1, 28, 28))
    _save(tmp_path / "p", pca)
    assert torch.equal(load_checkpoint(tmp_path / "p").model.components_, pca.components_)


def _weights(path):
    return path / json.loads((path / META_FILE).read_text())["files"]["weights"]


def test_truncated_weights_give_a_clear_error(tmp_path, vae):
    path = _save(tmp_path / "c", vae)
    file = _weights(path)
    file.write_bytes(file.read_bytes()[:100])
    with pytest.raises(CheckpointError, match="truncated or corrupt") as info:
        load_checkpoint(path)
    assert file.name in str(info.value)


def test_corrupt_json_and_foreign_files_give_clear_errors(tmp_path, vae):
    path = _save(tmp_path / "c", vae)
    (path / META_FILE).write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        load_checkpoint(path)
    (path / META_FILE).write_text(json.dumps({"hello": "world"}))
    with pytest.raises(CheckpointError, match="not a Latent Explorer checkpoint"):
        load_checkpoint(path)
    with pytest.raises(CheckpointError, match="no checkpoint here"):
        load_checkpoint(tmp_path / "nothing")


def test_shape_mismatch_names_the_tensor(tmp_path, vae):
    path = _save(tmp_path / "c", vae)
    meta = json.loads((path / META_FILE).read_text())
    meta["model"]["hidden_dim"] = 32  # the config now describes another network
    (path / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="has shape"):
        load_checkpoint(path)


def test_weights_that_are_not_safetensors_are_refused(tmp_path, vae):
    path = _save(tmp_path / "c", vae)
    file = _weights(path)
    junk = b"\x80\x04pickle-not-safetensors" * 10
    file.write_bytes(junk)
    meta = json.loads((path / META_FILE).read_text())
    import hashlib
    meta["sha256"][file.name] = hashlib.sha256(junk).hexdigest()  # even with a matching hash
    (path / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="not a readable safetensors file"):
        load_checkpoint(path)


def test_a_save_killed_before_its_commit_leaves_the_old_checkpoint(tmp_path, vae, monkeypatch):
    path = _save(tmp_path / "c", vae, name="old")
    other = build_model(ModelConfig(kind="vae", latent_dim=3, hidden_dim=16))
    real_replace = os.replace

    def killed(src, dst):  # the data files land, then the process "dies" before checkpoint.json
        if str(dst).endswith(META_FILE):
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        _save(path, other, name="new")
    monkeypatch.undo()
    loaded = load_checkpoint(path)
    assert loaded.meta["name"] == "old"
    for key, value in vae.state_dict().items():
        assert torch.equal(loaded.model.state_dict()[key], value)
    assert not list(path.glob("*.tmp"))
    _save(path, other, name="new")  # the next save succeeds and removes the orphaned files
    assert load_checkpoint(path).meta["name"] == "new" and len(list(path.glob("*.safetensors"))) == 2
