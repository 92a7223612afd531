"""Pictures, figures and HTML made from the core's objects, as pure functions: pictures as uint8 arrays
(:mod:`~explorer.views.images`, :mod:`~explorer.views.panels`), the latent maps' templates and their layers
(:mod:`~explorer.views.plots`, :mod:`~explorer.views.map_layers`), plotly figures as dicts
(:mod:`~explorer.views.plots`, :mod:`~explorer.views.sweep_views`), the Compare grid's HTML
(:mod:`~explorer.views.sweep_grid`), and text from outside made safe to show (:mod:`~explorer.views.safe_html`).

May import: :mod:`explorer.core`, :mod:`training`, torch, numpy, PIL. Never :mod:`explorer.page` or gradio.
"""
