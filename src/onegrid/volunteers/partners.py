"""Co-building units (共建单位): registering, updating and deactivating the enterprises, social
organisations and property companies that work with a community, and their contact as each
reader may see it.

Who keeps them is org.policies.may_keep_community_lists (the Party-organisation staff and
volunteer organisers of the community, its street or the district). The contact phone is
personal data: shown unmasked only to those keepers, every such read logged (PARTNER_CONTACT).
Each write is one transaction and raises a DomainError naming the field at fault.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from onegrid.cases.services import contact_phone
from onegrid.core import clock
from onegrid.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from onegrid.core.text_input import bounded_text
from onegrid.org import access_log, policies
from onegrid.org.models import User
from onegrid.party.selectors import mask_name
from onegrid.territory.models import AdminUnit

from .models import CoBuildingUnit

# GB 32100-2015 《法人和其他组织统一社会信用代码编码规则》: 18 characters from these 31 (the
# digits and the capitals without I, O, Z, S and V); each character's value is its index here.
CREDIT_CODE_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# The weights of positions 1–17 (3^(i-1) mod 31); the 18th character is the check.
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

NAME_LENGTH = 100
ADDRESS_LENGTH = 200


def credit_code_check_character(first17: str) -> str:
    """The check character of a code's first 17 characters: 31 − (Σ value × weight mod 31),
    where 31 is written 0."""
    total = sum(
        CREDIT_CODE_CHARACTERS.index(ch) * w
        for ch, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_CHARACTERS[(31 - total % 31) % 31]


def credit_code(value: str | None, *, field: str = "credit_code") -> str:
    """A 统一社会信用代码 as written down (spaces dropped, full-width and lower-case letters
    read as their capitals), checked to GB 32100-2015: 18 characters of the standard's set,
    positions 3–8 the six digits of an administrative division, the check character right.
    Empty stays empty (the code is optional)."""
    text = unicodedata.normalize("NFKC", value or "").replace(" ", "").upper()
    if not text:
        return ""
    if len(text) != 18:
        raise InvalidInput(_("A unified social credit code has 18 characters."), field=field)
    if any(ch not in CREDIT_CODE_CHARACTERS for ch in text):
        raise InvalidInput(
            _(
                "A unified social credit code uses the digits and "
                "capital letters except I, O, Z, S and V."
            ),
            field=field,
        )
    if not text[2:8].isdigit():
        raise InvalidInput(
            _("Characters 3 to 8 of a unified social credit code are an area code of six digits."),
            field=field,
        )
    if credit_code_check_character(text[:17]) != text[17]:
        raise InvalidInput(
            _(
                "This unified social credit code's check character "
                "is wrong: check for a typing error."
            ),
            field=field,
        )
    return text


def _kind(value: str) -> str:
    if value not in CoBuildingUnit.Kind.values:
        raise InvalidInput(_("Choose the kind of unit from the list."), field="kind")
    return value


def _community(community_id: int) -> AdminUnit:
    community = AdminUnit.objects.filter(pk=community_id, level=AdminUnit.Level.COMMUNITY).first()
    if community is None:
        raise NotFound(_("No such community."), field="community")
    return community


def _check_keeper(actor: User, community: AdminUnit) -> None:
    if not policies.may_keep_community_lists(actor, community):
        raise PermissionDenied(
            _(
                "Only the community's Party-organisation staff and "
                "volunteer organisers keep its co-building units."
            )
        )


def _save(partner: CoBuildingUnit) -> CoBuildingUnit:
    try:
        with transaction.atomic():
            partner.save()
    except IntegrityError:
        raise Conflict(
            _("A unit with this unified social credit code is already registered."),
            field="credit_code",
        ) from None
    return partner


@transaction.atomic
def register_partner(
    *,
    actor: User,
    community_id: int,
    name: str,
    kind: str,
    credit_code_text: str = "",
    address: str = "",
    contact_name: str = "",
    contact_phone_text: str = "",
) -> CoBuildingUnit:
    """Register a co-building unit with a community."""
    community = _community(community_id)
    _check_keeper(actor, community)
    partner = CoBuildingUnit(
        name=bounded_text(name, "name", max_length=NAME_LENGTH, required=True),
        kind=_kind(kind),
        credit_code=credit_code(credit_code_text),
        community=community,
        address=bounded_text(address, "address", max_length=ADDRESS_LENGTH),
        contact_name=bounded_text(contact_name, "contact_name", max_length=NAME_LENGTH),
        contact_phone=contact_phone(contact_phone_text or "", field="contact_phone"),
        registered_at=clock.now(),
        registered_by=actor,
    )
    return _save(partner)


def _partner_for_keeper(actor: User, partner_id: int) -> CoBuildingUnit:
    partner = (
        CoBuildingUnit.objects.select_for_update(of=("self",))
        .select_related("community")
        .filter(pk=partner_id)
        .first()
    )
    if partner is None:
        raise NotFound(_("No such co-building unit."), field="partner")
    _check_keeper(actor, partner.community)
    return partner


@transaction.atomic
def update_partner(
    *,
    actor: User,
    partner_id: int,
    name: str | None = None,
    kind: str | None = None,
    credit_code_text: str | None = None,
    address: str | None = None,
    contact_name: str | None = None,
    contact_phone_text: str | None = None,
    active: bool | None = None,
) -> CoBuildingUnit:
    """Change the fields given (None leaves a field as it is); `active` False deactivates."""
    partner = _partner_for_keeper(actor, partner_id)
    if name is not None:
        partner.name = bounded_text(name, "name", max_length=NAME_LENGTH, required=True)
    if kind is not None:
        partner.kind = _kind(kind)
    if credit_code_text is not None:
        partner.credit_code = credit_code(credit_code_text)
    if address is not None:
        partner.address = bounded_text(address, "address", max_length=ADDRESS_LENGTH)
    if contact_name is not None:
        partner.contact_name = bounded_text(contact_name, "contact_name", max_length=NAME_LENGTH)
    if contact_phone_text is not None:
        partner.contact_phone = contact_phone(contact_phone_text, field="contact_phone")
    if active is not None:
        partner.active = active
    return _save(partner)


@transaction.atomic
def set_partner_active(*, actor: User, partner_id: int, active: bool) -> CoBuildingUnit:
    """Deactivate (or bring back) a unit: an inactive unit claims nothing new; its claims and
    their history stay."""
    partner = _partner_for_keeper(actor, partner_id)
    if partner.active != active:
        partner.active = active
        partner.save(update_fields=["active"])
    return partner


# --- reads ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartnerRow:
    id: int
    name: str
    kind: str
    kind_label: str
    credit_code: str
    address: str
    contact_name: str
    contact_phone: str  # masked unless `unmasked`
    active: bool
    unmasked: bool


def _rows(
    partners: list[CoBuildingUnit], *, user: User, unmasked: bool, channel: str, path: str
) -> list[PartnerRow]:
    kinds = dict(CoBuildingUnit.Kind.choices)
    out = [
        PartnerRow(
            id=p.pk,
            name=p.name,
            kind=p.kind,
            kind_label=str(kinds.get(p.kind, p.kind)),
            credit_code=p.credit_code,
            address=p.address,
            contact_name=p.contact_name if unmasked else mask_name(p.contact_name),
            contact_phone=p.contact_phone if unmasked else policies.mask_phone(p.contact_phone),
            active=p.active,
            unmasked=unmasked,
        )
        for p in partners
    ]
    if unmasked:
        access_log.record(
            user=user,
            kind=access_log.Kind.PARTNER_CONTACT,
            channel=channel,
            subjects=[
                (p.id, [f for f in ("contact_name", "contact_phone") if getattr(p, f)]) for p in out
            ],
            path=path,
        )
    return out


def partners_of(
    community: AdminUnit,
    *,
    user: User,
    channel: str,
    path: str = "",
    include_inactive: bool = False,
) -> list[PartnerRow]:
    """A community's co-building units as `user` may see them: the contact unmasked for the
    community's list keepers (logged, one insert), masked for everyone else. The caller has
    checked that `user` may open the community (policies.may_open_community)."""
    rows = CoBuildingUnit.objects.filter(community=community)
    if not include_inactive:
        rows = rows.filter(active=True)
    unmasked = policies.may_keep_community_lists(user, community)
    return _rows(list(rows), user=user, unmasked=unmasked, channel=channel, path=path)


def partner_row(partner: CoBuildingUnit, *, user: User, channel: str, path: str = "") -> PartnerRow:
    """One unit as `user` sees it (after a write: the writer keeps the lists, so unmasked)."""
    unmasked = policies.may_keep_community_lists(user, partner.community)
    return _rows([partner], user=user, unmasked=unmasked, channel=channel, path=path)[0]
