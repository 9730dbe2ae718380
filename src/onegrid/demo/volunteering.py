"""The demo's volunteers and partners (多元参与), made through the volunteers services.

`seed_volunteering` adds, once, over the simulated month (after demo.party's tree):

* a volunteer organiser per street (``org-<street serial>``, password the demo's) who keeps the
  street's lists, posts its activities, confirms hours and serves its points-store counter;
* the district's points rules (RULES: 1 point an hour, 2 a verified report, 5 a confirmed claim;
  set by the Party-organisation staff account ``party``), a points store per street with a few
  items;
* co-building units (共建单位) and volunteer organisations (志愿服务队); the grid teams'
  volunteers (``vol-…``) and some of their Party members (``pm-…``) register as volunteers;
* a month of activities: sign-up the day before, check-in at the place and check-out through
  the phone's services, hours confirmed by the organiser the next day (which earns the hours'
  points);
* items on the communities' three lists and claims on them by members and units reported in
  (双报到), co-building units and volunteer organisations, their service recorded and confirmed
  (a member's confirmed claim earns points);
* redemptions at the street stores by those whose points suffice, and the verified reports'
  points (volunteers.report_points) at the end of the month.

Every step runs with core.clock frozen at its own moment, in time order (a heap, like the
simulator), so every service sees the world as it was then. Deterministic for a seed and a
database. A piece whose step is refused (a rule of the service) is counted, not fatal.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.translation import gettext

from onegrid.core import clock
from onegrid.core.errors import DomainError
from onegrid.org.models import Role, RoleAssignment, User
from onegrid.party.models import Member, Organisation, ReportIn
from onegrid.territory.models import AdminUnit, Grid
from onegrid.volunteers import activities, lists, partners, points, report_points, volunteering
from onegrid.volunteers.models import (
    Activity,
    Claim,
    CoBuildingUnit,
    ListItem,
    Redemption,
    SignUp,
    StoreItem,
    Volunteer,
    VolunteerOrganisation,
)

from .party import STAFF_USERNAME
from .people import DEMO_PASSWORD, _district, _name, _phone, street_serial

VOLUNTEERING_SEED = 1209
# Points per hour, per verified report, per confirmed claim (volunteers.points rules).
RULES = {"hours": 1, "report": 2, "claim": 5}
ACTIVITY_SHARE = 0.4  # communities holding an activity in the month
# Shares of the grid teams' volunteers and Party members who register as volunteers (every
# resident account of the demo does).
TEAM_VOLUNTEERS = 0.4
PARTY_VOLUNTEERS = 0.3
ITEMS_PER_COMMUNITY = (1, 2, 2, 3)
REDEEMERS = 0.35  # share of those with enough points who redeem something
STORE_ITEMS = (
    ("环保购物袋", 3, 200),
    ("洗衣液", 8, 120),
    ("大米 5 kg", 15, 80),
    ("电影票", 25, 40),
)
ACTIVITIES = (
    ("小区环境清扫", "楼道和绿地的垃圾清理"),
    ("关爱独居老人上门探访", "陪伴聊天、检查水电燃气"),
    ("文明交通劝导", "路口劝导行人和电动车守法通行"),
    ("反诈宣传进社区", "讲解常见电信诈骗手法"),
    ("垃圾分类指导", "在投放点指导居民分类投放"),
    ("义诊和健康咨询", "测血压、讲解慢病用药"),
)
ITEMS = {
    "need": ("老旧小区楼道照明维修", "独居老人助餐", "学龄儿童课后托管", "小区停车秩序劝导"),
    "resource": ("法律咨询志愿服务", "党员活动室开放共享", "企业捐赠防汛物资", "健康讲座"),
    "project": ("口袋公园改造", "社区微更新", "邻里互助食堂", "文明楼院创建"),
}
PARTNER_NAMES = ("物业服务有限公司", "超市", "社会工作服务中心", "律师事务所", "银行支行")
PARTNER_KINDS = ("property", "enterprise", "social_org", "other", "enterprise")


@dataclass
class VolunteeringSummary:
    organisers: int = 0
    partners: int = 0
    volunteer_organisations: int = 0
    volunteers: int = 0
    activities: int = 0
    sign_ups: int = 0
    confirmed_hours: Decimal = Decimal(0)
    items: int = 0
    claims: dict[str, int] = field(default_factory=dict)
    store_items: int = 0
    redemptions: int = 0
    report_points: int = 0
    refused: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    made_now: bool = False

    def lines(self) -> list[str]:
        states = dict(Claim.State.choices)
        claims = ", ".join(f"{states.get(k, k)} {v}" for k, v in sorted(self.claims.items()))
        line = gettext(
            "Volunteering: %(organisers)d organisers, %(partners)d co-building units, "
            "%(teams)d volunteer organisations, %(volunteers)d volunteers, %(activities)d "
            "activities, %(sign_ups)d sign-ups, %(hours)s hours confirmed, %(items)d list items, "
            "claims: %(claims)s, %(store)d store items, %(redemptions)d redemptions"
        ) % {
            "organisers": self.organisers,
            "partners": self.partners,
            "teams": self.volunteer_organisations,
            "volunteers": self.volunteers,
            "activities": self.activities,
            "sign_ups": self.sign_ups,
            "hours": self.confirmed_hours,
            "items": self.items,
            "claims": claims or "0",
            "store": self.store_items,
            "redemptions": self.redemptions,
        }
        if not self.made_now:
            return [line + " " + gettext("(already there)")]
        out = [
            line
            + gettext(", %(n)d points for verified reports") % {"n": self.report_points}
            + " "
            + gettext("(%(s).1f s)") % {"s": self.seconds}
        ]
        if self.refused:
            out.append(
                "  "
                + gettext("refused by the services: %(what)s")
                % {"what": ", ".join(f"{k} {v}" for k, v in sorted(self.refused.items()))}
            )
        return out


def summary() -> VolunteeringSummary:
    claims = Counter(Claim.objects.values_list("state", flat=True))
    hours = sum(
        (h for h in SignUp.objects.values_list("confirmed_hours", flat=True) if h is not None),
        Decimal(0),
    )
    return VolunteeringSummary(
        organisers=RoleAssignment.objects.filter(role=Role.ORGANISER).count(),
        partners=CoBuildingUnit.objects.count(),
        volunteer_organisations=VolunteerOrganisation.objects.count(),
        volunteers=Volunteer.objects.count(),
        activities=Activity.objects.count(),
        sign_ups=SignUp.objects.count(),
        confirmed_hours=hours,
        items=ListItem.objects.count(),
        claims=dict(claims),
        store_items=StoreItem.objects.count(),
        redemptions=Redemption.objects.count(),
    )


ORGANISER_EXAMPLE = "org-001"  # 果园新村街道's, for the login table


def organiser_username(street: AdminUnit) -> str:
    return f"org-{street_serial(street)}"


def _organisers(streets: list[AdminUnit]) -> dict[int, User]:
    """The street organisers' accounts, made if missing (one password hash for all)."""
    names = {organiser_username(s): s for s in streets}
    existing = {u.username: u for u in User.objects.filter(username__in=names)}
    hashed = None
    for username, street in names.items():
        if username in existing:
            continue
        hashed = hashed or make_password(DEMO_PASSWORD)
        user = User.objects.create(
            username=username, display_name=f"{street.name}志愿服务组织员", password=hashed
        )
        RoleAssignment.objects.create(user=user, role=Role.ORGANISER, unit=street)
        existing[username] = user
    return {names[u].pk: existing[u] for u in names}


