"""Whatever text lands in any Open311 field or query parameter — control characters, NUL,
Unicode digits, huge numbers, markup — the answer is a success or a 4xx in the spec's format,
never a 500, and a refused request creates nothing."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onegrid.cases.models import Case

from .conftest import checked, request_form

BASE = "/open311/v2"
ODD = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["", "\x00", "1e999", "-0", "NaN", "١٢٣", "１２３", "9" * 40, "<a>&", "2026-02-30", "a,b,"]
    ),
)
FIELDS = [
    "service_code",
    "lat",
    "long",
    "address_id",
    "address_string",
    "email",
    "phone",
    "first_name",
    "last_name",
    "description",
    "media_url",
    "jurisdiction_id",
    "attribute[amount]",
    "attribute[kinds][]",
    "attribute[bags]",
    "attribute[seen]",
]
PARAMS = [
    "service_request_id",
    "service_code",
    "start_date",
    "end_date",
    "status",
    "page",
    "page_size",
    "jurisdiction_id",
    "api_key",
]
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None
)


def test_posted_fields(client, open311):
    @FUZZ
    @given(st.dictionaries(st.sampled_from(FIELDS), ODD, min_size=1, max_size=4))
    def run(change):
        cache.clear()  # not the throttle under test
        before = Case.objects.count()
        response = client.post(f"{BASE}/requests.json", request_form(open311.key, **change))
        assert response.status_code in (200, 201, 400, 404, 409), response.content
        if response.status_code >= 400:
            checked(response, "errors")
            assert Case.objects.count() == before
        else:
            checked(response, "post_response")

    run()


def test_query_parameters(client, open311):
    @FUZZ
    @given(
        st.sampled_from(["requests", "servicerequestupdates", "services"]),
        st.sampled_from(["json", "xml"]),
        st.dictionaries(st.sampled_from(PARAMS), ODD, max_size=4),
    )
    def run(path, fmt, params):
        cache.clear()
        response = client.get(f"{BASE}/{path}.{fmt}", params)
        assert response.status_code in (200, 400, 403, 404), response.content
        kind = {"requests": "requests", "servicerequestupdates": "updates"}.get(path, "services")
        checked(response, kind if response.status_code == 200 else "errors")

    run()


@pytest.mark.parametrize("resource", ["services", "requests", "tokens"])
def test_a_nul_or_control_character_in_a_path_part_names_nothing(client, open311, resource):
    # PostgreSQL refuses a NUL in a text comparison: such a part must never reach a query.
    for part in ("A01\x0002", "\x00", "12\x1f3"):
        response = client.get(f"{BASE}/{resource}/{part}.json")
        assert response.status_code == 404, response.content
        assert isinstance(json.loads(response.content), list)


def test_path_parts(client, open311):
    @FUZZ
    @given(st.sampled_from(["services", "requests", "tokens"]), st.text(min_size=1, max_size=60))
    def run(resource, part):
        part = part.replace("/", "_").replace("?", "_").replace("#", "_")
        response = client.get(f"{BASE}/{resource}/{part}.json")
        assert response.status_code in (200, 404), response.content
        assert isinstance(json.loads(response.content), list)

    run()
