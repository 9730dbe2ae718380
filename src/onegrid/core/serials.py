"""Serial numbers of the registers (调解登记, 议题, 决议 …): one row per series in core.Serial."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F

from .models import Serial


def next_serial(series: str) -> int:
    """The next number of `series` (1 for a new one). Call it inside the transaction that
    writes the numbered row: the counter's row stays locked until that commits, so concurrent
    writers take turns and a rolled-back write gives its number back."""
    if not Serial.objects.filter(series=series).update(last=F("last") + 1):
        try:
            with transaction.atomic():
                Serial.objects.create(series=series, last=1)
        except IntegrityError:
            Serial.objects.filter(series=series).update(last=F("last") + 1)
    return Serial.objects.values_list("last", flat=True).get(series=series)
