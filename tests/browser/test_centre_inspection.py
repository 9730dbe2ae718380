"""A Party service centre's inspection on a phone: the community's Party staff score every
item, attach a photo and save; the low item becomes a rectification case shown on the centre's
page with a link to the case; a leader at a desk sees the centre's latest score on the list."""

from __future__ import annotations

import io

from PIL import Image

from onegrid.party.models import Rectification
from support.browser import screenshot
from support.party_rows import party_rows


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_an_inspection_on_a_phone_makes_a_rectification_case(web, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    rows = party_rows(web.world)
    space, signage = rows.checklist[:2]
    page = web.context("party_community", phone=True).new_page()
    page.goto(f"/party/centres/{rows.centre.pk}/")
    page.click("#inspect-link")
    page.wait_for_selector("#inspection-form")
    page.fill(f"input[name=score_{space.pk}]", "6")
    page.fill(f"input[name=note_{space.pk}]", "活动室面积不足")
    page.fill(f"input[name=score_{signage.pk}]", "10")
    page.set_input_files(
        f"input[name=photo_{space.pk}]",
        files=[{"name": "space.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}],
    )
    screenshot(page, "centre-inspection-phone")
    page.click("#inspection-form button[type=submit]")
    page.wait_for_url(f"**/party/centres/{rows.centre.pk}/")
    rect = Rectification.objects.get()
    assert rect.item == space and rect.case is not None
    link = page.wait_for_selector(f'#rectifications a[href="/cases/{rect.case.number}/"]')
    assert link.inner_text() == rect.case.number
    assert page.query_selector("article[data-inspection] img") is not None

    desk = web.context("leader").new_page()
    desk.goto("/party/centres/")
    row = desk.wait_for_selector(f'#centres tr[data-centre="{rows.centre.pk}"]')
    assert "16/30" in row.inner_text()
    screenshot(desk, "centres-list")
