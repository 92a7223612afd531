"""The page's own decoder (``window.leDecode``, the one interpreter of the ops a model exports) against the
server's pixels, in headless Chromium: every decoder of the committed zoo, through the weights file the page
fetches; decoders of shapes the zoo lacks (two and three channels, 64x64 and 28x20); the traversal's slider rule
as the linear op the server sends. And the page's adapter to plotly's private layout (``window.lePlotly``)
against a plot drawn in the page: a plotly release that moves what it reads fails here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from browser import local_context

from explorer.core.entries import MAX_AXES, slider_code, slider_map
from explorer.page import components
from explorer.page.assets import Assets
from training import ModelConfig, build_model

REPO = Path(__file__).resolve().parents[1]
RUN = """async ([ops, weights, input]) => {
  const w = typeof weights === "string" ? new Float32Array(await (await fetch(weights)).arrayBuffer())
                                        : Float32Array.from(weights);
  return Array.from(window.leDecode.run(ops, w, Float32Array.from(input)));
}"""


@pytest.fixture(scope="module")
def page(live_app):
    with local_context() as context:
        page = context.new_page()
        page.goto(live_app)
        page.wait_for_function("window.leDecode && window.lePlotly")
        yield page


def test_every_zoo_decoder_runs_in_the_page_as_on_the_server(page, zoo):
    assets = Assets(REPO / ".cache" / "explorer")  # the folder the live app serves
    assert len(zoo.entries) >= 17
    for entry in zoo.entries.values():
        url, ops = assets.decoder(entry)
        codes = torch.stack(
            [
                slider_code(entry, 3, [1.5, -0.5]),
                slider_code(entry, None, [-2.0, 1.0]),
                torch.randn(entry.latent_dim, generator=torch.Generator().manual_seed(0)) * 2,
            ]
        )
        y = entry.class_of(None, 3, len(codes))  # a conditional model: the code, then the one-hot class
        server = entry.decode(codes, y).flatten(1).numpy()
        tail = [] if y is None else torch.nn.functional.one_hot(y[0], entry.model.config.n_classes).tolist()
        for code, expected in zip(codes.tolist(), server):
            decoded = np.array(page.evaluate(RUN, [ops, url, code + tail]))
            np.testing.assert_allclose(decoded, expected, atol=2e-5, rtol=0, err_msg=entry.name)


@pytest.mark.parametrize(
    "config",
    [
        dict(kind="vae", backbone="conv", image_shape=(1, 64, 64), latent_dim=16),
        dict(kind="ae", backbone="conv", image_shape=(2, 28, 20), hidden_dim=16),
        dict(kind="vae", backbone="conv", image_shape=(3, 32, 32), hidden_dim=16),
        dict(kind="ae"),
        dict(kind="pca", latent_dim=3),
    ],
)
def test_decoders_of_any_shape_run_in_the_page_as_in_torch(page, config):
    torch.manual_seed(0)
    model = build_model(ModelConfig(**config)).eval()
    if config["kind"] == "pca":
        model.components_.normal_()
        model.mean_.uniform_()
    exported = model.export_decoder()
    ops = [op for op, _ in exported]
    weights = torch.cat([t.detach().float().reshape(-1) for _, tensors in exported for t in tensors]).tolist()
    z = torch.randn(model.latent_dim) * 2
    with torch.no_grad():
        expected = model.decode(z[None]).flatten().numpy()
    np.testing.assert_allclose(np.array(page.evaluate(RUN, [ops, weights, z.tolist()])), expected, atol=2e-5, rtol=0)


def test_the_slider_rule_the_server_sends_gives_the_servers_code(page, zoo):
    for name in ("mnist-vae-z16-beta4", "mnist-ae-z2", "faces-pca-z16"):
        entry = zoo.entries[name]
        n = min(entry.latent_dim, MAX_AXES)
        base, basis = slider_map(entry, 5, n)
        offsets = [0.5 * (i + 1) * (-1) ** i for i in range(n)]
        op = [{"op": "linear", "in": n, "out": entry.latent_dim}]
        code = page.evaluate(RUN, [op, [*basis.T.reshape(-1).tolist(), *base.tolist()], offsets])
        np.testing.assert_allclose(code, slider_code(entry, 5, offsets).numpy(), atol=1e-5, rtol=0, err_msg=name)
    cvae = zoo.entries["mnist-cvae-z2"]  # a conditional model: the sliders move the code, never the class after it
    base, basis = slider_map(cvae, 5, 2, drawn=3)
    op = [{"op": "linear", "in": 2, "out": len(base)}]
    given = page.evaluate(RUN, [op, [*basis.T.reshape(-1).tolist(), *base.tolist()], [1.0, -2.0]])
    np.testing.assert_allclose(given[:2], slider_code(cvae, 5, [1.0, -2.0]).numpy(), atol=1e-5, rtol=0)
    assert given[2:] == [float(c == 3) for c in range(10)]


def test_the_pages_plotly_adapter_reads_a_plot_as_drawn(page):
    # plotly.js as a plot's head loads it (the first screen, the latent maps, does not use it)
    page.add_script_tag(url=f"/gradio_api/file={components.plotly_js()}")
    found = page.evaluate("""async () => {
      const div = document.body.appendChild(Object.assign(document.createElement('div'),
                                                          {style: 'width: 400px; height: 300px'}));
      const before = lePlotly.drawn(div);
      await Plotly.newPlot(div, [{x: [0, 10], y: [0, 5], mode: 'markers'}],
                           {margin: {l: 50, r: 20, t: 30, b: 40}, xaxis: {range: [0, 10]}, yaxis: {range: [0, 5]}});
      const out = {before, drawn: lePlotly.drawn(div), size: lePlotly.size(div)};
      div.style.width = '500px';
      await Plotly.Plots.resize(div);
      out.resized = lePlotly.size(div);
      Plotly.purge(div); div.remove();
      return out;
    }""")
    assert not found["before"] and found["drawn"] and found["size"] == {"width": 400, "height": 300}
    assert found["resized"] == {"width": 500, "height": 300}
