import fcntl
import hashlib
import json
import os
import re
import threading
from pathlib import Path

import pytest
import torch
from safetensors.torch import save as st_save

from training import CheckpointError, ModelConfig, build_model, checkpoint, load_checkpoint, load_metadata
from training.checkpoint import META_FILE, save_checkpoint


def _meta(name="x"):
    """The fields a checkpoint must hold besides its model and files (what the app reads)."""
    return {
        "name": name,
        "dataset": {"name": "mnist", "label_name": "digit", "class_names": list("0123456789")},
        "metrics": {"mse_per_pixel": 0.05},
        "curves": {},
        "training_seconds": 1.0,
    }


def _save(path, model, dtype=torch.float32, name="x"):
    latents = {"z": torch.randn(10, model.latent_dim), "labels": torch.arange(10)}
    return save_checkpoint(path, model, _meta(name), latents, dtype)


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


def _edit_meta(path, edit):
    meta = json.loads((path / META_FILE).read_text())
    edit(meta)
    (path / META_FILE).write_text(json.dumps(meta))


def _replace_latents(path, tensors):
    """Point checkpoint.json at a new latents file holding ``tensors`` (with a matching hash)."""
    data = st_save(tensors)
    (path / "latents-edited.safetensors").write_bytes(data)

    def edit(meta):
        meta["files"]["latents"] = "latents-edited.safetensors"
        meta["sha256"]["latents-edited.safetensors"] = hashlib.sha256(data).hexdigest()

    _edit_meta(path, edit)


def test_a_huge_config_is_refused_from_the_weights_header_before_any_model_is_built(tmp_path, vae, monkeypatch):
    path = _save(tmp_path / "c", vae)
    _edit_meta(path, lambda meta: meta["model"].update(hidden_dim=10_000_000))  # 31 GB if it were built
    monkeypatch.setattr(checkpoint, "build_model", lambda config: pytest.fail(f"built {config}"))
    with pytest.raises(
        CheckpointError,
        match=r"weights-\w+.safetensors: tensor '[\w.]+' has shape \([\d, ]+\), "
        r"the config in checkpoint.json needs \([\d, ]*10000000",
    ):
        load_checkpoint(path)
    _edit_meta(path, lambda meta: meta["model"].update(hidden_dim=10**12))
    with pytest.raises(CheckpointError, match="hidden_dim 1000000000000 is out of range: it must be between 1 and"):
        load_checkpoint(path)


def _delete(*keys):
    def edit(meta):
        for key in keys[:-1]:
            meta = meta[key]
        del meta[keys[-1]]

    return edit


def _set(value, *keys):
    def edit(meta):
        for key in keys[:-1]:
            meta = meta[key]
        meta[keys[-1]] = value

    return edit


@pytest.mark.parametrize(
    "edit,message",
    [
        (_delete("dataset"), "missing 'dataset'"),
        (_delete("dataset", "name"), "missing 'dataset.name'"),
        (_delete("name"), "missing 'name'"),
        (_set(5, "name"), "'name' must be a string"),
        (_set("../up", "name"), "plain folder name"),
        (_delete("files"), "missing 'files.weights'"),
        (_set(3, "files"), "'files' must be an object"),
        (_set("../w.safetensors", "files", "weights"), "in the folder"),
        (_delete("sha256"), "missing 'sha256'"),
        (_set({}, "sha256"), "'sha256' has no SHA-256 hex digest"),
        (_set([], "model"), "'model' must be an object"),
        (_set(2.5, "model", "latent_dim"), "latent_dim"),
        (_set("2", "model", "latent_dim"), "latent_dim"),
        (_set([1, 28], "model", "image_shape"), "image_shape"),
        (_set("gan", "model", "kind"), "model kind"),
        (_set(1, "model", "depth"), "unexpected keyword"),
        (_delete("metrics"), "missing 'metrics'"),
        (_delete("metrics", "mse_per_pixel"), "metrics.mse_per_pixel"),
        (_set(float("nan"), "metrics", "mse_per_pixel"), "'metrics.mse_per_pixel' must be finite numbers"),
        (_set([0.1], "metrics", "kl_per_dim"), "has 1 values, the model has 3"),
        (_set(2.0, "metrics", "iw_nll"), "missing 'metrics.iw_samples'"),
        (_set("0123456789", "dataset", "class_names"), "'dataset.class_names' must be null or a list of strings"),
        (_set(7, "dataset", "label_name"), "'dataset.label_name' must be a string"),
        (_set({"test_kl": [1.0]}, "curves"), "curves.test_recon"),
        (_set({"test_recon": ["x"]}, "curves"), "curves"),
        (_delete("training_seconds"), "missing 'training_seconds'"),
        (_set(None, "training_seconds"), "training_seconds"),
    ],
)
def test_a_checkpoint_json_without_what_the_app_reads_is_refused_naming_the_key(tmp_path, vae, edit, message):
    path = _save(tmp_path / "c", vae)
    _edit_meta(path, edit)
    for load in (load_metadata, load_checkpoint):
        with pytest.raises(CheckpointError, match=re.escape(message)):
            load(path)


