"""Photo copies: what making the viewing copy and thumbnail costs, against decoding the original.

For each kind of photo, three runs each in a fresh process (so peak memory is that run's own):
the baseline decodes the original whole (what a page of originals makes a browser do, and what a
naive server-side resize would do); `copies` runs cases.photo_copies.make_copies. Prints time
and peak-memory growth of both and their ratios copies/baseline, and the pixels a browser
decodes for the viewing copy against the original.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"

CHILD = r"""
import io, json, sys, time
from PIL import Image
sys.path.insert(0, sys.argv[3])
from onegrid.cases.photo_copies import make_copies

def rss_kib(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])

content = open(sys.argv[1], "rb").read()
open("/proc/self/clear_refs", "w").write("5")  # restart the peak (VmHWM) from here
before = rss_kib("VmRSS")
start = time.perf_counter()
if sys.argv[2] == "decode":
    with Image.open(io.BytesIO(content)) as image:
        image.load()
        pixels = image.width * image.height
else:
    copies = make_copies(content, view_px=1600, thumb_px=320)
    with Image.open(io.BytesIO(copies.view)) as view:
        pixels = view.width * view.height
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "kib": rss_kib("VmHWM") - before, "pixels": pixels}))
"""


def phone_like(size, fmt: str) -> bytes:
    """Smooth gradients with some noise: compresses like a photo, not like a flat colour."""
    from PIL import Image

    width, height = size
    small = Image.radial_gradient("L").resize((width // 8, height // 8))
    noise = Image.effect_noise((width // 8, height // 8), 40)
    image = Image.merge("RGB", (small, noise, small.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    image = image.resize(size, Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **({"quality": 88} if fmt == "JPEG" else {}))
    return buffer.getvalue()


def run(path: Path, mode: str) -> dict:
    best = None
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(path), mode, str(SRC)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        result = json.loads(out)
        if best is None or result["seconds"] < best["seconds"]:
            best = result
    return best


def main() -> None:
    cases = [
        ("3 MP JPEG (2048×1536, as the field app sends)", (2048, 1536), "JPEG"),
        ("12 MP JPEG (4000×3000)", (4000, 3000), "JPEG"),
        ("40 MP JPEG (7300×5475)", (7300, 5475), "JPEG"),
        ("12 MP PNG (4000×3000)", (4000, 3000), "PNG"),
    ]
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"onegrid-bench-photos-{os.getpid()}"
    tmp.mkdir(exist_ok=True)
    for label, size, fmt in cases:
        path = tmp / f"photo.{fmt.lower()}"
        path.write_bytes(phone_like(size, fmt))
        start = time.perf_counter()
        base, copies = run(path, "decode"), run(path, "copies")
        took = time.perf_counter() - start
        print(f"{label}, {path.stat().st_size / 1e6:.1f} MB file (measured in {took:.0f} s)")
        print(
            f"  decode whole: {base['seconds'] * 1000:7.0f} ms, +{base['kib'] / 1024:6.0f} MiB"
            f"   copies: {copies['seconds'] * 1000:7.0f} ms, +{copies['kib'] / 1024:6.0f} MiB"
        )
        print(
            f"  copies/decode: time {copies['seconds'] / base['seconds']:.2f}×, "
            f"memory {copies['kib'] / max(base['kib'], 1):.2f}×; "
            f"browser pixels view/original {copies['pixels'] / base['pixels']:.3f}×"
        )
        path.unlink()
    tmp.rmdir()


if __name__ == "__main__":
    main()
