"""The page's tabs, one module each with its ``TITLE`` and ``build(page)``: the tab's layout, handlers and
wiring (built inside its ``gr.Tab``, whose id is the module's name: what a link's ``tab`` field says).

A new tab is a new module here with a ``TITLE`` and a ``build(page)`` function, and its name in :data:`TABS`.
"""

from __future__ import annotations

import importlib

TABS = ["latent_map", "traversal", "sampling", "interpolation", "reconstruction", "insights",  # in page order
        "compare"]


def modules() -> list[tuple[str, object]]:
    """(name, module) of each tab, in page order."""
    return [(name, importlib.import_module(f"{__name__}.{name}")) for name in TABS]
