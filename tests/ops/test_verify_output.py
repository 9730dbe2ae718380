"""`onegrid verify`'s text lines: a check with nothing to count prints no empty part."""

from __future__ import annotations

import io

from django.core.management import call_command
from django.utils import translation


def test_a_check_without_counts_prints_no_empty_part(db):
    out = io.StringIO()
    with translation.override("en"):
        call_command("verify", stdout=out)
    text = out.getvalue()
    assert "(0 errors, 0 warnings; " in text
    assert "; ;" not in text
