"""Latent Explorer: see and drag what PCA, autoencoders and VAEs learn.

    python app.py [--data-dir ../shared/data] [--port 7860] [--host 127.0.0.1]

Loads every checkpoint in ./checkpoints once, then serves the page on 127.0.0.1 (pass --host
0.0.0.0 to share it on a network on purpose). Works offline: nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no version check or telemetry requests
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_TEMP_DIR", str(ROOT / ".cache" / "gradio"))


def create_app(checkpoints: str | Path = ROOT / "checkpoints", data_dir=None, device: str = "cpu",
               browser_decoding: bool = True):
    """Load the zoo and build the page; returns (demo, launch kwargs for head/css/static files)."""
    import gradio as gr

    from explorer.components import static_paths
    from explorer.store import Store
    from explorer.ui import CSS, build_app

    cache_dir = ROOT / ".cache" / "explorer"
    cache_dir.mkdir(parents=True, exist_ok=True)
    gr.set_static_paths([cache_dir, *static_paths()])
    store = Store.load(checkpoints, data_dir, device, cache_dir=cache_dir)
    for error in store.errors:
        print(f"warning: {error}", file=sys.stderr)
    demo = build_app(store, cache_dir, browser_decoding)
    theme = gr.themes.Soft(text_size="md", spacing_size="sm", font=["DejaVu Sans", "system-ui", "sans-serif"])
    # run_history=False: the browser would otherwise store (and clone) every call, ~7 ms per slider step.
    return demo, {"css": CSS, "theme": theme, "run_history": False,
                  "allowed_paths": [str(cache_dir)]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoints", default=str(ROOT / "checkpoints"), help="folder of trained checkpoints")
    parser.add_argument("--data-dir", help="dataset folder for the original images "
                                           "(default: $LATENT_EXPLORER_DATA or ./data)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--device", default="cpu", help="device that decodes (cpu or cuda)")
    parser.add_argument("--server-decoding-only", action="store_true",
                        help="decode slider positions on the server only (no in-page decoding)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    demo, launch_kwargs = create_app(args.checkpoints, args.data_dir, args.device, not args.server_decoding_only)
    print(f"Latent Explorer ready in {time.perf_counter() - started:.1f} s: http://{args.host}:{args.port}")
    demo.launch(server_name=args.host, server_port=args.port, prevent_thread_lock=True, **launch_kwargs)
    # Once the page is up, prepare the other lineups' data in the background.
    threading.Thread(target=demo.warm_up, name="warm-up", daemon=True).start()
    demo.block_thread()


if __name__ == "__main__":
    main()
