"""The demo's resident deliberation (议事协商), a month of it through the deliberation services.

`seed_deliberation` adds, once, over the simulated month [start, end):

* the community committee member of every community (``cc-<community code>``, demo.governance_
  people), who keeps its roll and its topics;
* in DELIBERATING communities (the first community of every other street, 果园新村街道's
  always), residents (``rv-<community code>-<n>``, password the demo's) apply to the voter roll
  with a household (a standard address of the community, a few households with two voters) in
  the month's first days; the committee checks their identity a day later, refuses one now and
  then and leaves one or two pending. The demo's resident1 and resident2 stand on the roll of
  the first such community, so the resident login can co-sign and vote;
* in each, topics: one raised by the committee for the whole community, taken to a meeting
  (minutes, participants), a proposal or two, a meeting ballot with its tally, the decision
  published, practical projects (为民办实事) with milestones, some done and some projects
  completed, and now and then a case in the one loop to carry it out; one raised by a resident
  for their grid, co-signed to the threshold, accepted, a meeting and an online ballot (in the
  first ONLINE communities: each voter votes on their phone, password re-entered, so it costs
  one password check a vote) or a meeting ballot, then its decision if it passed; and a third
  that is left in the middle: collecting co-signatures, declined, or (in the first community)
  an online ballot still open after the month, for the resident login to vote on.

Deterministic for a seed and a database; a step a service refuses is counted, and the rest of
its story dropped (demo.steps).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from onegrid.cases.models import CaseClass
from onegrid.core import clock
from onegrid.deliberation import ballots, decisions, meetings, proposals, roll, topics
from onegrid.deliberation.models import Ballot, Decision, Project, Topic, Vote, Voter
from onegrid.org.models import Role, User
from onegrid.territory.models import Address, AdminUnit, Grid

from .governance_people import Account, committee_username, ensure_accounts, governance_accounts
from .people import DEMO_PASSWORD, _district, _name, _phone
from .steps import Chain, Runner, refused_line

DELIBERATION_SEED = 1301
STREET_STEP = 2  # the first community of every STREET_STEP-th street deliberates
VOTERS = (14, 20)  # residents on a deliberating community's roll (before refusals)
ONLINE = 2  # the first ONLINE deliberating communities vote online on the resident's topic
LOGIN_RESIDENTS = ("resident1", "resident2")

# (title, body, proposal, proposal body, cost, project, undertaker, milestones, case class,
# what the case is to do)
TOPICS = (
    (
        "小区停车位重新规划",
        "小区内车辆乱停，消防通道经常被占用，建议重新划设停车位并规范管理。",
        "重新施划车位并设消防通道标识",
        "在小区主路两侧和空地施划车位 60 个，消防通道全程施划黄线并设标识，由物业负责日常巡查。",
        "38000",
        "停车位施划和消防通道标识",
        "小区物业服务中心",
        ("方案公示", "施工划线", "验收"),
        "AC0201",
        "小区主路坑槽影响车位施划，请修补路面",
    ),
    (
        "楼道照明改造",
        "多个楼门的楼道灯损坏，老人夜间上下楼不便，建议统一更换声控节能灯。",
        "更换声控 LED 楼道灯",
        "全部楼门楼道灯更换为声控 LED 灯，费用由公共收益列支，物业负责维护。",
        "12600",
        "楼道声控灯更换",
        "社区居委会",
        ("采购灯具", "安装调试"),
        "AC0102",
        "小区外道路路灯不亮，请维修",
    ),
    (
        "口袋公园和健身器材",
        "社区缺少老人和孩子活动的场地，建议利用闲置空地建设口袋公园并安装健身器材。",
        "闲置空地建设口袋公园",
        "清理闲置空地堆物，铺设步道，安装健身器材 8 件和座椅 6 组，由共建单位捐建一部分。",
        "86000",
        "口袋公园建设",
        "街道城建科和共建单位",
        ("清理堆物", "铺设步道", "安装器材", "验收开放"),
        "A0105",
        "闲置空地堆放杂物，请清理以便建设口袋公园",
    ),
    (
        "垃圾分类投放点改造",
        "现有垃圾桶站位置靠近住户窗口，夏天异味大，建议迁移并改造为定时定点投放点。",
        "迁移并改造垃圾分类投放点",
        "将桶站迁至小区东侧空地，建设带洗手池的分类投放亭，早晚定时投放并安排志愿者值守。",
        "24000",
        "分类投放亭建设",
        "小区物业服务中心",
        ("选址公示", "投放亭建设", "启用"),
        "A0102",
        "原桶站周边暴露垃圾，请清运",
    ),
    (
        "加装电梯意见征集",
        "楼内老人多，上下楼困难，建议加装电梯，费用按楼层分摊。",
        "单元加装电梯及费用分摊方案",
        "申请政府补贴后，余下费用按楼层系数分摊，一层住户不分摊并给予适当补偿。",
        "520000",
        "加装电梯前期手续",
        "加装电梯业主代表小组",
        ("业主签字确认", "设计和审批"),
        "",
        "",
    ),
)
MEETING_PLACES = ("社区党群服务中心议事厅", "小区物业会议室", "社区居委会会议室")


@dataclass
class DeliberationSummary:
    committee_members: int = 0
    voters: dict[str, int] = field(default_factory=dict)
    topics: dict[str, int] = field(default_factory=dict)
    ballots: int = 0
    votes: int = 0
    decisions: int = 0
    projects: dict[str, int] = field(default_factory=dict)
    refused: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    made_now: bool = False

    def lines(self) -> list[str]:
        def show(counts: dict[str, int], choices) -> str:
            names = dict(choices)
            return ", ".join(f"{names.get(k, k)} {v}" for k, v in sorted(counts.items())) or "0"

        line = gettext(
            "议事协商: %(members)d committee members; voter roll: %(voters)s; topics: "
            "%(topics)s; %(ballots)d ballots, %(votes)d online votes, %(decisions)d decisions; "
            "projects: %(projects)s"
        ) % {
            "members": self.committee_members,
            "voters": show(self.voters, Voter.State.choices),
            "topics": show(self.topics, Topic.State.choices),
            "ballots": self.ballots,
            "votes": self.votes,
            "decisions": self.decisions,
            "projects": show(self.projects, Project.State.choices),
        }
        if not self.made_now:
            return [line + " " + gettext("(already there)")]
        out = [line + " " + gettext("(%(s).1f s)") % {"s": self.seconds}]
        return out + refused_line(self.refused, gettext)


def summary() -> DeliberationSummary:
    return DeliberationSummary(
        committee_members=User.objects.filter(roles__role=Role.COMMUNITY_COMMITTEE)
        .distinct()
        .count(),
        voters=dict(Counter(Voter.objects.values_list("state", flat=True))),
        topics=dict(Counter(Topic.objects.values_list("state", flat=True))),
        ballots=Ballot.objects.count(),
        votes=Vote.objects.count(),
        decisions=Decision.objects.count(),
        projects=dict(Counter(Project.objects.values_list("state", flat=True))),
    )


def deliberating_communities(streets: list[AdminUnit]) -> list[AdminUnit]:
    chosen = []
    for i, street in enumerate(streets):
        if i % STREET_STEP:
            continue
        first = AdminUnit.objects.filter(parent=street, level="community").order_by("code").first()
        if first is not None and Grid.objects.filter(community=first).exists():
            chosen.append(first)
    return chosen


def committee_login() -> str | None:
    """The committee member of the first deliberating community (for the login table)."""
    topic = Topic.objects.order_by("community__code").select_related("community").first()
    if topic is None:
        return None
    name = committee_username(topic.community)
    return name if User.objects.filter(username=name).exists() else None


def seed_deliberation(
    *, start: dt.datetime, end: dt.datetime, seed: int = DELIBERATION_SEED
) -> DeliberationSummary:
    """The committee members, voter roll, topics, meetings, ballots, decisions and projects of
    the module docstring over [start, end), unless some topic exists already."""
    if Topic.objects.exists():
        return summary()
    began = time.perf_counter()
    district = _district()
    streets = list(AdminUnit.objects.filter(parent=district, level="street").order_by("code"))
    communities = list(
        AdminUnit.objects.filter(parent__in=streets, level="community").order_by("code")
    )
    runner = Runner(end)
    span = end - start
    with transaction.atomic(), clock.frozen_at(start - dt.timedelta(hours=12)):
        accounts = governance_accounts(district, streets, communities)
        places = deliberating_communities(streets)
        residents = _residents(places)
    for n, community in enumerate(places):
        rng = random.Random(f"{seed}-{community.code}")
        committee = accounts[committee_username(community)]
        people = residents[community.pk]
        if n == 0:
            people = [
                *User.objects.filter(username__in=LOGIN_RESIDENTS).order_by("username"),
                *people,
            ]
        households = _households(rng, community, len(people))
        if not households:
            continue
        on_roll = _plan_roll(rng, runner, start, committee, people, households)
        _plan_topics(
            rng, runner, start, span, end, n, community, committee, on_roll, households, people
        )
    with transaction.atomic():
        runner.run()
    counted = summary()
    counted.refused = runner.refused
    counted.seconds = time.perf_counter() - began
    counted.made_now = True
    return counted


# --- the roll ---------------------------------------------------------------------------------


def _residents(places: list[AdminUnit]) -> dict[int, list[User]]:
    """Residents of each deliberating community (``rv-<community code>-<n>``)."""
    district = _district()
    rows: list[Account] = []
    by_place: dict[int, list[str]] = {}
    for community in places:
        rng = random.Random(f"{DELIBERATION_SEED}-people-{community.code}")
        for i in range(rng.randint(*VOTERS)):
            username = f"rv-{community.code}-{i + 1}"
            rows.append(Account(username, _name(rng), ((Role.RESIDENT, district.pk),), _phone(rng)))
            by_place.setdefault(community.pk, []).append(username)
    users = ensure_accounts(rows, DEMO_PASSWORD)
    return {pk: [users[u] for u in names] for pk, names in by_place.items()}


def _households(rng: random.Random, community: AdminUnit, people: int) -> list[Address]:
    """One household each, in the community's two grids with most addresses (so a grid topic
    has a roll worth the name); every sixth person shares the household before them."""
    grids = (
        Address.objects.filter(grid__community=community, active=True)
        .values_list("grid_id", flat=True)
        .order_by("grid_id")
    )
    counts = Counter(grids)
    best = [g for g, _n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:2]]
    pool = list(Address.objects.filter(grid_id__in=best, active=True).order_by("code"))
    if not pool:
        return []
    chosen = rng.sample(pool, min(len(pool), people))
    out: list[Address] = []
    for i in range(people):
        if i % 6 == 5 and out:
            out.append(out[-1])
        else:
            out.append(chosen[i % len(chosen)])
    return out


def _apply(user: User, household: Address, key: str, box: dict[str, Any]) -> None:
    box["voter"] = roll.apply_to_roll(actor=user, household=household.code, key=key)


def _check(committee: User, method: str, box: dict[str, Any]) -> None:
    roll.check_identity(actor=committee, voter_id=box["voter"].pk, method=method)


def _refuse(committee: User, box: dict[str, Any]) -> None:
    roll.refuse(actor=committee, voter_id=box["voter"].pk, reason="未能提供本户居住证明")


def _plan_roll(
    rng: random.Random,
    runner: Runner,
    start: dt.datetime,
    committee: User,
    people: list[User],
    households: list[Address],
) -> list[tuple[User, Address]]:
    """Applications in the month's first two days, checked the next working morning; returns
    those who will be on the roll."""
    on_roll = []
    methods = [m for m, _label in Voter.Method.choices]
    for i, (user, household) in enumerate(zip(people, households, strict=False)):
        chain = runner.chain()
        applied = start + dt.timedelta(hours=rng.randint(8, 44), minutes=rng.randint(0, 59))
        chain.at(
            applied, "apply to the roll", partial(_apply, user, household, f"demo-roll-{user.pk}")
        )
        checked = (applied + dt.timedelta(days=1)).replace(hour=rng.randint(9, 11))
        roll_of = rng.random()
        if i >= 2 and roll_of < 0.06:
            chain.at(checked, "refuse", partial(_refuse, committee))
        elif i >= 2 and roll_of < 0.12:
            continue  # awaiting the check
        else:
            chain.at(checked, "identity check", partial(_check, committee, rng.choice(methods)))
            on_roll.append((user, household))
    return on_roll


# --- topics -----------------------------------------------------------------------------------


def _day(start: dt.datetime, span: dt.timedelta, share: float, hour: int) -> dt.datetime:
    return (start + span * share).replace(hour=hour, minute=0, second=0, microsecond=0)


def _raise_staff(committee: User, community: AdminUnit, topic: tuple, key: str, box) -> None:
    box["topic"] = topics.raise_topic_as_committee(
        actor=committee,
        community_id=community.pk,
        title=topic[0],
        body=topic[1],
        scope=Topic.Scope.COMMUNITY,
        key=key,
    )


def _raise_resident(user: User, topic: tuple, scope: str, key: str, box) -> None:
    box["topic"] = topics.raise_topic(
        actor=user, title=topic[0], body=topic[1], scope=scope, key=key
    )


def _cosign(user: User, box) -> None:
    box["topic"].refresh_from_db(fields=["state"])
    if box["topic"].state == Topic.State.COLLECTING:  # neighbours stop once it is submitted
        topics.cosign(actor=user, topic_id=box["topic"].pk)


def _review(committee: User, accept: bool, box) -> None:
    note = "" if accept else "该事项属于物业服务合同约定内容，建议先与物业协商解决"
    topics.review(actor=committee, topic_id=box["topic"].pk, accept=accept, note=note)


def _meeting(committee: User, held_at: dt.datetime, place: str, key: str, box) -> None:
    box["meeting"] = meetings.schedule(
        actor=committee,
        topic_id=box["topic"].pk,
        held_at=held_at,
        place=place,
        key=key,
        chaired_by=committee.display_name,
    )


def _minutes(committee: User, rng: random.Random, topic: tuple, box) -> None:
    count = rng.randint(9, 25)
    participants = "\n".join(
        f"{_name(rng)}（{role}）"
        for role in ("居民代表", "居民代表", "楼门长", "物业服务中心", "共建单位", "社区民警")
    )
    minutes = (
        f"议题：{topic[0]}。\n"
        f"一、社区居委会通报议题来由：{topic[1]}\n"
        "二、居民代表逐一发表意见，物业服务中心说明实施条件和费用测算。\n"
        f"三、形成方案：{topic[2]}，提交表决。\n"
        "四、会议记录经参会代表确认无误。"
    )
    meetings.record_minutes(
        actor=committee,
        meeting_id=box["meeting"].pk,
        minutes=minutes,
        participants=participants,
        participant_count=count,
    )


def _propose(committee: User, topic: tuple, key: str, box, second: bool = False) -> None:
    title, body, cost = topic[2], topic[3], topic[4]
    if second:
        title, body, cost = f"{title}（简化方案）", "分期实施，先做最急需的部分。", ""
    made = proposals.propose(
        actor=committee,
        topic_id=box["topic"].pk,
        title=title,
        body=body,
        key=key,
        estimated_cost=cost or None,
    )
    box.setdefault("proposals", []).append(made)


def _open(committee: User, mode: str, closes_at: dt.datetime, key: str, box) -> None:
    box["ballot"] = ballots.open_ballot(
        actor=committee,
        topic_id=box["topic"].pk,
        proposal_id=box["proposals"][0].pk,
        mode=mode,
        counting=Ballot.Counting.PERSON,
        closes_at=closes_at,
        idempotency_key_=key,
    ).ballot


def _tally(committee: User, rng: random.Random, passes: bool, box) -> None:
    ballot = box["ballot"]
    present = max(1, round(ballot.electorate * rng.uniform(0.6, 0.9)))
    share = rng.uniform(0.65, 0.9) if passes else rng.uniform(0.2, 0.45)
    votes_for = min(present, round(present * share))
    against = (present - votes_for) * 2 // 3
    ballots.enter_tally(
        actor=committee,
        ballot_id=ballot.pk,
        present=present,
        votes_for=votes_for,
        votes_against=against,
        abstentions=present - votes_for - against,
    )


def _vote(user: User, choice: str, box) -> None:
    ballots.cast_vote(
        actor=user,
        ballot_id=box["ballot"].pk,
        choice=choice,
        password=DEMO_PASSWORD,
        idempotency_key_=f"demo-vote-{box['ballot'].pk}-{user.pk}",
    )


def _close(committee: User, box) -> None:
    box["ballot"] = ballots.close_ballot(actor=committee, ballot_id=box["ballot"].pk).ballot


def _publish(committee: User, topic: tuple, box) -> None:
    ballot = box["ballot"]
    ballot.refresh_from_db()
    if ballot.result != Ballot.Result.PASSED:
        box["decision"] = None
        return
    box["decision"] = ballots.publish_decision(
        actor=committee,
        ballot_id=ballot.pk,
        text=f"经居民表决通过：{topic[2]}。{topic[3]}",
        idempotency_key_=f"demo-decision-{ballot.pk}",
    ).decision


def _project(committee: User, topic: tuple, due: list[dt.date], box) -> None:
    decision = box.get("decision")
    if decision is None:
        return
    project = decisions.add_project(
        actor=committee,
        decision=decision,
        title=topic[5],
        budget=topic[4],
        undertaker=topic[6],
        description=topic[3],
        idempotency_key=f"demo-project-{decision.pk}",
    ).project
    box["project"] = project
    box["milestones"] = [
        decisions.add_milestone(actor=committee, project=project, title=title, due_on=day)
        for title, day in zip(topic[7], due, strict=False)
    ]


def _milestone(committee: User, n: int, box) -> None:
    found = box.get("milestones") or []
    if n < len(found):
        decisions.mark_milestone_done(actor=committee, milestone=found[n], note="已按计划完成")


def _spend(committee: User, share: float, box) -> None:
    project = box.get("project")
    if project is not None:
        spent = (project.budget * Decimal(f"{share:.2f}")).quantize(Decimal("0.01"))
        decisions.record_spending(actor=committee, project=project, spent=spent)


def _complete(committee: User, box) -> None:
    project = box.get("project")
    if project is not None:
        project.refresh_from_db()
        for milestone in box.get("milestones") or []:
            milestone.refresh_from_db()
            if milestone.done_at is None:
                decisions.mark_milestone_done(actor=committee, milestone=milestone)
        decisions.complete_project(
            actor=committee, project=project, note="工程完工并经居民代表验收"
        )


def _case(committee: User, community: AdminUnit, topic: tuple, box) -> None:
    decision = box.get("decision")
    if decision is None or not topic[8] or not CaseClass.objects.filter(code=topic[8]).exists():
        return
    grid = decision.topic.grid or Grid.objects.filter(community=community).order_by("code").first()
    decisions.report_case_for_decision(
        actor=committee,
        decision=decision,
        class_code=topic[8],
        description=topic[9],
        grid_code=grid.code if grid else "",
        idempotency_key=f"demo-decision-case-{decision.pk}",
    )


def _plan_topics(
    rng: random.Random,
    runner: Runner,
    start: dt.datetime,
    span: dt.timedelta,
    end: dt.datetime,
    n: int,
    community: AdminUnit,
    committee: User,
    on_roll: list[tuple[User, Address]],
    households: list[Address],
    people: list[User],
) -> None:
    chosen = rng.sample(TOPICS, 3)
    tag = community.code
    # 1. The committee's topic for the whole community, voted on at a meeting.
    staff = chosen[0]
    chain = runner.chain()
    chain.at(
        _day(start, span, 0.12, 10),
        "raise topic",
        partial(_raise_staff, committee, community, staff, f"demo-topic-{tag}-1"),
    )
    chain.at(_day(start, span, 0.15, 9), "review topic", partial(_review, committee, True))
    _carry_out(rng, chain, start, span, committee, community, staff, f"{tag}-1", mode="meeting")
    # 2. A resident's topic for their grid: co-signed, accepted, voted on (online in the first
    # ONLINE communities).
    if on_roll:
        raiser, home = on_roll[min(2, len(on_roll) - 1)]
        neighbours = [u for u, h in on_roll if h.grid_id == home.grid_id and u.pk != raiser.pk]
        resident_topic = chosen[1]
        chain = runner.chain()
        chain.at(
            _day(start, span, 0.2, 19),
            "raise topic",
            partial(
                _raise_resident, raiser, resident_topic, Topic.Scope.GRID, f"demo-topic-{tag}-2"
            ),
        )
        signed = _day(start, span, 0.21, 8)
        for user in neighbours[:8]:
            signed += dt.timedelta(hours=rng.randint(2, 9))
            chain.at(signed, "co-sign", partial(_cosign, user))
        chain.at(_day(start, span, 0.3, 10), "review topic", partial(_review, committee, True))
        mode = "online" if n < ONLINE else "meeting"
        voters = [raiser, *neighbours]
        _carry_out(
            rng,
            chain,
            start,
            span,
            committee,
            community,
            resident_topic,
            f"{tag}-2",
            mode=mode,
            voters=voters,
        )
    # 3. A topic left in the middle.
    third = chosen[2]
    chain = runner.chain()
    if n == 0 and on_roll:
        # An online ballot open past the month's end, for the resident login to vote on.
        chain.at(
            _day(start, span, 0.7, 10),
            "raise topic",
            partial(_raise_staff, committee, community, third, f"demo-topic-{tag}-3"),
        )
        chain.at(_day(start, span, 0.72, 9), "review topic", partial(_review, committee, True))
        chain.at(
            _day(start, span, 0.75, 14),
            "propose",
            partial(_propose, committee, third, f"demo-proposal-{tag}-3"),
        )
        chain.at(
            _day(start, span, 0.8, 9),
            "open ballot",
            partial(_open, committee, "online", end + dt.timedelta(days=7), f"demo-ballot-{tag}-3"),
        )
        for user, _home in on_roll[2:7]:
            chain.at(
                _day(start, span, 0.85, rng.randint(8, 21)),
                "vote",
                partial(_vote, user, rng.choice(("for", "for", "for", "against"))),
            )
    elif on_roll and rng.random() < 0.5:
        raiser, _home = on_roll[-1]
        chain.at(
            _day(start, span, 0.8, 20),
            "raise topic",
            partial(_raise_resident, raiser, third, Topic.Scope.COMMUNITY, f"demo-topic-{tag}-3"),
        )
        for user, _h in on_roll[:2]:
            chain.at(_day(start, span, 0.85, rng.randint(8, 21)), "co-sign", partial(_cosign, user))
    else:
        chain.at(
            _day(start, span, 0.6, 10),
            "raise topic",
            partial(_raise_staff, committee, community, third, f"demo-topic-{tag}-3"),
        )
        chain.at(_day(start, span, 0.63, 10), "review topic", partial(_review, committee, False))


def _carry_out(
    rng: random.Random,
    chain: Chain,
    start: dt.datetime,
    span: dt.timedelta,
    committee: User,
    community: AdminUnit,
    topic: tuple,
    tag: str,
    mode: str,
    voters: list[User] | None = None,
) -> None:
    """Meeting, minutes, proposals, ballot, decision, project and milestones of an accepted
    topic (the chain's next steps)."""
    late = 0.0 if mode == "meeting" and voters is None else 0.15
    held = _day(start, span, 0.25 + late, 15)
    chain.at(
        held - dt.timedelta(days=3),
        "schedule meeting",
        partial(_meeting, committee, held, rng.choice(MEETING_PLACES), f"demo-meeting-{tag}"),
    )
    chain.at(held + dt.timedelta(hours=3), "minutes", partial(_minutes, committee, rng, topic))
    chain.at(
        held + dt.timedelta(hours=3, minutes=20),
        "propose",
        partial(_propose, committee, topic, f"demo-proposal-{tag}"),
    )
    if rng.random() < 0.4:
        chain.at(
            held + dt.timedelta(hours=3, minutes=30),
            "propose",
            partial(_propose, committee, topic, f"demo-proposal-{tag}-b", second=True),
        )
    passes = rng.random() < 0.85
    if mode == "meeting":
        vote_at = held + dt.timedelta(days=2)
        chain.at(
            vote_at,
            "open ballot",
            partial(
                _open, committee, "meeting", vote_at + dt.timedelta(hours=4), f"demo-ballot-{tag}"
            ),
        )
        chain.at(vote_at + dt.timedelta(hours=2), "tally", partial(_tally, committee, rng, passes))
        closed = vote_at + dt.timedelta(hours=3)
    else:
        opened = (held + dt.timedelta(days=1)).replace(hour=9)
        closes = opened + dt.timedelta(days=3)
        chain.at(
            opened, "open ballot", partial(_open, committee, "online", closes, f"demo-ballot-{tag}")
        )
        for user in voters or []:
            if rng.random() < 0.2:
                continue  # did not vote
            choice = rng.choice(("for", "for", "for", "abstain") if passes else ("against", "for"))
            at = opened + dt.timedelta(hours=rng.randint(1, 60))
            chain.runner.plan(at, "vote", chain, partial(_vote, user, choice))
        closed = closes + dt.timedelta(minutes=30)
    chain.at(closed, "close ballot", partial(_close, committee))
    chain.at(
        closed + dt.timedelta(hours=1), "publish decision", partial(_publish, committee, topic)
    )
    first = closed + dt.timedelta(days=1)
    due = [(first + dt.timedelta(days=4 * (i + 1))).date() for i in range(len(topic[7]))]
    chain.at(first, "add project", partial(_project, committee, topic, due))
    if rng.random() < 0.6:
        chain.at(
            first + dt.timedelta(hours=2),
            "case for the decision",
            partial(_case, committee, community, topic),
        )
    chain.at(first + dt.timedelta(days=3), "milestone done", partial(_milestone, committee, 0))
    chain.at(
        first + dt.timedelta(days=4), "spending", partial(_spend, committee, rng.uniform(0.3, 0.6))
    )
    if rng.random() < 0.5:
        chain.at(first + dt.timedelta(days=8), "milestone done", partial(_milestone, committee, 1))
        chain.at(
            first + dt.timedelta(days=10),
            "spending",
            partial(_spend, committee, rng.uniform(0.8, 1.0)),
        )
        chain.at(
            first + dt.timedelta(days=10, hours=2),
            "complete project",
            partial(_complete, committee),
        )
