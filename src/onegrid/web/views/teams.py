"""Grid team pages (1+3+N): team, roster and vacancies. Routes listed in `routes`.

The same use cases as the team API (org/teams_api.py) and `onegrid teams`, for the street
console's people (street staff, command centre, supervisor, admin). What a page shows comes from
the scoped selectors, so a grid outside the viewer's scope is a 404; the forms appear only for
those who may change the team (org.teams.may_manage_team) and every write goes through
org.teams, whose DomainError is shown at the field it names.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onegrid.core import clock
from onegrid.core.errors import DomainError, InvalidInput, NotFound
from onegrid.core.spreadsheets import xlsx_bytes
from onegrid.org import access_log, selectors, teams
from onegrid.org.models import TEAM_ROLES, Role, TeamSlot
from onegrid.party import selectors as party_selectors

from .. import downloads
from ..access import forbidden, page
from .paging import query_without_page

PAGE_SIZE = 50
VACANCY_PAGE_SIZE = 100
UPCOMING = dt.timedelta(days=7)
SLOT_FIELDS = ("role", "label", "group", "minimum", "order")
LOCAL = ZoneInfo(settings.TIME_ZONE)  # Asia/Shanghai: datetime-local inputs are read there


def _grid_or_404(request, grid_code: str):
    try:
        return selectors.visible_grid(request.user, grid_code)
    except NotFound:
        raise Http404(_("No such grid.")) from None


# --- list ------------------------------------------------------------------------------------


@page("console")
@require_GET
def team_list(request):
    """The grids the viewer may see with their team counts, filtered and paginated."""
    street = request.GET.get("street", "").strip()
    text = request.GET.get("q", "").strip()[:100]
    errors = {}
    try:
        grids = selectors.team_grids(request.user, street_code=street or None, text=text)
    except DomainError as error:
        errors[error.field or "street"] = error.message
        grids = selectors.team_grids(request.user, text=text)
    paginator = Paginator(grids, PAGE_SIZE)
    current = paginator.get_page(request.GET.get("page"))
    context = {
        "active_page": "console",
        "tool": "list",
        "page": current,
        "rows": selectors.team_rows(current.object_list),
        "streets": selectors.visible_streets(request.user),
        "chosen": {"street": street, "q": text},
        "errors": errors,
        "groups": TeamSlot.Group.choices,
        "query": query_without_page(request, "format"),
    }
    return render(request, "web/teams/list.html", context, status=400 if errors else 200)


# --- one team --------------------------------------------------------------------------------


def _team_context(request, grid, failed: tuple[str, DomainError, dict] | None = None) -> dict:
    now = clock.now()
    slots = teams.current_slots()  # once per page, for every selector below
    # The places the viewer may give: street staff are offered the volunteer places only, as
    # org.policies.check_team_change would refuse the others at the role.
    grantable = teams.grantable_roles(request.user, grid)
    may_manage = bool(grantable)
    groups = selectors.team_of(request.user, grid, slots=slots, path=request.path)
    upcoming = selectors.shifts(
        request.user, grid, now, now + UPCOMING, slots=slots, path=request.path
    )
    form_name, error, values = failed or (None, None, {})
    errors: dict[str, dict[str, str]] = {}
    if error is not None:
        errors[form_name] = {(error.field or "form"): str(error.message)}
    members = sorted(
        {(m.username, m.name) for g in groups for m in g.members if m.username},
        key=lambda pair: pair[0],
    )
    access_log.record_usernames_shown(
        request, [m[0] for m in members] + [s.username for s in upcoming], channel="page"
    )
    return {
        "active_page": "console",
        "grid": grid,
        "groups": groups,
        "on_duty": selectors.on_duty(request.user, grid, now, slots=slots, path=request.path),
        "upcoming": [{"shift": s, "started": s.started(now)} for s in upcoming],
        "may_manage": may_manage,
        "grantable_slots": [s for s in slots if s.role in grantable],
        "members": members,
        "party_rows": party_selectors.grid_party_rows(
            request.user, grid, channel=access_log.Channel.PAGE, path=request.path
        ),
        "errors": errors,
        "values": {form_name: values} if form_name else {},
        "now": now,
    }


@page("console")
@require_GET
def team(request, grid_code: str):
    grid = _grid_or_404(request, grid_code)
    return render(request, "web/teams/team.html", _team_context(request, grid))


def _local_datetime(value: str, field: str) -> dt.datetime:
    """A datetime-local input ("2026-03-10T14:00") read as Asia/Shanghai time."""
    value = (value or "").strip()
    if not value:
        raise InvalidInput(_("A date and time is needed."), field=field)
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        message = _("Enter a date and time such as 2026-03-10 08:00.")
        raise InvalidInput(message, field=field) from None
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=LOCAL)
    return parsed


def _team_action(request, grid_code: str, form_name: str, fields: list[str], act):
    """Run one write for the team page: 404 outside the viewer's scope, 403 for those who may
    not change the team, the page again with the error at its field (400) when refused, and a
    redirect with a success note when done."""
    grid = _grid_or_404(request, grid_code)
    if not teams.may_manage_team(request.user, grid):
        return forbidden(request)
    values = {f: request.POST.get(f, "").strip() for f in fields}
    try:
        note = act(grid, values)
    except DomainError as error:
        context = _team_context(request, grid, failed=(form_name, error, values))
        return render(request, "web/teams/team.html", context, status=400)
    messages.success(request, note)
    return redirect("web:team", grid_code=grid.code)


def _role_label(role: str, slots=None) -> str:
    labels = {s.role: s.label for s in (teams.current_slots() if slots is None else slots)}
    return labels.get(role) or (str(Role(role).label) if role in Role.values else role)


@page("console")
@require_POST
def add_member(request, grid_code: str):
    def act(grid, values):
        assignment = teams.add_member(
            actor=request.user,
            grid_code=grid.code,
            username=values["username"],
            role=values["role"],
        )
        text = (
            # A retry, or another desk was quicker: the person is on the team either way.
            _("%(name)s already holds %(role)s on this team.")
            if assignment.replayed
            else _("%(name)s joined the team as %(role)s.")
        )
        return text % {"name": assignment.user, "role": _role_label(assignment.role)}

    return _team_action(request, grid_code, "add", ["username", "role"], act)


@page("console")
@require_POST
def remove_member(request, grid_code: str):
    def act(grid, values):
        removed = teams.remove_member(
            actor=request.user,
            grid_code=grid.code,
            username=values["username"],
            role=values["role"],
        )
        text = (
            _("%(name)s is no longer %(role)s of this grid.")
            if removed
            # A second click, or another desk was quicker: the role is gone either way.
            else _("%(name)s was no longer %(role)s of this grid.")
        )
        return text % {
            "name": values["username"],
            "role": _role_label(values["role"]),
        }

    return _team_action(request, grid_code, "remove", ["username", "role"], act)


@page("console")
@require_POST
def schedule(request, grid_code: str):
    def act(grid, values):
        shift = teams.schedule_duty(
            actor=request.user,
            grid_code=grid.code,
            username=values["username"],
            starts_at=_local_datetime(values["starts_at"], "starts_at"),
            ends_at=_local_datetime(values["ends_at"], "ends_at"),
        )
        text = (
            _("This shift was already on the roster: %(name)s, %(start)s to %(end)s.")
            if shift.replayed
            else _("Shift scheduled: %(name)s, %(start)s to %(end)s.")
        )
        return text % {
            "name": shift.user,
            "start": timezone.localtime(shift.starts_at).strftime("%Y-%m-%d %H:%M"),
            "end": timezone.localtime(shift.ends_at).strftime("%Y-%m-%d %H:%M"),
        }

    return _team_action(request, grid_code, "schedule", ["username", "starts_at", "ends_at"], act)


@page("console")
@require_POST
def cancel_shift(request, grid_code: str, shift_id: int):
    def act(grid, values):
        try:
            teams.cancel_shift(actor=request.user, grid_code=grid.code, shift_id=shift_id)
        except NotFound:
            # A second click, or another desk was quicker: the shift is gone either way.
            return _("This shift is no longer on the roster.")
        return _("Shift cancelled.")

    return _team_action(request, grid_code, "cancel", [], act)


# --- vacancies -------------------------------------------------------------------------------


@page("console")
@require_GET
def vacancies(request):
    """The summary and the vacancies table, one street or all the viewer sees; ?format=xlsx
    downloads the whole table (every page)."""
    street = request.GET.get("street", "").strip()
    error = None
    try:
        report = selectors.vacancies(request.user, street_code=street or None)
    except DomainError as exc:
        error = exc.message
        report = selectors.vacancies(request.user)
    header, rows = selectors.vacancy_table(report)
    if request.GET.get("format") == "xlsx" and error is None:
        response = HttpResponse(
            xlsx_bytes(header, rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        stamp = downloads.stamp()
        name = f"vacancies-{street}-{stamp}.xlsx" if street else f"vacancies-{stamp}.xlsx"
        response["Content-Disposition"] = downloads.content_disposition(name)
        return response
    # A city has thousands of vacancies: the page shows them a page at a time, the XLSX all.
    pairs = list(zip(report.rows, rows, strict=True))
    page_of_rows = Paginator(pairs, VACANCY_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "active_page": "console",
        "tool": "vacancies",
        "summary": report.summary,
        "header": header,
        "page": page_of_rows,
        # The first value is the grid code, shown as a link; one URL prefix for all the rows.
        "rows": [(r, values[1:]) for r, values in page_of_rows.object_list],
        "team_base": reverse("web:teams"),
        "streets": selectors.visible_streets(request.user),
        "chosen": {"street": street},
        "error": error,
        "query": query_without_page(request, "format"),
    }
    return render(request, "web/teams/vacancies.html", context, status=400 if error else 200)


# --- slot configuration ----------------------------------------------------------------------


def _slot_rows(post=None) -> list[dict]:
    """One row per grid-team role: the configured slot, or the form's values."""
    configured = {s.role: s for s in teams.current_slots()}
    rows = []
    for i, role in enumerate(TEAM_ROLES):
        slot = configured.get(role)
        if post is None:
            rows.append(
                {
                    "role": role.value,
                    "role_label": str(role.label),
                    "default_label": teams.default_label(role),
                    "included": slot is not None,
                    # Empty for a role not in the shape yet: saved, it gets the role's name in
                    # the district's language (teams.default_label), not the request's.
                    "label": slot.label if slot else "",
                    "group": slot.group if slot else TeamSlot.Group.VOLUNTEER,
                    "minimum": slot.minimum if slot else 0,
                    "order": slot.order if slot else (i + 1) * 10,
                }
            )
        else:
            rows.append(
                {
                    "role": role.value,
                    "role_label": str(role.label),
                    "default_label": teams.default_label(role),
                    "included": bool(post.get(f"{role.value}-included")),
                    "label": post.get(f"{role.value}-label", "").strip(),
                    "group": post.get(f"{role.value}-group", "").strip(),
                    "minimum": post.get(f"{role.value}-minimum", "").strip(),
                    "order": post.get(f"{role.value}-order", "").strip(),
                }
            )
    return rows


