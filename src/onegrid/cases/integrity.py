"""The cases' part of `onegrid verify` (core.integrity): every case's history replayed against
its row, the rollups against a full recompute, photo files against their rows, the case numbers
against their day counters.

Each check streams its rows (`iterator`, ordered by key, merged case by case), so its memory
follows one batch, not the number of cases; the rollups' own recompute keeps the totals it
compares (cases.rollups.verify)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from django.core.files.storage import default_storage
from django.db.models import CharField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from onegrid.core.integrity import ERROR, WARNING, Context, Finding, check

from . import photo_maintenance, rollup_check
from .history import replay_states
from .models import Case, CaseClass, CaseCounter, CaseEvent, Photo
from .states import OPEN_STATES, State

CLOSING_ACTIONS = frozenset({"close", "self_close"})
CLOSED_STATES = frozenset({State.CLOSED, State.SELF_CLOSED})


class EventRow(NamedTuple):
    case_key: str
    seq: int
    action: str
    from_state: str
    to_state: str
    at: dt.datetime
    class_code: str | None
    level: str | None


class CaseRow(NamedTuple):
    key: str
    number: str
    state: str
    class_id: int
    merged_into_id: Any
    closed_at: dt.datetime | None
    escalation_level: int
    rework_count: int


def _case_rows() -> Iterator[CaseRow]:
    rows = (
        Case.objects.annotate(case_key=Cast("id", CharField()))
        .order_by("id")
        .values_list(
            "case_key",
            "number",
            "state",
            "case_class_id",
            "merged_into_id",
            "closed_at",
            "escalation_level",
            "rework_count",
        )
        .iterator(chunk_size=5000)
    )
    return (CaseRow(*row) for row in rows)


def _event_rows() -> Iterator[EventRow]:
    rows = (
        CaseEvent.objects.annotate(
            case_key=Cast("case_id", CharField()),
            d_class=KT("data__class"),
            d_level=KT("data__level"),
        )
        .order_by("case_id", "seq")
        .values_list(
            "case_key", "seq", "action", "from_state", "to_state", "at", "d_class", "d_level"
        )
        .iterator(chunk_size=5000)
    )
    return (EventRow(*row) for row in rows)


def _histories() -> Iterator[tuple[CaseRow, list[EventRow]]]:
    """Each case with its events, both read in key order and merged (a case without events
    comes with an empty list)."""
    events = _event_rows()
    pending: EventRow | None = next(events, None)
    for case in _case_rows():
        mine: list[EventRow] = []
        while pending is not None and pending.case_key == case.key:
            mine.append(pending)
            pending = next(events, None)
        yield case, mine


def replay_differences(
    case: CaseRow, events: Sequence[EventRow], class_codes: dict[int, str]
) -> list[tuple[str, str]]:
    """(kind, message) for each way the case's row differs from what its history says."""
    out: list[tuple[str, str]] = []
    if not events:
        return [("no_history", _("The case has no history."))]
    seqs = [e.seq for e in events]
    if seqs != list(range(1, len(events) + 1)):
        out.append(
            (
                "history_gap",
                _("Its events are numbered %(seqs)s, not 1 to %(n)d.")
                % {"seqs": _short(seqs), "n": len(events)},
            )
        )
    if events[0].action != "report":
        out.append(
            (
                "history_start",
                _("Its history starts with %(action)s, not a report.")
                % {"action": events[0].action},
            )
        )
    try:
        states = replay_states(events)  # type: ignore[arg-type]  # rows with the same fields
    except ValueError as broken:
        out.append(("history_chain", _("Its history does not chain: %(why)s") % {"why": broken}))
        states = [events[-1].to_state]
    replayed = states[-1]
    if replayed != case.state:
        out.append(
            (
                "state",
                _("State %(stored)s, but its history leads to %(replayed)s.")
                % {"stored": case.state, "replayed": replayed},
            )
        )
    classes = [e.class_code for e in events if e.class_code]
    stored_class = class_codes.get(case.class_id, "?")
    if classes and classes[-1] != stored_class:
        out.append(
            (
                "class",
                _("Class %(stored)s, but its history names %(replayed)s last.")
                % {"stored": stored_class, "replayed": classes[-1]},
            )
        )
    if (case.state == State.MERGED) != (case.merged_into_id is not None):
        out.append(("merged", _("Its state and the case it was merged into disagree.")))
    levels = [int(e.level) for e in events if e.action == "escalate" and e.level]
    if case.escalation_level != max(levels, default=0):
        out.append(
            (
                "escalation",
                _("Escalation level %(stored)d, but its history reaches %(replayed)d.")
                % {"stored": case.escalation_level, "replayed": max(levels, default=0)},
            )
        )
    reworks = sum(1 for e in events if e.action == "fail_check")
    if case.rework_count != reworks:
        out.append(
            (
                "rework",
                _("Reworked %(stored)d times, but its history fails %(replayed)d checks.")
                % {"stored": case.rework_count, "replayed": reworks},
            )
        )
    closes = [e.at for e in events if e.action in CLOSING_ACTIONS]
    if case.state in CLOSED_STATES and (not closes or case.closed_at != closes[-1]):
        out.append(("closed_at", _("Its close time differs from its history's last close.")))
    if case.state in OPEN_STATES and case.closed_at is not None:
        out.append(("closed_at", _("It is open but has a close time.")))
    return out


