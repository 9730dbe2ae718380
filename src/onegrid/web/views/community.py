"""The community page (/communities/<id>/): its Party organisations, the units and members
reported in (双报到), its Party service centres, the three lists with who claimed what, and its
co-building units; forms for adding items, claiming, recording and confirming service and
registering units. Routes listed in `routes`.

The door is PAGE_ROLES["community"]; which community a person opens is
org.policies.may_open_community (403 otherwise, 404 for no such community). Volunteers and
Party members open it to find items to claim and see every person masked. The same use cases
as the community API (volunteers/community_api.py): every write goes through volunteers.lists
or volunteers.partners, whose DomainError is shown at the field it names.
"""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from onegrid.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from onegrid.org.access_log import Channel
from onegrid.party import centre_selectors, report_in_selectors
from onegrid.party import selectors as party_selectors
from onegrid.volunteers import list_selectors, lists, partners
from onegrid.volunteers.models import CoBuildingUnit, ListItem

from ..access import forbidden, page

LOCAL = ZoneInfo(settings.TIME_ZONE)
CLAIMANT_FIELDS = ("member", "organisation", "partner", "volunteer_organisation")


class _Refused(Exception):
    pass


def _community(request, community_id: int):
    try:
        return list_selectors.community_for(request.user, community_id)
    except NotFound:
        raise Http404(_("No such community.")) from None
    except PermissionDenied:
        raise _Refused from None


def _context(request, community, failed: tuple[str, DomainError, dict] | None = None) -> dict:
    user = request.user
    form_name, error, values = failed or (None, None, {})
    errors: dict[str, dict[str, str]] = {}
    if error is not None and form_name is not None:
        errors[form_name] = {(error.field or "form"): str(error.message)}
    items = list_selectors.lists_of(community, user=user, channel=Channel.PAGE, path=request.path)
    keeper = list_selectors.may_keep(user, community)
    return {
        "active_page": "community",
        "community": community,
        "organisations": party_selectors.organisations_at(community),
        "report_ins": report_in_selectors.report_ins_to(
            community, user=user, channel=Channel.PAGE, path=request.path
        ),
        "centres": centre_selectors.centres_at(community),
        "lists": [
            (kind, label, [i for i in items if i.kind == kind])
            for kind, label in ListItem.Kind.choices
        ],
        "partners": partners.partners_of(
            community,
            user=user,
            channel=Channel.PAGE,
            path=request.path,
            include_inactive=keeper,
        ),
        "may_keep": keeper,
        "claim_as": list_selectors.claimants_for(user, community),
        "item_kinds": ListItem.Kind.choices,
        "partner_kinds": CoBuildingUnit.Kind.choices,
        # One key per page load: a double-clicked or resent claim form claims once.
        "claim_key": uuid.uuid4().hex,
        "errors": errors,
        "values": {form_name: values} if form_name else {},
        "now": timezone.localtime(),
    }


@page("community")
@require_GET
def community_page(request, community_id: int):
    try:
        community = _community(request, community_id)
    except _Refused:
        return forbidden(request)
    return render(request, "web/community/page.html", _context(request, community))


def _action(request, community_id: int, form_name: str, fields: list[str], act):
    """Run one write of the page: 404 for no such community, 403 outside the viewer's reach,
    the page again with the error at its field (400) when refused, and a redirect with a
    success note when done."""
    try:
        community = _community(request, community_id)
    except _Refused:
        return forbidden(request)
    values = {f: request.POST.get(f, "").strip() for f in fields}
    try:
        if any("\x00" in v for v in values.values()):
            raise InvalidInput(_("The form may not contain a NUL character."), field="form")
        note = act(community, values)
    except PermissionDenied:
        return forbidden(request)
    except DomainError as error:
        context = _context(request, community, failed=(form_name, error, values))
        return render(request, "web/community/page.html", context, status=400)
    messages.success(request, note)
    return redirect("web:community", community_id=community.pk)


def _id(value: str, field: str) -> int:
    if not value.isascii() or not value.isdigit() or not 0 < int(value) < 2**63:
        raise InvalidInput(_("Choose from the list."), field=field)
    return int(value)


def _local_datetime(value: str, field: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            _("Enter a date and time such as 2026-03-10 08:00."), field=field
        ) from None
    return parsed.replace(tzinfo=LOCAL) if timezone.is_naive(parsed) else parsed


@page("community")
@require_POST
def add_item(request, community_id: int):
    def act(community, v):
        item = lists.add_item(
            actor=request.user,
            community_id=community.pk,
            kind=v["kind"],
            title=v["title"],
            description=v["description"],
            capacity=v["capacity"] or "1",
        )
        return _("%(title)s is on the list.") % {"title": item.title}

    return _action(request, community_id, "add", ["kind", "title", "description", "capacity"], act)


