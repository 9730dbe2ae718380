"""Reads of decisions and how far they are carried out: each project's milestones done of all,
budget against spending, and the linked cases open and closed.

Two audiences:
- staff and residents who read a community's deliberation (org.policies.may_read_deliberation,
  deliberation_reach): `decisions_for`, `progress_of` with the linked cases' numbers;
- anyone, on the public pages (`public_decisions`, `public_decision`): only decisions of the
  districts the caller names (the web view passes those whose public pages are switched on:
  residents.public, which sits above this app), and `public_progress`, which carries no person:
  no names of who raised, published or recorded, no case numbers, only counts.

Reading progress changes nothing; the edges call decisions.settle_decision first so a decision
whose work is all done reads as carried out (cases cannot call up into deliberation).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.utils.translation import gettext as _

from onegrid.cases.models import Case
from onegrid.cases.states import FINAL_STATES, STATE_LABELS
from onegrid.core import clock
from onegrid.core.errors import NotFound
from onegrid.org import policies
from onegrid.org.models import User

from .decisions import DONE_CASE_STATES, OPEN_PROJECT_STATES, decision_by_number
from .models import Decision, DecisionCase, Milestone, Project, Topic, Voter


@dataclass(frozen=True)
class MilestoneView:
    title: str
    due_on: dt.date
    done_at: dt.datetime | None
    note: str
    pk: int = 0
    # Not done and its due date has passed (in Asia/Shanghai, the district's day).
    late: bool = False

    @property
    def done(self) -> bool:
        return self.done_at is not None


@dataclass(frozen=True)
class ProjectProgress:
    pk: int
    title: str
    description: str
    undertaker: str
    state: str
    state_label: str
    budget: Decimal
    spent: Decimal
    completed_at: dt.datetime | None
    note: str
    milestones: list[MilestoneView]

    @property
    def open(self) -> bool:
        return self.state in OPEN_PROJECT_STATES

    @property
    def milestones_done(self) -> int:
        return sum(1 for m in self.milestones if m.done)

    @property
    def over_budget(self) -> bool:
        return self.spent > self.budget

    @property
    def spent_percent(self) -> int | None:
        """Spending as a whole percentage of the budget (None for a budget of 0)."""
        if not self.budget:
            return None
        return int(self.spent * 100 / self.budget)


@dataclass(frozen=True)
class CaseLine:
    number: str
    state: str
    state_label: str
    open: bool


@dataclass
class Progress:
    decision: Decision
    projects: list[ProjectProgress] = field(default_factory=list)
    cases: list[CaseLine] = field(default_factory=list)

    @property
    def budget(self) -> Decimal:
        return sum((p.budget for p in self.projects if p.state != "cancelled"), Decimal("0.00"))

    @property
    def spent(self) -> Decimal:
        return sum((p.spent for p in self.projects), Decimal("0.00"))

    @property
    def milestones_total(self) -> int:
        return sum(len(p.milestones) for p in self.projects)

    @property
    def milestones_done(self) -> int:
        return sum(p.milestones_done for p in self.projects)

    @property
    def milestones_late(self) -> int:
        return sum(1 for p in self.projects for m in p.milestones if m.late)

    @property
    def projects_completed(self) -> int:
        return sum(1 for p in self.projects if p.state == Project.State.COMPLETED)

    @property
    def projects_open(self) -> int:
        return sum(1 for p in self.projects if p.open)

    @property
    def cases_open(self) -> int:
        return sum(1 for c in self.cases if c.open)

    @property
    def cases_closed(self) -> int:
        return sum(1 for c in self.cases if not c.open)


# A decision's progress: its projects with their milestones, and its linked cases, prefetched
# for a whole page of decisions at once (public_progress_of_page) or read afresh for one.
PROGRESS_PREFETCH = (
    Prefetch(
        "projects",
        queryset=Project.objects.order_by("created_at", "pk").prefetch_related(
            Prefetch("milestones", queryset=Milestone.objects.order_by("due_on", "pk"))
        ),
    ),
    Prefetch(
        "case_links",
        queryset=DecisionCase.objects.select_related("case")
        .only("decision_id", "linked_at", "case__number", "case__state")
        .order_by("linked_at", "pk"),
    ),
)


def _read_afresh(decision: Decision) -> Decision:
    """The decision's row again with its progress prefetched: a page acting on a decision
    (completing a project) reads what it has just written, not a cache of an earlier read."""
    return Decision.objects.prefetch_related(*PROGRESS_PREFETCH).get(pk=decision.pk)


def _projects(decision: Decision) -> list[ProjectProgress]:
    """Of a decision with PROGRESS_PREFETCH done."""
    today = clock.local_today()
    rows = decision.projects.all()
    return [
        ProjectProgress(
            pk=p.pk,
            title=p.title,
            description=p.description,
            undertaker=p.undertaker,
            state=p.state,
            state_label=str(p.get_state_display()),
            budget=p.budget,
            spent=p.spent,
            completed_at=p.completed_at,
            note=p.completion_note,
            milestones=[
                MilestoneView(
                    m.title,
                    m.due_on,
                    m.done_at,
                    m.note,
                    m.pk,
                    late=m.done_at is None and m.due_on < today and p.state in OPEN_PROJECT_STATES,
                )
                for m in p.milestones.all()
            ],
        )
        for p in rows
    ]


def _linked_cases(decision: Decision) -> list[Case]:
    """Of a decision with PROGRESS_PREFETCH done."""
    return [link.case for link in decision.case_links.all()]


def _cases(decision: Decision) -> list[CaseLine]:
    return [
        CaseLine(
            number=c.number,
            state=c.state,
            state_label=str(STATE_LABELS.get(c.state, c.state)),
            open=c.state not in FINAL_STATES,
        )
        for c in _linked_cases(decision)
    ]


def progress_of(decision: Decision) -> Progress:
    """A decision's projects (with milestones) and linked cases (number and state), for those
    who read the community's deliberation."""
    rows = _read_afresh(decision)
    return Progress(decision, _projects(rows), _cases(rows))


