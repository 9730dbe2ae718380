"""Signing in, screenshots and photo payloads for the Playwright tests (tests/browser)."""

from __future__ import annotations

import io
from pathlib import Path

from django.conf import settings
from PIL import Image

SCREENSHOTS = Path(settings.VAR_DIR) / "test-output" / "screenshots"


def sign_in(page, username: str, password: str | None = None) -> None:
    """Sign in through the login page, as a person would; leaves the page on their landing."""
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password or f"pw-{username}")
    page.click("button[type=submit].primary")
    page.wait_for_url(lambda url: "/login/" not in url)


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def jpeg_bytes(colour=(200, 40, 40), size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


def photo_payload(name="photo.jpg", colour=(200, 40, 40)) -> dict:
    """A file for Playwright's set_input_files."""
    return {"name": name, "mimeType": "image/jpeg", "buffer": jpeg_bytes(colour)}
