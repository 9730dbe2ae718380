"""The demo's people of 自治 and 法治 (issue 13): community committee members, people's
mediators, judicial offices, legal advisers and the residents on the voter roll.

Made like the demo's other desks (demo.people, demo.party.staff_account): accounts and their
role assignments written once, every one with the demo password (hashed once). Usernames say
what the account is for:

* ``cc-<community code>``: the community committee member (社区居委会/村委会) of each community,
  who keeps its deliberation (议事协商) and its voter roll;
* ``med-<unit code>``: a people's mediator of the community's or street's mediation committee
  (人民调解委员会); a street's committee has two (``med-<street code>-2``);
* ``jud-<street serial>``: the street's judicial office (司法所); ``judicial``: the district's
  judicial bureau (区司法局), which reads every street's register;
* ``law-<street serial>``: the legal adviser (一村（社区）一法律顾问) of all the street's
  communities (appointed to each through mediation.advice.appoint_adviser by demo.mediation);
* ``rv-<community code>-<n>``: residents of a deliberating community, put on its voter roll by
  demo.deliberation through the roll services.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password

from onegrid.org.models import Role, RoleAssignment, User
from onegrid.territory.models import AdminUnit

from .people import DEMO_PASSWORD, street_serial

JUDICIAL_DISTRICT = "judicial"


@dataclass(frozen=True)
class Account:
    username: str
    display_name: str
    roles: tuple[tuple[str, int], ...]  # (role, admin unit id)
    phone: str = ""


def ensure_accounts(accounts: list[Account], password: str = DEMO_PASSWORD) -> dict[str, User]:
    """Create the accounts (and their roles) that are missing; returns every account by username.
    Existing accounts and their roles are left alone."""
    names = [a.username for a in accounts]
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    new = [a for a in accounts if a.username not in existing]
    if new:
        hashed = make_password(password)
        User.objects.bulk_create(
            [
                User(
                    username=a.username, display_name=a.display_name, phone=a.phone, password=hashed
                )
                for a in new
            ],
            batch_size=500,
        )
        ids = dict(
            User.objects.filter(username__in=[a.username for a in new]).values_list(
                "username", "id"
            )
        )
        RoleAssignment.objects.bulk_create(
            [
                RoleAssignment(user_id=ids[a.username], role=role, unit_id=unit_id)
                for a in new
                for role, unit_id in a.roles
            ],
            batch_size=500,
        )
    return {u.username: u for u in User.objects.filter(username__in=names)}


def committee_username(community: AdminUnit) -> str:
    return f"cc-{community.code}"


def mediator_username(unit: AdminUnit, n: int = 1) -> str:
    return f"med-{unit.code}" if n == 1 else f"med-{unit.code}-{n}"


def judicial_username(street: AdminUnit) -> str:
    return f"jud-{street_serial(street)}"


def adviser_username(street: AdminUnit) -> str:
    return f"law-{street_serial(street)}"


def governance_accounts(
    district: AdminUnit, streets: list[AdminUnit], communities: list[AdminUnit]
) -> dict[str, User]:
    """Every committee member, mediator, judicial office and legal adviser of the module
    docstring, made if missing."""
    by_street: dict[int, list[AdminUnit]] = {}
    for community in communities:
        by_street.setdefault(community.parent_id, []).append(community)  # type: ignore[arg-type]
    rows = [
        Account(JUDICIAL_DISTRICT, f"{district.name}司法局", ((Role.JUDICIAL_OFFICE, district.pk),))
    ]
    for street in streets:
        rows.append(
            Account(
                judicial_username(street),
                f"{street.name}司法所",
                ((Role.JUDICIAL_OFFICE, street.pk),),
            )
        )
        for n in (1, 2):
            rows.append(
                Account(
                    mediator_username(street, n),
                    f"{street.name}人民调解员{n}",
                    ((Role.MEDIATOR, street.pk),),
                )
            )
        covered = by_street.get(street.pk, [])
        if covered:
            rows.append(
                Account(
                    adviser_username(street),
                    f"{street.name}法律顾问（律师）",
                    (),  # appointed to the communities by the judicial office (demo.mediation)
                )
            )
    for community in communities:
        rows.append(
            Account(
                committee_username(community),
                f"{community.name}居委会委员",
                ((Role.COMMUNITY_COMMITTEE, community.pk),),
            )
        )
        rows.append(
            Account(
                mediator_username(community),
                f"{community.name}人民调解员",
                ((Role.MEDIATOR, community.pk),),
            )
        )
    return ensure_accounts(rows)
