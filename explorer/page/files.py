"""The app's cache folders kept small: files removed when old (writing is :func:`training.files.write_atomic`)."""

from __future__ import annotations

import os
import time
from pathlib import Path


def remove_older_than(folder: Path, seconds: float) -> None:
    """Remove the files under ``folder`` last changed more than ``seconds`` ago, and folders left empty."""
    limit = time.time() - seconds
    for root, dirs, files in os.walk(folder, topdown=False):
        for name in files:
            path = Path(root) / name
            try:
                if path.stat().st_mtime < limit:
                    path.unlink()
            except OSError:  # removed meanwhile
                pass
        for name in dirs:
            try:
                (Path(root) / name).rmdir()  # only if empty
            except OSError:
                pass
