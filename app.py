"""Latent Explorer: see and drag what PCA, autoencoders and VAEs learn.

    python app.py [--data-dir ../shared/data] [--port 7860] [--host 127.0.0.1]

Loads every checkpoint in ./checkpoints once, then serves the page on 127.0.0.1 (pass --host
0.0.0.0, or set GRADIO_SERVER_NAME, to share it on a network on purpose; the port is --port, else
GRADIO_SERVER_PORT, else 7860). Works offline; with a network, the only requests it makes are the
datasets' own loaders fetching a test set that is not on disk (LATENT_EXPLORER_OFFLINE=1: none).
"""

from __future__ import annotations

import argparse
import errno
import os
import socket
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no version check or telemetry requests
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_TEMP_DIR", str(ROOT / ".cache" / "gradio"))
UPLOADS_KEPT_S, CLEANED_EVERY_S = 900, 300  # uploads are read once, when they arrive


def create_app(
    checkpoints: str | Path = ROOT / "checkpoints",
    data_dir=None,
    device: str = "cpu",
    browser_decoding: bool = True,
    limits=None,
):
    """Load the zoo and build the page; returns (demo, launch kwargs for head/css/static files and the
    server's front door, :mod:`explorer.page.guard`). ``limits``: :class:`explorer.core.sharing.SharingLimits`."""
    import gradio as gr
    from starlette.middleware import Middleware

    from explorer.core.sharing import SharingLimits
    from explorer.core.store import Store
    from explorer.core.uploads import MAX_BYTES
    from explorer.page.app import CSS, build_app, page_theme
    from explorer.page.components import page_head, page_script, static_paths
    from explorer.page.guard import Guard

    limits = limits or SharingLimits()

    cache_dir = ROOT / ".cache" / "explorer"
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SystemExit(
            f"error: cannot write the app's cache folder {cache_dir} ({error.strerror}); "
            "run it from a copy you can write to"
        ) from None
    gr.set_static_paths([cache_dir, *static_paths()])
    store = Store.load(checkpoints, data_dir, device, cache_dir=cache_dir)
    for error in store.errors:
        print(f"warning: {error}", file=sys.stderr)
    demo = build_app(store, cache_dir, browser_decoding, limits=limits)
    published = {fn.api_name for fn in demo.fns.values() if fn.api_name and fn.api_visibility != "private"}
    for reason in demo.skipped_lessons.values():
        print(f"warning: lesson skipped: {reason}", file=sys.stderr)
    # run_history=False: the browser would otherwise store (and clone) every call, ~7 ms per slider step.
    return demo, {
        "css": CSS,
        "js": page_script(),
        "head": page_head(),
        "theme": page_theme(),
        "run_history": False,
        "allowed_paths": [str(cache_dir)],
        "max_file_size": MAX_BYTES,
        "app_kwargs": {
            "middleware": [Middleware(Guard, limits=limits, max_bytes=MAX_BYTES, api_names=lambda: published)]
        },
        "state_session_capacity": 500,
    }  # each session's state costs ~0.5 MB: keep the last 500


def port_number(text: str) -> int:
    """An argparse type: a TCP port number."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a port number (from --port or $GRADIO_SERVER_PORT)"
        ) from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is out of range 1-65535 (from --port or $GRADIO_SERVER_PORT)")
    return port


def device_name(text: str) -> str:
    """An argparse type: 'cpu', or 'cuda' / 'cuda:N' where that GPU exists."""
    if text == "cpu":
        return text
    if text == "cuda" or (text.startswith("cuda:") and text[5:].isdigit()):
        import torch

        index = int(text[5:] or 0)
        if not torch.cuda.is_available():
            raise argparse.ArgumentTypeError("no CUDA GPU on this machine; use --device cpu")
        if index >= torch.cuda.device_count():
            raise argparse.ArgumentTypeError(f"no GPU {index}: this machine has {torch.cuda.device_count()}")
        return text
    raise argparse.ArgumentTypeError(f"{text!r} is not a device; use cpu, cuda or cuda:N")


def _positive(text: str) -> int:
    """An argparse type: a whole number >= 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 1")
    return int(text)


def _sharing_defaults():
    from explorer.core.sharing import SharingLimits  # light: no torch, no gradio

    return SharingLimits()


