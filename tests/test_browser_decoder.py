"""The weights file and traversal spec that let the page decode slider positions itself."""

import numpy as np
import torch

from explorer import panels
from explorer.browser_decoder import decoder_file, is_browser_decodable, traversal_spec


def _decode_like_the_page(spec: dict, weights: np.ndarray, offsets: list[float]) -> np.ndarray:
    """The same arithmetic as decode() in explorer/static/bridge.js, in numpy."""
    k, h, d = spec["k"], spec["hidden"], spec["height"] * spec["width"]
    z = np.array(spec["base"], np.float32)
    for axis, step, offset in zip(spec["axes"], spec["step"], offsets):
        z[axis] += np.clip(offset, -spec["range"], spec["range"]) * step
    w1, b1 = weights[:h * k].reshape(h, k), weights[h * k:h * k + h]
    w2 = weights[h * k + h:h * k + h + d * h].reshape(d, h)
    b2 = weights[h * k + h + d * h:]
    hidden = np.maximum(w1 @ z + b1, 0)
    return (1 / (1 + np.exp(-(w2 @ hidden + b2)))).reshape(spec["height"], spec["width"])


def test_the_page_decodes_what_the_server_decodes(handlers, tmp_path):
    trio = handlers.trio("mnist", 2, "mnist-vae-z2")
    spec = traversal_spec({"ae": trio["ae"], "vae": trio["vae"]}, 5, tmp_path)
    assert set(spec) == {"ae", "vae"}
    for kind in ("ae", "vae"):
        entry = trio[kind]
        weights = np.fromfile(decoder_file(entry, tmp_path), dtype="<f4")
        assert weights.size == spec[kind]["hidden"] * (2 + 1) + 784 * (spec[kind]["hidden"] + 1)
        offsets = [1.5, -0.5]
        ours = _decode_like_the_page(spec[kind], weights, offsets)
        server = entry.decode(panels.slider_code(entry, 5, offsets)[None])[0, 0].numpy()
        np.testing.assert_allclose(ours, server, atol=1e-5)
    assert spec["vae"]["url"].startswith("/gradio_api/file=")
    assert spec["vae"]["axes"] == panels.traversal_axes(trio["vae"])


def test_conv_decoders_stay_on_the_server(handlers):
    from explorer.store import ModelEntry
    from training import ModelConfig, build_model

    conv = build_model(ModelConfig(kind="vae", image_shape=(1, 64, 64), backbone="conv", hidden_dim=16))
    entry = ModelEntry("faces-vae", {"model": conv.config.to_dict(), "metrics": {}}, conv,
                       {"z": torch.zeros(3, 2), "labels": torch.zeros(3)})
    assert not is_browser_decodable(entry) and traversal_spec({"vae": entry}, None, handlers.cache_dir) == {}
