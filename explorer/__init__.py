"""The Latent Explorer app, in three layers; a layer imports only the ones above it:

- :mod:`explorer.core`: the loaded models and every rule that depends on their kind, the test images, the page's
  state and lessons as data, sweeps and their training queue, fair sharing; plain Python on torch, no Gradio.
- :mod:`explorer.views`: pictures, figures and HTML made from core objects; pure functions, no Gradio.
- :mod:`explorer.page`: the Gradio page: its header, tabs, the table of what changes what, its scripts.

``app.py`` (the repository's root) starts it.
"""