@pytest.mark.parametrize(
    "change,message",
    [
        (dict(z=torch.full((10, 3), float("nan"))), "'z' contains NaN or infinity"),
        (dict(z=torch.zeros(10, 3, dtype=torch.int64)), "'z' missing or not (N, 3) floats"),
        (dict(z=torch.zeros(10, 2)), "'z' missing or not (N, 3) floats"),
        (dict(z=torch.zeros(0, 3), labels=torch.zeros(0, dtype=torch.int64)), "with N >= 1"),
        (dict(labels=torch.zeros(10)), "'labels' missing or not 10 integers"),
        (dict(labels=torch.zeros(9, dtype=torch.int64)), "'labels' missing or not 10 integers"),
        (dict(labels=torch.arange(10) + 1), "'labels' outside 0..9"),
        (dict(labels=torch.arange(10) - 1), "'labels' outside 0..9"),
        (dict(view_pca=torch.zeros(10, 3)), "'view_pca' is not (10, 2) floats"),
        (dict(view_umap=torch.full((10, 2), float("inf"))), "'view_umap' contains NaN or infinity"),
        (dict(view_pca_components=torch.zeros(2, 4)), "'view_pca_components' is not (2, 3) floats"),
    ],
)
def test_latent_codes_that_the_app_cannot_show_are_refused(tmp_path, vae, change, message):
    path = _save(tmp_path / "c", vae)
    _replace_latents(path, {"z": torch.randn(10, 3), "labels": torch.arange(10), **change})
    with pytest.raises(CheckpointError, match=re.escape(message)):
        load_checkpoint(path)
    with pytest.raises(CheckpointError, match=re.escape(message)):  # and a save never writes them
        save_checkpoint(tmp_path / "new", vae, _meta(), {"z": torch.randn(10, 3), "labels": torch.arange(10), **change})
    assert not (tmp_path / "new").exists()


def test_fewer_stored_codes_than_the_test_set_are_valid(tmp_path, vae):
    path = _save(tmp_path / "c", vae)
    _replace_latents(path, {"z": torch.randn(4, 3), "labels": torch.tensor([3, 1, 4, 1])})
    assert load_checkpoint(path).latents["z"].shape == (4, 3)


def test_a_save_refuses_a_record_or_weights_it_could_not_load_and_writes_nothing(tmp_path, vae):
    meta = _meta()
    del meta["dataset"]
    with pytest.raises(CheckpointError, match="missing 'dataset'"):
        _save_with(tmp_path / "a", vae, meta)
    with torch.no_grad():
        vae.decoder.net[0].bias[0] = float("inf")
    with pytest.raises(CheckpointError, match="weights contain NaN or infinity"):
        _save_with(tmp_path / "b", vae, _meta())
    assert list(tmp_path.iterdir()) == []


