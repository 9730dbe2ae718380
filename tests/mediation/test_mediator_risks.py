"""People's mediators read, and only read, the risk register of the unit (community or street)
they are bound to (org.policies RISK_READERS): the page, the risk and the API list, never
another unit's risk nor a keeper's form."""

from __future__ import annotations

import pytest
from django.test import Client

from onegrid.mediation import risks
from onegrid.org import policies
from onegrid.org.models import Role
from support.api import token_client
from support.people import person
from support.sra_world import key

pytestmark = pytest.mark.django_db


def _risk(world, grid, worker, title):
    return risks.raise_risk(
        actor=worker,
        grid=grid,
        title=title,
        description="邻里纠纷可能激化。",
        level="medium",
        owner=worker,
        idempotency_key=key(),
    ).risk


@pytest.fixture
def two_risks(world):
    here = _risk(world, world.grids[0], world.people.worker, "本社区风险甲")
    far = _risk(world, world.grids[2], world.people.far_worker, "外街道风险乙")
    return here, far


@pytest.mark.parametrize("bound", ["community", "street"])
def test_a_mediator_reads_the_risks_of_their_unit_only(world, two_risks, bound):
    here, far = two_risks
    mediator = person(f"med_{bound}", Role.MEDIATOR, unit=getattr(world, bound))
    client = Client()
    client.force_login(mediator)
    listing = client.get("/mediation/risks/")
    assert listing.status_code == 200
    body = listing.content.decode()
    assert here.number in body and far.number not in body
    page = client.get(f"/mediation/risks/{here.pk}/")
    assert page.status_code == 200
    assert "follow-up-form" not in page.content.decode()
    assert client.get(f"/mediation/risks/{far.pk}/").status_code == 404
    # Read-only: no follow-up, no resolution, no new risk.
    follow = client.post(
        f"/mediation/risks/{here.pk}/follow-up/", {"note": "走访", "idempotency_key": key()}
    )
    assert follow.status_code in (403, 404)
    assert client.post(
        f"/mediation/risks/{here.pk}/resolve/", {"resolution": "化解"}
    ).status_code in (
        403,
        404,
    )
    here.refresh_from_db()
    assert here.state != "resolved" and not here.follow_ups.exists()
    api = token_client(mediator)
    rows = api.get("/api/v1/mediation/risks").json()
    numbers = {r["number"] for r in (rows["items"] if isinstance(rows, dict) else rows)}
    assert numbers == {here.number}
    assert api.get(f"/api/v1/mediation/risks/{far.pk}").status_code == 404
    place, far_place = risks.place_of(here), risks.place_of(far)
    assert not policies.may_keep_risk(mediator, place)
    assert policies.may_read_risk(mediator, place) and not policies.may_read_risk(
        mediator, far_place
    )


def test_the_mediators_nav_links_the_risk_register(world):
    mediator = person("med_nav", Role.MEDIATOR, unit=world.street)
    client = Client()
    client.force_login(mediator)
    assert 'href="/mediation/risks/"' in client.get("/mediation/").content.decode()
