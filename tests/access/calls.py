"""How the table's test calls an endpoint as a role, and what it makes of the answer.

Path parameters are filled from the fixture district's rows (tests/access/district.py): the
case in the first grid, its photo, the first community, the dispute, the Party organisation…
A parameter whose row the district does not have gets "0", so that cell tests the door only
(the sign-in and the 404 the app answers for a row that does not exist).
"""

from __future__ import annotations

import functools
import json
import re
from http.cookies import SimpleCookie
from types import SimpleNamespace
from urllib.parse import quote

from django.apps import apps
from django.test import Client

from onegrid.org.services import token_for

from .district import ANONYMOUS

ALLOW = "ALLOW"  # the role gets the page or a non-permission answer (2xx, 3xx, 400, 409, 422)
DENY = "DENY"  # 403
HIDE = "HIDE"  # 404: the app answers as if the row were not there
LOGIN = "LOGIN"  # a redirect to the sign-in page, or 401
OUTCOMES = (ALLOW, DENY, HIDE, LOGIN)

# Where a role is sent to sign in: the pages' own form and the admin's.
SIGN_IN_PATHS = ("/login/", "/admin/login/")

# Rows of the first of these models, by parameter name (app_label.Model, attribute).
_FIRST_ROW = {
    "case_id": ("cases.Case", "pk"),
    "ref": ("cases.Case", "number"),
    "photo_id": ("cases.Photo", "pk"),
    "campaign_id": ("insight.Campaign", "pk"),
    "notification_id": ("notify.Notification", "pk"),
    "shift_id": ("org.DutyShift", "pk"),
    "item_id": ("volunteers.ListItem", "pk"),
    "claim_id": ("volunteers.Claim", "pk"),
    "partner_id": ("volunteers.CoBuildingUnit", "pk"),
    "redemption_id": ("volunteers.Redemption", "pk"),
    "activity_id": ("volunteers.Activity", "pk"),
    "sign_up_id": ("volunteers.SignUp", "pk"),
    "volunteer_id": ("volunteers.Volunteer", "pk"),
    "org_id": ("party.Organisation", "pk"),
    "member_id": ("party.Member", "pk"),
    "report_in_id": ("party.ReportIn", "pk"),
    "centre_id": ("party.ServiceCentre", "pk"),
    "dispute_id": ("mediation.Dispute", "pk"),
    "screening_id": ("mediation.Screening", "pk"),
    "risk_id": ("mediation.Risk", "pk"),
    "question_id": ("mediation.LegalQuestion", "pk"),
    "voter_id": ("deliberation.Voter", "pk"),
    "topic_id": ("deliberation.Topic", "pk"),
    "meeting_id": ("deliberation.Meeting", "pk"),
    "attachment_id": ("deliberation.MeetingAttachment", "pk"),
    "proposal_id": ("deliberation.Proposal", "pk"),
    "project_id": ("deliberation.Project", "pk"),
    "milestone_id": ("deliberation.Milestone", "pk"),
    "ballot_id": ("deliberation.Ballot", "pk"),
    "number": ("deliberation.Decision", "number"),
    "tracking_code": ("cases.Case", "tracking_code"),
}

# Values a row needs that are not a row's id: the first is every row's, the dict each key's.
_FIXED = {
    "action": "sign",
    "kind": "grid",
    "level": "grid",
    "fmt": "json",
    "size": "thumb",
    "form": "accept",
    "key": "none",
    "month": "2026-02",
    "year": "2026",
    "state": "closed",
    "token": "none",
    "rest": "nothing",
    "url": "nothing/",
}
_BY_KEY: dict[str, dict[str, str]] = {}
# Routes whose parameter names another model's row than the name says elsewhere: the points
# counter's item is a store item, not a community list's (the two ids only coincide by chance).
_OTHER_ROW = {"web:points_restock": {"item_id": ("volunteers.StoreItem", "pk")}}


def values(world: SimpleNamespace) -> dict[str, str]:
    """Every path parameter's value in the district."""
    found = dict(_FIXED)
    for param, (model, attribute) in _FIRST_ROW.items():
        row = apps.get_model(model).objects.order_by("pk").first()
        found[param] = str(getattr(row, attribute)) if row is not None else "0"
    found["grid_code"] = world.grids[0].code
    found["code"] = world.grids[0].code
    found["community_id"] = str(world.community.pk)
    found["unit_id"] = str(world.community.pk)
    found["person_id"] = str(world.users["grid_worker"].pk)
    found["username"] = world.users["grid_worker"].username
    found["content_type_id"] = "0"
    found["object_id"] = "0"
    return found


