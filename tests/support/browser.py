"""Signing in, phones, waiting, screenshots and photo payloads for the Playwright tests
(tests/browser)."""

from __future__ import annotations

import io
import time
from pathlib import Path

from django.conf import settings
from PIL import Image

SCREENSHOTS = Path(settings.VAR_DIR) / "test-output" / "screenshots"
OUTSIDE = {"longitude": 116.0, "latitude": 39.0}  # Beijing's west, far outside the district


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


def at(point) -> dict:
    """A (lon, lat) point as a Playwright geolocation."""
    return {"longitude": point[0], "latitude": point[1]}


def phone(web, username, point=None, **options):
    """A signed-in phone (a browser context of the `web` fixture) whose GPS stands at `point`:
    (lon, lat) or a geolocation dict; world.point, inside grid 0, by default."""
    point = point or web.world.point
    location = point if isinstance(point, dict) else at(point)
    return web.context(
        username, phone=True, geolocation=location, permissions=["geolocation"], **options
    )


def open_report(page) -> None:
    """The field app's Report tab, once the GPS has set the location."""
    page.goto("/field/#report")
    page.wait_for_function("() => document.querySelector('#report-lon').value !== ''")


def fill_report(page, code="A0102", description="", colour=(200, 40, 40), photo_file=None):
    """A photo, a class chip and, if given, a description in the field app's report form."""
    page.set_input_files("#report-photo", photo_file or photo_payload(colour=colour))
    page.click(f'#class-chips .chip[data-code="{code}"]')
    if description:
        page.fill("#report-description", description)


def wait_until(check, timeout=15.0, what="condition") -> None:
    """Wait for something outside the page (the database, the page's IndexedDB read through
    `evaluate`); inside the page, wait_for_function with a function does it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


# Records Content-Security-Policy violations and uncaught errors from the first script of every
# document on (a function's text: the pages' CSP forbids eval, not Playwright's init scripts).
_WATCH_PROBLEMS = """
window.__problems = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__problems.push(`csp ${e.violatedDirective} ${e.blockedURI} ${e.sample || ""}`);
});
window.addEventListener("error", (e) => window.__problems.push(`error ${e.message}`));
"""


def watch_problems(ctx) -> list[str]:
    """Watch a browser context for CSP violations, script errors and console errors; returns
    the list the console errors go to (see `problems`)."""
    ctx.add_init_script(_WATCH_PROBLEMS)
    errors: list[str] = []

    def attach(page):
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))

    for page in ctx.pages:
        attach(page)
    ctx.on("page", attach)
    return errors


def problems(page, errors: list[str]) -> list[str]:
    """What went wrong on `page` so far: CSP violations, uncaught errors, console errors."""
    return [*page.evaluate("() => window.__problems || []"), *errors]
