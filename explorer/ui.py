"""The Gradio page: layout first, then wiring. All work is done by :class:`explorer.handlers.Handlers`."""

from __future__ import annotations

import functools
from pathlib import Path

import gradio as gr

from .handlers import METRIC_HEADERS, Handlers, InputError
from .images import ImageInputError
from .panels import MAX_AXES, TRAVERSAL_RANGE
from .store import Store

STATIC = Path(__file__).parent / "static"
CSS = """
.gradio-container { max-width: 1500px !important; font-size: 16px; }
.pixelated img, .pixelated canvas { image-rendering: pixelated; }
#le-live, #le-live .prose, #le-live .html-container { max-width: none !important; width: 100%; }
.le-live { display: flex; gap: 14px; width: 100%; }
.le-live figure { flex: 1; margin: 0; }
.le-live figcaption { font-weight: 600; font-size: 18px; margin-bottom: 4px; }
.le-frame { position: relative; width: 100%; max-width: 360px; }
.le-frame img, .le-frame canvas { position: absolute; inset: 0; width: 100%; height: 100%; image-rendering: pixelated; }
.le-frame canvas.le-local { z-index: 1; }
.look { font-size: 17px; color: var(--body-text-color-subdued); margin: 0 0 4px 0; }
#le-preview { position: fixed; z-index: 1000; pointer-events: none; display: none; background-repeat: no-repeat;
  image-rendering: pixelated; border: 3px solid #222; border-radius: 4px; box-shadow: 0 4px 14px rgba(0,0,0,.35); }
"""
LOOK = {
    "map": "Each dot is a test image placed at its code. Look for classes that form clean clusters, and "
           "for the VAE's map filling a round blob around 0 while the AE's codes sprawl with gaps. "
           "Hover a dot to see the image; click one to select it; on 2-D maps click empty space to decode it.",
    "traversal": "Drag a slider: one latent axis moves and the decoded image morphs live. A VAE's axes "
                 "change the image smoothly; an AE's often jump or break off into noise.",
    "sampling": "The same N(0, I) draws decoded by each model. VAE samples look like data; AE samples are "
                "mostly garbage, because nothing made the AE's codes look like N(0, I).",
    "interpolation": "Walk in a straight line (or along the sphere) between two codes. The VAE's path "
                     "passes through plausible images; the AE's and PCA's pass through ghosts and blends.",
    "reconstruction": "Top: test images; below: each model's reconstruction with its error. Then draw or "
                      "upload your own image: it is encoded, reconstructed and starred in every latent map.",
    "insights": "How training went and how the models compare: lower MSE is a sharper reconstruction; "
                "the VAE trades some of it for a latent space you can sample.",
}


def _friendly(fn):
    """Show bad input as a short message in the page instead of a traceback."""
    @functools.wraps(fn)
    def wrapper(*args):
        try:
            return fn(*args)
        except (InputError, ImageInputError) as error:
            raise gr.Error(str(error), duration=8) from None
    return wrapper


def _start_index(selected, start_mode: str) -> int:
    """The traversal start as the handlers take it: the selected image's index, or -1 for the centre."""
    return selected if start_mode == "selected" else -1


def _image(label: str, show_label: bool = False, **kwargs) -> gr.Image:
    """An output picture: PNG (lossless), crisp when scaled, downloadable. Pictures carry their own title."""
    kwargs.setdefault("elem_classes", "pixelated")
    return gr.Image(label=label, show_label=show_label, format="png", type="numpy", interactive=False,
                    buttons=["download", "fullscreen"], **kwargs)


