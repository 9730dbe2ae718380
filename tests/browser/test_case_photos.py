"""A case page with phone-sized photos costs the browser copies, not originals (issue 9 §1.5)."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from support.cases import act, drive


def big_photo(colour) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (6000, 4000), colour).save(buffer, "JPEG", quality=60)  # 24 MP
    return SimpleUploadedFile("big.jpg", buffer.getvalue(), content_type="image/jpeg")


def test_the_case_page_decodes_no_image_larger_than_the_viewing_copy(web, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    world = web.world
    case = drive(world, "in_progress")
    act(
        case,
        world.people.city_handler,
        "feed_back",
        reason="done",
        photos=[big_photo((40 * n, 90, 160)) for n in range(3)],
    )
    page = web.context("acceptor").pages[0]
    page.goto(f"/cases/{case.number}/")
    page.wait_for_function(
        "() => [...document.images].every(i => i.complete && i.naturalWidth > 0)"
    )
    sizes = page.eval_on_selector_all(
        "img", "imgs => imgs.map(i => [i.naturalWidth, i.naturalHeight])"
    )
    assert len(sizes) == 2 + 1 + 3  # before and after; the timeline's report and feedback
    assert all(max(w, h) <= 1600 for w, h in sizes)
    decoded = sum(w * h * 4 for w, h in sizes)
    assert decoded < 12 * 1024 * 1024  # a page of 24 MP originals would decode to ~380 MB
