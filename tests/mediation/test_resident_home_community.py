"""A resident's legal question and mediation application forms choose the resident's own
community first (their voter-roll entry's, else their last report's), not the district's first
of some 250 communities."""

from __future__ import annotations

import re

from django.test import Client

from support.cases import report


def _selected(page: str) -> list[str]:
    select = page.split('name="community"')[1].split("</select>")[0]
    return re.findall(r'<option value="([^"]+)"[^>]*\bselected\b', select)


def test_the_resident_forms_choose_the_community_of_the_last_report(world):
    resident = world.people.resident
    client = Client()
    client.force_login(resident)
    # No report yet: nothing is chosen for them (the browser shows the first).
    assert _selected(client.get("/resident/legal/").content.decode()) == []
    far = world.grids[2]  # in the second street's community
    report(world, who=resident, point=(far.label_lon, far.label_lat))
    legal = client.get("/resident/legal/").content.decode()
    assert _selected(legal) == [far.community.code]
    mediation = client.get("/resident/mediation/").content.decode()
    assert _selected(mediation) == [str(far.community.pk)]
    # What the resident chose and sent back stays chosen over it.
    refused = client.post(
        "/resident/legal/",
        {"community": world.community.code, "question": "", "idempotency_key": "q-home"},
    )
    assert refused.status_code in (400, 422)
    assert _selected(refused.content.decode()) == [world.community.code]