def _save_with(path, model, meta):
    return save_checkpoint(path, model, meta, {"z": torch.randn(10, model.latent_dim), "labels": torch.arange(10)})


def test_data_files_that_vanish_or_cannot_be_read_give_one_clear_error(tmp_path, vae, monkeypatch):
    path = _save(tmp_path / "c", vae)
    real_read = checkpoint._read

    def vanished(file, limit):
        if file.suffix == ".safetensors":
            raise FileNotFoundError(2, "No such file or directory", str(file))
        return real_read(file, limit)

    monkeypatch.setattr(checkpoint, "_read", vanished)
    with pytest.raises(CheckpointError, match="file named in checkpoint.json is missing"):
        load_checkpoint(path)
    monkeypatch.undo()

    real_open = Path.open

    def denied(self, *args, **kwargs):
        if self.suffix == ".safetensors":
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", denied)
    with pytest.raises(CheckpointError, match=r"cannot be read \(Permission denied\)"):
        load_checkpoint(path)
    monkeypatch.undo()

    _weights(path).unlink()
    _weights(path).mkdir()  # something else now stands where the file was
    with pytest.raises(CheckpointError, match=r"cannot be read \(Is a directory\)"):
        load_checkpoint(path)


def test_a_reader_whose_files_a_newer_save_removed_reads_the_new_checkpoint(tmp_path, vae, monkeypatch):
    path = _save(tmp_path / "c", vae, name="old")
    torch.manual_seed(1)
    new = build_model(ModelConfig(kind="vae", latent_dim=3, hidden_dim=16))
    real_read, saved = checkpoint._read, []

    def read(file, limit):
        if file.name.startswith("weights-") and not saved:  # a training run commits while we load
            saved.append(_save(path, new, name="new"))
            assert not file.exists()
        return real_read(file, limit)

    monkeypatch.setattr(checkpoint, "_read", read)
    loaded = load_checkpoint(path)
    assert saved and loaded.meta["name"] == "new"
    for key, value in new.state_dict().items():
        assert torch.equal(loaded.model.state_dict()[key], value)


def test_a_save_removes_temporary_files_of_dead_writers_and_waits_for_a_live_one(tmp_path, vae):
    path = _save(tmp_path / "c", vae, name="first")
    dead = path / ".weights-0123456789ab.safetensors.k1ll3d.tmp"
    dead.write_bytes(b"half a file")
    _save(path, vae, name="second")
    assert not dead.exists() and sorted(p.name for p in path.iterdir() if p.name.startswith(".")) == []

    fd = os.open(path, os.O_RDONLY)  # a live writer holds the folder's lock while its temporary file exists
    fcntl.flock(fd, fcntl.LOCK_EX)
    live = path / ".checkpoint.json.l1v3.tmp"
    live.write_bytes(b"{")
    waiting = threading.Thread(target=_save, args=(path, vae), kwargs={"name": "third"})
    waiting.start()
    waiting.join(0.5)
    assert waiting.is_alive() and live.exists() and load_metadata(path)["name"] == "second"
    live.unlink()  # the live writer renames its file and lets go
    os.close(fd)
    waiting.join()
    assert load_metadata(path)["name"] == "third"


@pytest.mark.parametrize(
    "text,message",
    [
        (b"[" * 100_000, "not valid JSON"),
        (b"\xff\xfe{}", "not valid JSON"),
        (b'{"format": ' + b"9" * 5000 + b"}", "not valid JSON"),
        (b"[1, 2]", "not a Latent Explorer checkpoint"),
    ],
)
def test_hostile_checkpoint_json_gives_one_clear_error(tmp_path, vae, text, message):
    path = _save(tmp_path / "c", vae)
    (path / META_FILE).write_bytes(text)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(path)
    (path / META_FILE).unlink()
    (path / META_FILE).mkdir()
    with pytest.raises(CheckpointError, match="cannot be read"):
        load_checkpoint(path)
