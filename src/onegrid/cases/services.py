"""Every write to a case, one function per use case, each in one transaction.

All state changes go through `_apply`, which reads the workflow table: `cases.evaluator` admits
the action (state, roles through org.policies, task, separation of duties, input, guard), then
the effect, the history event, photos, and the row's follow-up system actions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext_lazy as _

from onegrid.core import clock
from onegrid.core.codes import code_problem, shown
from onegrid.core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from onegrid.core.text_input import idempotency_key
from onegrid.org import policies
from onegrid.org.models import Role, User
from onegrid.territory import addresses, geometry, locator
from onegrid.territory.models import Address, AdminUnit, Grid

from . import (
    access,
    calendar,
    evaluator,
    history,
    intake_cache,
    overrides,
    photos,
    tracking,
    workflow,
)
from .facts import CLOSES
from .models import (
    Case,
    CaseReporter,
    Escalation,
    IdempotencyRecord,
    Source,
    Task,
)
from .workflow import REPORTER, SYSTEM, State

logger = logging.getLogger(__name__)

MAX_DESCRIPTION = 2000
LATE_TASK_STATES = (Task.State.DISPATCHED, Task.State.IN_PROGRESS, Task.State.EXTENSION_REQUESTED)
LOCAL_TZ = ZoneInfo("Asia/Shanghai")
STAFF_SOURCES = {
    Source.HOTLINE,
    Source.SENSOR,
    Source.IMPORT,
    Source.INSPECTION,
    Source.DELIBERATION,
}
# When a person holds several roles over a case, the event names the most specific one.
ROLE_PRIORITY = [
    SYSTEM,
    Role.DEPT_HANDLER,
    Role.GRID_WORKER,
    Role.GRID_HEAD,
    Role.ACCEPTOR,
    Role.DISPATCHER,
    Role.SHIFT_LEAD,
    Role.CALLBACK,
    Role.COMMAND_CENTRE,
    Role.SUPERVISOR,
    REPORTER,
    Role.ADMIN,
]


@dataclass
class Outcome:
    case: Case
    replayed: bool = False


# --- report (transition 1) ---


def _given(value: object) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _report_place(
    lon: object, lat: object, crs: str, address_code: str | None
) -> tuple[float, float, locator.LocatedGrid, Address | None]:
    """(lon, lat in WGS-84, located grid, standard address or None) of a report."""
    point_given = _given(lon) or _given(lat)
    if not _given(address_code):
        if not point_given:
            raise InvalidInput(
                _("Give the place: a point (lon, lat) or a standard address (address_code)."),
                field="lon",
            )
        lon, lat = geometry.to_wgs84(lon, lat, crs)
        return lon, lat, locator.locate_or_error(lon, lat), None
    standard = addresses.get_address(address_code)
    grid = standard.grid
    if grid is None or grid.retired_in is not None:
        raise InvalidInput(
            _("The address %(code)s lies in no grid of the current layer.")
            % {"code": standard.code},
            field="address_code",
        )
    located = locator.LocatedGrid(grid.id, grid.code, grid.community_id, grid.street_id)
    if point_given:
        plon, plat = geometry.to_wgs84(lon, lat, crs)
        at_point = locator.locate_or_error(plon, plat)
        if at_point.grid_id != grid.id:
            raise InvalidInput(
                _(
                    "The point lies in grid %(point_grid)s but the address %(code)s is in grid "
                    "%(grid)s: send the address alone, or a point in its grid."
                )
                % {"point_grid": at_point.grid_code, "code": standard.code, "grid": grid.code},
                field="lon",
                code="point_not_at_address",
            )
    return standard.lon, standard.lat, located, standard


def _with_standard_address(name: str, text: object) -> str:
    """The address's name, followed by what the reporter wrote if that adds anything."""
    text = str(text or "").strip()
    if not text or text == name or text.startswith(name):
        return text or name
    return f"{name} {text}"


MAX_ATTRIBUTES = 30
MAX_ATTRIBUTE_KEY = 50
MAX_ATTRIBUTE_VALUE = 500


