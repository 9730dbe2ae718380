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


def test_a_tracking_code_in_the_path_is_not_logged(db, caplog):
    import logging

    code = "SECRETCODE1234"
    with caplog.at_level(logging.INFO, logger="onegrid.request"):
        Client().get(f"/public/reports/{code}/")
    lines = [r for r in caplog.records if r.name == "onegrid.request"]
    assert lines and lines[-1].path == "/public/reports/…/"
    assert lines[-1].view.endswith("public_report")
    assert all(code not in str(r.__dict__) for r in lines)


def test_nginx_logs_no_tracking_code():
    conf = (ROOT / "deploy" / "nginx" / "onegrid.conf").read_text()
    log_format = re.search(r"log_format onegrid ([^;]*);", conf, re.S).group(1)
    assert "$uri" not in log_format and "$request_uri" not in log_format
    assert "$request " not in log_format
