"""The Latent Explorer app: pure latent math (latent.py), pictures (images.py, panels.py), figures
(plots.py), the loaded zoo (store.py), handlers (handlers.py) and the Gradio layer (ui.py)."""
