"""Co-building units (volunteers.partners): the 统一社会信用代码 to the letter of GB 32100-2015,
who registers and changes units, and their contact masked for everyone but the community's
list keepers, whose unmasked reads are logged."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onegrid.core.errors import Conflict, InvalidInput, PermissionDenied
from onegrid.org.models import PersonalDataRead
from onegrid.volunteers import partners
from onegrid.volunteers.models import CoBuildingUnit
from onegrid.volunteers.partners import (
    CREDIT_CODE_CHARACTERS,
    credit_code,
    credit_code_check_character,
)
from support.community_lists import build

# Codes published by their holders (business licences), valid under the standard.
KNOWN_VALID = ["91350100M000100Y43", "91110000802100433B"]


@pytest.fixture
def lw(world):
    return build(world)


# --- the credit code ------------------------------------------------------------------------


@pytest.mark.parametrize("code", KNOWN_VALID)
def test_published_codes_are_valid(code):
    assert credit_code(code) == code


def test_the_check_character_is_the_standards():
    # 91350100M000100Y4 + check: Σ value×weight = 1640 (mod 31 = 28), 31 − 28 = 3.
    assert credit_code_check_character("91350100M000100Y4") == "3"
    # A sum divisible by 31 gives 0, not the 31st character.
    assert credit_code_check_character("0" * 17) == "0"


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y44",  # wrong check character
        "91110000802100433C",
        "91350100M000100Y4",  # 17 characters
        "91350100M000100Y433",  # 19
        "91350100M0001I0Y43",  # I is not in the set
        "9135010OM000100Y43",  # nor O (here in the area code)
        "91350100S000100Y43",
        "913501AAM000100Y43",  # the area code is six digits
        "91350100M000100Y4\x00",
        "٩١٣٥٠١٠٠M000100Y43",  # Arabic-Indic digits
    ],
)
def test_a_wrong_code_is_refused(code):
    with pytest.raises(InvalidInput) as refused:
        credit_code(code)
    assert refused.value.field == "credit_code"


def test_a_code_is_read_as_written_down():
    assert credit_code(" 91350100m000100y43 ") == "91350100M000100Y43"
    assert credit_code("９１３５０１００Ｍ０００１００Ｙ４３") == "91350100M000100Y43"  # full width
    assert credit_code("") == ""


def _code_body(values: list[int]) -> str:
    """17 characters of the set; positions 3–8 digits, as the area code is."""
    return "".join(
        CREDIT_CODE_CHARACTERS[v % 10 if 2 <= i < 8 else v] for i, v in enumerate(values)
    )


body = st.lists(st.integers(0, 30), min_size=17, max_size=17).map(_code_body)


@given(body, st.integers(0, 30).map(CREDIT_CODE_CHARACTERS.__getitem__))
def test_exactly_one_check_character_fits_any_code(first17, last):
    right = credit_code_check_character(first17)
    if last == right:
        assert credit_code(first17 + last) == first17 + last
    else:
        with pytest.raises(InvalidInput):
            credit_code(first17 + last)


# --- registering and changing -------------------------------------------------------------


def register(lw, actor, **fields):
    args = {"community_id": lw.community.pk, "name": "某科技公司", "kind": "enterprise"}
    return partners.register_partner(actor=actor, **{**args, **fields})


def test_keepers_register_units_others_may_not(world, lw):
    unit = register(lw, lw.staff, credit_code_text=KNOWN_VALID[0], contact_phone_text="022-1234567")
    assert (unit.credit_code, unit.registered_by) == (KNOWN_VALID[0], lw.staff)
    for actor in (world.people.acceptor, world.people.command, lw.volunteer, lw.other_staff):
        with pytest.raises(PermissionDenied):
            register(lw, actor, name="别的公司")
    assert CoBuildingUnit.objects.filter(name="别的公司").count() == 0


def test_a_credit_code_is_registered_once(lw):
    register(lw, lw.staff, credit_code_text=KNOWN_VALID[0])
    with pytest.raises(Conflict) as twice:
        register(lw, lw.organiser, name="又一家", credit_code_text=KNOWN_VALID[0].lower())
    assert twice.value.field == "credit_code"
    # Units without a code are many.
    register(lw, lw.staff, name="甲")
    register(lw, lw.staff, name="乙")


@pytest.mark.parametrize(
    "field, value",
    [
        ("name", ""),
        ("name", "x" * 101),
        ("name", "a\x1bb"),
        ("kind", "bank"),
        ("contact_phone_text", "１３８１２３４５６７８"),
        ("contact_phone_text", "call me"),
        ("credit_code_text", "123"),
    ],
)
def test_odd_unit_input_is_refused(lw, field, value):
    with pytest.raises(InvalidInput):
        register(lw, lw.staff, **{field: value})


def test_update_and_deactivate(lw):
    unit = partners.update_partner(
        actor=lw.organiser, partner_id=lw.partner.pk, name="新物业", active=False
    )
    assert (unit.name, unit.active) == ("新物业", False)
    assert partners.set_partner_active(actor=lw.staff, partner_id=unit.pk, active=True).active
    with pytest.raises(PermissionDenied):
        partners.set_partner_active(actor=lw.other_staff, partner_id=unit.pk, active=False)


# --- the contact, masked and logged -------------------------------------------------------


def test_keepers_read_the_contact_and_the_read_is_logged(lw):
    rows = partners.partners_of(lw.community, user=lw.staff, channel="page", path="/x/")
    row = next(r for r in rows if r.id == lw.partner.pk)
    assert (row.contact_name, row.contact_phone) == ("张三", "13812345678")
    read = PersonalDataRead.objects.get(kind="partner_contact", user=lw.staff)
    assert (read.subject_id, read.fields) == (str(lw.partner.pk), "contact_name,contact_phone")


@pytest.mark.parametrize("who", ["volunteer", "member_user", "other_staff"])
def test_others_see_the_contact_masked_and_nothing_is_logged(lw, who):
    rows = partners.partners_of(lw.community, user=getattr(lw, who), channel="page")
    row = next(r for r in rows if r.id == lw.partner.pk)
    assert row.contact_phone == "138****5678" and row.contact_name == "张*"
    assert not PersonalDataRead.objects.exists()