def report_anonymously(
    *,
    lon: float | None,
    lat: float | None,
    class_code: str,
    description: str,
    address: str = "",
    photo_files: Iterable[File[bytes]] = (),
    reporter_phone: str = "",
    idempotency_key: str | None,
) -> Outcome:
    """A report through the public web form, without an account: no reporter, source "public",
    confirmed on site before registration like every resident report. Idempotent on the key the
    form carries (anonymous keys are unique among themselves): a replay returns the same case,
    so the same tracking code. Throttling the form is the page's business."""
    return report_case(
        actor=None,
        lon=lon,
        lat=lat,
        class_code=class_code,
        description=description,
        address=address,
        photo_files=photo_files,
        source=Source.PUBLIC,
        reporter_phone=reporter_phone,
        idempotency_key=idempotency_key,
    )


# Any phone a person can be called back on (landline or mobile, with an area code in brackets);
# a resident's sign-in number is stricter: residents.phones.
CONTACT_PHONE = re.compile(r"\+?[0-9(][0-9 ()-]{4,19}", re.ASCII)


def contact_phone(value: str, *, field: str = "reporter_phone") -> str:
    """An optional contact phone as people write it: digits, with +, -, spaces or brackets.
    The one rule for a reporter's contact phone, wherever it comes in (Open311 too)."""
    value = _bounded(value, 20, field)
    if value and not CONTACT_PHONE.fullmatch(value):
        raise InvalidInput(_("Write the phone number with digits 0–9 only."), field=field)
    return value


def _attributes(attributes: Mapping[str, str] | None) -> dict[str, str]:
    """Open311 service attributes, bounded: at most 30, keys ≤ 50 and values ≤ 500 characters,
    printable text (a list value's items joined by the caller)."""
    if not attributes:
        return {}
    if not isinstance(attributes, Mapping):
        raise InvalidInput(_("Attributes are pairs of a code and a value."), field="attributes")
    if len(attributes) > MAX_ATTRIBUTES:
        raise InvalidInput(
            _("At most %(n)d attributes.") % {"n": MAX_ATTRIBUTES}, field="attributes"
        )
    clean: dict[str, str] = {}
    for key, value in attributes.items():
        key = str(key).strip()
        text = "" if value is None else str(value).strip()
        if not key or len(key) > MAX_ATTRIBUTE_KEY or not key.isprintable():
            raise InvalidInput(
                _("An attribute code is 1 to %(n)d printable characters.")
                % {"n": MAX_ATTRIBUTE_KEY},
                field="attributes",
            )
        if len(text) > MAX_ATTRIBUTE_VALUE or "\x00" in text:
            raise InvalidInput(
                _("The value of attribute %(code)s is longer than %(n)d characters.")
                % {"code": shown(key), "n": MAX_ATTRIBUTE_VALUE},
                field=f"attribute[{shown(key)}]",
            )
        clean[key] = text
    return clean


def _check_may_report(actor: User, source: str | None) -> None:
    if source == Source.OPEN311:
        if not policies.may_report_as_client(actor):
            raise PermissionDenied(
                _("Only an external system's account reports through Open311."), field="source"
            )
    elif source == Source.PUBLIC:
        raise PermissionDenied(
            _("Anonymous reports come only through the public report form."), field="source"
        )
    elif not policies.may_report(actor):
        raise PermissionDenied(_("Your role may not report problems."), field="actor")


