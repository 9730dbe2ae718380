"""The role × endpoint table (tests/access/table.py), checked against the installation and
cell by cell.

- Every URL pattern and every API operation has a row, and every row names one that exists:
  a new endpoint without a row fails here.
- Every cell: one request as a person holding exactly that role in the fixture district
  (tests/access/district.py), GET for pages and the API's reads, the row's method otherwise
  (an empty form or `{}`); the answer must be what the cell says. For a refused write (DENY,
  HIDE, LOGIN on POST/PUT/PATCH/DELETE) nothing may be written: no INSERT, UPDATE or DELETE
  reaches the database during the request. Each test's changes roll back.

Test ids read `GET /cases/{ref}/::dept_handler`.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from . import endpoints
from .calls import ALLOW, OUTCOMES, by_key, call, fill, outcome, role_user
from .district import ROLES
from .table import KNOWN_HOLES, TABLE

_PATTERNS = {p.key: p for p in endpoints.url_patterns()}


def _is_api(key: str) -> bool:
    return key.split(" ", 1)[0] in {"GET", *endpoints.UNSAFE}


def _route(key: str) -> str:
    """The row's path as the test id shows it: the schema's for an operation; the pattern's,
    parameters in braces, for a page."""
    if _is_api(key):
        return key.split(" ", 1)[1]
    if key.startswith("admin:app_list["):
        return "/admin/" + key.removeprefix("admin:app_list[").removesuffix("]") + "/"
    route = _PATTERNS[key].route
    names = re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route)
    braces = {a or b: "{" + (a or b) + "}" for a, b in names}
    return fill(route, braces).replace("%7B", "{").replace("%7D", "}")


def _url(key: str, values: dict[str, str]) -> str:
    if _is_api(key):
        return fill(key.split(" ", 1)[1], values)
    if key.startswith("admin:app_list["):
        return _route(key)
    return fill(_PATTERNS[key].route, values)


def test_every_endpoint_has_a_row():
    missing = sorted(endpoints.endpoint_keys() - TABLE.keys())
    assert not missing, (
        "endpoints without a row in tests/access/table.py (add one: who may use it): "
        + ", ".join(missing)
    )


def test_every_row_names_an_endpoint():
    gone = sorted(TABLE.keys() - endpoints.endpoint_keys())
    assert not gone, "rows of tests/access/table.py naming no endpoint: " + ", ".join(gone)


def test_the_schema_holds_every_routed_operation():
    # The table reads the API's operations from its OpenAPI schema; one left out of the schema
    # would have no row and no test.
    in_schema = {op.split(" ", 1)[1] for op in endpoints.api_operations()}
    assert endpoints.api_paths_routed() <= in_schema


def test_every_cell_is_one_outcome():
    for key, row in TABLE.items():
        for role in ROLES:
            assert row.expect(role) in OUTCOMES, (key, role)
        assert set(row.roles()) <= set(ROLES), key
        if _is_api(key):
            assert row.method == key.split(" ", 1)[0], key


CELLS = [
    pytest.param(
        key,
        role,
        id=f"{TABLE[key].method} {_route(key)}::{role}",
        marks=[pytest.mark.xfail(strict=True, reason=KNOWN_HOLES[key, role])]
        if (key, role) in KNOWN_HOLES
        else [],
    )
    for key in TABLE
    for role in ROLES
]

# Writes a refused request may make: the session (the test client's own) and the records of
# sign-in attempts and of personal-data reads, which are the refusal's own bookkeeping.
_BOOKKEEPING = ('"django_session"', '"axes_', '"org_personaldataread"')


def _writes(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        and not any(table in q["sql"] for table in _BOOKKEEPING)
    ]


@pytest.mark.django_db
def test_the_district_is_built(district):
    # Also what makes pytest-django create the test database: the cells below run in the
    # module's transaction (conftest.district), each in a savepoint of its own, without
    # pytest-django's per-test transaction, which would cost more than most requests.
    assert {role for role, user in district.users.items() if user is None} == {"anonymous"}
    assert district.rows.case.grid_id == district.grids[0].pk


@pytest.mark.parametrize(("key", "role"), CELLS)
def test_cell(district, django_db_blocker, key, role):
    row = TABLE[key]
    expected = row.expect(role)
    api = _is_api(key)
    client = (district.api if api else district.pages)[role]
    with django_db_blocker.unblock(), transaction.atomic():
        url = _url(key, district.values | by_key(key))
        with CaptureQueriesContext(connection) as queries:
            response = call(client, row.method, url, api=api, key=key)
        transaction.set_rollback(True)
    got = outcome(response)
    assert got == expected, (
        f"{row.method} {url} as {role} ({role_user(district, role)}): expected {expected}, "
        f"got {response.status_code} {response.headers.get('Location', '')}"
    )
    if row.method in endpoints.UNSAFE and expected != ALLOW:
        assert _writes(queries) == [], f"a refused {row.method} {url} as {role} wrote"
