"""The checklist in the admin: added through party.centres' checks, by those who configure it;
centres and inspections are read-only there."""

from __future__ import annotations

from django.test import Client

from onegrid.org.models import User
from onegrid.party.models import ChecklistItem
from support.party_rows import party_rows


def test_a_superuser_adds_a_checklist_item_and_bad_text_is_refused(world):
    rows = party_rows(world)
    User.objects.create_superuser("root", password="pw-root-123")
    client = Client()
    client.force_login(User.objects.get(username="root"))
    assert client.get("/admin/party/checklistitem/").status_code == 200
    base = {"category": "staff", "max_score": "10", "applies_to": "both", "order": "5"}
    refused = client.post("/admin/party/checklistitem/add/", base | {"text": "坏\x01字"})
    assert refused.status_code == 200 and ChecklistItem.objects.count() == 3
    done = client.post("/admin/party/checklistitem/add/", base | {"text": "专职工作人员"})
    assert done.status_code == 302
    assert ChecklistItem.objects.filter(text="专职工作人员", max_score=10).exists()
    centre = client.get(f"/admin/party/servicecentre/{rows.centre.pk}/change/")
    assert centre.status_code == 200
    client.post(f"/admin/party/servicecentre/{rows.centre.pk}/change/", {"name": "x"})
    rows.centre.refresh_from_db()
    assert rows.centre.name == "第1社区党群服务中心"


def test_staff_without_the_right_do_not_see_the_checklist_admin(world):
    rows = party_rows(world)
    for user in (rows.street_staff,):
        user.is_staff = True
        user.save()
        client = Client()
        client.force_login(user)
        assert client.get("/admin/party/checklistitem/").status_code == 403
