"""The legal basis: the default mediation types (data migration) name their law and articles;
the catalogue's legal_basis columns are loaded, checked, exported and topped up."""

from __future__ import annotations

import pytest

from onegrid.cases import catalogue
from onegrid.cases.models import CaseClass
from onegrid.mediation.legal_basis import DEFAULT_TYPES, ensure_default_types
from onegrid.mediation.models import MediationType

pytestmark = pytest.mark.django_db


def test_the_default_types_name_their_law():
    ensure_default_types()  # a transactional test before may have emptied the migration's rows
    types = {t.code: t for t in MediationType.objects.all()}
    for default in DEFAULT_TYPES:
        made = types[default.code]
        assert (made.name, made.legal_basis_law, made.legal_basis_article) == (
            default.name,
            default.law,
            default.article,
        )
    assert types["labour"].legal_basis_law == "《中华人民共和国劳动争议调解仲裁法》"
    assert types["land"].legal_basis_law == "《中华人民共和国农村土地承包法》"
    assert types["neighbour"].legal_basis_article.startswith("第二百八十八条")


def test_the_default_catalogue_names_a_basis_where_a_law_clearly_applies():
    catalogue.load_default_catalogue()
    basis = {c.code: (c.legal_basis_law, c.legal_basis_article) for c in CaseClass.objects.all()}
    assert basis["F0101"][0] == "《中华人民共和国民法典》"
    assert basis["D0101"] == ("《中华人民共和国消防法》", "第二十八条")
    assert basis["A0101"] == ("《中华人民共和国城乡规划法》", "第六十四条")
    assert basis["G0101"] == ("", "")  # left blank where unsure
    exported = catalogue.export_catalogue("csv").decode("utf-8-sig")
    assert exported.splitlines()[0].endswith("legal_basis_law,legal_basis_article")
    assert "《中华人民共和国消防法》,第二十八条" in exported


def test_classes_without_a_basis_are_topped_up_and_edits_kept(world):
    CaseClass.objects.filter(code="A0101").update(name="违法建设")  # an edit
    catalogue.load_default_catalogue()
    building = CaseClass.objects.get(code="A0101")
    assert building.name == "违法建设"  # kept
    assert building.legal_basis_law == "《中华人民共和国城乡规划法》"  # filled in
    CaseClass.objects.filter(code="A0101").update(legal_basis_law="《某地方条例》")
    catalogue.load_default_catalogue()
    assert CaseClass.objects.get(code="A0101").legal_basis_law == "《某地方条例》"


HEADER = "major_code,major_name,code,name,time_limit,time_unit,legal_basis_law,legal_basis_article"


@pytest.mark.parametrize(
    ("line", "column"),
    [
        ("X,本地,X0101,测试,4,hours,,第一条", "legal_basis_law"),
        ("X,本地,X0101,测试,4,hours," + "法" * 101 + ",", "legal_basis_law"),
        ("X,本地,X0101,测试,4,hours,《法》,\x07第一条", "legal_basis_article"),
    ],
)
def test_a_bad_basis_names_its_row_and_column(line, column):
    with pytest.raises(catalogue.CatalogueProblems) as caught:
        catalogue.import_catalogue(f"{HEADER}\n{line}\n".encode(), "csv")
    assert (2, column) in [(row, col) for row, col, _m in caught.value.problems]
    assert not CaseClass.objects.filter(code="X0101").exists()


def test_a_basis_imports():
    catalogue.import_catalogue(
        f"{HEADER}\nX,本地,X0101,测试,4,hours,《城市市容和环境卫生管理条例》,第十七条\n".encode(),
        "csv",
    )
    made = CaseClass.objects.get(code="X0101")
    assert (made.legal_basis_law, made.legal_basis_article) == (
        "《城市市容和环境卫生管理条例》",
        "第十七条",
    )


def test_missing_default_types_are_made_again_and_edits_kept():
    MediationType.objects.filter(code="other").delete()
    MediationType.objects.filter(code="labour").update(legal_basis_article="第十条")
    assert ensure_default_types() == 1
    assert ensure_default_types() == 0
    assert MediationType.objects.get(code="labour").legal_basis_article == "第十条"
