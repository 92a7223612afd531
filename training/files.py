"""Writing files so that a reader never sees half of one: the one atomic write of the project.

:func:`write_atomic` writes a temporary file in the same folder, flushes and fsyncs it, then renames it over the
target (``os.replace``, atomic on POSIX and Windows): a reader, another process sharing the folder, or a run
killed at any moment sees the old file, the new one, or none; never a torn one. Checkpoints, sweep summaries
and the explorer's caches all write through it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """``data`` as ``path``, atomically (see the module docstring); the folder is made if it is missing (a cache
    folder may have been cleaned meanwhile)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
