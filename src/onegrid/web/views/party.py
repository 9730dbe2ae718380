"""Party organisation pages (一核引领): the tree and its map, an organisation's page with its
members and their transfers, the forms of Party-organisation staff, the XLSX roster.

The same use cases as the Party API (party/api.py). The tree is read by PAGE_ROLES["party"]
over their reach (party.selectors); an organisation outside it is a 404. Members are masked
unless org.policies.may_read_party_membership allows the viewer at the organisation's place;
every unmasked page or roster is logged by the selectors (PARTY_MEMBERSHIP). Every write goes
through party.services, whose DomainError is shown at the field it names.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from onegrid.core.errors import DomainError, InvalidInput, NotFound
from onegrid.org import access_log, policies
from onegrid.org.models import Role, RoleAssignment, User
from onegrid.party import selectors, services
from onegrid.party.models import Member, Membership, Organisation
from onegrid.territory.models import AdminUnit, Grid

from .. import downloads
from ..access import page


def _organisation_or_404(request, org_id) -> Organisation:
    try:
        return selectors.organisation_for(request.user, org_id)
    except NotFound:
        raise Http404(_("No such organisation.")) from None


@page("party")
@require_GET
def tree(request):
    """The tree as a collapsible list (counts of members only) and its map."""
    nodes = selectors.tree(request.user)
    return render(
        request,
        "web/party/tree.html",
        {
            "active_page": "party",
            "nodes": nodes,
            "map_points": selectors.map_points(request.user),
            "kinds": Organisation.Kind.choices,
        },
    )


def _grid_heads(organisation: Organisation) -> set[int]:
    if organisation.grid_id is None:
        return set()
    return set(
        RoleAssignment.objects.filter(
            grid_id=organisation.grid_id, role=Role.GRID_HEAD
        ).values_list("user_id", flat=True)
    )


def _context(request, organisation: Organisation, errors=None, values=None) -> dict:
    may_read = policies.may_read_party_membership(request.user, organisation.unit)
    channel = access_log.Channel.PAGE
    members = selectors.members_of(request.user, organisation, channel=channel, path=request.path)
    history = selectors.history_of(request.user, organisation, channel=channel, path=request.path)
    secretary = organisation.secretary
    if secretary is not None and may_read:
        # A secretary is a Party member: named only to those who read membership here.
        access_log.record_request(
            request,
            kind=access_log.Kind.PARTY_MEMBERSHIP,
            channel=channel,
            subjects=[(f"user:{secretary.pk}", ["secretary"])],
        )
    may_keep_tree = policies.may_keep_party_organisations(request.user, organisation.unit)
    return {
        "active_page": "party",
        "org": organisation,
        "ancestors": list(reversed(services.ancestors(organisation))),
        "children": selectors.visible_organisations(request.user).filter(parent=organisation),
        "members": members,
        "history": history,
        "may_read": may_read,
        "secretary_name": str(secretary) if secretary is not None and may_read else "",
        "secretary_is_grid_head": secretary is not None
        and may_read
        and secretary.pk in _grid_heads(organisation),
        "may_keep_members": policies.may_keep_party_members(request.user, organisation.unit)
        and organisation.dissolved_at is None,
        "may_keep_tree": may_keep_tree and organisation.dissolved_at is None,
        "transfer_targets": selectors.visible_organisations(request.user).exclude(
            pk=organisation.pk
        ),
        "categories": Member.Category.choices,
        "starts": [c for c in Membership.Start.choices if c[0] != "transferred_in"],
        "ends": [c for c in Membership.End.choices if c[0] != "transferred_out"],
        "kinds": Organisation.Kind.choices,
        "unit_kinds": Organisation.UnitKind.choices,
        "errors": errors or {},
        "values": values or {},
        "client_key": uuid.uuid4().hex,
    }


@page("party")
@require_GET
def organisation(request, org_id: str):
    org = _organisation_or_404(request, org_id)
    return render(request, "web/party/organisation.html", _context(request, org))


def _act(request, org: Organisation, form: str, act):
    """Run `act()`; on a DomainError show the page again with the message at its field."""
    try:
        act()
    except DomainError as error:
        errors = {form: {(error.field or "form"): str(error.message)}}
        context = _context(request, org, errors=errors, values={form: request.POST})
        status = 403 if error.status == 403 else 400
        return render(request, "web/party/organisation.html", context, status=status)
    messages.success(request, _("Saved."))
    return redirect("web:party_org", org_id=org.pk)


def _date_or_none(value: str) -> dt.date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise InvalidInput(_("Enter a date."), field="on") from None


@page("party")
@require_POST
def join(request, org_id: str):
    org = _organisation_or_404(request, org_id)
    p = request.POST

    def act():
        services.join(
            actor=request.user,
            organisation=org,
            name=p.get("name", ""),
            phone=p.get("phone", ""),
            category=p.get("category", ""),
            start=p.get("start", Membership.Start.JOINED),
            started_on=_date_or_none(p.get("on", "")),
            employer=p.get("employer", ""),
            client_key=p.get("client_key", ""),
        )

    return _act(request, org, "join", act)


def _member_in(request, org: Organisation) -> Member:
    try:
        member = selectors.member_for(request.user, request.POST.get("member", ""))
    except NotFound:
        raise Http404(_("No such member.")) from None
    if member.organisation_id != org.pk:
        raise Http404(_("No such member."))
    return member


@page("party")
@require_POST
def transfer(request, org_id: str):
    org = _organisation_or_404(request, org_id)
    member = _member_in(request, org)
    p = request.POST

    def act():
        to = _organisation_or_404(request, p.get("to", ""))
        services.transfer(
            actor=request.user,
            member=member,
            to=to,
            reason=p.get("reason", ""),
            on=_date_or_none(p.get("on", "")),
            client_key=p.get("client_key", ""),
        )

    return _act(request, org, "transfer", act)


@page("party")
@require_POST
def leave(request, org_id: str):
    org = _organisation_or_404(request, org_id)
    member = _member_in(request, org)
    p = request.POST

    def act():
        services.leave(
            actor=request.user,
            member=member,
            end=p.get("end", ""),
            reason=p.get("reason", ""),
            on=_date_or_none(p.get("on", "")),
            client_key=p.get("client_key", ""),
        )

    return _act(request, org, "leave", act)


@page("party")
@require_POST
def create_child(request, org_id: str):
    """A new organisation under this one; its place: a 12-digit admin code or a 15-digit grid
    code."""
    parent = _organisation_or_404(request, org_id)
    p = request.POST

    def act():
        place = p.get("place", "").strip()
        digits = place.isascii() and place.isdigit()  # PostgreSQL refuses NUL in a query
        unit = AdminUnit.objects.filter(code=place).first() if digits and len(place) == 12 else None
        grid = Grid.objects.filter(code=place).first() if digits and len(place) == 15 else None
        if unit is None and grid is None:
            raise InvalidInput(
                _("Enter a 12-digit admin code or a 15-digit grid code."), field="place"
            )
        services.create_organisation(
            actor=request.user,
            code=p.get("code", ""),
            name=p.get("name", ""),
            kind=p.get("kind", ""),
            unit=unit,
            grid=grid,
            parent=parent,
            unit_kind=p.get("unit_kind", ""),
            address=p.get("address", ""),
        )

    return _act(request, parent, "create", act)


@page("party")
@require_POST
def secretary(request, org_id: str):
    """Name the secretary by account (username), or none with an empty one."""
    org = _organisation_or_404(request, org_id)

    def act():
        username = request.POST.get("username", "").strip()
        person = None
        if not username.isprintable():  # control characters, NUL: no account has them
            raise InvalidInput(_("No account has this username."), field="username")
        if username:
            person = User.objects.filter(username=username[:150]).first()
            if person is None:
                raise InvalidInput(_("No account has this username."), field="username")
        services.set_secretary(actor=request.user, organisation=org, secretary=person)

    return _act(request, org, "secretary", act)


@page("party")
@require_POST
def move(request, org_id: str):
    """Put the organisation under another parent (its place stays)."""
    org = _organisation_or_404(request, org_id)

    def act():
        parent = _organisation_or_404(request, request.POST.get("parent", ""))
        services.move_organisation(actor=request.user, organisation=org, parent=parent)

    return _act(request, org, "move", act)


@page("party")
@require_POST
def dissolve(request, org_id: str):
    org = _organisation_or_404(request, org_id)
    return _act(
        request,
        org,
        "dissolve",
        lambda: services.dissolve_organisation(actor=request.user, organisation=org),
    )


ROSTER_COLUMNS = [
    ("name", gettext_lazy("Name")),
    ("phone", gettext_lazy("Phone")),
    ("category", gettext_lazy("Category")),
    ("status", gettext_lazy("Membership status")),
    ("employer", gettext_lazy("Employer")),
    ("started_on", gettext_lazy("In this organisation since")),
]


@page("party")
@require_GET
def roster(request, org_id: str):
    """The organisation's members as XLSX: masked unless the viewer may read Party membership
    here, the unmasked download logged (channel download)."""
    org = _organisation_or_404(request, org_id)
    refusal = downloads.too_many_rows(org.memberships.filter(ended_on__isnull=True).count())
    if refusal is not None:
        return downloads.refusal_response(request, refusal)
    rows = selectors.members_of(
        request.user, org, channel=access_log.Channel.DOWNLOAD, path=request.path
    )
    categories = dict(Member.Category.choices)
    statuses = dict(Member.Status.choices)
    return downloads.table_download(
        request,
        fmt="xlsx",
        filename=f"{org.name}-{downloads.stamp()}",
        columns=ROSTER_COLUMNS,
        rows=[
            {
                "name": r.name,
                "phone": r.phone,
                "category": str(categories.get(r.category, r.category)),
                "status": str(statuses.get(r.status, r.status)),
                "employer": r.employer,
                "started_on": r.started_on,
            }
            for r in rows
        ],
        sheet_title=_("Members"),
    )


routes = [
    path("party/", tree, name="party"),
    path("party/orgs/<str:org_id>/", organisation, name="party_org"),
    path("party/orgs/<str:org_id>/roster.xlsx", roster, name="party_roster"),
    path("party/orgs/<str:org_id>/join/", join, name="party_join"),
    path("party/orgs/<str:org_id>/transfer/", transfer, name="party_transfer"),
    path("party/orgs/<str:org_id>/leave/", leave, name="party_leave"),
    path("party/orgs/<str:org_id>/create/", create_child, name="party_create"),
    path("party/orgs/<str:org_id>/secretary/", secretary, name="party_secretary"),
    path("party/orgs/<str:org_id>/move/", move, name="party_move"),
    path("party/orgs/<str:org_id>/dissolve/", dissolve, name="party_dissolve"),
]
