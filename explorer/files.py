"""Files the app writes into its cache folders: written atomically, removed when old."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path


def write_file(path: Path, data: bytes) -> None:
    """``data`` as ``path``, atomically (a temporary file in the same folder, then renamed): a reader, or
    another app sharing the cache folder, sees the old file, the new one, or none."""
    path.parent.mkdir(parents=True, exist_ok=True)  # the cache folder may have been cleaned meanwhile
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
