"""Control characters in a report's text are refused naming the field, on every way in (the
API, and report_case for Open311 and the forms): they reach SMS, e-mail, webhooks, feeds and
exports from there. Line breaks and tabs are text."""

from __future__ import annotations

import pytest
from django.test import Client

from onegrid.cases import services
from onegrid.cases.models import Case
from onegrid.core.errors import InvalidInput
from support.cases import new_key


@pytest.mark.parametrize("field", ["description", "address", "reporter_name"])
@pytest.mark.parametrize("text", ["x\x1b[2Jy", "x\x0by", "x\x7fy", "x\x08y"])
def test_control_characters_in_report_text_are_refused(world, field, text):
    client = Client()
    client.force_login(world.people.resident)
    data = {
        "class_code": world.rubbish.code,
        "lon": str(world.point[0]),
        "lat": str(world.point[1]),
        "description": "ok",
        "idempotency_key": new_key(),
        field: text,
    }
    answer = client.post("/api/v1/cases", data)
    assert answer.status_code == 422, answer.content
    assert answer.json()["field"] == field
    assert not Case.objects.exists()


def test_line_breaks_and_tabs_are_text(world):
    case = services.report_case(
        actor=world.people.resident,
        lon=world.point[0],
        lat=world.point[1],
        class_code=world.rubbish.code,
        description="第一行\r\n第二行\t完",
        idempotency_key=new_key(),
    ).case
    assert case.description == "第一行\r\n第二行\t完"


def test_anonymous_reports_refuse_them_too(world):
    with pytest.raises(InvalidInput) as refused:
        services.report_anonymously(
            lon=world.point[0],
            lat=world.point[1],
            class_code=world.rubbish.code,
            description="x\x1by",
            address="",
            photo_files=(),
            idempotency_key=new_key(),
        )
    assert refused.value.field == "description"