def report_case(
    *,
    actor: User | None,
    lon: float | None = None,
    lat: float | None = None,
    class_code: str,
    crs: str = "wgs84",
    description: str = "",
    address: str = "",
    photo_files: Iterable[File[bytes]] = (),
    source: str | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    idempotency_key: str | None = None,
    address_code: str | None = None,
    attributes: Mapping[str, str] | None = None,
) -> Outcome:
    """Report a problem at a point (`lon`, `lat` in `crs`) or at a standard address
    (`address_code`: the case takes the address's point, grid and name). Given both, the point
    must lie in the address's grid.

    `source="open311"` is taken only from an external system's account (Role.API_CLIENT); its
    `attributes` (Open311 service attributes) are kept in the report event's data. An Open311
    case has no reporter account: the client is the channel, `reporter_name`/`reporter_phone`
    the person.

    `actor` None: the public form, through report_anonymously (source "public", no reporter,
    a description required)."""
    if actor is not None:
        _check_may_report(actor, source)
    key = _check_key(idempotency_key)
    lon, lat, located, standard = _report_place(lon, lat, crs, address_code)
    if standard is not None:
        address = _with_standard_address(standard.name, address)
    code = str(class_code).strip()
    case_class = (
        intake_cache.active_class(code) if code_problem(code, max_length=20) is None else None
    )
    if case_class is None:
        raise InvalidInput(
            _("Unknown problem class %(code)s.") % {"code": shown(code)}, field="class_code"
        )
    # The class as the grid's district has it: switched off there → refused; its urgency.
    district_id = overrides.street_override_district(located.street_id)
    overrides.check_offered(case_class, district_id)
    urgency = overrides.effective(case_class, district_id).urgency
    description = _bounded(description, MAX_DESCRIPTION, "description")
    address = _bounded(address, 200, "address")
    reporter_name = _bounded(reporter_name, 100, "reporter_name")
    reporter_phone = (
        contact_phone(reporter_phone)
        if actor is None
        else _bounded(reporter_phone, 20, "reporter_phone")
    )
    attributes = _attributes(attributes)
    for name, text in (("description", description), ("address", address)):
        if "\x00" in text:
            raise InvalidInput(
                _("%(field)s may not contain a NUL character.") % {"field": name}, field=name
            )
    uploads = photos.validate_photos(photo_files)
    if actor is None:
        source = Source.PUBLIC
        if not description:
            raise InvalidInput(_("Describe the problem."), field="description")
    elif source != Source.OPEN311:
        place = policies.Place(located.grid_id, located.community_id, located.street_id)
        source = _source_for(actor, place, source)
    if source in (Source.GRID_WORKER, Source.TEAM) and not uploads:
        raise InvalidInput(_("A field report needs at least one photo."), field="photos")
    if source == Source.HOTLINE and not (reporter_name or reporter_phone):
        raise InvalidInput(
            _("A hotline report needs the caller's name or phone."), field="reporter_phone"
        )
    request_hash = _hash(
        {
            "lon": round(lon, 7),
            "lat": round(lat, 7),
            "class": case_class.code,
            "description": description,
            "address": address,
            "source": source,
            "reporter_name": reporter_name,
            "reporter_phone": reporter_phone,
            "photos": [u.sha256 for u in uploads],
        }
        | ({"attributes": attributes} if attributes else {})
    )
    # Accounts report as themselves; hotline, sensor and import reports are entered by staff
    # for someone else, Open311 ones by a client system, anonymous ones by no one.
    reporter = actor if source not in STAFF_SOURCES | {Source.OPEN311, Source.PUBLIC} else None
    # Read before the transaction (never under the write lock): the places' codes, for the
    # answer made from the objects in hand, and the district the case number is of.
    grid, community, street = _place_units(located)
    district = located.district_code or settings.ONEGRID["DISTRICT_CODE"]

    def create(staging: photos.Staging) -> Case:
        _take_turns_with_closes(case_class.pk)
        now = clock.now()
        case = Case.objects.create(
            number=_next_number(now, district),
            tracking_code=tracking.new_code(),
            state=State.REPORTED,
            source=source,
            case_class=case_class,
            description=description,
            lon=lon,
            lat=lat,
            address=address,
            grid=grid,
            community=community,
            street=street,
            reporter=reporter,
            reporter_name=reporter_name,
            reporter_phone=reporter_phone,
            urgency=urgency,
            reported_at=now,
        )
        CaseReporter.objects.create(
            case=case,
            from_case=case,
            reporter=case.reporter,
            reporter_name=case.reporter_name,
            reporter_phone=case.reporter_phone,
            at=now,
        )
        event = history.append_event(
            case=case,
            action="report",
            from_state="",
            to_state=State.REPORTED,
            actor=actor,
            actor_role=source,
            at=now,
            seq=1,  # a new case's first event
            reason=description[:200],
            data={"class": case_class.code, "source": source, "crs": crs}
            | ({"address_code": standard.code} if standard is not None else {})
            | ({"attributes": attributes} if attributes else {}),
        )
        photos.attach(case=case, event=event, staging=staging, kind="before", actor=actor, now=now)
        return case

    return _idempotent(actor, key, request_hash, create, uploads)


# The key space of the transaction locks below (pg_advisory_xact_lock's first integer).
_RECURRENCE_LOCK = 0x4F47_5243  # "OGRC"


