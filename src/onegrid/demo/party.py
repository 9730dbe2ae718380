"""The demo's Party organisation tree (一核引领), made through party.services like real use.

`seed_party` builds, once, at the start of the simulated month (core.clock frozen there):

* the district committee, a Party working committee per street, a committee per community and
  a Party group per grid, its grid head (``gh-<grid code>``) as secretary where the grid has
  one; a few units' Party organisations (机关, 企事业单位, 两新组织) per community;
* members: one or two per grid group (the grid team's Party members, ``pm-<grid code>-<n>``,
  are linked to their accounts), two per unit's organisation, employed members living
  in a community of the unit's street; names from the demo's name generator, phones made up
  like the demo's other people;
* through the month: a few transfers (组织关系转接) between grid groups of a community, and
  双报到 — most units and about half the employed members report in to their community,
  which confirms most of them a day or three later, declines a few and leaves a few pending.

The writes are made by the district's Party-organisation staff account ``party`` (password the
demo's), which this module creates if missing. Deterministic for a seed and a territory.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.translation import gettext

from onegrid.core import clock
from onegrid.org.models import Role, RoleAssignment, User
from onegrid.party import report_ins, services
from onegrid.party.models import Member, Membership, Organisation, ReportIn
from onegrid.territory.models import AdminUnit, Grid

from .people import DEMO_PASSWORD, _district, _name, _phone

PARTY_SEED = 1207
STAFF_USERNAME = "party"
# Share of employed members, and of units, that report in during the month.
MEMBER_REPORT_IN = 0.5
UNIT_REPORT_IN = 0.8
# Of those, the community confirms most, declines a few, leaves the rest pending.
CONFIRMED = 0.85
DECLINED = 0.05
TRANSFERS = 0.01  # share of grid members transferred to another grid group of the community
CATEGORIES = (
    (Member.Category.IN_SERVICE, 50),
    (Member.Category.RETIRED, 35),
    (Member.Category.STUDENT, 4),
    (Member.Category.MOBILE, 6),
    (Member.Category.OTHER, 5),
)
UNIT_KINDS = (
    (Organisation.UnitKind.ENTERPRISE, 40),
    (Organisation.UnitKind.NEW_ECONOMIC, 25),
    (Organisation.UnitKind.INSTITUTION, 15),
    (Organisation.UnitKind.ORGAN, 10),
    (Organisation.UnitKind.NEW_SOCIAL, 10),
)
_UNIT_NAMES = {
    Organisation.UnitKind.ENTERPRISE: (
        "机械制造有限公司",
        "物流有限公司",
        "建材有限公司",
        "食品有限公司",
    ),
    Organisation.UnitKind.NEW_ECONOMIC: ("科技有限公司", "商贸有限公司", "电子商务有限公司"),
    Organisation.UnitKind.INSTITUTION: ("小学", "社区卫生服务中心", "中学", "幼儿园"),
    Organisation.UnitKind.ORGAN: ("市场监管所", "税务所", "司法所"),
    Organisation.UnitKind.NEW_SOCIAL: ("社会工作服务中心", "养老服务协会", "志愿者协会"),
}
_UNIT_WORDS = "瑞丰华兴宏达永安鑫源盛世金辰新城泰和恒通"


@dataclass
class PartySummary:
    organisations: int = 0
    members: int = 0
    transfers: int = 0
    report_ins: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    made_now: bool = False

    def lines(self) -> list[str]:
        states = dict(ReportIn.State.choices)
        ri = ", ".join(f"{states.get(k, k)} {v}" for k, v in sorted(self.report_ins.items()))
        line = gettext(
            "Party: %(orgs)d organisations, %(members)d members, %(transfers)d transfers; "
            "双报到: %(report_ins)s"
        ) % {
            "orgs": self.organisations,
            "members": self.members,
            "transfers": self.transfers,
            "report_ins": ri or "0",
        }
        if self.made_now:
            return [line + " " + gettext("(%(s).1f s)") % {"s": self.seconds}]
        return [line + " " + gettext("(already there)")]


def _weighted(rng: random.Random, pairs) -> str:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


def staff_account(district: AdminUnit) -> User:
    """The district's Party-organisation staff account of the demo (``party``)."""
    user = User.objects.filter(username=STAFF_USERNAME).first()
    if user is None:
        user = User.objects.create(
            username=STAFF_USERNAME,
            display_name="区委组织部党务工作者",
            password=make_password(DEMO_PASSWORD),
        )
    if not RoleAssignment.objects.filter(user=user, role=Role.PARTY_STAFF).exists():
        RoleAssignment.objects.create(user=user, role=Role.PARTY_STAFF, unit=district)
    return user


