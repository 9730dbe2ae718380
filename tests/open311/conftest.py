"""Open311 fixtures: a registered client (its key), a class with attributes of every datatype,
and helpers that validate every answer against the schemas in tests/open311/schemas/."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest
import xmlschema

from onegrid.open311 import services
from onegrid.open311.models import ServiceAttribute

SCHEMAS = Path(__file__).parent / "schemas"
POINT = {"long": "117.105", "lat": "39.205"}  # in the world's first grid (street 果园新村)


@cache
def json_schema(kind: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / f"{kind}.json").read_text())
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


@cache
def xml_schema(kind: str) -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMAS / f"{kind}.xsd"))


def checked(response, kind: str):
    """The answer's body, after validating it against its schema: parsed JSON, or the XML
    document's root element."""
    content_type = response["Content-Type"] if hasattr(response, "__getitem__") else ""
    body = response.content
    if content_type.startswith("text/xml"):
        assert body.startswith(b"<?xml version='1.0' encoding='utf-8'?>") or body.startswith(
            b'<?xml version="1.0" encoding="UTF-8"?>'
        )
        xml_schema(kind).validate(body)
        return ET.fromstring(body)
    assert content_type.startswith("application/json"), content_type
    data = json.loads(body)
    json_schema(kind).validate(data)
    return data


def errors_of(response, status: int) -> list[str]:
    """The error descriptions of an error answer of `status`, validated as the spec's errors."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = checked(response, "errors")
    if isinstance(body, list):
        assert all(e["code"] == status for e in body)
        return [e["description"] for e in body]
    assert body.tag == "errors"
    assert all(e.findtext("code") == str(status) for e in body)
    return [e.findtext("description") or "" for e in body]


@pytest.fixture
def open311(world):
    """world + a client for the whole district (key), a client bound to the other street, and
    attributes on class A0102 (暴露垃圾) of every datatype."""
    client, key = services.add_client(
        actor=None, name="FixMyStreet 北辰", jurisdiction_code="120113000000"
    )
    street_client, street_key = services.add_client(
        actor=None, name="集贤里 app", jurisdiction_code="120113002000"
    )
    rubbish = world.rubbish
    ServiceAttribute.objects.create(
        case_class=rubbish,
        code="amount",
        datatype="singlevaluelist",
        required=True,
        description="How much rubbish?",
        order=1,
        values=[{"key": "bag", "name": "一袋"}, {"key": "pile", "name": "一堆"}],
    )
    ServiceAttribute.objects.create(
        case_class=rubbish,
        code="kinds",
        datatype="multivaluelist",
        description="What kinds?",
        order=2,
        values=[{"key": "food", "name": "厨余"}, {"key": "build", "name": "建筑垃圾"}],
    )
    ServiceAttribute.objects.create(
        case_class=rubbish, code="bags", datatype="number", description="Bags", order=3
    )
    ServiceAttribute.objects.create(
        case_class=rubbish, code="seen", datatype="datetime", description="Seen at", order=4
    )
    ServiceAttribute.objects.create(
        case_class=rubbish, code="note", datatype="string", description="Note", order=5
    )
    ServiceAttribute.objects.create(
        case_class=rubbish, code="more", datatype="text", description="More", order=6
    )
    ServiceAttribute.objects.create(
        case_class=rubbish,
        code="notice",
        datatype="string",
        variable=False,
        description="Do not touch sharp objects.",
        order=7,
    )
    return SimpleNamespace(
        world=world,
        client=client,
        key=key,
        street_client=street_client,
        street_key=street_key,
    )


def request_form(key: str, **extra) -> dict[str, str]:
    """A valid POST requests body for class A0102 in the world's first grid."""
    form = {
        "api_key": key,
        "service_code": "A0102",
        **POINT,
        "description": "路边堆了很多垃圾",
        "attribute[amount]": "pile",
    }
    form.update(extra)
    return {k: v for k, v in form.items() if v is not None}
