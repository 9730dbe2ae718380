"""Bad input to Open311 is a 4xx in the spec's error format naming the field, and changes
nothing; keys, revocation, jurisdictions, throttles, and hostile text in XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from onegrid.cases.models import Case, CaseEvent
from onegrid.open311 import services
from onegrid.open311.models import ClientRequest

from .conftest import checked, errors_of, request_form

BASE = "/open311/v2"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"service_code": None}, "service_code"),
        ({"service_code": "Z9999"}, "service_code"),
        ({"service_code": "A" * 21}, "service_code"),
        ({"lat": None}, "lat"),
        ({"long": None}, "long"),
        ({"lat": None, "long": None}, "lat"),
        ({"lat": "abc"}, "lat"),
        ({"lat": "91"}, "lat"),
        ({"long": "nan"}, "long"),
        ({"long": "1e999"}, "long"),
        ({"lat": "٣٩.٢٠٥"}, "lat"),  # Arabic-Indic digits
        ({"long": "１１７.１０５"}, "long"),  # full-width digits
        ({"long": "0", "lat": "0"}, "long"),  # outside the district
        ({"address_id": "NO-SUCH", "lat": None, "long": None}, "address_id"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@b.c" + "x" * 260}, "email"),
        ({"phone": "call me"}, "phone"),
        ({"phone": "1" * 21}, "phone"),
        ({"first_name": "x" * 51}, "first_name"),
        ({"first_name": "a\x00b"}, "first_name"),
        ({"description": "bad\x00text"}, "description"),
        ({"description": "bad\x07bell"}, "description"),
        ({"description": "长" * 5000}, "description"),
        ({"address_string": "a\nb"}, "address_string"),
        ({"media_url": "file:///etc/passwd"}, "media_url"),
        ({"attribute[amount]": None}, "attribute[amount]"),
        ({"attribute[amount]": "truck"}, "attribute[amount]"),
        ({"attribute[kinds]": "glass"}, "attribute[kinds]"),
        ({"attribute[bags]": "three"}, "attribute[bags]"),
        ({"attribute[bags]": "١"}, "attribute[bags]"),
        ({"attribute[bags]": "inf"}, "attribute[bags]"),
        ({"attribute[seen]": "yesterday"}, "attribute[seen]"),
        ({"attribute[seen]": "2026-03-10T08:00:00"}, "attribute[seen]"),  # no offset
        ({"attribute[note]": "x" * 501}, "attribute[note]"),
        ({"attributes": "1"}, "attribute"),
        ({"jurisdiction_id": "999999999999"}, "jurisdiction_id"),
    ],
)
def test_bad_field_is_a_400_naming_it_and_changes_nothing(client, open311, change, field):
    response = client.post(f"{BASE}/requests.json", request_form(open311.key, **change))
    # The spec: "404 - service_code or jurisdiction_id provided were not found".
    not_found = field == "jurisdiction_id" or change.get("service_code") == "Z9999"
    status = 404 if not_found else 400
    (description,) = errors_of(response, status)
    assert field in description
    assert Case.objects.count() == 0
    assert ClientRequest.objects.count() == 0


def test_attributes_the_service_does_not_ask_for_are_ignored(client, open311):
    # FixMyStreet sends its own attributes to every server.
    form = request_form(
        open311.key,
        **{
            "attribute[title]": "Rubbish",
            "attribute[fixmystreet_id]": "42",
            "attribute[notice]": "echoed",
        },
    )
    assert client.post(f"{BASE}/requests.json", form).status_code == 201
    report = CaseEvent.objects.get(action="report")
    assert report.data["attributes"] == {"amount": "pile"}
    many = request_form(open311.key, **{f"attribute[a{n}]": "1" for n in range(101)})
    (description,) = errors_of(client.post(f"{BASE}/requests.json", many), 400)
    assert "attribute" in description


def test_a_multivaluelist_takes_several_and_others_one(client, open311):
    form = request_form(open311.key)
    form["attribute[kinds][]"] = ["food", "build"]
    response = client.post(f"{BASE}/requests.json", form)
    assert response.status_code == 201, response.content
    one = request_form(open311.key, description="另一处")
    one["attribute[amount]"] = ["bag", "pile"]
    (description,) = errors_of(client.post(f"{BASE}/requests.json", one), 400)
    assert "attribute[amount]" in description


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_keys_missing_unknown_and_revoked_are_403(client, open311, fmt):
    url = f"{BASE}/requests.{fmt}"
    errors_of(client.post(url, request_form("")), 403)
    errors_of(client.post(url, request_form("wrong-key")), 403)
    services.revoke_client(actor=None, client_id=open311.client.pk)
    (description,) = errors_of(client.post(url, request_form(open311.key)), 403)
    assert "api_key" in description
    # A revoked key cannot read its own requests either.
    errors_of(client.get(f"{BASE}/requests.{fmt}", {"api_key": open311.key}), 403)
    assert Case.objects.count() == 0
    # The other client is unaffected; a renewed key works and the old one stays refused.
    assert client.post(url, request_form(open311.street_key, long="117.125")).status_code == 201
    renewed = services.new_key(actor=None, client_id=open311.street_client.pk)
    errors_of(client.post(url, request_form(open311.street_key, long="117.126")), 403)
    assert client.post(url, request_form(renewed, long="117.126")).status_code == 201


def test_a_street_client_reports_only_in_its_street(client, open311):
    # The first grid lies in street 果园新村; this client is bound to 集贤里.
    response = client.post(f"{BASE}/requests.json", request_form(open311.street_key))
    (description,) = errors_of(response, 400)
    assert "lat" in description
    inside = client.post(f"{BASE}/requests.json", request_form(open311.street_key, long="117.125"))
    assert inside.status_code == 201
    assert Case.objects.get().street == open311.world.other_street


def test_only_administrators_register_clients(open311):
    from onegrid.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.add_client(
            actor=open311.world.people.command, name="x", jurisdiction_code="120113000000"
        )
    with pytest.raises(PermissionDenied):
        services.revoke_client(actor=open311.world.people.acceptor, client_id=open311.client.pk)
    assert open311.client.key_digest == services.ApiClient.digest_of(open311.key)
    assert open311.key not in open311.client.key_digest


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("requests", {"start_date": "yesterday"}, "start_date"),
        ("requests", {"end_date": "2026-03-10T09:00:00"}, "end_date"),
        ("requests", {"start_date": "2026-03-11", "end_date": "2026-03-10"}, "start_date"),
        ("requests", {"status": "pending"}, "status"),
        ("requests", {"page": "0"}, "page"),
        ("requests", {"page": "１"}, "page"),
        ("requests", {"page": "99999999999999999999"}, "page"),
        ("requests", {"page_size": "101"}, "page_size"),
        ("requests", {"service_code": "A\x00"}, "service_code"),
        ("requests", {"service_request_id": ",".join(["x"] * 101)}, "service_request_id"),
        ("requests", {"jurisdiction_id": "elsewhere"}, "jurisdiction_id"),
        ("servicerequestupdates", {"start_date": "2026-13-01T00:00:00Z"}, "start_date"),
        ("servicerequestupdates", {"page_size": "501"}, "page_size"),
    ],
)
def test_bad_query_is_a_4xx_naming_the_field(client, open311, path, params, field):
    response = client.get(f"{BASE}/{path}.json", params)
    status = 404 if field == "jurisdiction_id" else 400
    (description,) = errors_of(response, status)
    assert field in description


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_ids_tokens_paths_and_methods(client, open311, fmt):
    errors_of(client.get(f"{BASE}/requests/120113-20260310-99999.{fmt}"), 404)
    errors_of(client.get(f"{BASE}/tokens/0000000000.{fmt}"), 404)
    errors_of(client.get(f"{BASE}/tokens/{'x' * 300}.{fmt}"), 404)
    errors_of(client.get(f"{BASE}/nothing.{fmt}"), 404)
    response = client.delete(f"{BASE}/requests.{fmt}")
    errors_of(response, 405)
    assert response["Allow"] == "GET, POST, HEAD"
    assert client.head(f"{BASE}/services.{fmt}").status_code == 200
    read = client.get(f"{BASE}/services.{fmt}")
    assert read["Access-Control-Allow-Origin"] == "*"
    posted = client.post(f"{BASE}/requests.{fmt}", request_form(open311.key))
    assert posted.status_code == 201
    assert "Access-Control-Allow-Origin" not in posted
    errors_of(client.post(f"{BASE}/services.{fmt}"), 405)


def test_posts_are_throttled_per_client(client, open311, settings):
    settings.ONEGRID = {**settings.ONEGRID, "OPEN311_POSTS_PER_MINUTE": 2}
    for n in range(2):
        form = request_form(open311.key, description=f"第{n}处")
        assert client.post(f"{BASE}/requests.json", form).status_code == 201
    response = client.post(f"{BASE}/requests.json", request_form(open311.key, description="3"))
    errors_of(response, 429)
    assert 0 < int(response["Retry-After"]) <= 60
    # Another client has its own allowance.
    other = request_form(open311.street_key, long="117.125")
    assert client.post(f"{BASE}/requests.json", other).status_code == 201


def test_reads_are_throttled_per_address(client, open311, settings):
    settings.ONEGRID = {**settings.ONEGRID, "OPEN311_READS_PER_MINUTE": 3}
    for _ in range(3):
        assert client.get(f"{BASE}/services.json").status_code == 200
    errors_of(client.get(f"{BASE}/services.xml"), 429)
    # With its key, a client reads on its own allowance.
    assert client.get(f"{BASE}/services.json", {"api_key": open311.key}).status_code == 200


HOSTILE = "</description><script>alert(1)</script>&amp; ]]> <!-- \x0b\ufffe 😀 \"'"


def test_hostile_text_is_escaped_in_xml_and_json(client, open311):
    open311.world.rubbish.name = HOSTILE[:100]
    open311.world.rubbish.save()
    case_description = "井盖</description><status>closed</status>&lt;x&gt; ]]>"
    assert (
        client.post(
            f"{BASE}/requests.xml", request_form(open311.key, description=case_description)
        ).status_code
        == 201
    )
    listing = client.get(f"{BASE}/requests.xml", {"api_key": open311.key})
    root = checked(listing, "requests")
    assert root.findtext("request/description") == case_description
    assert root.findtext("request/status") == "open"
    assert b"<script>" not in listing.content
    services_xml = client.get(f"{BASE}/services.xml")
    names = [s.findtext("service_name") for s in checked(services_xml, "services")]
    # Characters XML cannot hold (a vertical tab, U+FFFE) arrive as U+FFFD; the rest intact.
    assert HOSTILE[:100].replace("\x0b", "\ufffd").replace("\ufffe", "\ufffd") in names
    ET.fromstring(services_xml.content)
    as_json = checked(client.get(f"{BASE}/services.json"), "services")
    assert HOSTILE[:100] in [s["service_name"] for s in as_json]


def test_an_error_never_echoes_markup_unescaped(client, open311):
    response = client.get(f"{BASE}/services/<b>&x.xml")
    (description,) = errors_of(response, 404)
    assert "<b>&x" in description
    assert b"<b>" not in response.content


def test_a_standard_address_by_code_or_by_its_exact_name(client, open311):
    from onegrid.territory.models import Address

    grid = open311.world.grids[1]
    Address.objects.create(
        code="120113001001-0001", name="果园新村1号楼", lon=117.115, lat=39.205, grid=grid
    )
    by_code = request_form(open311.key, lat=None, long=None, address_id="120113001001-0001")
    assert client.post(f"{BASE}/requests.json", by_code).status_code == 201
    assert Case.objects.get().grid == grid
    by_name = request_form(
        open311.key, lat=None, long=None, address_string="果园新村1号楼", description="二"
    )
    assert client.post(f"{BASE}/requests.json", by_name).status_code == 201
    assert Case.objects.filter(grid=grid).count() == 2
    vague = request_form(open311.key, lat=None, long=None, address_string="果园新村")
    (description,) = errors_of(client.post(f"{BASE}/requests.json", vague), 400)
    assert "lat" in description
    assert Case.objects.count() == 2


def test_media_must_be_an_image_and_a_key_reused_for_another_request_is_409(client, open311):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    response = client.post(f"{BASE}/requests.json", {**request_form(open311.key), "media": fake})
    (description,) = errors_of(response, 400)
    assert "media" in description
    assert Case.objects.count() == 0
    first = client.post(
        f"{BASE}/requests.json", request_form(open311.key), HTTP_IDEMPOTENCY_KEY="k"
    )
    assert first.status_code == 201
    other = request_form(open311.key, description="别的")
    errors_of(client.post(f"{BASE}/requests.json", other, HTTP_IDEMPOTENCY_KEY="k"), 409)
    assert Case.objects.count() == 1
    long_key = client.post(
        f"{BASE}/requests.json", request_form(open311.key), HTTP_IDEMPOTENCY_KEY="k" * 65
    )
    (description,) = errors_of(long_key, 400)
    assert "idempotency_key" in description


def test_the_jurisdiction_may_be_named(client, open311):
    ok = request_form(open311.key, jurisdiction_id="120113000000")
    assert client.post(f"{BASE}/requests.json", ok).status_code == 201
    listed = client.get(
        f"{BASE}/requests.json", {"jurisdiction_id": "120113000000", "api_key": open311.key}
    )
    assert len(checked(listed, "requests")) == 1


def test_a_body_too_large_or_with_too_many_fields_is_refused(client, open311, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    big = request_form(open311.key, description="长" * 1000)
    errors_of(client.post(f"{BASE}/requests.xml", big), 413)
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 20
    many = request_form(open311.key, **{f"x{n}": "1" for n in range(30)})
    errors_of(client.post(f"{BASE}/requests.json", many), 400)
    assert Case.objects.count() == 0
