"""The loaded models and their rules: checkpoints as model entries (:mod:`~explorer.core.entries`, the only module
that knows PCA, AE and VAE), the store that resolves a lineup (:mod:`~explorer.core.store`), latent maths
(:mod:`~explorer.core.latent`), the page's state and lessons as data (:mod:`~explorer.core.state`,
:mod:`~explorer.core.lessons`), sweeps, their training queue and fair sharing (:mod:`~explorer.core.sweeps`,
:mod:`~explorer.core.jobs`, :mod:`~explorer.core.sharing`), and the checks on values and pictures from outside
(:mod:`~explorer.core.inputs`, :mod:`~explorer.core.uploads`).

May import: :mod:`training`, torch, numpy, PIL. Never :mod:`explorer.views`, :mod:`explorer.page` or gradio.
"""
