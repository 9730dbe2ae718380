"""Migration cases 0005 gives every existing case a tracking code before making it unique."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("cases", "0004_month_totals")]
AFTER = [("cases", "0005_tracking_rating_comments")]


@pytest.mark.django_db(transaction=True)
def test_existing_cases_get_distinct_tracking_codes():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    AdminUnit = old.get_model("territory", "AdminUnit")
    Grid = old.get_model("territory", "Grid")
    MajorClass = old.get_model("cases", "MajorClass")
    CaseClass = old.get_model("cases", "CaseClass")
    Case = old.get_model("cases", "Case")
    street = AdminUnit.objects.create(code="120113001000", name="街道", level="street")
    community = AdminUnit.objects.create(
        code="120113001001", name="社区", level="community", parent=street
    )
    grid = Grid.objects.create(
        code="120113001001001", name="网格", community=community, street=street
    )
    major = MajorClass.objects.create(code="A", name="城市管理")
    cls = CaseClass.objects.create(
        code="A0102", major=major, name="暴露垃圾", time_limit=4, time_unit="hours"
    )
    now = dt.datetime(2026, 3, 10, 1, 30, tzinfo=dt.UTC)
    for i in range(25):
        Case.objects.create(
            number=f"120113-20260310-{i:05d}",
            state="reported",
            source="grid_worker",
            case_class=cls,
            lon=117.1,
            lat=39.2,
            grid=grid,
            community=community,
            street=street,
            urgency="blue",
            reported_at=now,
        )
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps.get_model("cases", "Case")
    codes = list(new.objects.values_list("tracking_code", flat=True))
    assert len(codes) == 25 == len(set(codes))
    assert all(re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{10}", c) for c in codes)
    # Back to the newest schema for the tests after this one.
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
