"""An Open311 client's whole conversation with a live server over plain HTTP (urllib): it
discovers the endpoint, lists the services, reads a definition, posts a request with its key
(form-encoded, then multipart with a photo), follows it by token and by id, and reads the
updates as staff move the case on. Every answer is validated against the schemas."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET

import xmlschema

from onegrid.cases import services as case_services
from onegrid.cases.models import Case
from onegrid.core import clock
from onegrid.territory import locator
from support.cases import new_key, photo

from .conftest import SCHEMAS, json_schema


class Answer:
    def __init__(self, status: int, content_type: str, body: bytes) -> None:
        self.status_code, self.content_type, self.content = status, content_type, body

    def __getitem__(self, name: str) -> str:
        assert name == "Content-Type"
        return self.content_type


def call(url: str, data: bytes | None = None, headers: dict | None = None) -> Answer:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Answer(response.status, response.headers["Content-Type"], response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.headers["Content-Type"], error.read())


def valid(answer: Answer, kind: str):
    if answer.content_type.startswith("text/xml"):
        xmlschema.XMLSchema(str(SCHEMAS / f"{kind}.xsd")).validate(answer.content)
        return ET.fromstring(answer.content)
    data = json.loads(answer.content)
    json_schema(kind).validate(data)
    return data


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    for name, (filename, content) in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def test_a_client_discovers_posts_and_follows_a_request(open311, live_server):
    # The live server runs in another thread with the real clock; so does this test now.
    clock.set_now(None)
    locator.invalidate()
    people = open311.world.people

    discovery = valid(call(f"{live_server.url}/open311/v2/discovery.json"), "discovery")
    (endpoint,) = discovery["endpoints"]
    base = endpoint["url"]
    assert base == f"{live_server.url}/open311/v2"
    assert "text/xml" in endpoint["formats"]

    services_xml = valid(call(f"{base}/services.xml"), "services")
    codes = {s.findtext("service_code"): s.findtext("metadata") for s in services_xml}
    assert codes["A0102"] == "true"
    definition = valid(call(f"{base}/services/A0102.json"), "service_definition")
    required = [a["code"] for a in definition["attributes"] if a["required"] and a["variable"]]
    assert required == ["amount"]
    choice = definition["attributes"][0]["values"][0]["key"]

    form = {
        "api_key": open311.key,
        "jurisdiction_id": "120113000000",
        "service_code": "A0102",
        "lat": "39.205",
        "long": "117.105",
        "description": "小区门口垃圾没人清",
        "email": "resident@example.com",
        "attribute[amount]": choice,
    }
    posted = call(f"{base}/requests.json", urllib.parse.urlencode(form).encode())
    assert posted.status_code == 201, posted.content
    (receipt,) = valid(posted, "post_response")
    number, token = receipt["service_request_id"], receipt["token"]
    # The same POST again (a lost answer, a blind retry) is the same request.
    again = call(f"{base}/requests.json", urllib.parse.urlencode(form).encode())
    assert again.status_code == 200
    assert valid(again, "post_response")[0]["service_request_id"] == number

    body, content_type = multipart(
        {**form, "description": "另一处：井边的垃圾"}, {"media": ("p.jpg", photo().read())}
    )
    with_photo = call(f"{base}/requests.xml", body, {"Content-Type": content_type})
    assert with_photo.status_code == 201, with_photo.content
    second = valid(with_photo, "post_response").findtext("request/service_request_id")
    assert Case.objects.get(number=second).photos.count() == 1

    by_token = valid(call(f"{base}/tokens/{token}.json"), "tokens")
    assert by_token == [{"service_request_id": number, "token": token}]
    # Not yet accepted by a desk: not public; the client follows its own with its key.
    assert call(f"{base}/requests/{number}.json").status_code == 404
    key = urllib.parse.urlencode({"api_key": open311.key})
    (detail,) = valid(call(f"{base}/requests/{number}.json?{key}"), "requests")
    assert (detail["status"], detail["extended_status"]) == ("open", "reported")
    listed = valid(call(f"{base}/requests.xml?status=open&{key}"), "requests")
    assert {r.findtext("service_request_id") for r in listed} == {number, second}

    case = Case.objects.get(number=number)
    case_services.perform_action(
        actor=people.acceptor,
        case_id=case.id,
        action="reject",
        reason="重复上报",
        idempotency_key=new_key(),
    )
    (detail,) = valid(call(f"{base}/requests/{number}.json?{key}"), "requests")
    assert (detail["status"], detail["extended_status"]) == ("closed", "rejected")
    updates = valid(call(f"{base}/servicerequestupdates.json?{key}"), "updates")
    mine = [u for u in updates if u["service_request_id"] == number]
    assert [u["status"] for u in mine] == ["OPEN", "NO_FURTHER_ACTION"]
    closed = valid(call(f"{base}/requests.json?status=closed&{key}"), "requests")
    assert [r["service_request_id"] for r in closed] == [number]

    refused = call(
        f"{base}/requests.json",
        urllib.parse.urlencode({**form, "api_key": "stolen"}).encode(),
    )
    assert refused.status_code == 403
    assert valid(refused, "errors")[0]["code"] == 403
