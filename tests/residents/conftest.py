"""Fixtures of the residents tests: the SMS file backend in the test's own folder."""

from __future__ import annotations

import re

import pytest

from onegrid.notify import sms


@pytest.fixture
def outbox(settings, tmp_path):
    """SMS go to a file of this test's own; `outbox.code(phone)` is the last code sent there."""
    settings.ONEGRID = {
        **settings.ONEGRID,
        "SMS_BACKEND": "file",
        "SMS_FILE": str(tmp_path / "sms" / "outbox.jsonl"),
    }

    class Outbox:
        @staticmethod
        def messages(phone=None):
            return sms.outbox(phone)

        @staticmethod
        def code(phone):
            texts = [m["text"] for m in sms.outbox(phone)]
            codes = [re.search(r"(?<![0-9])([0-9]{6})(?![0-9])", t) for t in texts]
            found = [c.group(1) for c in codes if c]
            assert found, f"no code sent to {phone}: {texts}"
            return found[-1]

    return Outbox()
