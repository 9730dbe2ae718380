"""What the operations endpoints show and to whom: nginx keeps every path the app answers as a
probe (with or without a trailing slash) to the internal networks, and /readyz names a failing
dependency by its error class only — never the DSN, host, password or path in the message."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from onegrid.config import health, ops

ROOT = Path(__file__).resolve().parents[2]


def probe_location() -> re.Pattern[str]:
    conf = (ROOT / "deploy" / "nginx" / "onegrid.conf").read_text()
    found = re.search(r"location ~ (\S*healthz\S*) \{", conf)
    assert found, "deploy/nginx/onegrid.conf has no regex location for the probes"
    return re.compile(found.group(1))


@pytest.mark.parametrize("endpoint", sorted(ops.ENDPOINTS))
@pytest.mark.parametrize("suffix", ["", "/"])
def test_nginx_keeps_every_probe_path_the_app_answers_internal(endpoint, suffix):
    path = endpoint + suffix
    assert ops.ENDPOINTS.get(path.rstrip("/") or "/") is not None  # the app answers it
    assert probe_location().search(path), f"{path} reaches the app from anywhere"


def test_readyz_names_the_error_class_not_its_message(db, monkeypatch):
    secret = "postgres://onegrid:s3cret@db.internal:5432/onegrid /srv/onegrid/var"

    def failing() -> str:
        raise ConnectionError(secret)

    monkeypatch.setattr(health, "_database", failing)
    response = Client().get("/readyz/")
    assert response.status_code == 503
    body = response.content.decode()
    assert "ConnectionError" in body
    for leaked in ("s3cret", "db.internal", "/srv/onegrid", "postgres://"):
        assert leaked not in body
