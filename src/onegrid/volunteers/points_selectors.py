"""Reads of points and the points store, scoped to the reader: a person reads their own
points and the items of the stores near them; a counter clerk reads the items of the stores
they serve and, by phone number, one person's name (masked phone) and balance, each such read
logged (org.access_log, VOLUNTEER)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from onegrid.core.errors import InvalidInput, NotFound, PermissionDenied
from onegrid.org import access_log, policies
from onegrid.org.models import RoleAssignment, User
from onegrid.party.selectors import mask_name
from onegrid.territory.models import AdminUnit

from .models import PointsAccount, PointsEntry, Redemption, StoreItem, Volunteer

ENTRY_LIMIT = 50
MOBILE = re.compile(r"1[3-9][0-9]{9}")


@dataclass(frozen=True)
class Holder:
    """A person found at the counter: enough to confirm who stands there, no more."""

    user: User
    name: str
    phone_masked: str
    balance: int


def entries_of(user: User, *, limit: int = ENTRY_LIMIT) -> list[PointsEntry]:
    """The person's own newest ledger entries."""
    return list(
        PointsEntry.objects.filter(account__user=user).order_by("-created_at", "-id")[:limit]
    )


def home_units(user: User) -> list[AdminUnit]:
    """The community a person serves or lives in (their volunteer registration, else where
    their roles are bound) and its street: the stores they are shown."""
    communities: set[int] = set()
    volunteer = Volunteer.objects.filter(user=user).only("community_id").first()
    if volunteer is not None:
        communities.add(volunteer.community_id)
    for a in RoleAssignment.objects.filter(user=user).select_related("unit", "grid"):
        if a.grid is not None:
            communities.add(a.grid.community_id)
        elif a.unit is not None and a.unit.level == AdminUnit.Level.COMMUNITY:
            communities.add(a.unit.pk)
    units = list(AdminUnit.objects.filter(pk__in=communities))
    streets = {u.parent_id for u in units if u.parent_id}
    return units + list(AdminUnit.objects.filter(pk__in=streets))


def store_items_for(user: User) -> QuerySet[StoreItem]:
    """The items on sale in the stores of the person's community and street."""
    units = [u.pk for u in home_units(user)]
    return StoreItem.objects.filter(unit_id__in=units, active=True).select_related("unit")


def _served_filter(user: User) -> Q:
    served = policies.points_counter_units(user)
    q = Q(pk__in=[])
    for unit in served:
        if unit.level in (AdminUnit.Level.DISTRICT, AdminUnit.Level.CITY):
            return Q()
        q |= Q(unit_id=unit.pk) | Q(unit__parent_id=unit.pk)
    return q


def counter_items(clerk: User) -> QuerySet[StoreItem]:
    """Every item (on sale or not) of the stores `clerk` serves."""
    if not policies.points_counter_units(clerk):
        return StoreItem.objects.none()
    return StoreItem.objects.filter(_served_filter(clerk)).select_related("unit")


def counter_units(clerk: User) -> list[AdminUnit]:
    """The stores (streets and communities) whose items `clerk` may add to."""
    units: list[AdminUnit] = []
    for unit in policies.points_counter_units(clerk):
        if unit.level in (AdminUnit.Level.COMMUNITY, AdminUnit.Level.STREET):
            units.append(unit)
        below = AdminUnit.objects.filter(
            Q(parent=unit) | Q(parent__parent=unit), level__in=("street", "community")
        )
        units.extend(below.order_by("code"))
    return list(dict.fromkeys(units))


def counter_item(clerk: User, item_id: object) -> StoreItem:
    """One item of a store `clerk` serves (a 404 for any other id)."""
    try:
        pk = int(str(item_id))
    except ValueError:
        raise InvalidInput(_("Choose an item."), field="item") from None
    if not 0 < pk < 2**63:
        raise InvalidInput(_("Choose an item."), field="item")
    item = counter_items(clerk).filter(pk=pk).first()
    if item is None:
        raise NotFound(_("There is no such item in your store."), field="item")
    return item


def counter_redemption(clerk: User, redemption_id: object) -> Redemption:
    try:
        pk = int(str(redemption_id))
    except ValueError:
        raise NotFound(_("There is no such redemption.")) from None
    if not 0 < pk < 2**63:
        raise NotFound(_("There is no such redemption."))
    found = (
        Redemption.objects.select_related("item__unit", "account")
        .filter(pk=pk, item__in=counter_items(clerk))
        .first()
    )
    if found is None:
        raise NotFound(_("There is no such redemption."))
    return found


def recent_redemptions(clerk: User, *, limit: int = 20) -> list[Redemption]:
    """The newest redemptions at the stores `clerk` serves (names masked on the page)."""
    return list(
        Redemption.objects.filter(item__in=counter_items(clerk))
        .select_related("item", "account__user")
        .order_by("-created_at", "-id")[:limit]
    )


def mobile_number(text: object, *, field: str = "phone") -> str:
    """A mainland mobile number as typed at the counter (spaces, dashes and full-width digits
    allowed); anything else is a 422 naming `field`."""
    raw = unicodedata.normalize("NFKC", text if isinstance(text, str) else "")
    digits = re.sub(r"[\s\-]", "", raw)
    if digits.startswith("+86"):
        digits = digits[3:]
    if not MOBILE.fullmatch(digits):
        raise InvalidInput(_("Enter an 11-digit mobile number."), field=field)
    return digits


def holder_by_phone(
    clerk: User, phone: object, *, channel: str, path: str = "", field: str = "phone"
) -> Holder:
    """The person with this mobile number, for `clerk` to confirm at the counter: their name,
    masked phone and balance. The name shown is a read of personal data, logged."""
    if not policies.points_counter_units(clerk):
        raise PermissionDenied(_("Only volunteer organisers serve the points-store counter."))
    number = mobile_number(phone, field=field)
    # Only those who hold points: a staff member's number names no one at the counter.
    holders = User.objects.filter(roles__role__in=policies.PAGE_ROLES["points"]).values("pk")
    matches = list(
        User.objects.filter(Q(phone=number) | Q(username=number), is_active=True)
        .filter(pk__in=holders)
        .order_by("pk")[:2]
    )
    if len(matches) != 1:
        raise NotFound(_("No one with this mobile number holds points."), field=field)
    user = matches[0]
    access_log.record(
        user=clerk,
        kind=access_log.Kind.VOLUNTEER,
        channel=channel,
        subjects=[(user.pk, ["display_name"])],
        path=path,
    )
    account = PointsAccount.objects.filter(user=user).only("balance").first()
    return Holder(
        user=user,
        # A resident's username is their number: never shown in full as a name.
        name=user.display_name or policies.mask_phone(user.username),
        phone_masked=policies.mask_phone(number),
        balance=account.balance if account else 0,
    )


def shown_name(user: User) -> str:
    """A person's name in the counter's list of redemptions: masked (张*), as no read is made
    there of who they are."""
    return mask_name(user.display_name) or policies.mask_phone(user.username)


def counter_unit(clerk: User, unit_id: object) -> AdminUnit:
    """One of the stores `clerk` may add items to (counter_units), by id."""
    text = str(unit_id).strip()
    chosen = next((u for u in counter_units(clerk) if str(u.pk) == text), None)
    if chosen is None:
        raise InvalidInput(_("Choose one of your stores."), field="unit")
    return chosen
