"""The field app's checks as the reporter types (suggest, likely duplicates) are bounded per
person: over ONEGRID["SMART_CALLS_PER_MINUTE"] calls a minute, a 429 {code, message, field,
retry_after} with Retry-After; other people are not held up, and the minute passes."""

from __future__ import annotations

import time

import pytest

from support.api import token_client

CALLS = {
    "/api/v1/smart/suggest": {"text": "井盖丢了"},
    "/api/v1/smart/duplicates": {"class_code": "A0102", "text": ""},
}


@pytest.mark.parametrize("url", list(CALLS))
def test_a_person_over_the_rate_gets_a_429_and_others_do_not(world, settings, url, monkeypatch):
    settings.ONEGRID = {**settings.ONEGRID, "SMART_CALLS_PER_MINUTE": 3}
    body = dict(CALLS[url])
    if "duplicates" in url:
        body["lon"], body["lat"] = world.point
    worker = token_client(world.people.worker)
    answers = [worker.post(url, body, content_type="application/json") for _ in range(4)]
    assert [a.status_code for a in answers[:3]] == [200, 200, 200], answers[0].content
    refused = answers[3]
    assert refused.status_code == 429
    out = refused.json()
    assert out["code"] == "throttled" and out["field"] is None
    assert 1 <= out["retry_after"] <= 60 and refused["Retry-After"] == str(out["retry_after"])
    assert str(out["retry_after"]) in out["message"]
    # Another reporter is not held up by the first.
    other = token_client(world.people.resident)
    assert other.post(url, body, content_type="application/json").status_code == 200
    # A minute later the first may call again.
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    assert worker.post(url, body, content_type="application/json").status_code == 200
