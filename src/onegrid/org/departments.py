"""The departments a district starts with, and one police station per street.

Cases are disposed of by district departments, except public-order classes, which go to the
police station of the case's street (Beichen has one station per street or town), so stations are
created per street and carry the street they serve.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from onegrid.territory.models import AdminUnit

from .models import Department

# (code, name, English name). The codes are what the default catalogue's `default_department`
# column refers to, so renaming one means editing cases/data/default_catalogue.csv too.
DEFAULT_DEPARTMENTS: list[tuple[str, str, str]] = [
    ("city_management", "城市管理委员会(城管)", "City Management Commission"),
    ("ecology", "生态环境局", "Ecology and Environment Bureau"),
    ("market", "市场监督管理局", "Market Regulation Administration (food and drug safety)"),
    ("housing", "住房和建设委员会", "Housing and Construction Commission"),
    ("water", "水务局", "Water Affairs Bureau"),
    ("transport", "交通运输局", "Transport Bureau"),
    ("civil_affairs", "民政局", "Civil Affairs Bureau"),
    ("fire", "消防救援支队", "Fire and Rescue Detachment"),
    ("health", "卫生健康委员会", "Health Commission"),
    ("emergency", "应急管理局", "Emergency Management Bureau"),
    ("planning", "规划和自然资源局", "Planning and Natural Resources Bureau"),
    ("justice", "司法局", "Justice Bureau (mediation, community correction)"),
    ("hrss", "人力资源和社会保障局", "Human Resources and Social Security Bureau"),
    ("public_security", "公安分局", "Public Security Sub-bureau"),
    ("governance", "社会治理服务中心", "Social Governance Service Centre (base data)"),
]


def police_station_code(street: AdminUnit) -> str:
    return f"police_{street.code}"


@transaction.atomic
def ensure_default_departments(streets: Iterable[AdminUnit] = ()) -> list[Department]:
    """Create the default departments and a police station for each street, if missing.

    Idempotent: existing departments (matched by code) keep the names an administrator may
    have edited; only a station's street link is repaired. Returns the default departments in
    DEFAULT_DEPARTMENTS order, then the stations in the order of ``streets``.
    """
    result: list[Department] = []
    for code, name, name_en in DEFAULT_DEPARTMENTS:
        dept, _created = Department.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en}
        )
        result.append(dept)
    for street in streets:
        dept, created = Department.objects.get_or_create(
            code=police_station_code(street),
            defaults={
                "name": f"{street.name}派出所",
                "name_en": f"{street.name} Police Station",
                "street": street,
            },
        )
        if not created and dept.street_id != street.pk:
            dept.street = street
            dept.save(update_fields=["street"])
        result.append(dept)
    return result
