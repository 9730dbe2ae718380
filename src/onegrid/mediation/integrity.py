"""Mediation's part of `onegrid verify` (core.integrity): the registers' numbers against their
counters (core.Serial)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.utils.translation import gettext_lazy

from onegrid.core.integrity import Context, Finding, check, serial_findings, year_serials

from .models import Agreement, Dispute, Risk

# （2026）120113001001调字第12号
AGREEMENT = re.compile(r"^（(?P<year>\d{4})）.*第(?P<serial>\d+)号$")


@check(
    "mediation_numbers",
    gettext_lazy("Mediation register numbers are below their counters"),
    order=70,
)
def check_numbers(context: Context) -> Iterator[Finding]:
    disputes = Dispute.objects.values_list("number", flat=True).iterator(chunk_size=5000)
    yield from serial_findings(year_serials("dispute", disputes), "disputes")
    risks = Risk.objects.values_list("number", flat=True).iterator(chunk_size=5000)
    yield from serial_findings(year_serials("risk", risks), "risks")

    def agreements() -> Iterator[tuple[str, int]]:
        rows = Agreement.objects.values_list("number", "dispute__committee_id")
        for number, committee in rows.iterator(chunk_size=5000):
            match = AGREEMENT.match(number)
            if match and committee is not None:
                yield f"agreement-{committee}-{match['year']}", int(match["serial"])

    yield from serial_findings(agreements(), "agreements")
