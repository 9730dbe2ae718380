"""JSON parsed within bounds: request bodies under /api/ and uploaded GeoJSON.

The standard `json.loads` recurses once per level and raises RecursionError (not ValueError)
on a document like `[[[[…]]]]` a few thousand levels deep, which a caller catching ValueError
turns into a 500; a document that deep also breaks any recursive code that walks it later.
And parsed JSON takes far more memory than its text: `[[],[],…]` costs about 80 bytes of
Python objects per 3 bytes of text.

So `loads` first measures the text without parsing it (`measure`: one vectorised pass over
the brackets, commas and quotes, the brackets and commas inside strings left out) and refuses
a document nested deeper than settings.ONEGRID["MAX_NESTING"] or holding more values than
allowed (JSON_MAX_VALUES for request bodies; layer files pass their own bound). Only then does
it parse, with pydantic-core (Rust, its own recursion guard a second line). Both failures are a
400 with the API's error shape `{code, message, field}`: `MalformedJSON` (code "invalid_json")
and `limits.LimitExceeded` (codes "nested_too_deep", "too_many_values").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pydantic_core
from django.conf import settings
from django.utils.translation import gettext as _

from .errors import InvalidInput
from .limits import LimitExceeded, nested_too_deep, upload_limits

# Every byte but those that matter to the document's shape.
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}",')
_QUOTE, _COMMA = ord('"'), ord(",")
_OPEN_ARRAY, _CLOSE_ARRAY = ord("["), ord("]")
_OPEN_OBJECT, _CLOSE_OBJECT = ord("{"), ord("}")


class MalformedJSON(InvalidInput):
    status = 400
    code = "invalid_json"


@dataclass(frozen=True)
class JSONShape:
    depth: int  # how deeply arrays and objects nest
    values: int  # values of every kind, at most (an empty array or object counts one more)
    flat_arrays: int  # arrays that hold no array or object: in GeoJSON, the positions


def measure(data: bytes) -> JSONShape:
    """The shape of JSON text, in O(n) without parsing it; exact for valid JSON.

    Escaped backslashes and escaped quotes are removed first, so every quote left opens or
    closes a string, and what lies between an opening and a closing quote is left out."""
    if b"\\" in data:
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    marks = np.frombuffer(data.translate(None, _NOT_STRUCTURE), dtype=np.uint8)
    if not len(marks):
        return JSONShape(0, 1, 0)
    quotes = marks == _QUOTE
    in_string = np.bitwise_xor.accumulate(quotes.view(np.uint8)).view(bool) | quotes
    marks = marks[~in_string]
    commas = int(np.count_nonzero(marks == _COMMA))
    brackets = marks[marks != _COMMA]
    opening = (brackets == _OPEN_ARRAY) | (brackets == _OPEN_OBJECT)
    closing = (brackets == _CLOSE_ARRAY) | (brackets == _CLOSE_OBJECT)
    steps = opening.astype(np.int32) - closing.astype(np.int32)
    depth = int(np.cumsum(steps, dtype=np.int32).max(initial=0))
    # An array closed by the next bracket holds no array or object: numbers (or strings).
    flat = int(np.count_nonzero((brackets[:-1] == _OPEN_ARRAY) & (brackets[1:] == _CLOSE_ARRAY)))
    containers = int(np.count_nonzero(opening))
    return JSONShape(depth=depth, values=1 + commas + containers, flat_arrays=flat)


def refuse_deep(shape: JSONShape, *, field: str, max_depth: int | None = None) -> None:
    """LimitExceeded when the document nests deeper than `max_depth` (default MAX_NESTING)."""
    limit = upload_limits().max_nesting if max_depth is None else max_depth
    if shape.depth > limit:
        raise nested_too_deep(limit, field=field)


def refuse_large(shape: JSONShape, *, field: str, max_values: int | None = None) -> None:
    """LimitExceeded when the document holds more than `max_values` values (default
    JSON_MAX_VALUES, a request body's bound)."""
    limit = settings.ONEGRID["JSON_MAX_VALUES"] if max_values is None else max_values
    if shape.values > limit:
        raise LimitExceeded(
            _("The JSON holds more than %(limit)s values, the most accepted.")
            % {"limit": f"{limit:,}"},
            field=field,
            code="too_many_values",
        )


def check(
    data: bytes, *, field: str, max_depth: int | None = None, max_values: int | None = None
) -> JSONShape:
    """Measure JSON text and refuse it (LimitExceeded) when it is too deep or too large."""
    shape = measure(data)
    refuse_deep(shape, field=field, max_depth=max_depth)
    refuse_large(shape, field=field, max_values=max_values)
    return shape


def text_bytes(data: bytes | str) -> bytes:
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    return bytes(data).removeprefix(b"\xef\xbb\xbf")


def parse(data: bytes, *, field: str) -> Any:
    """Parse JSON text already `check`ed."""
    try:
        return pydantic_core.from_json(data)
    except ValueError as exc:
        raise MalformedJSON(
            _("The JSON cannot be read: %(reason)s") % {"reason": exc}, field=field
        ) from None


def loads(
    data: bytes | str,
    *,
    field: str = "body",
    max_depth: int | None = None,
    max_values: int | None = None,
) -> Any:
    """Parse JSON text (UTF-8, a leading BOM allowed) once it is within the bounds: nesting
    (default: MAX_NESTING) and values (default: JSON_MAX_VALUES, a request body's bound)."""
    data = text_bytes(data)
    check(data, field=field, max_depth=max_depth, max_values=max_values)
    return parse(data, field=field)
