"""The case page shows viewing copies and thumbnails and only links to originals (issue 9 §1.5)."""

from __future__ import annotations

import re

from support.cases import act, drive, photo
from support.web import client_for


def test_the_case_page_shows_copies_and_links_the_originals(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = drive(world, "in_progress")
    act(case, world.people.city_handler, "feed_back", reason="done", photos=[photo()])
    client = client_for(world, "acceptor")
    page = client.get(f"/cases/{case.number}/").content.decode()
    ids = {str(p.id) for p in case.photos.all()}
    sources = re.findall(r'<img src="([^"]+)"', page)
    assert set(sources) == {f"/api/v1/photos/{i}/view" for i in ids} | {
        f"/api/v1/photos/{i}/thumb" for i in ids
    }
    links = set(re.findall(r'<a href="(/api/v1/photos/[^"]+)"', page))
    assert links == {f"/api/v1/photos/{i}" for i in ids}  # the originals, only linked
    for url in sources:
        assert client.get(url).status_code == 200