class _Steps:
    """Timed steps run in time order, each with the clock frozen at its moment."""

    def __init__(self, refused: Counter) -> None:
        self.heap: list[tuple[dt.datetime, int, str, Callable[[], None]]] = []
        self.serial = itertools.count()
        self.refused = refused  # what a service refused, by step and message

    def at(self, when: dt.datetime, what: str, step: Callable[[], None]) -> None:
        heapq.heappush(self.heap, (when, next(self.serial), what, step))

    def run(self) -> None:
        while self.heap:
            when, _n, what, step = heapq.heappop(self.heap)
            with clock.frozen_at(when):
                try:
                    with transaction.atomic():
                        step()
                except DomainError as error:
                    self.refused[f"{what}: {error.message}"] += 1


def seed_volunteering(
    *,
    start: dt.datetime,
    end: dt.datetime,
    seed: int = VOLUNTEERING_SEED,
    rules: dict[str, int] | None = None,
) -> VolunteeringSummary:
    """The volunteers, partners, activities, lists, claims, points and store of the module
    docstring over [start, end), unless some activity exists already. Needs demo.party's tree
    (its staff account sets the rules; its report-ins let members and units claim)."""
    if Activity.objects.exists():
        return summary()
    began = time.perf_counter()
    rng = random.Random(seed)
    district = _district()
    staff = User.objects.get(username=STAFF_USERNAME)
    streets = list(AdminUnit.objects.filter(parent=district, level="street").order_by("code"))
    communities = list(
        AdminUnit.objects.filter(parent__in=streets, level="community").order_by("code")
    )
    result = VolunteeringSummary()
    days = max(2, (end - start).days)
    eve = start - dt.timedelta(hours=12)
    with transaction.atomic(), clock.frozen_at(eve):
        organisers = _organisers(streets)
        for kind, value in (rules or RULES).items():
            points.set_rule(actor=staff, kind=kind, points=value)
        stores = _stores(streets, organisers)
        teams = _volunteer_organisations(rng, streets, communities, organisers)
        partner_rows = _partners(rng, communities, organisers)
        volunteers = _volunteers(rng, teams)
        items = _items(rng, communities, organisers)
    steps = _Steps(result.refused)
    _plan_activities(rng, steps, communities, organisers, volunteers, start, days)
    _plan_claims(rng, steps, items, organisers, partner_rows, teams, start, end)
    _plan_redemptions(rng, steps, stores, organisers, volunteers, start, days)
    with transaction.atomic():
        steps.run()
        with clock.frozen_at(end - dt.timedelta(hours=1)):
            written = report_points.award_verified_reports()
    counted = summary()
    counted.refused = result.refused
    counted.report_points = written
    counted.seconds = time.perf_counter() - began
    counted.made_now = True
    return counted


