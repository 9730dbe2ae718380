"""Structured logs (ONEGRID_LOG_FORMAT=json; settings LOGGING, config/requestlog.py): one JSON
line per request with its id, method, path, view, status and duration — and nothing personal
(no query string, no header, no phone number, no token)."""

from __future__ import annotations

import json
import logging

from onegrid.config.requestlog import RequestIdFilter, request_id_from

from .support_ops import json_lines, run_django

PHONE = "13812345678"
SECRET = "tok-abcdefghijklmnopqrstuvwxyz"


def test_a_request_logs_one_json_line_with_its_id_and_nothing_personal(tmp_path):
    done = run_django(
        "from django.test import Client\n"
        "c = Client(HTTP_AUTHORIZATION='Bearer " + SECRET + "')\n"
        "r = c.get('/healthz?phone=" + PHONE + "&token=" + SECRET + "',"
        " HTTP_X_REQUEST_ID='nginx-rid-0001')\n"
        "print('HEADER', r['X-Request-ID'])\n"
        "r = c.get('/no-such-page/?phone=" + PHONE + "')\n"
        "print('HEADER', r['X-Request-ID'])\n",
        {"ONEGRID_LOG_FORMAT": "json"},
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    lines = json_lines(done.stderr)
    requests = [line for line in lines if line["logger"] == "onegrid.request"]
    assert len(requests) == 2, done.stderr
    first, second = requests
    assert first["request_id"] == "nginx-rid-0001"  # nginx's $request_id carried through
    assert first["method"] == "GET" and first["path"] == "/healthz"
    assert first["view"] == "healthz" and first["status"] == 200
    assert isinstance(first["duration_ms"], float) and first["duration_ms"] >= 0
    assert first["level"] == "INFO" and first["time"].endswith("+00:00")
    assert second["status"] == 404 and second["path"] == "/no-such-page/"
    assert len(second["request_id"]) == 32 and second["request_id"] != first["request_id"]
    headers = [line.split()[1] for line in done.stdout.splitlines() if line.startswith("HEADER")]
    assert headers == [first["request_id"], second["request_id"]]
    # Django's own "Not Found" line: the same id, the request without its query string.
    django_lines = [line for line in lines if line["logger"] == "django.request"]
    assert django_lines and django_lines[0]["request_id"] == second["request_id"]
    assert django_lines[0]["request"] == "GET /no-such-page/"
    assert PHONE not in done.stderr and SECRET not in done.stderr
    # Every line on standard error is JSON (nothing plain slips through).
    assert all(line.startswith("{") for line in done.stderr.splitlines() if line.strip())


def test_text_format_stays_the_default_and_logs_no_request_lines(tmp_path):
    done = run_django("from django.test import Client\nClient().get('/healthz')\n", {}, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "onegrid.request" not in done.stderr and not json_lines(done.stderr)


def test_a_forged_request_id_is_replaced():
    assert request_id_from("abc123-DEF_456.x") == "abc123-DEF_456.x"
    for bad in ("", "short", "x" * 65, "id with spaces", 'quote"injection', "a\nb-multiline"):
        made = request_id_from(bad)
        assert made != bad and len(made) == 32


def test_lines_outside_a_request_have_an_empty_id():
    record = logging.LogRecord("onegrid.x", logging.INFO, __file__, 1, "tick", None, None)
    assert RequestIdFilter().filter(record) and record.request_id == ""
    assert json.dumps(record.request_id) == '""'
