"""Peak memory of reading one upload, for the largest pictures the app accepts and for ones it refuses.

Each file is made here, then read in a fresh process exactly as the upload handler reads it
(explorer.core.uploads.read_picture, then images.prepare_upload into a 28x28 digit and a 64x64 face); the
peak resident memory of that process (VmHWM) is compared with its peak before the read.

    python benchmarks/bench_uploads.py

Writes benchmarks/results/uploads.json.
"""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]

READ = """
import sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from explorer.views.images import ImageInputError, prepare_upload
from explorer.core.uploads import read_picture

def peak():
    status = dict(l.split(":", 1) for l in Path("/proc/self/status").read_text().splitlines())
    return int(status["VmHWM"].split()[0]) / 1024

before = peak()
started = time.perf_counter()
try:
    picture = read_picture({path!r})
    prepare_upload(picture, (1, 28, 28), "digit")
    prepare_upload(picture, (1, 64, 64), "face")
    outcome = "read"
except ImageInputError as error:
    outcome = "refused: " + str(error)
print(before, peak(), time.perf_counter() - started, outcome, sep="\\t")
"""


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG", compress_level=9)
    return buffer.getvalue()


def bomb_png(side: int) -> bytes:
    rows = zlib.compress((b"\x00" * (side + 1)) * side, 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", rows)
        + chunk(b"IEND", b"")
    )


def files() -> dict[str, bytes]:
    side = 5000  # 25 million pixels: the most the app reads
    ramp = np.linspace(0, 255, side, dtype=np.float32)
    rgba = np.empty((side, side, 4), np.uint8)
    rgba[..., 0] = ramp[None, :]
    rgba[..., 1] = ramp[:, None]
    rgba[..., 2] = 128
    rgba[..., 3] = 255
    rgba[1000:4000, 2300:2700, 3] = 0
    photo = io.BytesIO()
    Image.fromarray(rgba[..., :3]).resize((8000, 6000)).save(photo, format="JPEG", quality=70)
    return {
        "5000x5000 RGBA PNG (accepted, the largest)": png(rgba),
        "8000x6000 JPEG, a 48 MP phone photo (accepted, decoded at 1/8)": photo.getvalue(),
        "12000x12000 PNG in 140 KB (refused from its header)": bomb_png(12000),
        "20000x20000 PNG (refused by PIL's own limit)": bomb_png(20000),
    }


def measure(data: bytes) -> dict:
    """Read ``data`` as an upload in a fresh process: {peak_increase_mb, seconds, outcome}."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload"
        path.write_bytes(data)
        line = subprocess.run(
            [sys.executable, "-c", READ.format(root=str(ROOT), path=str(path))],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    before, after, seconds, outcome = line.split("\t")
    return {
        "peak_increase_mb": round(float(after) - float(before)),
        "seconds": round(float(seconds), 2),
        "outcome": outcome,
    }


def main() -> None:
    results = []
    for name, data in files().items():
        results.append({"file": name, "bytes": len(data), **measure(data)})
        print(json.dumps(results[-1]), flush=True)
    out = ROOT / "benchmarks" / "results" / "uploads.json"
    out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