@page("community")
@require_POST
def item_state(request, community_id: int, item_id: int):
    def act(community, v):
        item = list_selectors.item_of(community, item_id)
        item = lists.set_item_open(actor=request.user, item_id=item.pk, open=v["open"] == "1")
        if item.state == ListItem.State.OPEN:
            return _("%(title)s is open for claims.") % {"title": item.title}
        return _("%(title)s is closed to new claims.") % {"title": item.title}

    return _action(request, community_id, "item", ["open"], act)


@page("community")
@require_POST
def claim_item(request, community_id: int, item_id: int):
    def act(community, v):
        item = list_selectors.item_of(community, item_id)
        field, _sep, pk = v["claimant"].partition(":")
        if field not in CLAIMANT_FIELDS:
            raise InvalidInput(_("Choose whom you claim for."), field="claimant")
        outcome = lists.claim_item(
            actor=request.user,
            item_id=item.pk,
            idempotency_key=v["key"],
            **{f"{field}_id": _id(pk, "claimant")},
        )
        return _("Claimed: %(title)s.") % {"title": outcome.claim.item.title}

    return _action(request, community_id, "claim", ["claimant", "key"], act)


@page("community")
@require_POST
def record_service(request, community_id: int, claim_id: int):
    def act(community, v):
        claim = list_selectors.claim_of(community, claim_id)
        lists.record_service(
            actor=request.user,
            claim_id=claim.pk,
            note=v["note"],
            hours=v["hours"],
            done_at=_local_datetime(v["done_at"], "done_at"),
        )
        return _("The service is recorded; the community will confirm it.")

    return _action(request, community_id, "record", ["note", "hours", "done_at"], act)


@page("community")
@require_POST
def confirm_service(request, community_id: int, claim_id: int):
    def act(community, v):
        claim = list_selectors.claim_of(community, claim_id)
        lists.confirm_service(actor=request.user, claim_id=claim.pk)
        return _("The service is confirmed.")

    return _action(request, community_id, "confirm", [], act)


@page("community")
@require_POST
def withdraw_claim(request, community_id: int, claim_id: int):
    def act(community, v):
        claim = list_selectors.claim_of(community, claim_id)
        lists.withdraw_claim(actor=request.user, claim_id=claim.pk)
        return _("The claim is withdrawn.")

    return _action(request, community_id, "withdraw", [], act)


@page("community")
@require_POST
def register_partner(request, community_id: int):
    fields = ["name", "kind", "credit_code", "address", "contact_name", "contact_phone"]

    def act(community, v):
        partner = partners.register_partner(
            actor=request.user,
            community_id=community.pk,
            name=v["name"],
            kind=v["kind"],
            credit_code_text=v["credit_code"],
            address=v["address"],
            contact_name=v["contact_name"],
            contact_phone_text=v["contact_phone"],
        )
        return _("%(name)s is registered as a co-building unit.") % {"name": partner.name}

    return _action(request, community_id, "partner", fields, act)


@page("community")
@require_POST
def partner_active(request, community_id: int, partner_id: int):
    def act(community, v):
        partner = list_selectors.partner_of(community, partner_id)
        partner = partners.set_partner_active(
            actor=request.user, partner_id=partner.pk, active=v["active"] == "1"
        )
        if partner.active:
            return _("%(name)s is active again.") % {"name": partner.name}
        return _("%(name)s is deactivated.") % {"name": partner.name}

    return _action(request, community_id, "partners", ["active"], act)


routes = [
    path("communities/<int:community_id>/", community_page, name="community"),
    path("communities/<int:community_id>/items/", add_item, name="community_add_item"),
    path(
        "communities/<int:community_id>/items/<int:item_id>/state/",
        item_state,
        name="community_item_state",
    ),
    path(
        "communities/<int:community_id>/items/<int:item_id>/claim/",
        claim_item,
        name="community_claim",
    ),
    path(
        "communities/<int:community_id>/claims/<int:claim_id>/record/",
        record_service,
        name="community_record",
    ),
    path(
        "communities/<int:community_id>/claims/<int:claim_id>/confirm/",
        confirm_service,
        name="community_confirm",
    ),
    path(
        "communities/<int:community_id>/claims/<int:claim_id>/withdraw/",
        withdraw_claim,
        name="community_withdraw",
    ),
    path("communities/<int:community_id>/partners/", register_partner, name="community_partner"),
    path(
        "communities/<int:community_id>/partners/<int:partner_id>/active/",
        partner_active,
        name="community_partner_active",
    ),
]
