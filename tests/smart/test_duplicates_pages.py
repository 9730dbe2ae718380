"""The desk's likely-duplicates panel on the case page (web/case/_duplicates.html): the older open
case with its score, distance, time, words and a merge button that runs the workflow's merge."""

from __future__ import annotations

import html
import math
import re

from django.utils import timezone

from onegrid.cases.models import Case
from support.cases import act, advance, report
from support.web import client_for


def east(point, metres):
    lon, lat = point
    return lon + metres / (111_320.0 * math.cos(math.radians(lat))), lat


def panel(body: str) -> str:
    match = re.search(r'<div class="panel duplicates" id="duplicates">(.*?)</ul>', body, re.S)
    return match.group(1) if match else ""


def test_the_desk_sees_the_older_case_with_score_distance_time_words_and_merges_it(world):
    p = world.people
    older = report(world, description="佳园里3号楼东侧垃圾袋堆在路边没人清运<script>x</script>")
    advance(hours=2)
    newer = report(
        world, who=p.resident, point=east(world.point, 20), description="三号楼东边垃圾没人收"
    )
    client = client_for(world, "acceptor")
    body = client.get(f"/cases/{newer.number}/").content.decode()
    shown = panel(body)
    assert older.number in shown and "暴露垃圾" in shown
    assert re.search(r"\d+%", shown)  # the score
    assert "20" in shown and timezone.localtime(older.reported_at).strftime("%m-%d %H:%M") in shown
    assert "佳园里3号楼东侧" in shown and "<script>x" not in shown  # words, as text
    assert html.escape("<script>x") in shown or "&lt;script&gt;" in shown
    assert 'data-reason="same_class"' in shown and 'data-reason="text"' in shown
    assert f'value="{older.number}"' in shown and 'class="merge"' in shown

    response = client.post(
        f"/cases/{newer.number}/act/merge/",
        {"target": older.number, "idempotency_key": "merge-1"},
    )
    assert response.status_code == 302
    newer.refresh_from_db()
    assert newer.state == "merged" and newer.merged_into_id == older.pk
    assert older.reporters.filter(reporter=p.resident).exists()
    # Merged: no panel any more.
    assert 'id="duplicates"' not in client.get(f"/cases/{newer.number}/").content.decode()


def test_no_panel_for_who_may_not_merge_nor_for_a_case_with_no_likely_duplicate(world):
    p = world.people
    report(world, description="3号楼东侧垃圾")
    advance(minutes=30)
    newer = report(world, who=p.worker2, point=east(world.point, 10), description="3号楼垃圾")
    acceptor = client_for(world, "acceptor").get(f"/cases/{newer.number}/").content.decode()
    assert 'id="duplicates"' in acceptor
    for who in ("command", "leader", "worker2"):
        body = client_for(world, who).get(f"/cases/{newer.number}/").content.decode()
        assert 'id="duplicates"' not in body, who
    lonely = report(world, point=east(world.point, 600))
    body = client_for(world, "acceptor").get(f"/cases/{lonely.number}/").content.decode()
    assert 'id="duplicates"' not in body


def test_a_closed_case_is_not_offered_for_merging(world):
    p = world.people
    older = report(world)
    act(older, p.acceptor, "reject", reason="不符合立案标准")
    advance(minutes=10)
    newer = report(world, who=p.worker2, point=east(world.point, 5))
    body = client_for(world, "acceptor").get(f"/cases/{newer.number}/").content.decode()
    assert older.number not in panel(body)
    assert Case.objects.get(pk=older.pk).state == "rejected"
