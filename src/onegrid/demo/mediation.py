"""The demo's 法治: people's mediation, the monthly screening, the risk register and the legal
advisers, a month of them through the mediation services.

`seed_mediation` adds, once, over the simulated month [start, end):

* the district's and streets' judicial offices (``judicial``, ``jud-<street serial>``), a
  people's mediation committee per community and per street set up by the district's office
  (mediation.services.keep_committee) with its mediators (``med-<unit code>``, a street's two),
  and the legal adviser of each street's communities (``law-<street serial>``, appointed by the
  street's office through mediation.advice.appoint_adviser); demo.governance_people;
* the monthly screening (矛盾纠纷排查) of most grids by their grid workers in the month's last
  week (about one grid in eight left unscreened, so coverage stays below 100 %), most stable,
  some with disputes found and a risk level; a risk raised for every unstable grid, the high
  ones escalated by the service, some followed up and some resolved;
* disputes through the whole flow: referred from cases by the street's acceptor, applied for by
  residents, found in a screening, registered at the committee (walk-in or referred by the
  police); accepted or declined; mediators assigned; sessions; an agreement (written or oral,
  some confirmed by the court) with a follow-up visit and closed, or a failure referred to
  litigation, arbitration or the administration; a few registered two weeks before the month
  and still being mediated after their due day (overdue);
* residents' questions to their community's legal adviser, most answered within the limit,
  a few answered late and a few still open past it.

Deterministic for a seed and a database; a step a service refuses is counted and the rest of its
story dropped (demo.steps).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from onegrid.cases.models import Case
from onegrid.core import clock
from onegrid.mediation import advice, agreements, risks, screening, services
from onegrid.mediation.models import (
    Dispute,
    JudicialConfirmation,
    LegalQuestion,
    MediationCommittee,
    Risk,
    Screening,
)
from onegrid.org.models import Role, RoleAssignment, User
from onegrid.territory.models import AdminUnit, Grid

from .governance_people import (
    JUDICIAL_DISTRICT,
    adviser_username,
    governance_accounts,
    judicial_username,
    mediator_username,
)
from .people import _district, _name, _phone, desk_username, grid_worker_username
from .steps import Runner, refused_line

MEDIATION_SEED = 1302
UNSCREENED = 0.12  # share of grids left unscreened in the month
DISPUTES_PER_STREET = (2, 3, 3, 4)
QUESTIONS_PER_STREET = (1, 2, 2, 3)
SCREEN_GRACE_DAYS = 5  # screenings of a month close within the next month's first days

# (type code, title, facts, claims, respondent's occupation)
DISPUTES = (
    (
        "neighbour",
        "楼上漏水纠纷",
        "楼上住户卫生间防水层损坏，多次漏水致楼下顶棚发霉脱落。",
        "修复防水并赔偿装修损失",
        "退休",
    ),
    (
        "neighbour",
        "噪音扰民纠纷",
        "邻居夜间装修和聚会噪音较大，多次沟通未果。",
        "夜间十点后停止施工和喧哗",
        "个体经营",
    ),
    (
        "property",
        "物业费纠纷",
        "业主以电梯长期故障为由拒交物业费两年。",
        "维修电梯后补交物业费",
        "物业服务公司",
    ),
    (
        "family",
        "赡养纠纷",
        "老人有三个子女，对赡养费分担和轮流照料发生争执。",
        "按月支付赡养费并轮流照料",
        "职员",
    ),
    (
        "damages",
        "电动车碰撞赔偿纠纷",
        "小区内电动车与行人相撞，对医疗费承担有争议。",
        "赔偿医疗费和误工费",
        "外卖骑手",
    ),
    ("labour", "拖欠工资纠纷", "装修工人完工后被拖欠工资两个月。", "支付拖欠工资", "装修公司"),
    (
        "consumer",
        "预付卡退费纠纷",
        "健身房停业后拒绝退还预付卡余额。",
        "退还预付卡余额",
        "健身服务公司",
    ),
    (
        "housing_land",
        "宅基地边界纠纷",
        "两户翻建房屋时对院墙位置发生争议。",
        "按原界址恢复院墙",
        "务农",
    ),
)
COURT = "天津市北辰区人民法院"
QUESTIONS = (
    (
        "房屋租赁合同到期后房东不退押金，我该怎么办？",
        "可先书面催告退还押金，协商不成可申请人民调解或向法院起诉。",
        "《中华人民共和国民法典》第七百三十三条",
    ),
    (
        "父母的房产没有遗嘱，兄弟姐妹怎么分？",
        "没有遗嘱的按法定继承办理，同一顺序继承人一般均等分配。",
        "《中华人民共和国民法典》第一千一百二十七条、第一千一百三十条",
    ),
    (
        "公司不签劳动合同，能要求双倍工资吗？",
        "用工超过一个月不满一年未订立书面劳动合同的，可要求每月支付二倍工资。",
        "《中华人民共和国劳动合同法》第八十二条",
    ),
    (
        "楼上漏水把我家泡了，物业不管怎么办？",
        "可要求漏水方修复并赔偿损失，物业应协助查找原因；协商不成可申请调解。",
        "《中华人民共和国民法典》第二百九十六条",
    ),
    (
        "网购商品有质量问题，商家不给退货怎么办？",
        "可依法要求退货，七日无理由退货商品不影响；可向市场监管部门投诉。",
        "《中华人民共和国消费者权益保护法》第二十四条、第二十五条",
    ),
    (
        "邻居在公共楼道堆放杂物，我能要求清理吗？",
        "楼道属于业主共有部分，可要求清理，也可请物业和社区协调。",
        "《中华人民共和国民法典》第二百七十二条",
    ),
)
RISKS = (
    ("拆迁补偿诉求集中", "部分住户对补偿标准有异议，有集体上访苗头。"),
    ("物业弃管", "物业公司合同到期撤场，小区垃圾清运和安保无人负责。"),
    ("欠薪群体诉求", "工地农民工工资拖欠，多人多次到社区反映。"),
    ("邻里矛盾激化", "两户因漏水纠纷多次发生口角，有肢体冲突风险。"),
    ("精神障碍患者监护缺失", "独居精神障碍患者近期情绪不稳，监护人在外地。"),
)


@dataclass
class MediationSummary:
    committees: int = 0
    mediators: int = 0
    advisers: int = 0
    screenings: int = 0
    grids: int = 0
    risks: dict[str, int] = field(default_factory=dict)
    escalated: int = 0
    disputes: dict[str, int] = field(default_factory=dict)
    confirmations: int = 0
    questions: dict[str, int] = field(default_factory=dict)
    refused: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    made_now: bool = False

    def lines(self) -> list[str]:
        def show(counts: dict[str, int], choices) -> str:
            names = dict(choices)
            return ", ".join(f"{names.get(k, k)} {v}" for k, v in sorted(counts.items())) or "0"

        first = gettext(
            "人民调解: %(committees)d committees, %(mediators)d mediators, %(advisers)d legal "
            "advisers; disputes: %(disputes)s; %(confirmations)d judicial confirmations"
        ) % {
            "committees": self.committees,
            "mediators": self.mediators,
            "advisers": self.advisers,
            "disputes": show(self.disputes, Dispute.State.choices),
            "confirmations": self.confirmations,
        }
        second = gettext(
            "矛盾纠纷排查: %(screenings)d screenings of %(grids)d grids; risks: %(risks)s "
            "(%(escalated)d escalated); legal questions: %(questions)s"
        ) % {
            "screenings": self.screenings,
            "grids": self.grids,
            "risks": show(self.risks, Risk.State.choices),
            "escalated": self.escalated,
            "questions": show(self.questions, LegalQuestion.State.choices),
        }
        if not self.made_now:
            return [first + " " + gettext("(already there)"), second]
        out = [first, second + " " + gettext("(%(s).1f s)") % {"s": self.seconds}]
        return out + refused_line(self.refused, gettext)


def summary() -> MediationSummary:
    return MediationSummary(
        committees=MediationCommittee.objects.count(),
        mediators=User.objects.filter(roles__role=Role.MEDIATOR).distinct().count(),
        advisers=User.objects.filter(roles__role=Role.LEGAL_ADVISER).distinct().count(),
        screenings=Screening.objects.count(),
        grids=Grid.objects.count(),
        risks=dict(Counter(Risk.objects.values_list("state", flat=True))),
        escalated=Risk.objects.filter(escalated_at__isnull=False).count(),
        disputes=dict(Counter(Dispute.objects.values_list("state", flat=True))),
        confirmations=JudicialConfirmation.objects.count(),
        questions=dict(Counter(LegalQuestion.objects.values_list("state", flat=True))),
    )


def mediator_login() -> str | None:
    """A community mediator with disputes (for the login table)."""
    row = (
        Dispute.objects.filter(committee__unit__level="community")
        .order_by("committee__unit__code")
        .values_list("committee__unit__code", flat=True)
        .first()
    )
    name = f"med-{row}" if row else None
    return name if name and User.objects.filter(username=name).exists() else None


def adviser_login() -> str | None:
    first = (
        RoleAssignment.objects.filter(role=Role.LEGAL_ADVISER)
        .order_by("user__username")
        .values_list("user__username", flat=True)
        .first()
    )
    return first


def seed_mediation(
    *, start: dt.datetime, end: dt.datetime, seed: int = MEDIATION_SEED
) -> MediationSummary:
    """Committees, mediators, advisers, screenings, risks, disputes and legal questions of the
    module docstring over [start, end), unless some committee exists already."""
    if MediationCommittee.objects.exists():
        return summary()
    began = time.perf_counter()
    rng = random.Random(seed)
    district = _district()
    streets = list(AdminUnit.objects.filter(parent=district, level="street").order_by("code"))
    communities = list(
        AdminUnit.objects.filter(parent__in=streets, level="community").order_by("code")
    )
    by_street: dict[int, list[AdminUnit]] = {}
    for community in communities:
        by_street.setdefault(community.parent_id, []).append(community)  # type: ignore[arg-type]
    runner = Runner(end)
    eve = start - dt.timedelta(days=20)
    with transaction.atomic(), clock.frozen_at(eve):
        accounts = governance_accounts(district, streets, communities)
        judicial = accounts[JUDICIAL_DISTRICT]
        for street in streets:
            services.keep_committee(
                by=judicial,
                unit=street,
                name=f"{street.name}人民调解委员会",
                address=f"{street.name}综治中心",
                phone=_phone(rng),
            )
            office = accounts[judicial_username(street)]
            adviser = accounts.get(adviser_username(street))
            for community in by_street.get(street.pk, []):
                services.keep_committee(
                    by=judicial,
                    unit=community,
                    name=f"{community.name}人民调解委员会",
                    address=f"{community.name}党群服务中心",
                )
                if adviser is not None:
                    advice.appoint_adviser(actor=office, person=adviser, community=community)
    grids = list(
        Grid.objects.filter(street__in=streets).order_by("code").select_related("community")
    )
    workers = {
        u.username: u
        for u in User.objects.filter(username__in=[grid_worker_username(g.code) for g in grids])
    }
    found = _plan_screenings(rng, runner, start, end, grids, workers)
    residents = list(User.objects.filter(roles__role=Role.RESIDENT).distinct().order_by("username"))
    for street in streets:
        local = by_street.get(street.pk, [])
        if not local:
            continue
        _plan_disputes(rng, runner, start, end, street, local, accounts, residents, found)
        _plan_questions(rng, runner, start, end, street, local, accounts, residents)
    with transaction.atomic():
        runner.run()
    counted = summary()
    counted.refused = runner.refused
    counted.seconds = time.perf_counter() - began
    counted.made_now = True
    return counted


# --- screening and risks ------------------------------------------------------------------------


def _screened_month(
    start: dt.datetime, end: dt.datetime
) -> tuple[dt.date, dt.datetime, dt.datetime]:
    """The month screened (the one the month's last week falls in, or the one before when the
    month ends in a month's first days) and the window to screen it in."""
    last = (end - dt.timedelta(days=1)).date()
    month = last.replace(day=1)
    if last.day <= SCREEN_GRACE_DAYS and start.date() < month:
        month = (month - dt.timedelta(days=1)).replace(day=1)
    following = (month + dt.timedelta(days=32)).replace(day=1)
    closes = min(
        end,
        dt.datetime.combine(
            following + dt.timedelta(days=SCREEN_GRACE_DAYS - 1), dt.time(18), tzinfo=end.tzinfo
        ),
    )
    opens = max(
        start,
        closes - dt.timedelta(days=8),
        dt.datetime.combine(month, dt.time(8), tzinfo=end.tzinfo),
    )
    return month, opens, closes


def _screen(worker: User, grid: Grid, month: dt.date, figures: tuple, box: dict[str, Any]) -> None:
    found, level, stable, note = figures
    box["screening"] = screening.record_screening(
        actor=worker,
        grid=grid,
        disputes_found=found,
        risk_level=level,
        stable=stable,
        note=note,
        month=month,
        idempotency_key=f"demo-screen-{grid.pk}-{month:%Y%m}",
    ).screening


def _raise_risk(worker: User, grid: Grid, level: str, text: tuple, box: dict[str, Any]) -> None:
    box["risk"] = risks.raise_risk(
        actor=worker,
        title=text[0],
        description=text[1],
        level=level,
        owner=worker,
        grid=grid,
        screening=box["screening"],
        idempotency_key=f"demo-risk-{grid.pk}",
    ).risk


def _follow_risk(worker: User, note: str, level: str | None, key: str, box: dict[str, Any]) -> None:
    risks.follow_up(actor=worker, risk=box["risk"], note=note, level=level, idempotency_key=key)


def _resolve_risk(worker: User, box: dict[str, Any]) -> None:
    risks.resolve(actor=worker, risk=box["risk"], resolution="经多方协调，矛盾已化解，列入常态回访")


def _plan_screenings(
    rng: random.Random,
    runner: Runner,
    start: dt.datetime,
    end: dt.datetime,
    grids: list[Grid],
    workers: dict[str, User],
) -> list[tuple[Grid, User, dt.datetime]]:
    """Returns the screenings that found a dispute (grid, worker, when)."""
    month, opens, closes = _screened_month(start, end)
    window = max(1, int((closes - opens).total_seconds() // 3600))
    found: list[tuple[Grid, User, dt.datetime]] = []
    for grid in grids:
        worker = workers.get(grid_worker_username(grid.code))
        if worker is None or rng.random() < UNSCREENED:
            continue
        at = opens + dt.timedelta(hours=rng.randrange(window))
        at = at.replace(hour=rng.randint(9, 17), minute=rng.randint(0, 59))
        roll = rng.random()
        if roll < 0.8:
            figures: tuple = (0, "none", True, "")
        elif roll < 0.92:
            figures = (rng.choice((1, 1, 2)), "low", True, "邻里小矛盾，已当场劝解")
        elif roll < 0.98:
            figures = (rng.choice((1, 2, 3)), "medium", False, "存在矛盾激化苗头，需持续关注")
        else:
            figures = (rng.choice((2, 3)), "high", False, "矛盾较为突出，已报告社区和街道")
        chain = runner.chain()
        chain.at(at, "screening", partial(_screen, worker, grid, month, figures))
        if figures[0]:
            found.append((grid, worker, at))
        if figures[1] in ("medium", "high"):
            text = rng.choice(RISKS)
            chain.at(
                at + dt.timedelta(minutes=20),
                "raise risk",
                partial(_raise_risk, worker, grid, figures[1], text),
            )
            if rng.random() < 0.6:
                lower = "medium" if figures[1] == "high" and rng.random() < 0.5 else None
                chain.at(
                    at + dt.timedelta(days=2, hours=1),
                    "risk follow-up",
                    partial(
                        _follow_risk,
                        worker,
                        "上门走访当事人，讲解政策，情绪有所缓和",
                        lower,
                        f"demo-risk-fu-{grid.pk}",
                    ),
                )
                if rng.random() < 0.4:
                    chain.at(
                        at + dt.timedelta(days=4), "resolve risk", partial(_resolve_risk, worker)
                    )
    return found


# --- disputes ----------------------------------------------------------------------------------


def _parties(
    rng: random.Random, kind: tuple, community: AdminUnit, applicant: User | None
) -> list[dict]:
    organisation = kind[4].endswith("公司")
    respondent: dict[str, Any] = {"side": "respondent", "address": f"{community.name}"}
    if organisation:
        respondent.update(
            kind="organisation", name=f"{community.name[:2]}{kind[4]}", representative=_name(rng)
        )
    else:
        respondent.update(
            name=_name(rng),
            sex=rng.choice(("male", "female")),
            age=rng.randint(28, 75),
            occupation=kind[4],
            phone=_phone(rng),
            ethnicity="汉族",
        )
    applicant_row = {
        "side": "applicant",
        "name": applicant.display_name if applicant else _name(rng),
        "sex": rng.choice(("male", "female")),
        "age": rng.randint(25, 80),
        "ethnicity": "汉族",
        "occupation": rng.choice(("退休", "职员", "个体经营", "务农")),
        "address": f"{community.name}",
        "phone": _phone(rng),
    }
    return [applicant_row, respondent]


def _register(
    how: str,
    actor: User,
    community: AdminUnit,
    kind: tuple,
    parties: list,
    key: str,
    extra: dict,
    box: dict[str, Any],
) -> None:
    common = {"type": kind[0], "parties": parties, "idempotency_key": key}
    if how == "case":
        box["dispute"] = services.refer_case(
            by=actor, case=extra["case"], facts=kind[2], claims=kind[3], title=kind[1], **common
        )
    elif how == "resident":
        box["dispute"] = services.apply_as_resident(
            by=actor, community=community, title=kind[1], facts=kind[2], claims=kind[3], **common
        )
    elif how == "screening":
        found = Screening.objects.filter(grid=extra["grid"]).order_by("-month").first()
        if found is None:
            return
        box["dispute"] = screening.register_found_dispute(
            actor=actor, screening=found, title=kind[1], facts=kind[2], claims=kind[3], **common
        )
    else:
        box["dispute"] = services.register_at_committee(
            by=actor,
            community=community,
            title=kind[1],
            facts=kind[2],
            claims=kind[3],
            referred=how == "referred",
            **common,
        )


def _fresh(box: dict[str, Any]) -> Dispute:
    dispute = box["dispute"]
    dispute.refresh_from_db()
    return dispute


def _accept(mediator: User, box: dict[str, Any]) -> None:
    if "dispute" in box:
        services.accept(by=mediator, dispute=_fresh(box))


def _decline(mediator: User, box: dict[str, Any]) -> None:
    if "dispute" in box:
        services.decline(by=mediator, dispute=_fresh(box), reason="属于法院已受理的案件，不予受理")


def _assign(mediators: list[User], box: dict[str, Any]) -> None:
    if "dispute" in box:
        services.assign_mediators(
            by=mediators[0], dispute=_fresh(box), mediators=mediators, lead=mediators[0]
        )


def _session(mediator: User, place: str, note: str, key: str, box: dict[str, Any]) -> None:
    if "dispute" in box:
        services.record_session(
            by=mediator,
            dispute=_fresh(box),
            held_at=clock.now(),
            place=place,
            attendees="双方当事人、调解员",
            notes=note,
            idempotency_key=key,
        )


def _agree(mediator: User, kind: tuple, oral: bool, box: dict[str, Any]) -> None:
    if "dispute" not in box:
        return
    today = clock.now().astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    agreements.record_agreement(
        actor=mediator,
        dispute=_fresh(box),
        facts=kind[2],
        matters=kind[3],
        responsibilities="双方对纠纷的发生均有一定责任，被申请人负主要责任。",
        terms=f"被申请人同意{kind[3]}，申请人放弃其他请求。",
        performance_manner="当面履行，调解员见证" if oral else "按约定分期履行，社区调解委员会监督",
        effective_on=today,
        performance_deadline=today + dt.timedelta(days=15),
        form="oral" if oral else "written",
    )


def _confirm_apply(mediator: User, box: dict[str, Any]) -> None:
    if "dispute" in box:
        today = clock.now().astimezone(dt.timezone(dt.timedelta(hours=8))).date()
        agreements.apply_for_confirmation(
            actor=mediator, dispute=_fresh(box), court=COURT, applied_on=today
        )


def _confirm_ruling(mediator: User, n: int, box: dict[str, Any]) -> None:
    if "dispute" in box:
        today = clock.now().astimezone(dt.timezone(dt.timedelta(hours=8))).date()
        agreements.record_ruling(
            actor=mediator,
            dispute=_fresh(box),
            confirmed=True,
            ruled_on=today,
            ruling_number=f"（{today.year}）津0113民特{n}号",
        )


def _fail(mediator: User, referral: str, box: dict[str, Any]) -> None:
    if "dispute" in box:
        services.fail(
            by=mediator,
            dispute=_fresh(box),
            reason="双方分歧较大，经多次调解未能达成一致",
            referral=referral,
            referral_note="已告知当事人依法维权的途径",
        )


def _follow(mediator: User, performance: str, key: str, box: dict[str, Any]) -> None:
    if "dispute" in box:
        services.record_follow_up(
            by=mediator,
            dispute=_fresh(box),
            visited_at=clock.now(),
            performance=performance,
            note="电话回访当事人",
            idempotency_key=key,
        )


def _close(mediator: User, box: dict[str, Any]) -> None:
    if "dispute" in box:
        services.close(by=mediator, dispute=_fresh(box))


def _plan_disputes(
    rng: random.Random,
    runner: Runner,
    start: dt.datetime,
    end: dt.datetime,
    street: AdminUnit,
    communities: list[AdminUnit],
    accounts: dict[str, User],
    residents: list[User],
    found: list[tuple[Grid, User, dt.datetime]],
) -> None:
    span = end - start
    acceptor = User.objects.filter(username=desk_username("acc", street)).first()
    cases = list(
        Case.objects.filter(
            street=street,
            reported_at__gte=start,
            reported_at__lt=end - dt.timedelta(days=5),
            community__isnull=False,
        )
        .order_by("number")
        .values_list("pk", "community_id", "reported_at")[:200]
    )
    screened = [f for f in found if f[0].street_id == street.pk]
    for n in range(rng.choice(DISPUTES_PER_STREET)):
        kind = rng.choice(DISPUTES)
        how = rng.choice(("case", "resident", "screening", "walk_in", "walk_in", "referred"))
        community = rng.choice(communities)
        extra: dict[str, Any] = {}
        actor: User | None = accounts.get(mediator_username(community))
        registered = start + span * rng.uniform(0.05, 0.7)
        applicant = None
        if how == "case" and cases and acceptor is not None:
            pk, community_id, reported_at = cases.pop(rng.randrange(len(cases)))
            community = next((c for c in communities if c.pk == community_id), community)
            extra["case"] = Case.objects.get(pk=pk)
            actor = acceptor
            registered = reported_at + dt.timedelta(hours=rng.randint(2, 30))
        elif how == "resident" and residents:
            applicant = actor = rng.choice(residents)
        elif how == "screening" and screened:
            grid, worker, at = rng.choice(screened)
            community = grid.community
            extra["grid"] = grid
            actor = worker
            registered = at + dt.timedelta(hours=1)
        elif how in ("case", "resident", "screening"):
            how = "walk_in"
        overdue = how == "walk_in" and n == 0 and rng.random() < 0.5
        if overdue:
            registered = start - dt.timedelta(days=rng.randint(10, 16))
        registered = registered.replace(hour=rng.randint(9, 16), minute=rng.randint(0, 59))
        mediator = accounts.get(mediator_username(community))
        if actor is None or mediator is None:
            continue
        partners = [mediator]
        key = f"demo-dispute-{street.code}-{n}"
        chain = runner.chain()
        chain.at(
            registered,
            "register dispute",
            partial(
                _register,
                how,
                actor,
                community,
                kind,
                _parties(rng, kind, community, applicant),
                key,
                extra,
            ),
        )
        accepted = registered + dt.timedelta(hours=rng.randint(3, 40))
        if rng.random() < 0.08 and not overdue:
            chain.at(accepted, "decline", partial(_decline, mediator))
            continue
        chain.at(accepted, "accept", partial(_accept, mediator))
        chain.at(
            accepted + dt.timedelta(minutes=10), "assign mediators", partial(_assign, partners)
        )
        place = f"{community.name}人民调解室"
        first = (accepted + dt.timedelta(days=rng.randint(1, 4))).replace(
            hour=rng.choice((9, 10, 14, 15))
        )
        chain.at(
            first,
            "session",
            partial(
                _session,
                mediator,
                place,
                "分别听取双方陈述，释法明理，双方同意继续协商。",
                f"{key}-s1",
            ),
        )
        if overdue:
            continue  # still being mediated past its due day
        fate = rng.random()
        second = first + dt.timedelta(days=rng.randint(2, 6))
        if fate < 0.62:
            oral = rng.random() < 0.15
            chain.at(second, "agreement", partial(_agree, mediator, kind, oral))
            if not oral and rng.random() < 0.35:
                chain.at(
                    second + dt.timedelta(days=rng.randint(2, 6)),
                    "apply for judicial confirmation",
                    partial(_confirm_apply, mediator),
                )
                if rng.random() < 0.7:
                    chain.at(
                        second + dt.timedelta(days=rng.randint(8, 12)),
                        "judicial ruling",
                        partial(_confirm_ruling, mediator, rng.randint(100, 999)),
                    )
            visit = second + dt.timedelta(days=rng.randint(5, 10))
            performance = rng.choice(("performed", "performed", "partly"))
            chain.at(visit, "follow-up", partial(_follow, mediator, performance, f"{key}-f1"))
            if performance == "performed":
                chain.at(visit + dt.timedelta(hours=2), "close", partial(_close, mediator))
        elif fate < 0.82:
            referral = rng.choice(("litigation", "litigation", "arbitration", "administrative"))
            chain.at(second, "fail", partial(_fail, mediator, referral))
            chain.at(second + dt.timedelta(days=1), "close", partial(_close, mediator))
        # else: still being mediated at the month's end


# --- legal questions ---------------------------------------------------------------------------


def _ask(user: User, community: AdminUnit, text: str, key: str, box: dict[str, Any]) -> None:
    box["question"] = advice.ask(
        actor=user, community=community, question=text, idempotency_key=key
    ).question


def _answer(adviser: User, text: str, basis: str, box: dict[str, Any]) -> None:
    advice.answer(actor=adviser, question=box["question"], answer=text, legal_basis=basis)


def _plan_questions(
    rng: random.Random,
    runner: Runner,
    start: dt.datetime,
    end: dt.datetime,
    street: AdminUnit,
    communities: list[AdminUnit],
    accounts: dict[str, User],
    residents: list[User],
) -> None:
    adviser = accounts.get(adviser_username(street))
    if adviser is None or not residents:
        return
    span = end - start
    for n in range(rng.choice(QUESTIONS_PER_STREET)):
        asker = rng.choice(residents)
        community = rng.choice(communities)
        text, answer, basis = rng.choice(QUESTIONS)
        asked = (start + span * rng.uniform(0.05, 0.95)).replace(
            hour=rng.randint(7, 22), minute=rng.randint(0, 59)
        )
        chain = runner.chain()
        chain.at(
            asked,
            "ask the legal adviser",
            partial(_ask, asker, community, text, f"demo-legal-{street.code}-{n}"),
        )
        roll = rng.random()
        if roll < 0.75:
            delay = dt.timedelta(hours=rng.randint(3, 50))
        elif roll < 0.9:
            delay = dt.timedelta(days=rng.randint(6, 9))  # late
        else:
            continue  # not answered yet
        chain.at(asked + delay, "answer", partial(_answer, adviser, answer, basis))


def judicial_login() -> str | None:
    """The district's judicial office (reads every street's register), for the login table."""
    return JUDICIAL_DISTRICT if User.objects.filter(username=JUDICIAL_DISTRICT).exists() else None