def member_login() -> str | None:
    """The one Party member of the demo who signs in (the grid teams' ``pm-`` people cannot):
    an in-service member with an account, one with a confirmed 双报到 if there is one, given
    the demo password so a new user can try the member's side (the resident portal's report-in
    page, claiming on the community page, my points). Its username, or None before the Party
    demo is seeded."""
    linked = Member.objects.filter(
        user__username__startswith="pm-", category=Member.Category.IN_SERVICE
    ).select_related("user")
    confirmed = linked.filter(report_ins__state=ReportIn.State.CONFIRMED)
    member = (
        confirmed.order_by("user__username").first() or linked.order_by("user__username").first()
    )
    if member is None or member.user is None:
        return None
    user = member.user
    if not user.check_password(DEMO_PASSWORD):
        user.password = make_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user.username


def summary() -> PartySummary:
    counts: dict[str, int] = {}
    for state in ReportIn.objects.values_list("state", flat=True):
        counts[state] = counts.get(state, 0) + 1
    return PartySummary(
        organisations=Organisation.objects.count(),
        members=Member.objects.count(),
        transfers=Membership.objects.filter(start=Membership.Start.TRANSFERRED_IN).count(),
        report_ins=counts,
    )


def made() -> bool:
    """Whether the demo's Party tree is there."""
    return Organisation.objects.filter(kind=Organisation.Kind.DISTRICT_COMMITTEE).exists()


def seed_party(*, start: dt.datetime, end: dt.datetime, seed: int = PARTY_SEED) -> PartySummary:
    """The tree, members, transfers and report-ins of the module docstring, unless the
    district has its committee already. `start`/`end`: the simulated month."""
    district = _district()
    if made():
        return summary()
    began = time.perf_counter()
    rng = random.Random(seed)
    staff = staff_account(district)
    with transaction.atomic(), clock.frozen_at(start - dt.timedelta(days=1)):
        grid_groups, units, employed = _tree_and_members(rng, staff, district)
    days = max(1, (end - start).days)
    transfers = _transfers(rng, staff, grid_groups, start, days)
    _report_ins(rng, staff, units, employed, start, end, days)
    result = summary()
    result.transfers = transfers
    result.seconds = time.perf_counter() - began
    result.made_now = True
    return result


def _tree_and_members(
    rng: random.Random, staff: User, district: AdminUnit
) -> tuple[dict[int, list[Organisation]], list[Organisation], list[Member]]:
    """Build the tree and its members at the clock's moment. Returns the grid groups by
    community, the units' organisations and the employed members (who may report in)."""
    founded = dt.date(2010, 7, 1)
    top = services.create_organisation(
        actor=staff,
        code=f"P{district.code}",
        name=f"中共{district.name}委员会",
        kind=Organisation.Kind.DISTRICT_COMMITTEE,
        unit=district,
        founded_on=founded,
    )
    streets = list(AdminUnit.objects.filter(parent=district, level="street").order_by("code"))
    communities = list(
        AdminUnit.objects.filter(parent__in=streets, level="community").order_by("code")
    )
    by_street: dict[int, list[AdminUnit]] = {}
    for c in communities:
        by_street.setdefault(c.parent_id, []).append(c)  # type: ignore[arg-type]
    grids = list(
        Grid.objects.filter(community__in=communities).order_by("code").select_related("community")
    )
    heads = dict(User.objects.filter(username__startswith="gh-").values_list("username", "id"))
    head_users = {u.pk: u for u in User.objects.filter(pk__in=heads.values())}
    party_accounts: dict[str, list[User]] = {}
    for user in User.objects.filter(username__startswith="pm-").order_by("username"):
        grid_code = user.username[3:].rsplit("-", 1)[0]
        party_accounts.setdefault(grid_code, []).append(user)
    committees: dict[int, Organisation] = {}
    street_orgs: dict[int, Organisation] = {}
    for street in streets:
        street_orgs[street.pk] = services.create_organisation(
            actor=staff,
            code=f"P{street.code}",
            name=f"中共{district.name}{street.name}工作委员会",
            kind=Organisation.Kind.STREET_COMMITTEE,
            unit=street,
            parent=top,
            founded_on=founded,
        )
    for community in communities:
        committees[community.pk] = services.create_organisation(
            actor=staff,
            code=f"P{community.code}",
            name=f"中共{community.name}委员会",
            kind=Organisation.Kind.COMMUNITY_COMMITTEE,
            unit=community,
            parent=street_orgs[community.parent_id],  # type: ignore[index]
            founded_on=founded,
        )
    grid_groups: dict[int, list[Organisation]] = {}
    employed: list[Member] = []
    for grid in grids:
        group = services.create_organisation(
            actor=staff,
            code=f"P{grid.code}",
            name=f"{grid.community.name}{grid.name}党小组",
            kind=Organisation.Kind.GRID_GROUP,
            grid=grid,
            parent=committees[grid.community_id],
            founded_on=founded,
        )
        head_id = heads.get(f"gh-{grid.code}")
        if head_id is not None:
            services.set_secretary(actor=staff, organisation=group, secretary=head_users[head_id])
        grid_groups.setdefault(grid.community_id, []).append(group)
        accounts = party_accounts.get(grid.code, [])
        for n in range(max(len(accounts), rng.choice((1, 1, 2)))):
            account = accounts[n] if n < len(accounts) else None
            category = _weighted(rng, CATEGORIES)
            name = account.display_name if account else _name(rng)
            membership = services.join(
                actor=staff,
                organisation=group,
                name=name,
                category=category,
                phone=account.phone if account and account.phone else _phone(rng),
                start=Membership.Start.REGISTERED,
                started_on=founded + dt.timedelta(days=rng.randrange(0, 5000)),
                joined_party_on=dt.date(rng.randrange(1965, 2020), rng.randrange(1, 13), 1),
                employer="",
                home_grid=grid,
                user=account,
            )
            if category == Member.Category.IN_SERVICE:
                employed.append(membership.member)
    units: list[Organisation] = []
    serial = 0
    for community in communities:
        for _n in range(rng.choice((0, 1, 1, 2, 3))):
            serial += 1
            kind = Organisation.UnitKind(_weighted(rng, UNIT_KINDS))
            name = rng.choice(_UNIT_WORDS) + rng.choice(_UNIT_WORDS) + rng.choice(_UNIT_NAMES[kind])
            unit = services.create_organisation(
                actor=staff,
                code=f"U{community.code}{serial:04d}",
                name=f"{name}党支部",
                kind=Organisation.Kind.UNIT,
                unit=community,
                unit_kind=kind,
                parent=committees[community.pk],
                founded_on=founded,
            )
            units.append(unit)
            neighbours = by_street[community.parent_id]  # type: ignore[index]
            for _m in range(2):
                membership = services.join(
                    actor=staff,
                    organisation=unit,
                    name=_name(rng),
                    category=Member.Category.IN_SERVICE,
                    phone=_phone(rng),
                    start=Membership.Start.REGISTERED,
                    started_on=founded + dt.timedelta(days=rng.randrange(0, 5000)),
                    employer=name,
                    home_community=rng.choice(neighbours),
                )
                employed.append(membership.member)
    return grid_groups, units, employed