# --- at the month's eve -------------------------------------------------------------------------


def _stores(streets: list[AdminUnit], organisers: dict[int, User]) -> dict[int, list[StoreItem]]:
    return {
        street.pk: [
            points.add_item(
                actor=organisers[street.pk], unit=street, name=name, price=price, stock=stock
            )
            for name, price, stock in STORE_ITEMS
        ]
        for street in streets
    }


def _volunteer_organisations(
    rng: random.Random,
    streets: list[AdminUnit],
    communities: list[AdminUnit],
    organisers: dict[int, User],
) -> dict[int, list[VolunteerOrganisation]]:
    """A team per street and one in about half the communities, by the community's id (a
    community's own team first, then its street's)."""
    by_street = {
        s.pk: volunteering.found_organisation(
            actor=organisers[s.pk], unit_code=s.code, name=f"{s.name}志愿服务总队"
        )
        for s in streets
    }
    teams: dict[int, list[VolunteerOrganisation]] = {}
    for community in communities:
        own = []
        if rng.random() < 0.5:
            own.append(
                volunteering.found_organisation(
                    actor=organisers[community.parent_id],  # type: ignore[index]
                    unit_code=community.code,
                    name=f"{community.name}志愿服务队",
                )
            )
        teams[community.pk] = [*own, by_street[community.parent_id]]  # type: ignore[index]
    return teams


