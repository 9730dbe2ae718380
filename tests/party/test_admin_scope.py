"""The party admin's member pages keep Party-organisation staff to their place, as the Party
pages and API do: staff of another street (given the admin by an is_staff flag) neither list
nor open the members of this one."""

from __future__ import annotations

from django.test import Client

from onegrid.org.models import RoleAssignment


def _admin_client(user) -> Client:
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(user)
    return client


def test_party_staff_of_another_street_do_not_read_these_members(party, world):
    client = _admin_client(party.other_staff)
    listed = client.get("/admin/party/member/")
    assert listed.status_code == 200 and "张三" not in listed.content.decode()
    assert client.get(f"/admin/party/member/{party.member.pk}/change/").status_code in (302, 404)


def test_party_staff_of_the_street_read_them(party, world):
    client = _admin_client(party.street_staff)
    assert "张三" in client.get("/admin/party/member/").content.decode()
    assert client.get(f"/admin/party/member/{party.member.pk}/change/").status_code == 200


def test_community_staff_read_their_community_only(party, world):
    staff = party.other_staff
    RoleAssignment.objects.filter(user=staff).update(unit=world.community)
    client = _admin_client(staff)
    assert "张三" in client.get("/admin/party/member/").content.decode()
