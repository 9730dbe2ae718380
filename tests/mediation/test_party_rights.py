"""The parties' rights and duties (人民调解法 arts. 4, 17, 22–24): the resident reads them before
applying; the mediators see them on a dispute they mediate, to tell the parties; nobody else
gets the notice on a dispute page (it is the mediators' work)."""

from __future__ import annotations

import pytest
from django.test import Client

from support.mediation_world import build, mediating

pytestmark = pytest.mark.django_db


def _get(user, url: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_resident_reads_their_rights_before_applying(world):
    build(world)
    html = _get(world.people.resident, "/resident/mediation/")
    assert 'id="party-rights"' in html
    assert "art. 4" in html or "第四条" in html or "第4条" in html


def test_the_mediator_is_reminded_to_tell_the_parties(world):
    med = build(world)
    dispute = mediating(world, med)
    html = _get(med.mediator, f"/mediation/disputes/{dispute.pk}/")
    assert 'id="tell-the-parties"' in html and 'id="party-rights"' in html
    # The judicial office reads the file but does not mediate: no reminder.
    judicial = _get(med.judicial, f"/mediation/disputes/{dispute.pk}/")
    assert 'id="party-rights"' not in judicial
