"""Personal data never reaches the public text: phones, ID and card numbers, e-mail addresses
in any digits, and the reporters' own names."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onegrid.residents import public


@pytest.mark.parametrize(
    "text",
    [
        "电话13812345678",
        "联系 138 1234 5678 张先生",
        "call +86 138-1234-5678",
        "座机022-26391234",
        "身份证11010519491231002X号",
        "身份证 11010519491231002x",
        "老身份证110105491231002",
        "卡号6222021234567890123",
        "全角１３８１２３４５６７８",
        "阿拉伯数字٠١٢٣٤٥٦٧٨٩",
        "一三八一二三四五六七八",
        "mail me: zhang.san+x@example.com.cn",
        "NUL\x00138\x001234\x005678",
    ],
)
def test_numbers_and_addresses_are_hidden(text):
    shown = public.redact(text)
    digits = re.sub(r"\D", "", public._ascii_digits(shown).translate(public._CHINESE_DIGITS))
    assert len(digits) < 7, shown
    assert "@" not in shown
    assert "\x00" not in shown
    assert public.MASK in shown


def test_ordinary_text_is_kept():
    text = "3号楼2单元门口有暴露垃圾，约2立方米。"
    assert public.redact(text) == text


def test_reporters_names_and_phones_are_removed():
    shown = public.redact("我是王小明，楼下垃圾没人管", also=["王小明", "13900001111"])
    assert "王小明" not in shown and public.MASK in shown


def test_long_text_is_cut():
    assert len(public.redact("垃圾" * 1000)) == public.DESCRIPTION_CHARS


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=30),
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    st.sampled_from(["", " ", "-", "."]),
    st.text(max_size=30),
)
def test_no_mobile_number_survives(before, phone, sep, after):
    written = f"{phone[:3]}{sep}{phone[3:7]}{sep}{phone[7:]}"
    shown = public.redact(f"{before} {written} {after}")
    assert all(phone not in run for run in re.findall(r"\d+", public._ascii_digits(shown)))
