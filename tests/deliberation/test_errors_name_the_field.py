"""An error on the deliberation pages names its field by the label the reader sees
("标题：此项为必填项。"), not just "此项为必填项。" at the top of a long page."""

from __future__ import annotations

import html

from django.utils import translation

from onegrid.deliberation.models import Voter
from support import deliberation_topics as dt_
from support import deliberation_votes as dv


def _label(msgid: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


def test_the_desk_names_the_field_of_an_error(world):
    client = dt_.page_client(dt_.committee(world))
    refused = client.post(
        "/deliberation/raise/",
        {
            "community": world.community.pk,
            "scope": "community",
            "title": "",
            "body": "小区门口路灯坏了很久",
            "key": "desk-label",
        },
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert refused.status_code == 400
    page = html.unescape(refused.content.decode())
    alert = page.split('role="alert">')[1].split("</p>")[0]
    assert alert.startswith(_label("title") + "："), alert
    # And what was typed is still there.
    assert "小区门口路灯坏了很久</textarea>" in page


def test_a_roll_check_names_the_missing_tick(world):
    client = dt_.page_client(dt_.committee(world))
    entry = dv.voter(dv.household(world.grids[0]), state=Voter.State.PENDING)
    unticked = client.post(
        f"/deliberation/roll/{entry.pk}/check/",
        {"method": "in_person"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert unticked.status_code == 400
    page = html.unescape(unticked.content.decode())
    alert = page.split('data-form="voter-')[1].split("</p>")[0]
    assert _label("18 or older, lives in the place") + "：" in alert, alert
