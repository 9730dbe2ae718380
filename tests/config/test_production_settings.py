"""Production settings: deploy checks clean, HTTPS switches, and the security headers."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

import onegrid

TEMPLATES = Path(onegrid.__file__).parent / "web" / "templates"


def outside_environ(tmp_path) -> dict[str, str]:
    """The environment a deployed process starts with: none of this run's OneGrid settings,
    secret or test switches (the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE, which the deploy
    check rightly refuses)."""
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ONEGRID_") and k not in ("SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    environ["ONEGRID_VAR_DIR"] = str(tmp_path)
    return environ


def run_onegrid(tmp_path, *args, **env) -> subprocess.CompletedProcess:
    environ = outside_environ(tmp_path) | env
    return subprocess.run(
        [sys.executable, "-c", "from onegrid.config.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
    )


def production(**extra) -> dict:
    return {
        "ONEGRID_PRODUCTION": "1",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "grid.example.gov.cn",
        **extra,
    }


def test_deploy_check_is_clean_in_production(tmp_path):
    done = run_onegrid(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **production())
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNING" not in done.stdout + done.stderr


def test_deploy_check_warns_outside_production(tmp_path):
    done = run_onegrid(tmp_path, "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode != 0
    assert "security.W004" in done.stderr + done.stdout  # no HSTS


SHOW_SETTINGS = """
from django.conf import settings
import json
print(json.dumps({
    "redirect": settings.SECURE_SSL_REDIRECT,
    "hsts": settings.SECURE_HSTS_SECONDS,
    "subdomains": settings.SECURE_HSTS_INCLUDE_SUBDOMAINS,
    "preload": settings.SECURE_HSTS_PRELOAD,
    "proxy": getattr(settings, "SECURE_PROXY_SSL_HEADER", None),
    "img": settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"],
}))
"""


def settings_with(tmp_path, **env) -> dict:
    environ = outside_environ(tmp_path) | {"DJANGO_SETTINGS_MODULE": "onegrid.config.settings"}
    environ.update(env)
    code = "import django; django.setup()\n" + SHOW_SETTINGS
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environ, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_https_is_on_in_production_and_each_part_switches(tmp_path):
    on = settings_with(tmp_path, **production())
    assert on["redirect"] is True
    assert on["hsts"] == 365 * 24 * 3600
    assert on["subdomains"] is True
    assert on["preload"] is False
    assert on["proxy"] is None
    off = settings_with(
        tmp_path,
        **production(
            ONEGRID_SSL_REDIRECT="0",
            ONEGRID_HSTS_SECONDS="0",
            ONEGRID_HSTS_INCLUDE_SUBDOMAINS="0",
            ONEGRID_HSTS_PRELOAD="1",
            ONEGRID_PROXY_COUNT="1",
        ),
    )
    assert off["redirect"] is False
    assert off["hsts"] == 0
    assert off["subdomains"] is False
    assert off["preload"] is True
    assert off["proxy"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    demo = settings_with(tmp_path)
    assert demo["redirect"] is False and demo["hsts"] == 0


def test_the_map_tile_server_may_serve_images(tmp_path):
    tiles = settings_with(
        tmp_path, ONEGRID_MAP_TILE_URL="https://{s}.tiles.example.gov.cn:8443/{z}/{x}/{y}.png"
    )
    assert "https://*.tiles.example.gov.cn:8443" in tiles["img"]
    assert settings_with(tmp_path)["img"] == ["'self'", "data:", "blob:"]


def directives(header: str) -> dict[str, list[str]]:
    parts = [p.strip().split() for p in header.split(";") if p.strip()]
    return {p[0]: p[1:] for p in parts}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/login/", "/api/v1/workflow", "/no-such-page/", "/api/v1/x"])
def test_every_response_carries_the_security_headers(path):
    response = Client(raise_request_exception=False).get(path)
    policy = directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert set(policy["img-src"]) >= {"'self'", "data:", "blob:"}
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    permissions = response["Permissions-Policy"]
    assert "geolocation=(self)" in permissions
    assert "camera=(self)" in permissions
    assert "microphone=()" in permissions


@pytest.mark.django_db
def test_hsts_is_sent_over_https(settings):
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = Client().get("/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=3600; includeSubDomains"


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)


@pytest.mark.parametrize(
    "template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES))
)
def test_templates_need_no_unsafe_inline(template):
    """The CSP has no 'unsafe-inline': no inline script, handler, style block or attribute."""
    text = template.read_text(encoding="utf-8")
    assert not INLINE_SCRIPT.search(text), "inline <script>"
    assert not re.search(r"<style\b", text, re.I), "<style> block"
    assert not re.search(r"\sstyle\s*=", text, re.I), "style attribute"
    assert not re.search(r"\son[a-z]+\s*=", text, re.I), "inline event handler"