def _partners(
    rng: random.Random, communities: list[AdminUnit], organisers: dict[int, User]
) -> dict[int, list[CoBuildingUnit]]:
    rows: dict[int, list[CoBuildingUnit]] = {}
    for community in communities:
        for _n in range(rng.choice((0, 1, 1, 2))):
            i = rng.randrange(len(PARTNER_NAMES))
            rows.setdefault(community.pk, []).append(
                partners.register_partner(
                    actor=organisers[community.parent_id],  # type: ignore[index]
                    community_id=community.pk,
                    name=f"{community.name[:2]}{rng.choice('瑞丰华兴宏达永安')}{PARTNER_NAMES[i]}",
                    kind=PARTNER_KINDS[i],
                    contact_name=_name(rng),
                    contact_phone_text=_phone(rng),
                )
            )
    return rows


def _volunteers(
    rng: random.Random, teams: dict[int, list[VolunteerOrganisation]]
) -> dict[int, list[User]]:
    """Some of the grid teams' volunteers and Party members register with their grid (and a
    team of its community), and the resident accounts with a community; returns the accounts
    by community."""
    grid_of = {
        a.user_id: a.grid
        for a in RoleAssignment.objects.filter(
            role__in=(Role.VOLUNTEER, Role.PARTY_MEMBER), grid__isnull=False
        ).select_related("grid")
    }
    accounts = User.objects.filter(pk__in=grid_of).order_by("username")
    by_community: dict[int, list[User]] = {}
    for user in accounts:
        grid = grid_of[user.pk]
        if grid is None:
            continue
        share = PARTY_VOLUNTEERS if user.username.startswith("pm-") else TEAM_VOLUNTEERS
        if rng.random() >= share:
            continue
        team = rng.choice(teams[grid.community_id])
        volunteering.register(actor=user, grid_code=grid.code, organisation_id=team.pk, skills="")
        by_community.setdefault(grid.community_id, []).append(user)
    # The demo's resident accounts volunteer too, each in a community of its own choosing.
    codes = dict(AdminUnit.objects.filter(pk__in=teams).values_list("pk", "code"))
    residents = User.objects.filter(
        roles__role=Role.RESIDENT, volunteer__isnull=True, party_member__isnull=True
    ).exclude(pk__in=grid_of)
    for user in residents.distinct().order_by("username"):
        community_id = rng.choice(sorted(codes))
        volunteering.register(actor=user, community_code=codes[community_id], skills="")
        by_community.setdefault(community_id, []).append(user)
    return by_community


def _items(
    rng: random.Random, communities: list[AdminUnit], organisers: dict[int, User]
) -> list[ListItem]:
    out = []
    for community in communities:
        for _n in range(rng.choice(ITEMS_PER_COMMUNITY)):
            kind = rng.choice(tuple(ITEMS))
            out.append(
                lists.add_item(
                    actor=organisers[community.parent_id],  # type: ignore[index]
                    community_id=community.pk,
                    kind=kind,
                    title=rng.choice(ITEMS[kind]),
                    capacity=rng.choice((1, 2, 3)),
                )
            )
    return out


# --- through the month ----------------------------------------------------------------------


