"""Text XML 1.0 cannot hold (U+FFFE, U+FFFF, lone surrogates are not typeable; noncharacters
and C1 controls are) never breaks the Atom feed or a public page: the redaction drops them."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from django.test import Client

from onegrid.residents import public
from support.cases import drive


def test_noncharacters_in_a_description_do_not_break_the_feed(world, pages_on):
    case = drive(world, "closed")
    type(case).objects.filter(pk=case.pk).update(
        description="堆了\ufffe三天\uffff，\x85 \x0b 还有\U0001fffe"
    )
    response = Client().get("/public/feed.atom", {"grid": world.grids[0].code})
    assert response.status_code == 200
    root = ET.fromstring(response.content)  # raises on characters XML 1.0 refuses
    assert "堆了" in ET.tostring(root, encoding="unicode")


def test_redact_keeps_only_text_xml_can_hold():
    assert public.redact("a\ufffeb\uffffc\x85d\u200be\U0001fffef") == "a b c d e\U0001fffef"
