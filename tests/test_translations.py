"""The Simplified Chinese catalogue: complete, placeholder-safe, compiled, and used by Django."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import polib
import pytest
from django.utils import translation

LC_MESSAGES = Path(__file__).resolve().parents[1] / "src/onegrid/locale/zh_Hans/LC_MESSAGES"
PO_PATH = LC_MESSAGES / "django.po"
MO_PATH = LC_MESSAGES / "django.mo"

# %(name)s-style (any flags, width, precision), bare %s/%d/%.1f, and str.format {name} fields.
# "%%" is matched first so that a literal percent sign is never read as a placeholder.
PLACEHOLDER = re.compile(
    r"%%"
    r"|%\([^)]+\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]"
    r"|%[#0+-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]"
    r"|\{[A-Za-z_][A-Za-z0-9_]*(?:![rsa])?(?::[^{}]*)?\}"
)


def placeholders(text: str) -> Counter[str]:
    return Counter(m for m in PLACEHOLDER.findall(text) if m != "%%")


def _msgstrs(entry: polib._BaseEntry) -> list[str]:
    if entry.msgid_plural:
        return [entry.msgstr_plural[k] for k in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


def _pairs(catalogue: polib._BaseFile) -> dict[tuple[str | None, str, str], tuple[str, ...]]:
    # Keyed by context too: "Open" of a ballot and "Open" of a case are two entries.
    return {
        (e.msgctxt, e.msgid, e.msgid_plural): tuple(_msgstrs(e))
        for e in catalogue
        if e.msgid and not e.obsolete
    }


@pytest.fixture(scope="module")
def po() -> polib.POFile:
    return polib.pofile(str(PO_PATH))


def test_every_entry_translated_and_not_fuzzy(po):
    entries = [e for e in po if not e.obsolete]
    assert entries, "the catalogue is empty"
    untranslated = [e.msgid for e in entries if not all(s.strip() for s in _msgstrs(e))]
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    assert not untranslated, f"untranslated: {untranslated}"
    assert not fuzzy, f"fuzzy: {fuzzy}"
    assert not po.metadata_is_fuzzy
    assert po.percent_translated() == 100


def test_placeholders_preserved(po):
    wrong = []
    for e in po:
        if e.obsolete:
            continue
        # Chinese has one plural form, so every msgstr carries the plural's placeholders.
        expected = placeholders(e.msgid_plural or e.msgid)
        for text in _msgstrs(e):
            if placeholders(text) != expected:
                wrong.append((e.msgid, text))
    assert not wrong, f"placeholders differ: {wrong}"


def test_placeholder_pattern():
    assert placeholders("%(lon).6f, %(lat).6f in %(n)d %s %d {name} 93%% done") == Counter(
        ["%(lon).6f", "%(lat).6f", "%(n)d", "%s", "%d", "{name}"]
    )


def test_mo_is_up_to_date(po):
    assert MO_PATH.exists(), "compile the catalogue with msgfmt"
    mo = polib.mofile(str(MO_PATH))
    assert _pairs(mo) == _pairs(po)


def test_django_uses_the_catalogue():
    with translation.override("zh-hans"):
        assert translation.gettext("Closed") == "已结案"
        assert "登录" in translation.gettext(
            "Sign in first: the token is missing, wrong or expired."
        )
        assert (
            translation.ngettext("and %(count)d more problem", "and %(count)d more problems", 3)
            % {"count": 3}
            == "另有 3 个问题"
        )
    with translation.override("en"):
        assert translation.gettext("Closed") == "Closed"
