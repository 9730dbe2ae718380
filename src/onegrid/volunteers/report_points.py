"""Points for verified reports: a volunteer's or Party member's report that the street
registered (the case's `register` event) earns the district's "report" rule once per case.

Who earns: reporters who are registered volunteers (an active volunteers.Volunteer row), hold
the volunteer or Party-member role, or whose account is linked to a Party member with an open
membership. Residents without those and staff (reporting is their work) earn nothing here.

The sweep reads the register events after its mark (PointsSweepMark "reports") less a safety
window, so an event committed late by a long transaction is still seen; the entries' source keys
("report:<case id>") make a reread harmless. A report earns under the rule in force when it was
registered: events before the active rule's `changed_at` earn nothing (a rule set today pays no
old reports). It runs every minute beside `onegrid tick` (`make serve`) and as `onegrid
volunteers award-reports`; with nothing new it is a few queries.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from onegrid.cases.models import CaseEvent
from onegrid.org.models import Role, RoleAssignment, User
from onegrid.party.models import Member

from . import points
from .models import PointsEntry, PointsRule, PointsSweepMark, Volunteer

MARK = "reports"
# How far behind its mark each run rereads the case history.
OVERLAP = dt.timedelta(minutes=10)
BATCH = 500


def earners(user_ids: set[int]) -> set[int]:
    """Those of `user_ids` who earn points for their reports."""
    if not user_ids:
        return set()
    volunteers = Volunteer.objects.filter(user_id__in=user_ids, active=True).values_list(
        "user_id", flat=True
    )
    roles = RoleAssignment.objects.filter(
        user_id__in=user_ids, role__in=(Role.VOLUNTEER, Role.PARTY_MEMBER)
    ).values_list("user_id", flat=True)
    # A Party member's account linked to their record, with an open membership. Only the ids
    # are read, and only to credit them: nothing about membership is shown or logged here.
    members = Member.objects.filter(user_id__in=user_ids, organisation__isnull=False).values_list(
        "user_id", flat=True
    )
    active = set(User.objects.filter(pk__in=user_ids, is_active=True).values_list("pk", flat=True))
    return (set(volunteers) | set(roles) | set(members)) & active


def award_verified_reports(*, since: dt.datetime | None = None) -> int:
    """Award the "report" rule for the register events after `since` (default: the mark less
    the overlap); returns how many entries were written. Moves the mark to the newest event
    read."""
    mark, _created = PointsSweepMark.objects.get_or_create(name=MARK)
    start = since if since is not None else (mark.at - OVERLAP if mark.at else None)
    rule = PointsRule.objects.filter(kind=PointsRule.Kind.REPORT, active=True).first()
    if rule is None:
        return 0
    # A report earns under the rule in force when it was registered: none set before the rule.
    start = max(start, rule.changed_at) if start is not None else rule.changed_at
    events = CaseEvent.objects.filter(
        action="register", case__reporter__isnull=False, at__gte=start
    )
    written = 0
    newest = mark.at
    rows = list(
        events.order_by("at").values_list("case_id", "case__reporter_id", "at", "case__number")
    )
    for offset in range(0, len(rows), BATCH):
        batch = rows[offset : offset + BATCH]
        paid = earners({row[1] for row in batch})
        users = {u.pk: u for u in User.objects.filter(pk__in=paid)}
        with transaction.atomic():
            for case_id, reporter_id, at, number in batch:
                newest = at if newest is None or at > newest else newest
                if reporter_id not in users:
                    continue
                key = f"report:{case_id}"
                if PointsEntry.objects.filter(source_key=key).exists():
                    continue
                # The note says what the entry was for; its created_at stays the time it was
                # written (the ledger is append-only), not the case's registration time.
                # Stored text: written in the district's language, whoever runs the sweep.
                with translation.override(settings.LANGUAGE_CODE):
                    note = _("Reported problem %(number)s registered") % {"number": number}
                if points.award(user=users[reporter_id], rule="report", source_key=key, note=note):
                    written += 1
    if newest is not None and newest != mark.at:
        PointsSweepMark.objects.filter(pk=mark.pk).update(at=newest)
    return written
