"""The legal basis (法律依据) of the mediation types and of the catalogue's classes, for staff
where they act (the dispute page for a dispute's type, the case page for a case's class).

DEFAULT_TYPES are the types the data migration 0002 creates, each with the law and the articles
it is mediated under. Every dispute is mediated under 人民调解法 itself (arts. 2, 17–33); the
law named here is the one that governs the matter in dispute. Administrators may edit a type's
basis in the admin; the migration never overwrites an edit.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

CIVIL_CODE = "《中华人民共和国民法典》"
MEDIATION_LAW = "《中华人民共和国人民调解法》"


@dataclass(frozen=True)
class DefaultType:
    code: str
    name: str
    name_en: str
    law: str
    article: str


# (code, name, English name, law, articles). Checked against the laws' current texts: the Civil
# Code (2020) books and chapters, the Labour Dispute Mediation and Arbitration Law (2007) ch. 2,
# the Rural Land Contracting Law as amended in 2018, the Land Administration Law as amended in
# 2019, the Consumer Protection Law as amended in 2013.
DEFAULT_TYPES: tuple[DefaultType, ...] = (
    DefaultType(
        "neighbour",
        "邻里纠纷",
        "Neighbour dispute",
        CIVIL_CODE,
        "第二百八十八条至第二百九十六条（相邻关系）",
    ),
    DefaultType(
        "family",
        "婚姻家庭纠纷",
        "Marriage and family dispute",
        CIVIL_CODE,
        "第一千零四十条至第一千一百一十八条（婚姻家庭编）",
    ),
    DefaultType(
        "inheritance",
        "继承纠纷",
        "Inheritance dispute",
        CIVIL_CODE,
        "第一千一百一十九条至第一千一百六十三条（继承编）",
    ),
    DefaultType(
        "property",
        "物业纠纷",
        "Property management dispute",
        CIVIL_CODE,
        "第九百三十七条至第九百五十条（物业服务合同）",
    ),
    DefaultType(
        "labour",
        "劳动争议",
        "Labour dispute",
        "《中华人民共和国劳动争议调解仲裁法》",
        "第十条至第十六条（调解）",
    ),
    DefaultType(
        "land",
        "土地承包纠纷",
        "Rural land contracting dispute",
        "《中华人民共和国农村土地承包法》",
        "第五十五条",
    ),
    DefaultType(
        "housing_land",
        "房屋宅基地纠纷",
        "House and homestead dispute",
        "《中华人民共和国土地管理法》",
        "第十四条、第六十二条",
    ),
    DefaultType(
        "damages",
        "损害赔偿纠纷",
        "Damages dispute",
        CIVIL_CODE,
        "第一千一百六十四条至第一千二百五十八条（侵权责任编）",
    ),
    DefaultType(
        "contract",
        "合同纠纷",
        "Contract dispute",
        CIVIL_CODE,
        "第四百六十三条至第九百八十八条（合同编）",
    ),
    DefaultType(
        "consumer",
        "消费纠纷",
        "Consumer dispute",
        "《中华人民共和国消费者权益保护法》",
        "第三十九条",
    ),
    DefaultType("other", "其他纠纷", "Other dispute", MEDIATION_LAW, "第二条"),
)


def basis_text(law: str, article: str) -> str:
    """The basis in one line (law and article), empty when none is named."""
    if not law:
        return ""
    return _("%(law)s %(article)s") % {"law": law, "article": article} if article else law


def ensure_default_types() -> int:
    """Create the default types that are missing (as migration 0002 does; for a database whose
    rows were emptied since, such as the demo's or a test's); an existing type is left as it is.
    The number created."""
    from .models import MediationType

    created = 0
    for t in DEFAULT_TYPES:
        _row, made = MediationType.objects.get_or_create(
            code=t.code,
            defaults={
                "name": t.name,
                "name_en": t.name_en,
                "legal_basis_law": t.law,
                "legal_basis_article": t.article,
            },
        )
        created += made
    return created