def _take_turns_with_closes(class_id: int) -> None:
    """Reports of a class and the closes (and reopenings) of its cases take turns, on
    PostgreSQL, from before their time is taken until they commit: a report's repeat flag
    (cases.rollups.recurs_now: a close of its class near it within the window) then sees every
    close stamped before it, as a recompute from the history does. Without it, a close stamped
    first but committed after a report's check left the flag false where the recompute says
    true (found by the load test: `onegrid verify` failed). SQLite's writers take turns already:
    every writing transaction begins IMMEDIATE, before its time is taken."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_RECURRENCE_LOCK, class_id])


def _place_units(located: locator.LocatedGrid) -> tuple[Grid, AdminUnit, AdminUnit]:
    """The grid, community and street of a located report, for the case row and the answer,
    from what the locator knows and the units' cache (cases.intake_cache): no query; any other
    field is read when first asked for (Django's deferred fields)."""
    grid = Grid.from_db("default", ["id", "code"], [located.grid_id, located.grid_code])
    community, street = intake_cache.units(located.community_id, located.street_id)
    return grid, community, street


def _bounded(value: str | None, limit: int, field: str) -> str:
    """The trimmed text, or an error: nothing a user typed is cut off silently, and no control
    character but line breaks and tabs (the text goes on to SMS, e-mail, feeds and exports)."""
    value = (value or "").strip()
    if len(value) > limit:
        raise InvalidInput(
            _("%(field)s is longer than %(n)d characters.") % {"field": field, "n": limit},
            field=field,
        )
    if any((ch < " " and ch not in "\n\r\t") or ch == "\x7f" for ch in value):
        raise InvalidInput(
            _("%(field)s may not contain control characters.") % {"field": field}, field=field
        )
    return value


def _source_for(actor: User, place: policies.Place, requested: str | None) -> str:
    """Where a report came from follows from who made it; staff say so for hotline/IoT/imports."""
    names = policies.role_names(actor)
    if requested:
        if requested not in STAFF_SOURCES:
            raise InvalidInput(
                _("Unknown source %(source)s.") % {"source": requested}, field="source"
            )
        if not policies.may_enter_staff_report(actor, requested):
            raise PermissionDenied(_("You may not enter reports of this source."), field="source")
        return requested
    held = policies.roles_over(actor, place)
    if held & {Role.GRID_WORKER, Role.GRID_HEAD}:
        return Source.GRID_WORKER
    if held & policies.GRID_TEAM:
        return Source.TEAM
    if names & (policies.GRID_TEAM - {Role.VOLUNTEER, Role.PARTY_MEMBER}):
        return Source.TEAM
    if names & {Role.RESIDENT, Role.VOLUNTEER, Role.PARTY_MEMBER}:
        return Source.RESIDENT
    if policies.may_enter_staff_report(actor, Source.HOTLINE):
        return Source.HOTLINE
    # Party-organisation staff report only their inspections' items, and say so.
    raise PermissionDenied(
        _("Name the source of the report: %(source)s.") % {"source": Source.INSPECTION.value},
        field="source",
    )


def _next_number(now: dt.datetime, district_code: str) -> str:
    """The next case number of the day (local time), prefixed with the case's district's
    6-digit code: one statement (an upsert that returns the new serial, SQLite ≥ 3.35 and
    PostgreSQL) in the caller's transaction, whose row lock orders concurrent reports."""
    day = now.astimezone(LOCAL_TZ).strftime("%Y%m%d")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO cases_casecounter (day, last) VALUES (%s, 1) ON CONFLICT (day) "
            "DO UPDATE SET last = cases_casecounter.last + 1 RETURNING last",
            [day],
        )
        serial = cursor.fetchone()[0]
    return f"{district_code[:6]}-{day}-{serial:05d}"


# --- idempotency ---


def _check_key(value: object) -> str:
    return idempotency_key(
        value, missing=_("Send an idempotency key so a retry cannot create the case twice.")
    )