def port_problem(host: str, port: int) -> str | None:
    """Why the server could not listen on host:port, in one line; None when it can."""
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will
            probe.bind((host, port))
    except socket.gaierror:
        return f"unknown host {host!r}; use 127.0.0.1 (this machine) or 0.0.0.0 (the network)"
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            return (
                f"port {port} is in use (is Latent Explorer already running? then open http://{host}:{port}); "
                f"or start on another port: --port {port + 1}"
            )
        if error.errno == errno.EACCES:
            return f"no permission to listen on port {port}; use a port above 1023, e.g. --port 7860"
        return f"cannot listen on {host}:{port} ({error.strerror}); check --host"
    return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoints", default=str(ROOT / "checkpoints"), help="folder of trained checkpoints")
    parser.add_argument(
        "--data-dir", help="dataset folder for the original images (default: $LATENT_EXPLORER_DATA or ./data)"
    )
    parser.add_argument(
        "--host",
        default=os.environ.get("GRADIO_SERVER_NAME") or "127.0.0.1",
        help="address to bind (default $GRADIO_SERVER_NAME, else 127.0.0.1: this machine only; "
        "0.0.0.0 shares it with the network)",
    )
    parser.add_argument(
        "--port",
        type=port_number,
        default=os.environ.get("GRADIO_SERVER_PORT") or "7860",
        help="port (default $GRADIO_SERVER_PORT, else 7860)",
    )
    parser.add_argument("--device", type=device_name, default="cpu", help="device that decodes (cpu or cuda)")
    parser.add_argument(
        "--server-decoding-only",
        action="store_true",
        help="decode slider positions on the server only (no in-page decoding)",
    )
    sharing = parser.add_argument_group("sharing the server (limits are per address, never per page load)")
    defaults = _sharing_defaults()
    sharing.add_argument(
        "--clients-per-address",
        type=_positive,
        default=defaults.clients_per_address,
        help="people one address stands for (a classroom behind one router: its size); each "
        "per-client limit is multiplied by it (default: %(default)s)",
    )
    sharing.add_argument(
        "--jobs-per-client",
        type=_positive,
        default=defaults.jobs_per_client,
        help="sweeps one client may have waiting or training (default: %(default)s)",
    )
    sharing.add_argument(
        "--jobs-waiting",
        type=_positive,
        default=defaults.jobs_waiting,
        help="sweeps that may wait in line in all (default: %(default)s)",
    )
    sharing.add_argument(
        "--uploads-per-minute",
        type=_positive,
        default=defaults.uploads_per_minute,
        help="pictures one client may upload a minute (default: %(default)s)",
    )
    sharing.add_argument(
        "--sweep-disk-mb",
        type=_positive,
        default=defaults.sweep_disk_mb,
        help="disk kept for sweeps trained from the page, the oldest removed first (default: %(default)s)",
    )
    sharing.add_argument(
        "--admin-token",
        default=os.environ.get("LATENT_EXPLORER_ADMIN_TOKEN"),
        help="a password (8+ characters) that lets a teacher cancel anyone's sweep from any "
        "machine (default: $LATENT_EXPLORER_ADMIN_TOKEN; the app's own machine needs none)",
    )
    args = parser.parse_args(argv)
    from explorer.core.sharing import SharingLimits

    try:
        limits = SharingLimits(
            args.clients_per_address,
            args.jobs_per_client,
            args.jobs_waiting,
            uploads_per_minute=args.uploads_per_minute,
            sweep_disk_mb=args.sweep_disk_mb,
            admin_token=args.admin_token,
        )
    except ValueError as error:
        parser.exit(2, f"error: {error}\n")
    started = time.perf_counter()
    problem = port_problem(args.host, args.port)  # before the slow part: say it at once
    if problem:
        parser.exit(2, f"error: {problem}\n")
    import torch

    # One core per request: requests run side by side (a slider's picture beside another's sampling grid)
    # instead of each taking every core in turn; measured under 30 clients, slider p95 204 -> 144 ms.
    torch.set_num_threads(1)
    demo, launch_kwargs = create_app(
        args.checkpoints, args.data_dir, args.device, not args.server_decoding_only, limits
    )
    try:
        demo.launch(server_name=args.host, server_port=args.port, prevent_thread_lock=True, quiet=True, **launch_kwargs)
    except OSError:  # taken meanwhile
        parser.exit(2, f"error: {port_problem(args.host, args.port) or f'cannot listen on {args.host}:{args.port}'}\n")
    print(f"Latent Explorer ready in {time.perf_counter() - started:.1f} s: http://{args.host}:{args.port}", flush=True)
    # Once the page is up, prepare the other lineups' data in the background.
    threading.Thread(target=demo.warm_up, name="warm-up", daemon=True).start()
    threading.Thread(target=demo.fetch_data, name="fetch-data", daemon=True).start()  # datasets not on disk
    threading.Thread(target=clean_uploads, name="clean-uploads", daemon=True).start()
    demo.block_thread()


def clean_uploads() -> None:
    """Every few minutes, remove uploads older than ``UPLOADS_KEPT_S`` from Gradio's folder (also those
    left by an earlier run that was killed), so a classroom's uploads never pile up."""
    from explorer.page.files import remove_older_than

    while True:
        remove_older_than(Path(os.environ["GRADIO_TEMP_DIR"]), UPLOADS_KEPT_S)
        time.sleep(CLEANED_EVERY_S)


if __name__ == "__main__":
    main()