def _short(values: Sequence[int]) -> str:
    shown = ", ".join(map(str, values[:8]))
    return shown + (" …" if len(values) > 8 else "")


@check("history", gettext_lazy("Case histories replay to the cases' state"), order=10)
def check_histories(context: Context) -> Iterator[Finding]:
    class_codes = dict(CaseClass.objects.values_list("id", "code"))
    cases = events = 0
    for case, history in _histories():
        cases += 1
        events += len(history)
        for kind, message in replay_differences(case, history, class_codes):
            yield Finding(ERROR, kind, message, case.number)
    context.counts.update(cases=cases, events=events)


@check("rollups", gettext_lazy("Rollups agree with a full recompute from the history"), order=20)
def check_rollups(context: Context) -> Iterator[Finding]:
    """cases.rollups.verify's comparison, in bounded memory (cases.rollup_check)."""
    shown = 0
    for difference in rollup_check.differences(limit=context.limit):
        shown += 1
        yield Finding(ERROR, "rollup", str(difference), difference.table)
    context.counts["differences_shown"] = shown


@check("photos", gettext_lazy("Photo files exist for their rows"), order=30)
def check_photos(context: Context) -> Iterator[Finding]:
    """Every file a Photo row names is in storage (through the storage API: a file system or
    S3-compatible), the original with the recorded size (and, with `hash_files`, SHA-256);
    files under photos/ that no row names are warnings."""
    rows = (
        Photo.objects.order_by("sha256", "id")
        .values_list("case__number", "file", "view", "thumb", "size", "sha256")
        .iterator(chunk_size=2000)
    )
    checked: set[str] = set()  # the names of the current content (rows sharing it share files)
    current = ""
    photos = files = 0
    for number, original, view, thumb, size, sha in rows:
        photos += 1
        if sha != current:
            current, checked = sha, set()
        for name, is_original in ((original, True), (view, False), (thumb, False)):
            if not name:
                if not is_original:
                    yield Finding(
                        WARNING,
                        "no_copy",
                        _("A photo has no viewing copy yet (`onegrid photos rebuild-copies`)."),
                        number,
                    )
                    break
                continue
            if name in checked:
                continue
            checked.add(name)
            files += 1
            problem = _file_problem(
                name,
                size if is_original else None,
                sha if is_original and context.hash_files else None,
            )
            if problem:
                yield Finding(ERROR, problem[0], problem[1], f"{number} {name}")
    orphans = photo_maintenance.orphan_files()
    for name in orphans:
        yield Finding(
            WARNING,
            "orphan_file",
            _("No photo row names this file (`onegrid photos orphans --delete`)."),
            name,
        )
    context.counts.update(photos=photos, files=files, orphans=len(orphans))


def _file_problem(name: str, size: int | None, sha256: str | None) -> tuple[str, str] | None:
    try:
        if not default_storage.exists(name):
            return "missing_file", _("The file is missing from storage.")
        if size is not None and default_storage.size(name) != size:
            return "file_size", _("The file's size is %(have)d bytes, the row says %(want)d.") % {
                "have": default_storage.size(name),
                "want": size,
            }
        if sha256 is not None:
            digest = hashlib.sha256()
            with default_storage.open(name, "rb") as stored:
                for block in iter(lambda: stored.read(1 << 20), b""):
                    digest.update(block)
            if digest.hexdigest() != sha256:
                return "file_hash", _("The file's SHA-256 differs from the row's.")
    except FileNotFoundError:
        return "missing_file", _("The file is missing from storage.")
    return None


# 120113-20261128-00042: the district's code, the day (Asia/Shanghai), the day's serial.
CASE_NUMBER = re.compile(r"^(?P<prefix>\d{6})-(?P<day>\d{8})-(?P<serial>\d+)$")


@check("counters", gettext_lazy("Case number counters are ahead of the numbers given"), order=40)
def check_counters(context: Context) -> Iterator[Finding]:
    """A day's CaseCounter must be at least the highest serial given that day (else the next
    report would get a number already taken). Numbers in another form are counted, not judged."""
    highest: dict[str, int] = {}
    other = 0
    for number in Case.objects.values_list("number", flat=True).iterator(chunk_size=10000):
        match = CASE_NUMBER.match(number)
        if match is None:
            other += 1
            continue
        day, serial = match["day"], int(match["serial"])
        if serial > highest.get(day, 0):
            highest[day] = serial
    counters = dict(CaseCounter.objects.values_list("day", "last"))
    for day, serial in sorted(highest.items()):
        last = counters.get(day)
        if last is None or last < serial:
            yield Finding(
                ERROR,
                "counter",
                _(
                    "The counter of %(day)s stands at %(last)s, below serial %(serial)d "
                    "given that day."
                )
                % {
                    "day": day,
                    "last": last if last is not None else _("nothing"),
                    "serial": serial,
                },
                day,
            )
    context.counts.update(days=len(highest), other_numbers=other)
