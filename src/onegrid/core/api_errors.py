"""The error answers of the JSON API, as every operation declares them in the OpenAPI.

Every refusal is `{code, message, field}` (config/api.py and config/http_errors.py make it
so); validation errors add `errors`, one per field, and throttled sign-ins `retry_after`.
`errors(...)` gives an operation's `response` entries for the statuses it can answer with,
so clients and schemathesis see each of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ninja import Field, Schema


class ErrorOut(Schema):
    code: str = Field(..., description="What went wrong, for programs: e.g. not_found.")
    message: str = Field(..., description="What went wrong, in the caller's language.")
    field: str | None = Field(None, description="The input at fault, when one is.")


class FieldErrorOut(Schema):
    field: str
    message: str


class InvalidInputOut(ErrorOut):
    errors: list[FieldErrorOut] = Field(
        default_factory=list, description="Every field at fault (validation errors)."
    )


class ThrottledOut(ErrorOut):
    retry_after: int = Field(..., description="Seconds until the call is taken again.")


_DESCRIPTIONS = {
    400: "The request cannot be read or is refused (bad JSON or form, a rule not met).",
    401: "No valid token or session (or a wrong username or password).",
    403: "Not allowed for the caller.",
    404: "Not found, or not in the caller's scope.",
    409: "Conflicts with an earlier request (an idempotency key reused for another request).",
    413: "The request body is too large.",
    422: "An input is not valid; `field` names it.",
    429: "Too many failed sign-ins, or too many calls of a limited operation: wait "
    "`retry_after` seconds (also the Retry-After header).",
}

_SCHEMAS: dict[int, type[Schema]] = {422: InvalidInputOut, 429: ThrottledOut}


def errors(*statuses: int) -> dict[int, type[Schema]]:
    """`response` entries for an operation's error statuses (always with 401 when it needs
    a signed-in caller: pass it too)."""
    return {status: _SCHEMAS.get(status, ErrorOut) for status in statuses}


def describe(schema: dict[str, Any]) -> dict[str, Any]:
    """Give each declared error status of an OpenAPI document its description."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                if int(status) in _DESCRIPTIONS:
                    response["description"] = _DESCRIPTIONS[int(status)]
    return schema


def answered_as(
    description: str, content: Mapping[str, Mapping[str, object]]
) -> dict[str, dict[int, object]]:
    """`openapi_extra` for an operation whose 200 is not JSON: its media types, each with
    the JSON schema of its body."""
    media = {media_type: {"schema": schema} for media_type, schema in content.items()}
    return {"responses": {200: {"description": description, "content": media}}}


BINARY = {"type": "string", "format": "binary"}
