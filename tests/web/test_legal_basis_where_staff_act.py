"""The legal basis (法律依据) of a catalogue class is shown wherever staff act on a case of that
class: the case page, the console's queue, the inbox and the grid worker's card in the field
app; a class without one shows none."""

from __future__ import annotations

import pytest

from support.cases import drive
from support.web import client_for

pytestmark = pytest.mark.django_db

LAW = "《城市市容和环境卫生管理条例》"
ARTICLE = "第三十二条"


@pytest.fixture
def based(world):
    world.building.legal_basis_law = LAW
    world.building.legal_basis_article = ARTICLE
    world.building.save(update_fields=["legal_basis_law", "legal_basis_article"])
    return world.building


def _shows(html: str) -> bool:
    return LAW in html and ARTICLE in html


def test_the_console_the_case_page_and_the_inbox(world, based):
    case = drive(world, "dispatched", case_class=based)
    console = client_for(world, "dispatcher").get("/console/?state=dispatched")
    assert case.number in console.content.decode()
    assert _shows(console.content.decode())
    page = client_for(world, "city_handler").get(f"/cases/{case.number}/").content.decode()
    assert 'id="case-legal-basis"' in page and _shows(page)
    inbox = client_for(world, "city_handler").get("/inbox/").content.decode()
    assert case.number in inbox and _shows(inbox)


def test_the_field_card(world, based):
    case = drive(world, "checking", case_class=based)
    html = client_for(world, "worker").get("/field/").content.decode()
    assert case.number in html and _shows(html)


def test_a_class_without_a_basis_shows_none(world):
    world.building.legal_basis_law = ""
    world.building.save(update_fields=["legal_basis_law"])
    case = drive(world, "checking", case_class=world.building)
    html = client_for(world, "worker").get("/field/").content.decode()
    assert case.number in html and "data-legal-basis" not in html
