"""A resident's own reports: only what they reported, followed by tracking code.

A report merged into another case (the same problem reported twice) is followed through the
case it was merged into: its reporter was linked there (cases' CaseReporter rows), so they see
that case's progress, under their own report's tracking code.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from onegrid.cases import selectors as case_selectors
from onegrid.cases.access import may_see
from onegrid.cases.models import Case, CaseReporter
from onegrid.core.errors import NotFound
from onegrid.org.models import User

# The actions a resident takes from their report's page (the workflow table decides when).
RESIDENT_ACTIONS = ("comment", "rate", "reopen")


@dataclass(frozen=True)
class MyReport:
    """`report`: the case the resident made (its tracking code, class, description);
    `followed`: the case whose progress they follow (the same, or the one it was merged into)."""

    report: Case
    followed: Case


def _reports_of(user: User) -> QuerySet[CaseReporter]:
    return (
        CaseReporter.objects.filter(reporter=user)
        .select_related(
            "from_case",
            "from_case__case_class",
            "case",
            "case__case_class",
        )
        .defer(
            "from_case__description",
            "case__description",
        )
        .order_by("-at")
    )


def _followed(report: Case, linked: Case) -> Case:
    target = linked if linked.pk != report.pk else report
    # A chain of merges ends at the case still being worked (at most a few hops).
    for _hop in range(5):
        if target.merged_into_id is None:
            break
        target = Case.objects.select_related("case_class").get(pk=target.merged_into_id)
    return target


def my_reports(user: User, *, limit: int = 50, offset: int = 0) -> tuple[list[MyReport], int]:
    """The resident's reports, newest first, one per report they made (a merge links the
    reporter to the surviving case too: that row is the same report, followed there)."""
    rows = _reports_of(user)
    seen: dict[object, MyReport] = {}
    for row in rows:
        report = row.from_case
        if report.pk in seen:
            continue
        seen[report.pk] = MyReport(report=report, followed=_followed(report, row.case))
    ordered = sorted(seen.values(), key=lambda r: r.report.reported_at, reverse=True)
    return ordered[offset : offset + limit], len(ordered)


def my_report(user: User, tracking_code: object) -> MyReport:
    """The resident's own report with this tracking code; NotFound for any other code (one
    they did not report looks the same as one that does not exist)."""
    case = case_selectors.case_by_tracking_code(tracking_code)
    if case is None:
        raise NotFound(_("No such report."), field="tracking_code")
    row = (
        CaseReporter.objects.filter(reporter=user, from_case=case)
        .select_related("case", "case__case_class")
        .first()
    )
    if row is None:
        # The code of a case the resident's own report joined (their notifications link it):
        # their own report, followed there — never the other reporter's description and address.
        row = (
            CaseReporter.objects.filter(reporter=user, case=case)
            .select_related("from_case", "from_case__case_class")
            .order_by("-at")
            .first()
        )
        if row is None:
            raise NotFound(_("No such report."), field="tracking_code")
        return MyReport(report=row.from_case, followed=_followed(row.from_case, case))
    return MyReport(report=case, followed=_followed(case, row.case))


def offered_actions(user: User, followed: Case) -> set[str]:
    """Which of the resident's actions the workflow table offers them on the case now: none on
    a case they follow only through a merge and may not act on (the engine would refuse)."""
    if not may_see(user, followed):
        return set()
    return set(case_selectors.allowed_actions(user, followed)) & set(RESIDENT_ACTIONS)
