"""The page's tabs, one module each with its layout, handlers and wiring: ``build(page)``.

A new tab is a new module here with a ``build(page)`` function, and its name in :data:`TABS`.
"""

from __future__ import annotations

import importlib

TABS = ["latent_map", "traversal", "sampling", "interpolation", "reconstruction", "insights"]  # in page order


def modules() -> list:
    return [importlib.import_module(f"{__name__}.{name}") for name in TABS]
