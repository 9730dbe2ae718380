"""Deliberation's part of `onegrid verify` (core.integrity): topic and decision numbers against
their counters (core.Serial)."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext_lazy

from onegrid.core.integrity import Context, Finding, check, serial_findings, year_serials

from .models import Decision, Topic


@check(
    "deliberation_numbers",
    gettext_lazy("Topic and decision numbers are below their counters"),
    order=71,
)
def check_numbers(context: Context) -> Iterator[Finding]:
    topics = Topic.objects.values_list("number", flat=True).iterator(chunk_size=5000)
    yield from serial_findings(year_serials("topic", topics), "topics")
    decisions = Decision.objects.values_list("number", flat=True).iterator(chunk_size=5000)
    yield from serial_findings(year_serials("decision", decisions), "decisions")