def build_app(store: Store, cache_dir: Path, browser_decoding: bool = True) -> gr.Blocks:
    h = Handlers(store, cache_dir, browser_decoding)
    datasets = store.datasets()
    if not datasets:
        raise SystemExit("no checkpoints found; train them with `python -m training zoo`")
    first = datasets[0]
    first_dims = store.latent_dims(first)

    with gr.Blocks(title="Latent Explorer") as demo:
        gr.Markdown("# Latent Explorer — PCA vs autoencoder vs VAE\nPick a dataset and a latent size: "
                    "every panel compares the three models on the same images.")
        with gr.Row(equal_height=True):
            dataset = gr.Dropdown(datasets, value=first, label="Dataset", scale=1)
            latent_dim = gr.Radio(first_dims, value=first_dims[0], label="Latent size k", scale=1)
            vae = gr.Dropdown(h.vae_choices(first, first_dims[0]), label="VAE (β variants)", scale=1)
            index = gr.Number(0, precision=0, label="Selected test image #", minimum=0, scale=1, elem_id="le-index")
            view = gr.Radio([("first two dims", "dims"), ("PCA of z", "pca"), ("UMAP of z", "umap")],
                            value="dims", label="Map view (k > 2)", scale=2)
        status = gr.Markdown()
        event = gr.Textbox(elem_id="le-event", visible="hidden")
        decoder_spec = gr.Textbox(elem_id="le-decoder", visible="hidden")  # for in-page slider decoding
        yours = gr.State(None)

        with gr.Tab("Latent map"):
            gr.Markdown(LOOK["map"], elem_classes="look")
            with gr.Row():
                maps = [gr.Plot(label=name, show_label=False) for name in ("PCA", "AE", "VAE")]
            with gr.Row():
                selection = _image("Selected image and its reconstructions", scale=3, elem_id="le-selection")
                here = _image("What lives here? (click empty space on a 2-D map)", scale=1, elem_id="le-here")
        with gr.Tab("Traversal"):
            gr.Markdown(LOOK["traversal"], elem_classes="look")
            with gr.Row():
                with gr.Column(scale=2):
                    start = gr.Radio([("the selected image", "selected"), ("the centre (z = 0)", "centre")],
                                     value="selected", label="Start from")
                    sliders = [gr.Slider(-TRAVERSAL_RANGE, TRAVERSAL_RANGE, value=0, step=0.05,
                                         label=f"axis {i + 1}", elem_id=f"le-axis-{i}") for i in range(MAX_AXES)]
                    reset = gr.Button("Reset sliders")
                with gr.Column(scale=2):  # (gr.HTML alone ignores scale)
                    live = gr.HTML(elem_id="le-live", padding=False, min_height=300)  # AE | VAE, side by side
            gr.Markdown("**Traversal grids** (β-VAE papers): each row sets one axis to −3 … 3 standard deviations "
                        "around the centre, others held at the start code. A row whose KL is near 0 is an unused "
                        "dimension: it does not change the image.", elem_classes="look")
            grid_vae, grid_ae = _image("VAE traversal grid"), _image("AE traversal grid")
            with gr.Row():
                gif_button = gr.Button("Export traversal as animated GIF")
                gif = gr.File(label="GIF", height=80)
        with gr.Tab("Sampling"):
            gr.Markdown(LOOK["sampling"], elem_classes="look")
            with gr.Row():
                grid_size = gr.Slider(2, 16, value=8, step=1, label="grid n × n")
                seed = gr.Number(0, precision=0, label="seed", minimum=0)
                resample = gr.Button("Resample (new seed)")
            with gr.Row():
                samples = [_image(f"{name} samples") for name in ("PCA", "AE", "VAE")]
            manifold_note = gr.Markdown("**Manifold** (2-D models; Kingma & Welling, Fig. 4): a regular grid of "
                                        "codes through the Gaussian inverse CDF. The VAE's changes smoothly and "
                                        "stays plausible everywhere; the AE's has holes.", elem_classes="look")
            with gr.Row():
                manifold_size = gr.Slider(5, 25, value=15, step=1, label="manifold n × n")
            with gr.Row():
                manifolds = [_image(f"{name} manifold") for name in ("PCA", "AE", "VAE")]
        with gr.Tab("Interpolation"):
            gr.Markdown(LOOK["interpolation"], elem_classes="look")
            with gr.Row():
                image_b = gr.Number(1, precision=0, label="to test image # (from the selected one)", minimum=0)
                random_b = gr.Button("Random end image")
                steps = gr.Slider(3, 16, value=10, step=1, label="steps")
            interpolation = _image("Interpolations (originals at both ends)")
        with gr.Tab("Reconstruction"):
            gr.Markdown(LOOK["reconstruction"], elem_classes="look")
            with gr.Row():
                recon_seed = gr.Number(0, precision=0, label="seed for the test images", minimum=0)
                recon_again = gr.Button("Other test images")
            reconstruction = _image("Reconstructions (MSE per image)")
            with gr.Row():
                sketch = gr.Sketchpad(label="Draw a digit", type="numpy", image_mode="RGBA", canvas_size=(280, 280),
                                      brush=gr.Brush(default_size=18, colors=["#000000"], color_mode="fixed"),
                                      elem_id="le-sketch")
                upload = gr.Image(label="…or upload any picture", type="numpy", sources=["upload", "clipboard"])
                with gr.Column():
                    encode_button = gr.Button("Encode my drawing / upload", variant="primary")
                    yours_picture = _image("Your image and each model's reconstruction", elem_id="le-yours")
        with gr.Tab("Insights"):
            gr.Markdown(LOOK["insights"], elem_classes="look")
            curves = gr.Plot(show_label=False)
            variance = gr.Plot(show_label=False)
            metrics = gr.Dataframe(headers=METRIC_HEADERS, interactive=False, label="Metrics (test set)")

        # ---- wiring ------------------------------------------------------------------------------
        model = [dataset, latent_dim, vae]

        @_friendly
        def on_dataset(name):
            dims = store.latent_dims(name)
            choices = h.vae_choices(name, dims[0])
            return (gr.update(choices=dims, value=dims[0]),
                    gr.update(choices=choices, value=choices[0][1] if choices else None), 0)

        @_friendly
        def on_latent_dim(name, k):
            choices = h.vae_choices(name, k)
            return gr.update(choices=choices, value=choices[0][1] if choices else None)

        @_friendly
        def refresh_maps(name, k, vae_name, view_name, selected, start_mode, mine):
            """What the first screen shows (status, maps, selection) and the slider set-up: sent first."""
            trio = h.trio(name, k, vae_name)
            labels = h.slider_labels(name, k, vae_name)
            slider_updates = [gr.update(label=labels[i], visible=True, value=0) if i < len(labels)
                              else gr.update(visible=False, value=0) for i in range(MAX_AXES)]
            mine = None if mine and set(mine) != set(trio) else mine
            start_index = _start_index(selected, start_mode)
            return (h.status(name, k, vae_name), gr.update(visible=int(k) > 2),
                    *h.maps(name, k, vae_name, view_name, selected, mine), h.select(name, k, vae_name, selected),
                    None, *slider_updates, mine, h.decoder_spec(name, k, vae_name, start_index))

        @_friendly
        def refresh_panels(name, k, vae_name, selected, start_mode, n, seed_value, m, b, n_steps, rseed):
            """Every other tab's pictures, computed right after the first screen is up."""
            start_index = _start_index(selected, start_mode)
            b = min(int(b), len(store.images(name).labels) - 1)
            two_d = int(k) == 2
            manifold_updates = ([gr.update(value=p, visible=p is not None) for p in h.manifolds(name, k, vae_name, m)]
                                if two_d else [gr.update(visible=False)] * 3)
            return (h.live(name, k, vae_name, start_index, [0.0] * MAX_AXES),
                    *h.traversal_grids(name, k, vae_name, start_index), *h.samples(name, k, vae_name, n, seed_value),
                    gr.update(visible=two_d), *manifold_updates,
                    h.interpolate(name, k, vae_name, selected, b, n_steps), h.reconstruct(name, k, vae_name, rseed),
                    *h.insights(name, k, vae_name))

        maps_args = dict(fn=refresh_maps, inputs=[*model, view, index, start, yours],
                         outputs=[status, view, *maps, selection, here, *sliders, yours, decoder_spec],
                         api_visibility="private")
        panels_args = dict(fn=refresh_panels,
                           inputs=[*model, index, start, grid_size, seed, manifold_size, image_b, steps, recon_seed],
                           outputs=[live, grid_ae, grid_vae, *samples, manifold_note, *manifolds,
                                    interpolation, reconstruction, curves, variance, metrics],
                           api_visibility="private")

        demo.load(**maps_args).then(**panels_args)
        dataset.input(on_dataset, dataset, [latent_dim, vae, index], api_visibility="private").then(
            lambda: None, None, yours, api_visibility="private").then(**maps_args).then(**panels_args)
        latent_dim.input(on_latent_dim, [dataset, latent_dim], vae, api_visibility="private").then(
            lambda: None, None, yours, api_visibility="private").then(**maps_args).then(**panels_args)
        vae.input(**maps_args).then(**panels_args)

        maps_fn = _friendly(h.maps)
        view.input(maps_fn, [*model, view, index, yours], maps, api_name="maps")

        @_friendly
        def on_select(name, k, vae_name, selected, start_mode, b, n_steps):
            start_index = _start_index(selected, start_mode)
            return (h.select(name, k, vae_name, selected), *[0] * MAX_AXES,
                    h.live(name, k, vae_name, start_index, [0.0] * MAX_AXES),
                    *h.traversal_grids(name, k, vae_name, start_index),
                    h.interpolate(name, k, vae_name, selected, b, n_steps),
                    h.decoder_spec(name, k, vae_name, start_index))

        select_outputs = [selection, *sliders, live, grid_ae, grid_vae, interpolation, decoder_spec]
        select_inputs = [*model, index, start, image_b, steps]
        index.submit(on_select, select_inputs, select_outputs, api_name="select").then(
            maps_fn, [*model, view, index, yours], maps, api_visibility="private")
        start.input(on_select, select_inputs, select_outputs, api_visibility="private")

        def on_event(text, name, k, vae_name, selected):
            found = h.parse_event(text)
            if found is None:
                return gr.update(), gr.update()
            if found["kind"] == "point":
                return int(found["index"]), gr.update()
            try:
                return gr.update(), h.decode_at(name, k, vae_name, str(found["model"]), float(found["x"]),
                                                float(found["y"]))
            except (InputError, KeyError, TypeError, ValueError) as error:
                raise gr.Error(str(error)) from None

        event.change(on_event, [event, *model, index], [index, here], api_name="map_event").then(
            on_select, select_inputs, select_outputs, api_visibility="private")


        @_friendly
        def on_slider(name, k, vae_name, selected, start_mode, *offsets):
            return h.live(name, k, vae_name, _start_index(selected, start_mode), list(offsets))

        for slider in sliders:
            slider.input(on_slider, [*model, index, start, *sliders], live, queue=False,
                         show_progress="hidden", trigger_mode="always_last", api_name="traverse")
        reset.click(lambda *a: [0] * MAX_AXES, None, sliders, api_visibility="private").then(
            on_slider, [*model, index, start, *sliders], live, api_visibility="private")
        gif_button.click(_friendly(lambda name, k, v, i, s: h.traversal_gif(name, k, v, _start_index(i, s))),
                         [*model, index, start], gif, api_name="traversal_gif")

        samples_fn = _friendly(h.samples)
        for trigger in (grid_size.release, seed.submit):
            trigger(samples_fn, [*model, grid_size, seed], samples, api_name="samples")
        resample.click(lambda s: int(s) + 1, seed, seed, api_visibility="private").then(
            samples_fn, [*model, grid_size, seed], samples, api_visibility="private")
        manifold_size.release(_friendly(h.manifolds), [*model, manifold_size], manifolds, api_name="manifolds")

        interpolate_fn = _friendly(h.interpolate)
        for trigger in (image_b.submit, steps.release):
            trigger(interpolate_fn, [*model, index, image_b, steps], interpolation, api_name="interpolate")
        random_b.click(lambda name: int(__import__("random").randrange(len(store.images(name).labels))), dataset,
                       image_b, api_visibility="private").then(
            interpolate_fn, [*model, index, image_b, steps], interpolation, api_visibility="private")

        reconstruct_fn = _friendly(h.reconstruct)
        recon_seed.submit(reconstruct_fn, [*model, recon_seed], reconstruction, api_name="reconstruct")
        recon_again.click(lambda s: int(s) + 1, recon_seed, recon_seed, api_visibility="private").then(
            reconstruct_fn, [*model, recon_seed], reconstruction, api_visibility="private")

        @_friendly
        def on_encode(name, k, vae_name, drawing, picture, view_name, selected):
            source = picture if picture is not None else drawing
            if isinstance(source, dict):  # the sketchpad's editor value
                source = source.get("composite")
            codes, figure = h.encode_image(name, k, vae_name, source)
            return codes, figure, *h.maps(name, k, vae_name, view_name, selected, codes)

        encode_button.click(on_encode, [*model, sketch, upload, view, index], [yours, yours_picture, *maps],
                            api_name="encode_image")
    return demo


def head_html() -> str:
    """The bridge script, inlined into the page's <head>."""
    return f"<script>{(STATIC / 'bridge.js').read_text()}</script>"

