"""The Party pages: every role against every page, masking and the access log, the forms of
Party-organisation staff, the XLSX roster, hostile input."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from onegrid.org.models import PersonalDataRead, Role
from onegrid.party import services
from onegrid.party.models import Member, Membership, Organisation
from support.party_roles import TREE_READERS, holder

Kind = PersonalDataRead.Kind


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _pages(party) -> list[str]:
    org = party.grid_group.pk
    return ["/party/", f"/party/orgs/{org}/", f"/party/orgs/{org}/roster.xlsx"]


@pytest.mark.parametrize("role", sorted(Role.values))
def test_every_role_against_every_page(party, world, role):
    client = _client(holder(world, role))
    for url in _pages(party):
        status = client.get(url).status_code
        assert status == (200 if role in TREE_READERS else 403), (role, url, status)


@pytest.mark.parametrize("role", sorted(Role.values))
def test_every_role_against_every_form(party, world, role):
    client = _client(holder(world, role))
    base = f"/party/orgs/{party.grid_group.pk}"
    answers = [
        client.post(f"{base}/join/", {"name": "李四", "category": "retired"}),
        client.post(
            f"{base}/transfer/",
            {"member": party.member.pk, "to": party.firm.pk, "reason": "调动"},
        ),
        # After the transfer the member leaves from the firm's page.
        client.post(
            f"/party/orgs/{party.firm.pk}/leave/", {"member": party.member.pk, "end": "died"}
        ),
    ]
    if role == Role.PARTY_STAFF:
        assert [a.status_code for a in answers] == [302, 302, 302]
    else:
        assert all(a.status_code in (403, 404) for a in answers), [a.status_code for a in answers]
        assert Member.objects.count() == 1
        assert Membership.objects.count() == 1


def test_the_tree_shows_counts_and_the_map_its_points(party, world):
    page = _client(world.people.leader).get("/party/").content.decode()
    assert f'data-org="{party.grid_group.pk}"' in page
    assert 'data-members="1"' in page
    assert "party-points" in page and "张三" not in page
    assert not PersonalDataRead.objects.exists()


def test_members_are_masked_for_a_leader_and_shown_and_logged_for_party_staff(party, world):
    url = f"/party/orgs/{party.grid_group.pk}/"
    masked = _client(world.people.leader).get(url).content.decode()
    assert "张*" in masked and "张三" not in masked and "139****5678" in masked
    assert 'id="join-form"' not in masked
    assert not PersonalDataRead.objects.exists()
    shown = _client(party.street_staff).get(url).content.decode()
    assert "张三" in shown and "13912345678" in shown and 'id="join-form"' in shown
    row = PersonalDataRead.objects.get(kind=Kind.PARTY_MEMBERSHIP)
    assert (row.subject_id, row.channel, row.user) == (
        str(party.member.pk),
        "page",
        party.street_staff,
    )


def test_the_secretary_is_named_only_to_who_reads_membership(party, world):
    head = holder(world, Role.GRID_HEAD)
    services.set_secretary(actor=party.street_staff, organisation=party.grid_group, secretary=head)
    url = f"/party/orgs/{party.grid_group.pk}/"
    masked = _client(world.people.leader).get(url).content.decode()
    assert "r_grid_head" not in masked
    shown = _client(party.street_staff).get(url).content.decode()
    assert "r_grid_head" in shown and 'id="secretary-is-grid-head"' in shown
    assert PersonalDataRead.objects.filter(subject_id=f"user:{head.pk}").count() == 1


def _sheet(response) -> list[tuple]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True))


def test_the_roster_is_masked_for_a_reader_who_may_not_read_membership(party, world):
    url = f"/party/orgs/{party.grid_group.pk}/roster.xlsx"
    rows = _sheet(_client(world.people.acceptor).get(url))
    assert rows[1][0] == "张*" and rows[1][1] == "139****5678"
    assert not PersonalDataRead.objects.exists()
    rows = _sheet(_client(party.district_staff).get(url))
    assert rows[1][0] == "张三" and rows[1][1] == "13912345678"
    assert PersonalDataRead.objects.get(kind=Kind.PARTY_MEMBERSHIP).channel == "download"


def test_the_organisation_list_of_the_transfer_form_is_on_the_page_once(party):
    """A district holds thousands of organisations: listing them once for every member made a
    two-member page weigh hundreds of kilobytes."""
    for name in ("甲", "乙", "丙"):
        services.join(
            actor=party.street_staff,
            organisation=party.grid_group,
            name=name,
            category="retired",
        )
    body = _client(party.street_staff).get(f"/party/orgs/{party.grid_group.pk}/").content.decode()
    assert body.count('name="to"') == 1
    assert body.count(f'<option value="{party.firm.pk}">') == 2  # transfer to, and move under
    members = body[body.index('<select name="member"') :]
    assert members[: members.index("</select>")].count("<option") == 4  # every member, once


def test_a_refused_form_names_the_field_and_changes_nothing(party):
    client = _client(party.street_staff)
    answer = client.post(
        f"/party/orgs/{party.grid_group.pk}/transfer/",
        {"member": party.member.pk, "to": party.grid_group.pk, "reason": "x"},
    )
    assert answer.status_code == 400
    assert 'id="member-error"' in answer.content.decode()
    assert Membership.objects.count() == 1


def test_party_staff_create_an_organisation_under_another(party, world):
    client = _client(party.street_staff)
    answer = client.post(
        f"/party/orgs/{party.community.pk}/create/",
        {
            "code": "G2",
            "name": "第002网格党支部",
            "kind": "grid_branch",
            "place": world.grids[1].code,
        },
    )
    assert answer.status_code == 302
    made = Organisation.objects.get(code="G2")
    assert (made.parent, made.unit, made.grid) == (party.community, world.community, world.grids[1])


@pytest.mark.parametrize(
    "url",
    [
        "/party/orgs/99999999999999999999999/",
        "/party/orgs/abc/",
        "/party/orgs/%00/",
        "/party/orgs/1%00/roster.xlsx",
    ],
)
def test_odd_ids_are_not_found(party, url):
    assert _client(party.street_staff).get(url).status_code == 404


@pytest.mark.parametrize(
    "form",
    [
        {"name": "a\x00b", "category": "retired"},
        {"name": "x" * 5000, "category": "retired"},
        {"name": "赵六", "category": "retired", "on": "１９９９-01-01"},
        {"name": "赵六", "category": "retired", "on": "9999-12-31"},
    ],
)
def test_hostile_join_form_is_a_4xx(party, form):
    answer = _client(party.street_staff).post(f"/party/orgs/{party.community.pk}/join/", form)
    assert 400 <= answer.status_code < 500
    assert Member.objects.count() == 1


def test_party_staff_name_the_grid_head_as_secretary(party, world):
    holder(world, Role.GRID_HEAD)
    client = _client(party.street_staff)
    url = f"/party/orgs/{party.grid_group.pk}/secretary/"
    assert client.post(url, {"username": "r_grid_head"}).status_code == 302
    party.grid_group.refresh_from_db()
    assert party.grid_group.secretary.username == "r_grid_head"
    refused = client.post(url, {"username": "nobody\x00"})
    assert refused.status_code == 400 and 'id="secretary-error"' in refused.content.decode()
    assert _client(world.people.leader).post(url, {"username": ""}).status_code == 403
    party.grid_group.refresh_from_db()
    assert party.grid_group.secretary is not None


def test_party_staff_move_and_dissolve_from_the_page(party, world):
    client = _client(party.street_staff)
    base = f"/party/orgs/{party.firm.pk}"
    # A unit's organisation may sit under its street's committee (属地管理) …
    assert client.post(f"{base}/move/", {"parent": party.street.pk}).status_code == 302
    party.firm.refresh_from_db()
    assert party.firm.parent == party.street
    # … not under a grid's group, nor under one of its own.
    refused = client.post(f"{base}/move/", {"parent": party.grid_group.pk})
    assert refused.status_code == 400 and 'id="move-error"' in refused.content.decode()
    refused = client.post(f"/party/orgs/{party.street.pk}/move/", {"parent": party.community.pk})
    assert refused.status_code in (400, 403)
    assert client.post(f"{base}/dissolve/").status_code == 302
    party.firm.refresh_from_db()
    assert party.firm.dissolved_at is not None
    # The grid group still has its member: not dissolved.
    refused = client.post(f"/party/orgs/{party.grid_group.pk}/dissolve/")
    assert refused.status_code == 400
    assert (
        _client(world.people.leader).post(f"/party/orgs/{party.community.pk}/dissolve/").status_code
        == 403
    )


@pytest.mark.parametrize("place", ["12011300100\x00", "１２０１１３００１００１", "x" * 5000])
def test_a_hostile_place_is_refused_at_its_field(party, place):
    answer = _client(party.street_staff).post(
        f"/party/orgs/{party.community.pk}/create/",
        {"code": "Z", "name": "z", "kind": "community_branch", "place": place},
    )
    assert answer.status_code == 400 and 'id="create-error"' in answer.content.decode()
