"""JSON within bounds: the shape measured without parsing is the parsed document's shape, and
too deep or too large a document is a 400 with the API's error shape, never a RecursionError."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from onegrid.core import jsonlimits
from onegrid.core.limits import LimitExceeded
from onegrid.org.services import issue_token

texts = st.text(alphabet=st.sampled_from('ab"\\[]{},: \n中'), max_size=6)
documents = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=30,
)


def depth(value) -> int:
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    return 0


def values(value) -> int:
    if isinstance(value, list):
        return 1 + sum(values(v) for v in value)
    if isinstance(value, dict):
        return 1 + sum(values(v) for v in value.values())
    return 1


def flat_arrays(value) -> int:
    if isinstance(value, list):
        inner = sum(flat_arrays(v) for v in value)
        return inner + (not any(isinstance(v, list | dict) for v in value))
    if isinstance(value, dict):
        return sum(flat_arrays(v) for v in value.values())
    return 0


@settings(max_examples=300, deadline=None)
@given(documents, st.booleans())
def test_the_measured_shape_is_the_parsed_shape(document, ascii_only):
    # Brackets, quotes and backslashes inside strings must not count, escaped or not.
    text = json.dumps(document, ensure_ascii=ascii_only).encode()
    shape = jsonlimits.measure(text)
    assert shape.depth == depth(document)
    empty = text.count(b"[]") + text.count(b"{}")  # an upper bound on empty containers
    assert values(document) <= shape.values <= values(document) + empty
    assert shape.flat_arrays == flat_arrays(document)
    assert jsonlimits.loads(text, max_depth=64, max_values=10_000) == document


def test_too_deep_is_refused_before_parsing_with_the_field(settings):
    settings.ONEGRID = settings.ONEGRID | {"MAX_NESTING": 5}
    assert jsonlimits.loads(b"[[[[[1]]]]]") == [[[[[1]]]]]
    with pytest.raises(LimitExceeded) as refused:
        jsonlimits.loads(b"[[[[[[1]]]]]]", field="payload")
    assert refused.value.as_dict()["field"] == "payload"
    assert refused.value.code == "nested_too_deep" and refused.value.status == 400
    # A hundred thousand levels: the standard library raises RecursionError on this.
    with pytest.raises(LimitExceeded):
        jsonlimits.loads(b"[" * 100_000 + b"]" * 100_000)


def test_too_many_values_and_bad_json(settings):
    settings.ONEGRID = settings.ONEGRID | {"JSON_MAX_VALUES": 10}
    assert jsonlimits.loads(b"[1, 2, 3]") == [1, 2, 3]
    with pytest.raises(LimitExceeded) as refused:
        jsonlimits.loads(b"[" + b"[]," * 20 + b"[]]")
    assert refused.value.code == "too_many_values"
    for bad in (b"{not json", b"\xff\xfe{}", b'{"a": 1} trailing', b""):
        with pytest.raises(jsonlimits.MalformedJSON) as refused:
            jsonlimits.loads(bad, field="body")
        assert refused.value.status == 400 and refused.value.as_dict()["field"] == "body"
    assert jsonlimits.loads('\ufeff{"a": ["]"]}') == {"a": ["]"]}


def test_every_json_body_under_the_api_refuses_deep_json_with_a_400(world):
    """The parser of every JSON body under /api/ (config/api.py) is `jsonlimits.loads`."""
    from onegrid.config.api import api

    username = world.people.command.username
    token, _ = issue_token(username=username, password="pw-" + username)
    client = Client(
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_ACCEPT_LANGUAGE="en",
        raise_request_exception=False,
    )
    grid = world.grids[0].code
    deep = b'{"username": "worker", "role": "volunteer", "x": ' + b"[" * 50_000
    deep += b"]" * 50_000 + b"}"
    schema = api.get_openapi_schema()
    checked = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in body:
                continue
            url = path.replace("{grid_code}", grid).replace("{ref}", "X").replace("{key}", "x")
            url = url.replace("{shift_id}", "x").replace("{code}", "x")
            response = getattr(client, method)(url, deep, content_type="application/json")
            assert response.status_code == 400, (method, url, response.content[:300])
            answer = response.json()
            assert answer["code"] == "nested_too_deep", (method, url, answer)
            assert answer["field"] == "body" and "levels deep" in answer["message"]
            checked.append((method, url))
    # The body a member's removal reads itself (DELETE has no declared body in the OpenAPI).
    response = client.delete(f"/api/v1/teams/{grid}/members", deep, content_type="application/json")
    assert response.status_code == 400 and response.json()["field"] == "body", response.content
    assert len(checked) >= 3, checked