def _moment(rng: random.Random, start: dt.datetime, days: int) -> dt.datetime:
    """A working-hours moment on a random day of the month."""
    day = start + dt.timedelta(days=rng.randrange(0, days))
    return day.replace(hour=rng.randint(9, 16), minute=rng.randrange(0, 60))


def _transfers(
    rng: random.Random,
    staff: User,
    grid_groups: dict[int, list[Organisation]],
    start: dt.datetime,
    days: int,
) -> int:
    done = 0
    for groups in grid_groups.values():
        if len(groups) < 2:
            continue
        for group in groups:
            for member in Member.objects.filter(organisation=group).order_by("pk"):
                if rng.random() >= TRANSFERS:
                    continue
                to = rng.choice([g for g in groups if g.pk != group.pk])
                when = _moment(rng, start, days)
                with clock.frozen_at(when):
                    services.transfer(
                        actor=staff,
                        member=member,
                        to=to,
                        reason="居住地变更，转入所在网格党小组",
                        on=when.date(),
                        client_key=f"demo-transfer-{member.pk}",
                    )
                done += 1
    return done


def _report_ins(
    rng: random.Random,
    staff: User,
    units: list[Organisation],
    employed: list[Member],
    start: dt.datetime,
    end: dt.datetime,
    days: int,
) -> None:
    """双报到 through the month, then the community's decision a few days later (if that is
    still within the month; later ones stay pending)."""
    planned: list[tuple[dt.datetime, str, Organisation | Member]] = []
    for unit in units:
        if rng.random() < UNIT_REPORT_IN:
            planned.append((_moment(rng, start, days), "unit", unit))
    for member in employed:
        if rng.random() < MEMBER_REPORT_IN:
            planned.append((_moment(rng, start, days), "member", member))
    planned.sort(key=lambda p: (p[0], p[1], p[2].pk))
    decisions: list[tuple[dt.datetime, ReportIn, str]] = []
    with transaction.atomic():
        for when, kind, subject in planned:
            with clock.frozen_at(when):
                key = f"demo-report-in-{kind}-{subject.pk}"
                if isinstance(subject, Organisation):
                    outcome = report_ins.report_in_unit(
                        actor=staff, organisation=subject, idempotency_key=key
                    )
                else:
                    outcome = report_ins.report_in_member(
                        actor=staff, member=subject, idempotency_key=key
                    )
            roll = rng.random()
            decided = when + dt.timedelta(days=rng.randint(1, 3), hours=rng.randint(0, 3))
            if decided >= end:
                continue
            if roll < CONFIRMED:
                decisions.append((decided, outcome.report_in, "confirm"))
            elif roll < CONFIRMED + DECLINED:
                decisions.append((decided, outcome.report_in, "decline"))
        decisions.sort(key=lambda d: (d[0], d[1].pk))
        for when, row, what in decisions:
            with clock.frozen_at(when):
                if what == "confirm":
                    report_ins.confirm(actor=staff, report_in=row)
                else:
                    report_ins.decline(
                        actor=staff, report_in=row, reason="报到社区与居住地不符，请核实后重新报到"
                    )
