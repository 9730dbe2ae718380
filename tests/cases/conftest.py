"""Helpers for workflow tests (the `world` fixture itself lives in tests/conftest.py)."""

from __future__ import annotations

import io
import itertools

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from small_world import MONDAY_MORNING  # noqa: F401 - tests import it from here

_keys = itertools.count()


def photo(name="p.jpg", fmt="JPEG", colour=(200, 40, 40)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(buffer, fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def new_key() -> str:
    return f"k-{next(_keys)}"
