"""GeoReport v2's two formats: the same answer as JSON or as XML.

An answer is a list of flat records (dicts) under a root element with one element per record
(`<services><service>…`), or one record (discovery, a service definition). A list inside a
record becomes a wrapper element with one child per item (`<attributes><attribute>…`,
`<formats><format>…`). XML is written by ElementTree, which escapes `<`, `&` and quotes; the
characters XML 1.0 cannot hold at all (most C0 controls, lone surrogates, U+FFFE/U+FFFF) are
replaced by U+FFFD, so hostile text can never break the document."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any

from django.http import HttpResponse

JSON = "json"
XML = "xml"
CONTENT_TYPES = {JSON: "application/json; charset=utf-8", XML: "text/xml; charset=utf-8"}
# The child element of each list a record may hold.
SINGULAR = {
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def respond(
    fmt: str,
    payload: Sequence[Mapping[str, Any]] | Mapping[str, Any],
    *,
    root: str,
    item: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """`payload` as `fmt`: a list of records under <root><item>…, or one record as <root>."""
    if fmt == XML:
        body = to_xml(payload, root=root, item=item)
    else:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8", "replace")
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def to_xml(
    payload: Sequence[Mapping[str, Any]] | Mapping[str, Any], *, root: str, item: str | None
) -> bytes:
    top = ET.Element(root)
    if isinstance(payload, Mapping):
        _fill(top, payload)
    else:
        for record in payload:
            _fill(ET.SubElement(top, item or "item"), record)
    return ET.tostring(top, encoding="utf-8", xml_declaration=True)


def _fill(element: ET.Element, record: Mapping[str, Any]) -> None:
    for name, value in record.items():
        child = ET.SubElement(element, name)
        if isinstance(value, list):
            for entry in value:
                grandchild = ET.SubElement(child, SINGULAR.get(name, "item"))
                if isinstance(entry, Mapping):
                    _fill(grandchild, entry)
                else:
                    grandchild.text = _text(entry)
        elif isinstance(value, Mapping):
            _fill(child, value)
        else:
            child.text = _text(value)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("\ufffd", str(value))


def error_response(fmt: str, status: int, description: str) -> HttpResponse:
    """The spec's error answer: a list of {code, description} (XML <errors><error>…)."""
    return respond(
        fmt if fmt in CONTENT_TYPES else JSON,
        [{"code": status, "description": description}],
        root="errors",
        item="error",
        status=status,
    )
