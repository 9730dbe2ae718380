"""What GET answers show of a request as staff handle it: the state at each step, updates for
every change, the description through the public pages' redaction (including the contact
details the client sent), and a media_url only for a photo a desk approved."""

from __future__ import annotations

from onegrid.cases.models import Case
from onegrid.residents.models import PublicSettings
from support.cases import act, photo
from support.residents import staff_take

from .conftest import checked, request_form

BASE = "/open311/v2"


def test_a_request_as_the_public_follows_it(client, open311):
    world = open311.world
    PublicSettings.objects.create(district=world.district, enabled=True)
    response = client.post(
        f"{BASE}/requests.json",
        {
            **request_form(
                open311.key,
                description="王小明报告：垃圾堆在门口，联系 wxm@example.com 或 139 0000 1111",
                first_name="小明",
                last_name="王",
                email="wxm@example.com",
                phone="13900001111",
            ),
            "media": photo(),
        },
    )
    assert response.status_code == 201, response.content
    number = checked(response, "post_response")[0]["service_request_id"]
    case = Case.objects.get(number=number)

    def shown(key=open311.key):
        (one,) = checked(
            client.get(f"{BASE}/requests/{number}.json", {"api_key": key} if key else {}),
            "requests",
        )
        return one

    def public_answer():
        return client.get(f"{BASE}/requests/{number}.json")

    assert shown()["media_url"] == ""  # not approved, not listed yet
    seen = []
    for state in ("verifying", "reported", "registered", "dispatched", "in_progress"):
        case = staff_take(world, case, until=state)
        one = shown()
        seen.append((one["status"], one["extended_status"]))
        # The public reads what the public pages list: accepted reports only.
        assert public_answer().status_code == (404 if state in ("verifying", "reported") else 200)
    # Placed where the public pages put it (the district shows grids): the grid's point, never
    # the reported one; its own client reads its point rounded to ~100 m.
    grid = case.grid
    assert (shown(key=None)["long"], shown(key=None)["lat"]) == (
        round(grid.label_lon, 6),
        round(grid.label_lat, 6),
    )
    assert (shown()["long"], shown()["lat"]) == (round(case.lon, 3), round(case.lat, 3))
    assert shown()["agency_responsible"] == "城管委"
    assert seen == [
        ("open", "verifying"),
        ("open", "reported"),
        ("open", "registered"),
        ("open", "dispatched"),
        ("open", "in_progress"),
    ]
    assert shown()["media_url"] == ""  # listed now, but the photo is not approved
    (before,) = case.photos.all()
    act(case, world.people.acceptor, "approve_photo", photo=str(before.id))
    one = shown()
    assert one["media_url"] == f"http://testserver/public/photos/{before.id}/view.jpg"
    assert client.get(one["media_url"]).status_code == 200
    text = one["description"]
    for secret in ("王", "小明", "wxm@example.com", "1111"):
        assert secret not in text, text
    assert "垃圾堆在门口" in text

    case = staff_take(world, case, until="closed")
    one = shown()
    assert (one["status"], one["extended_status"]) == ("closed", "closed")
    updates = checked(
        client.get(
            f"{BASE}/servicerequestupdates.json",
            {"start_date": "2026-03-01T00:00:00Z", "end_date": "2026-04-30T00:00:00Z"},
        ),
        "updates",
    )
    assert [u["external_status_code"] for u in updates] == [
        "reported",
        "verifying",
        "reported",
        "registered",
        "dispatched",
        "in_progress",
        "checking",
        "checked",
        "closed",
    ]
    assert updates[-1]["status"] == "FIXED"
    assert [u["status"] for u in updates[:4]] == [
        "OPEN",
        "INVESTIGATING",
        "OPEN",
        "ACTION_SCHEDULED",
    ]