def by_key(key: str) -> dict[str, str]:
    found = dict(_BY_KEY.get(key, {}))
    for param, (model, attribute) in _OTHER_ROW.get(key, {}).items():
        row = apps.get_model(model).objects.order_by("pk").first()
        found[param] = str(getattr(row, attribute)) if row is not None else "0"
    return found


def fill(route: str, params: dict[str, str]) -> str:
    """The route (Django's path() or re_path() text, or the schema's path) with its
    parameters filled."""

    def value(match: re.Match) -> str:
        return quote(params[match["name"]], safe="")

    url = re.sub(r"\(\?P<(?P<name>\w+)>[^)]*\)", value, route)
    url = re.sub(r"<(?:\w+:)?(?P<name>\w+)>", value, url)
    url = re.sub(r"\{(?P<name>\w+)\}", value, url)
    url = url.replace("^", "").replace("\\Z", "").replace("$", "").replace("\\.", ".")
    return url if url.startswith("/") else "/" + url


def page_client(user) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def api_client(user) -> Client:
    if user is None:
        return Client(raise_request_exception=False)
    token, _ = token_for(user)
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {token}")


def call(client: Client, method: str, url: str, *, api: bool, key: str = ""):
    """One request: a page's GET or an empty form; an API operation with the least body its
    schema accepts (`body()`), so that the operation's own permission check is reached
    rather than the body's validation."""
    if method == "GET":
        return client.get(url)
    if not api:
        # A sign-out answers by clearing the session cookie; the role's client keeps its own
        # for the next cell.
        cookies = SimpleCookie(client.cookies)
        try:
            return client.post(url, {})
        finally:
            client.cookies = cookies
    content_type, payload = body(key)
    if content_type == "multipart/form-data":
        return client.post(url, payload)
    return client.generic(method, url, data=json.dumps(payload), content_type=content_type)


@functools.cache
def _schema() -> dict:
    from onegrid.config.api import api

    return api.get_openapi_schema()


def body(key: str) -> tuple[str, dict]:
    """The least request body operation `key` ("METHOD /path") takes: its required fields,
    each with a value of its declared type ({} when it takes none)."""
    method, path = key.split(" ", 1)
    operation = _schema()["paths"][path][method.lower()]
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        return "application/json", _example(content["application/json"]["schema"])
    if "multipart/form-data" in content:
        fields = _example(content["multipart/form-data"]["schema"])
        return "multipart/form-data", {k: _form_value(v) for k, v in fields.items()}
    return "application/json", {}


def _form_value(value: object) -> object:
    if isinstance(value, bool):
        return "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return value


def _example(schema: dict, depth: int = 0) -> object:
    if depth > 8:
        return None
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return _example(_schema()["components"]["schemas"][name], depth + 1)
    for choice in ("anyOf", "oneOf", "allOf"):
        if choice in schema:
            options = [o for o in schema[choice] if o.get("type") != "null"]
            return _example(options[0], depth + 1) if options else None
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        return {
            name: _example(properties.get(name, {}), depth + 1)
            for name in schema.get("required", [])
        }
    if kind == "array":
        return [_example(schema.get("items", {}), depth + 1)] * schema.get("minItems", 0)
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return max(1.0, schema.get("minimum", 1.0))
    if kind == "boolean":
        return False
    if kind == "string":
        if schema.get("format") == "date-time":
            return "2026-03-10T10:00:00+08:00"
        if schema.get("format") == "date":
            return "2026-03-10"
        return "1" * max(1, schema.get("minLength", 1))
    return None


def outcome(response) -> str:
    """What the answer means for the table (or the status code itself when it is none of
    them: a 500, a 405 — always a failure)."""
    status = response.status_code
    if status == 401:
        return LOGIN
    if status in (301, 302, 303, 307, 308):
        location = response.headers.get("Location", "")
        if location.startswith(SIGN_IN_PATHS):
            return LOGIN
        return ALLOW
    if status == 403:
        return DENY
    if status == 404:
        return HIDE
    if status < 300 or status in (400, 409, 410, 422):
        return ALLOW
    return str(status)


def role_user(world: SimpleNamespace, role: str):
    return None if role == ANONYMOUS else world.users[role]
