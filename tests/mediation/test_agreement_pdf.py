"""mediation.agreement_pdf: the 人民调解协议书 read back with pypdf — every field the People's
Mediation Law asks for, the last day to apply for judicial confirmation, markup in user text
drawn literally, long text flowing over pages, the font embedded."""

from __future__ import annotations

import io
import re

import pypdf
import pytest

from onegrid.mediation import agreement_pdf, agreements
from support.agreement_rows import AGREEMENT, mediation_rows

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> tuple[pypdf.PdfReader, str]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def _flat(text: str) -> str:
    """The text without the line breaks and spaces that wrapping put in."""
    return re.sub(r"\s+", "", text)


def test_every_field_of_the_agreement_is_in_the_pdf(world):
    rows = mediation_rows(world)
    agreement = agreements.record_agreement(
        actor=rows.mediator, dispute=rows.dispute, **AGREEMENT
    ).agreement
    reader, text = _text(agreement_pdf.render_agreement(agreement))
    flat = _flat(text)
    expected = [
        "人民调解协议书",
        "（2026）120113001001调字第1号",
        "第1社区人民调解委员会",
        "邻里纠纷",
        # The parties' basic facts (art. 29 (一)).
        "申请人",
        "张三",
        "男",
        "45岁",
        "汉族",
        "退休",
        "第1社区3号楼201",
        "被申请人",
        "王五",
        "女",
        "38岁",
        "回族",
        "天津某公司",
        # The facts, matters and responsibilities (二); the terms, manner and deadline (三).
        _flat(AGREEMENT["facts"]),
        _flat(AGREEMENT["matters"]),
        _flat(AGREEMENT["responsibilities"]),
        "一、301室于3月20日前修复防水层；",
        "二、301室赔偿201室吊顶损失人民币1500元。",
        _flat(AGREEMENT["performance_manner"]),
        "2026年3月20日",
        # When it takes effect (art. 29), the day, the copies, the confirmation notice (art. 33).
        "签名、盖章或者按指印",
        "人民调解委员会印章",
        "2026年3月10日",
        "一式3份",
        "三十日内",
        "司法确认",
        "2026年4月9日",
        # Signature lines.
        "李调解",
        "（盖章）",
    ]
    missing = [item for item in expected if _flat(item) not in flat]
    assert not missing, (missing, text)
    fonts = {
        str(font["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert any("OneGridCJK" in name or "WenQuanYi" in name for name in fonts), fonts


def test_an_oral_agreement_says_so(world):
    rows = mediation_rows(world)
    agreement = agreements.record_agreement(
        actor=rows.mediator, dispute=rows.dispute, **{**AGREEMENT, "form": "oral"}
    ).agreement
    _reader, text = _text(agreement_pdf.render_agreement(agreement))
    flat = _flat(text)
    assert "口头调解协议自各方当事人达成协议之日起生效" in flat
    assert "人民调解员签名并加盖人民调解委员会印章之日起生效" not in flat


def test_markup_in_user_text_is_drawn_as_text(world):
    rows = mediation_rows(world, party_name="<b>张三</b>&amp;<font size=40>")
    agreement = agreements.record_agreement(
        actor=rows.mediator,
        dispute=rows.dispute,
        **{**AGREEMENT, "terms": "<i>不</i>得 <br/> & <para>"},
    ).agreement
    _reader, text = _text(agreement_pdf.render_agreement(agreement))
    flat = _flat(text)
    assert _flat("<b>张三</b>&amp;<font size=40>") in flat
    assert _flat("<i>不</i>得 <br/> & <para>") in flat


def test_long_text_wraps_and_flows_over_pages(world):
    rows = mediation_rows(world)
    long_terms = "\n".join(f"第{i}条：双方同意按约定履行，不得反悔。" * 3 for i in range(1, 80))
    agreement = agreements.record_agreement(
        actor=rows.mediator,
        dispute=rows.dispute,
        **{**AGREEMENT, "terms": long_terms[:8000], "facts": "事实" * 3000},
    ).agreement
    reader, text = _text(agreement_pdf.render_agreement(agreement))
    assert len(reader.pages) >= 3
    flat = _flat(text)
    assert "第79条" in flat and "2026年4月9日" in flat  # nothing cut off at the end
    assert "（2026）120113001001调字第1号·第3页" in flat  # every page numbered
