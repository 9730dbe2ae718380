"""The vote behind a decision is made public with it (公示): how it was taken, the rules, the
electorate and the counts on the public decision page; no voter and no household."""

from __future__ import annotations

import pytest
from django.test import Client

from onegrid.residents.public_models import PublicSettings

from .test_decisions import _decision

pytestmark = pytest.mark.django_db


def test_the_public_decision_page_shows_the_vote(world):
    decision = _decision(world)
    ballot = decision.ballot
    ballot.votes_for, ballot.votes_against, ballot.abstentions, ballot.turnout = 6, 1, 1, 8
    ballot.quorum_numerator, ballot.quorum_denominator, ballot.quorum_strict = 2, 3, False
    ballot.save()
    PublicSettings.objects.create(district=world.district, enabled=True)
    page = Client().get(f"/public/decisions/{decision.number}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="public-vote"' in html
    assert "<dd data-electorate>10</dd>" in html and "<dd data-turnout>8</dd>" in html
    assert "<dd data-counts>6 / 1 / 1</dd>" in html
    assert "&gt;=2/3" in html or "≥2/3" in html or ">=2/3" in html
