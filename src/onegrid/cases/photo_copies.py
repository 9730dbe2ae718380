"""The viewing copy and the thumbnail of a photo: what pages show instead of the original.

A phone photo is 12–50 megapixels; a browser holds every pixel it shows (4 bytes each), so a
page of originals costs hundreds of megabytes. Pages show a JPEG of at most
`PHOTO_VIEW_PX` on its long side and lists a `PHOTO_THUMB_PX` thumbnail; the original is kept
untouched as evidence and only linked. The copies are turned upright by the EXIF orientation
and carry no EXIF at all (no GPS position, no camera serial): only the original keeps it.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from PIL import Image, ImageOps

VIEW_QUALITY = 82
THUMB_QUALITY = 75


@dataclass(frozen=True)
class Copies:
    view: bytes
    thumb: bytes


def make_copies(content: bytes, *, view_px: int, thumb_px: int) -> Copies:
    """JPEG copies of an image already checked by `photos.validate_photo`."""
    with Image.open(io.BytesIO(content)) as image:
        exif = image.getexif()
        # A JPEG decoder can scale by 1/2, 1/4 or 1/8 while decoding (draft): ask for the
        # smallest scale still at least the copy's size, so a large photo is never decoded
        # whole (a 12 MP photo: ~3× faster, a quarter of the memory). The box is square, so
        # the size fits before and after turning upright.
        scale = min(1.0, view_px / max(image.size))
        image.draft(None, (math.ceil(image.width * scale), math.ceil(image.height * scale)))
        image.thumbnail((view_px, view_px), Image.Resampling.BICUBIC)
        view = _upright(image, exif)
    view = _rgb(view)
    thumb = view.copy()
    thumb.thumbnail((thumb_px, thumb_px), Image.Resampling.BICUBIC)
    return Copies(_jpeg(view, VIEW_QUALITY), _jpeg(thumb, THUMB_QUALITY))


def _upright(image: Image.Image, exif: Image.Exif) -> Image.Image:
    method = {
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_270,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_90,
    }.get(int(exif.get(ImageOps.ExifTags.Base.Orientation) or 1))
    return image.transpose(method) if method is not None else image.copy()


def _rgb(image: Image.Image) -> Image.Image:
    """RGB for JPEG: transparency laid on white, 16-bit and float greys scaled to 8 bits."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        image = image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    elif image.mode == "F":
        image = image.point(lambda v: v * 255).convert("L")
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return image.convert("RGB")


def _jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    # No exif= argument: Pillow writes none, so the copies hold no position or camera data.
    # Baseline JPEG: progressive/optimised would be ~8 % smaller for ~5× the encoding time.
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()