def _day_at(start: dt.datetime, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return (start + dt.timedelta(days=day)).replace(hour=hour, minute=minute)


def _post(box: dict, **fields) -> None:
    box["activity"] = activities.post_activity(**fields)


def _on_activity(box: dict, service: Callable[..., object], **fields) -> None:
    service(activity_id=box["activity"].pk, **fields)


def _confirm_all(box: dict, organiser: User) -> None:
    """The organiser confirms every checked-out volunteer's hours and finishes the activity."""
    activity = box["activity"]
    for row in SignUp.objects.filter(
        activity=activity, checked_out_at__isnull=False, confirmed_at__isnull=True
    ).order_by("pk"):
        activities.confirm_hours(actor=organiser, sign_up_id=row.pk)
    activities.close_activity(
        actor=organiser, activity_id=activity.pk, state=Activity.State.FINISHED
    )


def _plan_activities(
    rng: random.Random,
    steps: _Steps,
    communities: list[AdminUnit],
    organisers: dict[int, User],
    volunteers: dict[int, list[User]],
    start: dt.datetime,
    days: int,
) -> None:
    """One activity in about two in five communities that have volunteers: posted two days
    before, signed up the day before, checked in and out at the place, confirmed next day."""
    first_grid: dict[int, Grid] = {}
    for grid in Grid.objects.filter(community__in=communities).order_by("-code"):
        first_grid[grid.community_id] = grid
    for community in communities:
        people = volunteers.get(community.pk, [])
        place = first_grid.get(community.pk)
        if not people or place is None or rng.random() >= ACTIVITY_SHARE:
            continue
        organiser = organisers[community.parent_id]  # type: ignore[index]
        begins = _day_at(start, rng.randrange(2, max(3, days - 1)), rng.choice((9, 10, 14, 15)))
        ends = begins + dt.timedelta(hours=rng.choice((2, 2, 3, 4)))
        title, description = rng.choice(ACTIVITIES)
        lon, lat = place.label_lon, place.label_lat
        joining = rng.sample(people, min(len(people), rng.randint(2, 6)))
        box: dict[str, Activity] = {}
        post = partial(
            _post,
            box,
            actor=organiser,
            community_code=community.code,
            title=title,
            description=description,
            starts_at=begins,
            ends_at=ends,
            lon=lon,
            lat=lat,
            capacity=len(joining) + 2,
            place=f"{community.name}党群服务中心门前",
        )
        steps.at(begins - dt.timedelta(days=2), "post activity", post)
        for n, user in enumerate(joining):
            tag = f"{community.pk}-{user.pk}"
            steps.at(
                begins - dt.timedelta(hours=rng.randint(14, 30)),
                "sign up",
                partial(
                    _on_activity, box, activities.sign_up, actor=user, idempotency_key=f"su-{tag}"
                ),
            )
            if n > 0 and rng.random() < 0.1:
                continue  # signed up and did not come
            near = (lon + rng.uniform(-0.0004, 0.0004), lat + rng.uniform(-0.0004, 0.0004))
            steps.at(
                begins + dt.timedelta(minutes=rng.randint(-20, 15)),
                "check in",
                partial(
                    _on_activity,
                    box,
                    activities.check_in,
                    actor=user,
                    lon=near[0],
                    lat=near[1],
                    accuracy=15,
                    idempotency_key=f"ci-{tag}",
                ),
            )
            steps.at(
                ends + dt.timedelta(minutes=rng.randint(-25, 20)),
                "check out",
                partial(
                    _on_activity,
                    box,
                    activities.check_out,
                    actor=user,
                    lon=near[0],
                    lat=near[1],
                    idempotency_key=f"co-{tag}",
                ),
            )
        steps.at(_day_at(begins, 1, 10, 30), "confirm hours", partial(_confirm_all, box, organiser))


def _plan_claims(
    rng: random.Random,
    steps: _Steps,
    items: list[ListItem],
    organisers: dict[int, User],
    partner_rows: dict[int, list[CoBuildingUnit]],
    teams: dict[int, list[VolunteerOrganisation]],
    start: dt.datetime,
    end: dt.datetime,
) -> None:
    """Claims by whoever may claim there: members (their own account) and units reported in to
    the community by then, its co-building units and volunteer organisations (the organiser
    acting for them); then the service, recorded and confirmed."""
    confirmed = ReportIn.objects.filter(state=ReportIn.State.CONFIRMED)
    members: dict[int, list[tuple[dt.datetime, Member]]] = {}
    for r in confirmed.filter(member__user__isnull=False).select_related("member__user"):
        members.setdefault(r.community_id, []).append((r.decided_at, r.member))  # type: ignore[arg-type]
    units: dict[int, list[tuple[dt.datetime, Organisation]]] = {}
    for r in confirmed.filter(organisation__isnull=False).select_related("organisation"):
        units.setdefault(r.community_id, []).append((r.decided_at, r.organisation))  # type: ignore[arg-type]
    for item in items:
        community = item.community
        organiser = organisers[community.parent_id]  # type: ignore[index]
        candidates: list[tuple[dt.datetime, str, object, User]] = []
        for since, member in members.get(community.pk, []):
            candidates.append((since, "member_id", member, member.user))  # type: ignore[arg-type]
        for since, org in units.get(community.pk, []):
            candidates.append((since, "organisation_id", org, organiser))
        for partner in partner_rows.get(community.pk, []):
            candidates.append((start, "partner_id", partner, organiser))
        for team in teams.get(community.pk, []):
            candidates.append((start, "volunteer_organisation_id", team, organiser))
        if not candidates or rng.random() < 0.25:
            continue
        for since, field_name, claimant, actor in rng.sample(
            candidates, min(len(candidates), item.capacity)
        ):
            first = max(since, start) + dt.timedelta(hours=rng.randint(2, 24 * 10))
            claimed_at = first.replace(hour=rng.randint(9, 17))
            if claimed_at <= max(since, start) or claimed_at >= end:
                continue
            box: dict[str, Claim] = {}
            key = f"demo-claim-{item.pk}-{field_name}-{claimant.pk}"  # type: ignore[attr-defined]
            steps.at(
                claimed_at,
                "claim",
                partial(
                    _claim,
                    box,
                    actor=actor,
                    item_id=item.pk,
                    idempotency_key=key,
                    **{field_name: claimant.pk},  # type: ignore[attr-defined]
                ),
            )
            roll = rng.random()
            if roll < 0.1:
                steps.at(
                    claimed_at + dt.timedelta(days=1),
                    "withdraw claim",
                    partial(_on_claim, box, lists.withdraw_claim, actor=actor),
                )
                continue
            done = claimed_at + dt.timedelta(days=rng.randint(2, 6))
            if done >= end or roll < 0.25:
                continue  # still to be served
            steps.at(
                done,
                "record service",
                partial(
                    _on_claim,
                    box,
                    lists.record_service,
                    actor=actor,
                    note=f"{item.title}：已按计划完成",
                    hours=Decimal(rng.choice((2, 3, 4, 6, 8, 12))),
                ),
            )
            check = done + dt.timedelta(days=1)
            if check < end:
                steps.at(
                    check,
                    "confirm service",
                    partial(_on_claim, box, lists.confirm_service, actor=organiser),
                )


def _claim(box: dict, **fields) -> None:
    box["claim"] = lists.claim_item(**fields).claim


def _on_claim(box: dict, service: Callable[..., object], **fields) -> None:
    service(claim_id=box["claim"].pk, **fields)


def _plan_redemptions(
    rng: random.Random,
    steps: _Steps,
    stores: dict[int, list[StoreItem]],
    organisers: dict[int, User],
    volunteers: dict[int, list[User]],
    start: dt.datetime,
    days: int,
) -> None:
    """Once a week at each street's counter, some of the street's volunteers who hold enough
    points by then redeem the dearest item they can afford."""
    street_of = dict(AdminUnit.objects.filter(level="community").values_list("pk", "parent_id"))
    by_street: dict[int, list[User]] = {}
    for community_id, users in volunteers.items():
        by_street.setdefault(street_of[community_id], []).extend(users)
    for street_id, users in by_street.items():
        clerk = organisers[street_id]
        for day in range(7, days, 7):
            steps.at(
                _day_at(start, day, 16),
                "redeem",
                partial(_counter, rng, steps.refused, users, clerk, stores[street_id], day),
            )


def _counter(
    rng: random.Random,
    refused: Counter,
    users: list[User],
    clerk: User,
    items: list[StoreItem],
    day: int,
) -> None:
    """Some of those holding enough points redeem the dearest item in stock they can afford."""
    for user in users:
        if rng.random() >= REDEEMERS:
            continue
        balance = points.balance(user)
        affordable = [i for i in items if i.price <= balance]
        if not affordable:
            continue
        item = max(affordable, key=lambda i: i.price)
        item.refresh_from_db(fields=["stock"])
        if item.stock < 1:
            continue
        try:
            with transaction.atomic():
                points.redeem(clerk=clerk, user=user, item=item, key=f"demo-redeem-{user.pk}-{day}")
        except DomainError as error:
            refused[f"redeem: {error.message}"] += 1