def _public_progress(decision: Decision, rows: Decision) -> Progress:
    lines = [
        CaseLine("", c.state, str(STATE_LABELS.get(c.state, c.state)), c.state not in FINAL_STATES)
        for c in _linked_cases(rows)
    ]
    return Progress(decision, _projects(rows), lines)


def public_progress(decision: Decision) -> Progress:
    """The same without case numbers (the public pages show counts: a case's number leads to
    its page, which has its own rules)."""
    return _public_progress(decision, _read_afresh(decision))


def public_progress_of_page(shown: list[Decision]) -> list[Progress]:
    """public_progress of each decision on a page, read in a fixed number of queries."""
    prefetch_related_objects(shown, *PROGRESS_PREFETCH)
    return [_public_progress(decision, decision) for decision in shown]


def done_case_count(decision: Decision) -> int:
    return Case.objects.filter(
        decision_link__decision=decision, state__in=list(DONE_CASE_STATES)
    ).count()


# --- staff and roll readers -------------------------------------------------------------------


def decision_of_topic(topic: Topic) -> Decision | None:
    return Decision.objects.filter(topic=topic).select_related("topic", "topic__community").first()


def on_roll(user: User, community_id: int) -> bool:
    """Whether `user` stands verified on the roll of the community (a reader of its topics)."""
    return (
        user.is_authenticated
        and Voter.objects.filter(
            user=user, community_id=community_id, state=Voter.State.VERIFIED
        ).exists()
    )


def may_read(user: User, decision: Decision) -> bool:
    community = decision.topic.community
    return policies.may_read_deliberation(user, community, on_roll=on_roll(user, community.pk))


def decisions_for(user: User) -> QuerySet[Decision]:
    """The decisions of the communities `user` reads as staff (deliberation_reach), newest
    first; none without a reach."""
    rows = Decision.objects.select_related("topic", "topic__community")
    reach = policies.deliberation_reach(user)
    if reach is None:
        return rows.none()
    if reach.district_wide:
        return rows
    return rows.filter(topic__community_id__in=reach.community_ids) | rows.filter(
        topic__community__parent_id__in=reach.street_ids
    )


def decision_for(user: User, number: object) -> Decision:
    """A decision `user` may read (staff reach, or the roll of its community), else NotFound."""
    decision = decision_by_number(number)
    if not may_read(user, decision):
        raise NotFound(_("No such decision."), field="number")
    return decision


def case_decision(case: Case) -> Decision | None:
    """The decision a case carries out (the case page's link), if any."""
    link = DecisionCase.objects.filter(case=case).select_related("decision").first()
    return link.decision if link is not None else None


# --- the public pages ---------------------------------------------------------------------------


def public_decisions(district_ids: Iterable[int]) -> QuerySet[Decision]:
    """Every decision of the communities in the named districts (community → street →
    district), newest first."""
    return Decision.objects.select_related("topic", "topic__community").filter(
        topic__community__parent__parent_id__in=list(district_ids)
    )


def public_decision(number: object, district_ids: Iterable[int]) -> Decision | None:
    text = str(number or "").strip()
    if not text or len(text) > 30 or not text.isascii() or not text.isalnum():
        return None
    return public_decisions(district_ids).filter(number=text).first()


@dataclass(frozen=True)
class PublicVote:
    """The vote that carried a decision, as it is made public (公示): how it was taken, the
    rules, the electorate and the counts. Counts only: no voter, no household."""

    mode: str
    counting: str
    electorate: int
    turnout: int
    votes_for: int
    votes_against: int
    abstentions: int
    quorum: str
    majority: str
    closed_at: dt.datetime | None
    result: str


def public_vote(decision: Decision) -> PublicVote:
    """The closed ballot behind `decision` (a decision is published only from a passed one)."""
    from .ballots import majority_of, quorum_of

    b = decision.ballot
    return PublicVote(
        mode=str(b.get_mode_display()),
        counting=str(b.get_counting_display()),
        electorate=b.electorate,
        turnout=b.turnout,
        votes_for=b.votes_for,
        votes_against=b.votes_against,
        abstentions=b.abstentions,
        quorum=str(quorum_of(b)),
        majority=str(majority_of(b)),
        closed_at=b.closed_at,
        result=str(b.get_result_display()),
    )
