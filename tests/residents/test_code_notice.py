"""The page's notice that a code was sent gives the code's life from the setting, as the SMS
itself does, not a fixed "10 minutes"."""

from __future__ import annotations

import re

from django.test import Client


def test_the_notice_and_the_sms_give_the_same_life(db, outbox, settings):
    settings.ONEGRID = {
        **settings.ONEGRID,
        "RESIDENTS": {**settings.ONEGRID["RESIDENTS"], "CODE_LIFE_SECONDS": 300},
    }
    page = Client().post("/resident/register/", {"phone": "13700003333", "send_code": "1"})
    assert page.status_code == 200
    assert "5分钟内有效" in page.content.decode()
    (message,) = outbox.messages("13700003333")
    # The life in minutes, read where the text gives it (the code's own six digits may hold
    # any run of digits, "10" among them).
    assert re.findall(r"(\d+)\s*分钟", message["text"]) == ["5"]
