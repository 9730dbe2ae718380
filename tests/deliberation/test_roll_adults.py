"""Only residents of the place who are 18 or older stand on the voter roll (城市居民委员会组织法
art. 8, 村民委员会组织法 art. 13): the committee's check carries its word that the document seen
shows both; without it (false, or anything not a JSON boolean) the entry stays pending."""

from __future__ import annotations

import pytest

from onegrid.core.errors import InvalidInput
from onegrid.deliberation import roll
from onegrid.deliberation.models import Voter
from support import deliberation_topics as dt_
from support import deliberation_votes as dv
from support.api import token_client

pytestmark = pytest.mark.django_db
BASE = "/api/v1/deliberation"


def test_the_service_refuses_a_check_without_the_word(world):
    committee = dt_.committee(world)
    entry = dv.voter(dv.household(world.grids[0]), state=Voter.State.PENDING)
    for bad in (False, None, "1", 1):
        with pytest.raises(InvalidInput) as refused:
            roll.check_identity(
                actor=committee, voter_id=entry.pk, method="id_card", adult_resident=bad
            )
        assert refused.value.field == "adult_resident"
    entry.refresh_from_db()
    assert entry.state == Voter.State.PENDING
    roll.check_identity(actor=committee, voter_id=entry.pk, method="id_card", adult_resident=True)
    entry.refresh_from_db()
    assert entry.state == Voter.State.VERIFIED


@pytest.mark.parametrize("value", [False, "yes", 1, None])
def test_the_api_refuses_false_and_non_booleans(world, value):
    committee = dt_.committee(world)
    entry = dv.voter(dv.household(world.grids[0]), state=Voter.State.PENDING)
    client = token_client(committee)
    answer = client.post(
        f"{BASE}/roll/{entry.pk}/check",
        {"method": "id_card", "adult_resident": value},
        content_type="application/json",
    )
    assert answer.status_code == 422
    entry.refresh_from_db()
    assert entry.state == Voter.State.PENDING
    ok = client.post(
        f"{BASE}/roll/{entry.pk}/check",
        {"method": "id_card", "adult_resident": True},
        content_type="application/json",
    )
    assert ok.status_code == 200
