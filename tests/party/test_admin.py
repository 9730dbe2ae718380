"""The party admin: members only for superusers and Party-organisation staff, every page of
them recorded; nothing written there."""

from __future__ import annotations

from django.test import Client

from onegrid.org.models import PersonalDataRead, Role, User
from support.people import person


def test_member_pages_are_recorded_and_closed_to_other_admins(party, world):
    root = User.objects.create_superuser("root", password="pw-root")
    client = Client()
    client.force_login(root)
    assert client.get("/admin/party/member/").status_code == 200
    page = client.get(f"/admin/party/member/{party.member.pk}/change/")
    assert page.status_code == 200 and "13912345678" in page.content.decode()
    reads = PersonalDataRead.objects.filter(kind="party_membership", channel="admin")
    assert reads.count() == 2
    admin = person("adm", Role.ADMIN, unit=world.district)
    admin.is_staff = True
    admin.save()
    other = Client()
    other.force_login(admin)
    assert other.get("/admin/party/member/").status_code == 403
    assert other.get("/admin/party/organisation/").status_code in (200, 403)
    assert client.get("/admin/party/member/add/").status_code == 403
