"""The page's tabs, one module each (named in :data:`explorer.core.state.TABS`, in page order: the id a link's
``tab`` field says). A tab module holds, in this order: its view functions (no Gradio: a lineup and plain values
in, pictures, figures and text out), its layout (a class whose ``__init__`` places its components inside its
``gr.Tab``), its handlers (methods returning ``{component: value}``) and the wiring of its own controls
(``wire``). What the rest of the page changes in a tab, and what a tab changes in the rest of the page, is
declared in one place: :mod:`explorer.page.changes`.

A new tab: a module here with ``TITLE`` and its class, and its name in ``TABS``.
"""

from __future__ import annotations

import importlib

from explorer.core.state import TABS


def modules() -> list[tuple[str, object]]:
    """(name, module) of each tab, in page order."""
    return [(name, importlib.import_module(f"{__name__}.{name}")) for name in TABS]