@page("console")
@require_http_methods(["GET", "POST"])
def slots(request):
    """The district's 1+3+N shape; administrators and the command centre may change it."""
    may_configure = teams.may_configure_slots(request.user)
    rows = _slot_rows()
    error = None
    status = 200
    if request.method == "POST":
        if not may_configure:
            return forbidden(request)
        rows = _slot_rows(request.POST)
        chosen = [{k: r[k] for k in SLOT_FIELDS} for r in rows if r["included"]]
        try:
            teams.configure_slots(actor=request.user, slots=chosen)
        except DomainError as exc:
            error = {"message": str(exc.message), "field": exc.field, "role": None}
            # Point at the row at fault when one row alone is wrong.
            for i, slot in enumerate(chosen):
                try:
                    teams.clean_slot(slot, i)
                except DomainError as row_error:
                    error = {
                        "message": str(row_error.message),
                        "field": row_error.field,
                        "role": slot["role"],
                    }
                    break
            status = 400
        else:
            messages.success(request, _("The team slots are saved."))
            return redirect("web:team_slots")
    context = {
        "active_page": "console",
        "tool": "slots",
        "rows": rows,
        "groups": TeamSlot.Group.choices,
        "may_configure": may_configure,
        "configured": TeamSlot.objects.exists(),
        "error": error,
    }
    return render(request, "web/teams/slots.html", context, status=status)


routes = [
    path("console/teams/", team_list, name="teams"),
    path("console/teams/vacancies/", vacancies, name="team_vacancies"),
    path("console/teams/slots/", slots, name="team_slots"),
    path("console/teams/<str:grid_code>/", team, name="team"),
    path("console/teams/<str:grid_code>/members/add/", add_member, name="team_add_member"),
    path("console/teams/<str:grid_code>/members/remove/", remove_member, name="team_remove_member"),
    path("console/teams/<str:grid_code>/shifts/", schedule, name="team_schedule"),
    path(
        "console/teams/<str:grid_code>/shifts/<int:shift_id>/cancel/",
        cancel_shift,
        name="team_cancel_shift",
    ),
]