def _hash(payload: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _replay(record: IdempotencyRecord, request_hash: str) -> Outcome:
    if record.request_hash != request_hash:
        raise Conflict(
            _("This idempotency key was already used for a different request."),
            field="idempotency_key",
        )
    case = (
        Case.objects.select_related("case_class", "grid", "community", "street", "merged_into")
        .defer("grid__geometry_wkb", "community__geometry_wkb", "street__geometry_wkb")
        .filter(pk=record.case_id)
        .first()
        if record.case_id
        else None
    )
    if case is None:  # every record is written with its case; the column alone allows none
        raise NotFound(_("No such case."), field="case_id")
    return Outcome(case, replayed=True)


def _idempotent(
    actor: User | None,
    key: str,
    request_hash: str,
    run: Callable[[photos.Staging], Case],
    uploads: list[photos.Upload],
) -> Outcome:
    """Run `run(staging)` once per key; `uploads` are written before its transaction and
    removed after it unless a committed row keeps them (cases.photos). `actor` None: an
    anonymous report, whose keys are unique among the anonymous ones."""
    record = IdempotencyRecord.objects.filter(user=actor, key=key).first()
    if record:
        return _replay(record, request_hash)
    with photos.staged(uploads) as staging:
        for attempt in range(3):
            try:
                with transaction.atomic():
                    case = run(staging)
                    IdempotencyRecord.objects.create(
                        user=actor,
                        key=key,
                        request_hash=request_hash,
                        case=case,
                        created_at=clock.now(),
                    )
                break
            except (IntegrityError, DomainError) as error:
                # A concurrent retry won the race: either the unique key refused this copy, or
                # the case lock made it wait and then find the case already moved on. Answer
                # with its result.
                record = IdempotencyRecord.objects.filter(user=actor, key=key).first()
                if record is not None:
                    return _replay(record, request_hash)
                # Otherwise a unique value drawn at random (a tracking code, 50 bits) was taken:
                # the whole transaction was rolled back, so run it again with a fresh one.
                if attempt == 2 or not isinstance(error, IntegrityError):
                    raise
    return Outcome(case)


# --- every other transition ---


def perform_action(
    *,
    actor: User,
    case_id: object,
    action: str,
    reason: str = "",
    params: dict[str, Any] | None = None,
    photo_files: Iterable[File[bytes]] = (),
    idempotency_key: str | None = None,
) -> Outcome:
    transition = workflow.transition_for(action)
    if transition is None or action == "report" or transition.roles == {SYSTEM}:
        raise InvalidInput(_("Unknown action %(action)s.") % {"action": action}, field="action")
    params = {
        k: v
        for k, v in (params or {}).items()
        if k in transition.params and v not in (None, "", [])
    }
    uploads = photos.validate_photos(photo_files)
    reason = (reason or "").strip()

    def run(staging: photos.Staging) -> Case:
        case = _lock_case(case_id, actor)
        _apply(case, transition, actor, reason=reason, params=params, uploads=staging)
        return case

    if idempotency_key:
        key = _check_key(idempotency_key)
        request_hash = _hash(
            {
                "case": str(case_id),
                "action": action,
                "reason": reason,
                "params": params,
                "photos": [u.sha256 for u in uploads],
            }
        )
        return _idempotent(actor, key, request_hash, run, uploads)
    with photos.staged(uploads) as staging, transaction.atomic():
        return Outcome(run(staging))


def _lock_case(case_id: object, actor: User | None) -> Case:
    # Tasks are read once here; effects change these same objects, so the cache stays true.
    # Lock the case row only: PostgreSQL would otherwise lock the joined class and street rows
    # too, serialising every action on cases of one class and deadlocking with new reports
    # (an insert takes a key-share lock on its class row).
    cases = (
        Case.objects.select_for_update(of=("self",))
        .select_related("case_class", "street")
        .defer("street__geometry_wkb")  # outlines are large and never needed here
        .prefetch_related("tasks")
    )
    case = cases.by_ref(case_id)
    if case is None or (actor is not None and not access.may_see(actor, case)):
        # Cases outside the caller's scope are reported as missing, not as forbidden.
        raise NotFound(_("No such case."), field="case_id")
    return case


def _apply(
    case: Case,
    transition: workflow.Transition,
    actor: User | None,
    *,
    reason: str = "",
    params: dict[str, Any] | None = None,
    uploads: photos.Staging | None = None,
    task: Task | None = None,
    now: dt.datetime | None = None,
) -> None:
    if transition.action in CLOSES or transition.action == "reopen":
        _take_turns_with_closes(case.case_class_id)
    # Follow-ups happen at the moment of the action that asked for them.
    now = now or clock.now()
    ctx = evaluator.admit(
        evaluator.standing(actor, case),
        transition,
        now=now,
        reason=reason,
        params=params,
        photos=uploads or (),
        task=task,
    )
    held = ctx.actor_roles
    from_state = case.state
    if transition.effect:
        transition.effect(ctx)
    to_state = ctx.target or transition.targets[0]
    if to_state == workflow.STAY:
        to_state = from_state
    actor_role = next((r for r in ROLE_PRIORITY if r in held), sorted(held)[0] if held else "")
    event = history.append_event(
        case=case,
        action=transition.action,
        from_state=from_state,
        to_state=to_state,
        actor=actor,
        actor_role=str(actor_role),
        at=now,
        task=ctx.task,
        reason=reason,
        data=ctx.event_data,
    )
    if uploads and transition.photo_kind:  # (photos for an action without a kind were refused)
        photos.attach(
            case=case,
            event=event,
            staging=uploads,
            kind=transition.photo_kind,
            actor=actor,
            now=now,
        )
    case.state = to_state
    case.save()
    for other, action, data in ctx.side_events:
        history.append_event(
            case=other,
            action=action,
            from_state=other.state,
            to_state=other.state,
            actor=actor,
            actor_role=str(actor_role),
            at=now,
            data=data,
        )
    for follow_up in transition.follow_ups:
        if follow_up.when(ctx):
            _apply(case, workflow.BY_ACTION[follow_up.action], None, now=now)


# --- the timer (transition 14) ---


@dataclass
class TickResult:
    escalated: int = 0
    checked_tasks: int = 0
    late_report_ins: int = 0  # 吹哨报到: summoned departments newly marked late


def tick(*, now: dt.datetime | None = None) -> TickResult:
    """Mark overdue tasks and escalate each overdue step exactly once.

    Safe to run any number of times from any number of processes: the case row lock orders
    concurrent ticks, and the unique (task, level) key of Escalation refuses a second escalation.
    """
    now = now or clock.now()
    steps = settings.ONEGRID["ESCALATION_AFTER_HOURS"]
    result = TickResult()
    late = Task.objects.filter(state__in=LATE_TASK_STATES, due_at__lt=now).values_list(
        "id", "case_id", "due_at", "escalation_level", "case__street_id"
    )
    for task_id, case_id, due_at, level_done, street_id in late:
        result.checked_tasks += 1
        district = overrides.calendar_district_of_street(street_id)
        over = calendar.working_hours_between(due_at, now, district)
        due_levels = [i + 1 for i, h in enumerate(steps) if i == 0 or over >= h]
        for level in due_levels:
            if level <= level_done:
                continue
            if _escalate_once(case_id, task_id, level, now):
                result.escalated += 1
    missed = Task.objects.filter(
        state=Task.State.SUMMONED, report_in_overdue=False, report_in_due_at__lt=now
    ).values_list("id", "case_id")
    for task_id, case_id in missed:
        if _mark_late_report_in_once(case_id, task_id, now):
            result.late_report_ins += 1
    return result


def _mark_late_report_in_once(case_id: uuid.UUID, task_id: uuid.UUID, now: dt.datetime) -> bool:
    """Mark a summoned department's missed report-in once: the case lock orders concurrent
    ticks, and the second finds the task already marked (or reported in meanwhile)."""
    try:
        with transaction.atomic(), clock.frozen_at(now):
            case = _lock_case(case_id, None)
            task = next((t for t in case.tasks.all() if t.pk == task_id), None)
            if (
                task is None
                or task.state != Task.State.SUMMONED
                or task.report_in_overdue
                or task.report_in_due_at is None
                or task.report_in_due_at >= now
            ):
                return False
            _apply(case, workflow.BY_ACTION["report_in_late"], None, task=task)
    except DomainError:
        logger.exception("could not mark the late report-in of task %s", task_id)
        return False
    return True


def _escalate_once(case_id: uuid.UUID, task_id: uuid.UUID, level: int, now: dt.datetime) -> bool:
    try:
        with transaction.atomic(), clock.frozen_at(now):
            case = _lock_case(case_id, None)
            task = next((t for t in case.tasks.all() if t.pk == task_id), None)
            if (
                task is None
                or task.escalation_level >= level
                or task.due_at >= now
                or task.state not in LATE_TASK_STATES
            ):
                return False
            Escalation.objects.create(case=case, task=task, level=level, at=now)
            _apply(case, workflow.BY_ACTION["escalate"], None, params={"level": level}, task=task)
    except IntegrityError:
        return False  # another process escalated this step first
    except DomainError:
        # One case in an unexpected state must not stop the timer for every other case.
        logger.exception("could not escalate task %s to level %s", task_id, level)
        return False
    return True
