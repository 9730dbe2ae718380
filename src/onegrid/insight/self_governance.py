"""Measures of 自治: resident deliberation (议事协商), per street, community and grid, for a
period (insight.periods). Counts only: no topic's text, no voter, no name.

A topic belongs to its community (and the community's street); to a grid only when it was
raised for that grid or a building in it, so a grid's figures count its own topics and a
community's count every topic of the community. Ballots, co-signatures, decisions and
milestones belong where their topic does.

Participation ("deliberation" table):

* topics raised: topics raised in the period; by residents: those raised by a resident on the
  roll (not by staff), which collect co-signatures.
* co-signatures: co-signatures on the topics raised by residents in the period, made before
  the end of the period (or now, while it runs); per topic: co-signatures ÷ topics raised by
  residents.
* online ballots: online ballots closed in the period (cancelled ones aside); votes cast: the
  sum of their turnout as closed; electorate: the sum of their electorates as snapshot when
  they opened; participation: votes cast ÷ electorate.
* meeting ballots, present, electorate, turnout: the same for the ballots taken at a meeting,
  the turnout being those present as the meeting's tally recorded.

Topics by state ("topics" table): the topics raised in the period, by their state now.

Decisions carried out ("decisions" table):

* published: decisions published in the period; carried out / abandoned: of those, the ones
  carried out / abandoned by now, so a past period shows how its decisions stand today;
  rate carried out: carried out ÷ published.
* milestones due: milestones of the place's practical projects (cancelled projects aside) due
  on a day of the period up to today; on track: of those, done on or before their due day
  (Beijing time); rate on track: on track ÷ milestones due.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils.translation import gettext_lazy, pgettext_lazy

from onegrid.deliberation.models import Ballot, CoSignature, Decision, Milestone, Project, Topic

from .governance_figures import TOPIC, Cell, FigureDef, count, grouped, ratio, restrict, through
from .measures import Scope, rate
from .periods import TZ, Period

_STATE_FIGURES = tuple(
    FigureDef(
        f"topics_{state}",
        "topics",
        label,
        gettext_lazy("Topics raised in the period in the place, by their state now."),
    )
    for state, label in Topic.State.choices
)

FIGURES: tuple[FigureDef, ...] = (
    FigureDef(
        "topics_raised",
        "deliberation",
        pgettext_lazy("governance", "Topics raised"),
        gettext_lazy("Deliberation topics raised in the period in the place."),
    ),
    FigureDef(
        "topics_by_residents",
        "deliberation",
        pgettext_lazy("governance", "by residents"),
        gettext_lazy("Of those, raised by a resident on the roll (they collect co-signatures)."),
    ),
    FigureDef(
        "cosignatures",
        "deliberation",
        pgettext_lazy("governance", "Co-signatures"),
        gettext_lazy(
            "Co-signatures on the topics raised by residents in the period, made before its end."
        ),
    ),
    FigureDef(
        "cosignatures_per_topic",
        "deliberation",
        pgettext_lazy("governance", "per topic"),
        gettext_lazy("Co-signatures ÷ topics raised by residents."),
    ),
    FigureDef(
        "online_ballots",
        "deliberation",
        pgettext_lazy("governance", "Online ballots"),
        gettext_lazy("Online ballots closed in the period (cancelled ones aside)."),
    ),
    FigureDef(
        "online_votes",
        "deliberation",
        pgettext_lazy("governance", "votes cast"),
        gettext_lazy("The votes cast in those ballots (their turnout as closed)."),
    ),
    FigureDef(
        "online_electorate",
        "deliberation",
        pgettext_lazy("governance", "electorate"),
        gettext_lazy(
            "Their electorates (people or households on the roll when each ballot opened)."
        ),
    ),
    FigureDef(
        "online_participation",
        "deliberation",
        pgettext_lazy("governance", "Participation"),
        gettext_lazy("Votes cast ÷ electorate, over the online ballots closed in the period."),
        is_rate=True,
    ),
    FigureDef(
        "meeting_ballots",
        "deliberation",
        pgettext_lazy("governance", "Meeting ballots"),
        gettext_lazy("Ballots taken at a meeting and closed in the period."),
    ),
    FigureDef(
        "meeting_present",
        "deliberation",
        pgettext_lazy("governance", "present"),
        gettext_lazy("Those present at those meetings, as the tallies recorded."),
    ),
    FigureDef(
        "meeting_electorate",
        "deliberation",
        pgettext_lazy("governance", "electorate"),
        gettext_lazy("Their electorates."),
    ),
    FigureDef(
        "meeting_turnout",
        "deliberation",
        pgettext_lazy("governance", "Meeting turnout"),
        gettext_lazy("Present ÷ electorate, over the meeting ballots closed in the period."),
        is_rate=True,
    ),
    *_STATE_FIGURES,
    FigureDef(
        "decisions_published",
        "decisions",
        pgettext_lazy("governance", "Decisions published"),
        gettext_lazy("Decisions published in the period."),
    ),
    FigureDef(
        "decisions_carried_out",
        "decisions",
        pgettext_lazy("governance", "carried out"),
        gettext_lazy("Of those, carried out by now."),
    ),
    FigureDef(
        "decisions_abandoned",
        "decisions",
        pgettext_lazy("governance", "abandoned"),
        gettext_lazy("Of those, abandoned by now."),
    ),
    FigureDef(
        "carried_out_rate",
        "decisions",
        pgettext_lazy("governance", "Rate carried out"),
        gettext_lazy("Decisions carried out ÷ decisions published."),
        is_rate=True,
    ),
    FigureDef(
        "milestones_due",
        "decisions",
        pgettext_lazy("governance", "Milestones due"),
        gettext_lazy(
            "Milestones of the place's practical projects (cancelled ones aside) due on a day of "
            "the period up to today."
        ),
    ),
    FigureDef(
        "milestones_on_track",
        "decisions",
        pgettext_lazy("governance", "on track"),
        gettext_lazy("Of those, done on or before their due day (Beijing time)."),
    ),
    FigureDef(
        "on_track_rate",
        "decisions",
        pgettext_lazy("governance", "Rate on track"),
        gettext_lazy("Milestones on track ÷ milestones due."),
        is_rate=True,
    ),
)
RATES = {
    "online_participation": ("online_votes", "online_electorate"),
    "meeting_turnout": ("meeting_present", "meeting_electorate"),
    "carried_out_rate": ("decisions_carried_out", "decisions_published"),
    "on_track_rate": ("milestones_on_track", "milestones_due"),
}
_BALLOT = through("topic__", TOPIC)
_DECISION = _BALLOT
_COSIGN = _BALLOT
_MILESTONE = through("project__decision__topic__", TOPIC)


def deliberation(
    scope: Scope,
    group: str | None,
    period: Period,
    as_of: dt.datetime,
    today: dt.date,
    keys: list[int | None],
) -> dict[int | None, dict[str, Cell]]:
    """The deliberation figures of the scope's place (group None) or of its parts of level
    `group`, keyed by the part's pk. `as_of`: the end of the period or now; `today`: the day
    now in Beijing time."""
    start, end = period.start, period.end
    topics = grouped(
        restrict(Topic.objects.filter(raised_at__gte=start, raised_at__lt=end), TOPIC, scope),
        TOPIC,
        group,
        topics_raised=Count("pk"),
        topics_by_residents=Count("pk", filter=Q(raised_by_staff=False)),
        **{f"topics_{state}": Count("pk", filter=Q(state=state)) for state in Topic.State.values},
    )
    cosignatures = grouped(
        restrict(
            CoSignature.objects.filter(
                topic__raised_at__gte=start,
                topic__raised_at__lt=end,
                topic__raised_by_staff=False,
                signed_at__lt=as_of,
            ),
            _COSIGN,
            scope,
        ),
        _COSIGN,
        group,
        cosignatures=Count("pk"),
    )
    online = Q(mode=Ballot.Mode.ONLINE)
    meeting = Q(mode=Ballot.Mode.MEETING)
    ballots = grouped(
        restrict(
            Ballot.objects.filter(
                state=Ballot.State.CLOSED, closed_at__gte=start, closed_at__lt=end
            ),
            _BALLOT,
            scope,
        ),
        _BALLOT,
        group,
        online_ballots=Count("pk", filter=online),
        online_votes=Sum("turnout", filter=online),
        online_electorate=Sum("electorate", filter=online),
        meeting_ballots=Count("pk", filter=meeting),
        meeting_present=Sum("turnout", filter=meeting),
        meeting_electorate=Sum("electorate", filter=meeting),
    )
    decisions = grouped(
        restrict(
            Decision.objects.filter(published_at__gte=start, published_at__lt=end),
            _DECISION,
            scope,
        ),
        _DECISION,
        group,
        decisions_published=Count("pk"),
        decisions_carried_out=Count("pk", filter=Q(state=Decision.State.CARRIED_OUT)),
        decisions_abandoned=Count("pk", filter=Q(state=Decision.State.ABANDONED)),
    )
    milestones = grouped(
        restrict(
            Milestone.objects.filter(due_on__gte=period.first, due_on__lte=min(period.last, today))
            .exclude(project__state=Project.State.CANCELLED)
            .annotate(_done=TruncDate("done_at", tzinfo=TZ)),
            _MILESTONE,
            scope,
        ),
        _MILESTONE,
        group,
        milestones_due=Count("pk"),
        milestones_on_track=Count("pk", filter=Q(_done__lte=F("due_on"))),
    )
    sources = (topics, cosignatures, ballots, decisions, milestones)
    table: dict[int | None, dict[str, Cell]] = {}
    for key in keys:
        values: dict[str, int] = {}
        for source in sources:
            for name, value in (source.get(key) or {}).items():
                values[name] = int(value or 0)
        cells = {f.key: Cell(count(values, f.key)) for f in FIGURES if not f.is_rate}
        cells["cosignatures_per_topic"] = Cell(
            ratio(count(values, "cosignatures"), count(values, "topics_by_residents"))
        )
        table[key] = cells
    return table


def add_rates(cells: dict[str, Cell]) -> None:
    for key, (numerator, denominator) in RATES.items():
        if numerator in cells and denominator in cells:
            n, d = cells[numerator].value, cells[denominator].value
            cells[key] = Cell(rate(int(n or 0), int(d or 0)))
