"""Deliberation's part of `onegrid verify` (core.integrity): topic and decision numbers against
their counters (core.Serial)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.utils.translation import gettext_lazy

from onegrid.core.integrity import Context, Finding, check, serial_findings

from .models import Decision, Topic

# YS202600042 (topics), JY202600007 (decisions)
YEAR_SERIAL = re.compile(r"^[A-Z]{2}(?P<year>\d{4})(?P<serial>\d{5,})$")


def _numbered(prefix: str, numbers: Iterator[str]) -> Iterator[tuple[str, int]]:
    for number in numbers:
        match = YEAR_SERIAL.match(number)
        if match:
            yield f"{prefix}-{match['year']}", int(match["serial"])


@check(
    "deliberation_numbers",
    gettext_lazy("Topic and decision numbers are below their counters"),
    order=71,
)
def check_numbers(context: Context) -> Iterator[Finding]:
    topics = Topic.objects.values_list("number", flat=True).iterator(chunk_size=5000)
    yield from serial_findings(_numbered("topic", topics), "topics")
    decisions = Decision.objects.values_list("number", flat=True).iterator(chunk_size=5000)
    yield from serial_findings(_numbered("decision", decisions), "decisions")
