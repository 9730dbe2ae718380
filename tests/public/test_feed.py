"""The Atom feed of reports fixed near a place: parses as Atom 1.0, only fixed public reports
near the place (measured from their public point), newest first, bounded; bad parameters are
a 400 naming the field."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.test import Client

from onegrid.core import clock
from onegrid.residents import public
from support.cases import drive

ATOM = "{http://www.w3.org/2005/Atom}"


def _feed(**query):
    response = Client().get("/public/feed.atom", query)
    return response


def _parse(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    return root


def _rfc3339(text):
    return dt.datetime.fromisoformat(text)


def _check_atom(root):
    """Atom 1.0 (RFC 4287 §4.1): a feed has one id, title and updated, an author (here or in
    every entry); every entry one id, title, updated and a link; dates are RFC 3339."""
    for name in ("id", "title", "updated"):
        assert len(root.findall(f"{ATOM}{name}")) == 1, name
    _rfc3339(root.find(f"{ATOM}updated").text)
    assert root.find(f"{ATOM}author/{ATOM}name").text
    entries = root.findall(f"{ATOM}entry")
    for entry in entries:
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{ATOM}{name}")) == 1, name
        assert _rfc3339(entry.find(f"{ATOM}updated").text).tzinfo is not None
        assert entry.find(f"{ATOM}link").get("href").startswith("http")
    return entries


def test_fixed_reports_near_a_place(world, pages_on):
    first = drive(world, "closed")
    clock.set_now(clock.now() + dt.timedelta(hours=2))
    second = drive(world, "closed")
    still_open = drive(world, "dispatched")
    lon, lat = world.point
    entries = _check_atom(_parse(_feed(lon=f"{lon:.5f}", lat=f"{lat:.5f}", radius="500")))
    links = [e.find(f"{ATOM}link").get("href") for e in entries]
    assert [link.rsplit("/", 2)[-2] for link in links] == [second.number, first.number]
    assert still_open.number not in str(links)
    # The far grid's centre is about 1.7 km away: nothing fixed there within 500 m.
    far_lon, far_lat = world.far_point
    entries = _check_atom(_parse(_feed(lon=str(far_lon), lat=str(far_lat), radius="500")))
    assert entries == []
    # The whole grid.
    entries = _check_atom(_parse(_feed(grid=world.grids[0].code)))
    assert len(entries) == 2


def test_distances_are_from_the_public_point(world, pages_on):
    """A radius that reaches the exact point but not the public one finds nothing: radii cannot
    be used to close in on where a report was made."""
    pages_on.location = "100m"
    pages_on.save()
    grid = world.grids[0]
    case = drive(world, "closed")
    case.refresh_from_db()
    slon, slat = public.snap_100m(case.lon, case.lat)
    gap = public.distance_m(case.lon, case.lat, slon, slat)
    assert gap > 2
    # Circles of 1 m around the exact point, and around the public one.
    assert (
        _check_atom(_parse(_feed(lon=f"{case.lon:.7f}", lat=f"{case.lat:.7f}", radius="1"))) == []
    )
    assert len(_check_atom(_parse(_feed(lon=f"{slon:.6f}", lat=f"{slat:.6f}", radius="1")))) == 1
    assert grid.code


def test_hostile_text_is_escaped_and_personal_data_hidden(world, pages_on):
    case = drive(world, "closed")
    type(case).objects.filter(pk=case.pk).update(
        description="<script>alert(1)</script> & 电话 13812345678 ]]>"
    )
    response = _feed(grid=world.grids[0].code)
    entries = _check_atom(_parse(response))
    summary = entries[0].find(f"{ATOM}summary")
    assert summary.get("type") == "html"
    # Once unescaped by the XML parser, the HTML is still escaped: readers show it as text.
    assert "<script>" not in summary.text and "&lt;script&gt;" in summary.text
    assert b"13812345678" not in response.content


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({}, "lon"),
        ({"lon": "117.1"}, "lat"),
        ({"lon": "１１７.1", "lat": "39.2"}, "lon"),
        ({"lon": "117.1", "lat": "95"}, "lat"),
        ({"lon": "1e400", "lat": "39.2"}, "lon"),
        ({"lon": "nan", "lat": "39.2"}, "lon"),
        ({"lon": "117.1\x00", "lat": "39.2"}, "lon"),
        ({"lon": "117.1", "lat": "39.2", "radius": "5001"}, "radius"),
        ({"lon": "117.1", "lat": "39.2", "radius": "0"}, "radius"),
        ({"lon": "117.1", "lat": "39.2", "radius": "99999999999999999999"}, "radius"),
        ({"lon": "117.1", "lat": "39.2", "radius": "-5"}, "radius"),
        ({"grid": "12011300100100"}, "grid"),
        ({"grid": "999999999999999"}, "grid"),
        ({"grid": "120113001001001", "lon": "117.1"}, "grid"),
    ],
)
def test_bad_parameters_are_a_400_naming_the_field(world, pages_on, query, field):
    response = _feed(**query)
    assert response.status_code == 400
    assert response.content.decode().startswith(f"{field}: ")


def test_feed_switch_and_bounds(world, pages_on, settings):
    settings.ONEGRID = {**settings.ONEGRID, "PUBLIC_FEED_MAX_ITEMS": 1}
    drive(world, "closed")
    drive(world, "closed")
    assert len(_check_atom(_parse(_feed(grid=world.grids[0].code)))) == 1
    pages_on.feed_enabled = False
    pages_on.save()
    assert _feed(grid=world.grids[0].code).status_code == 404


def test_head_and_other_methods(world, pages_on):
    assert Client().head("/public/feed.atom", {"grid": world.grids[0].code}).status_code == 200
    assert Client().head("/public/").status_code == 200
    assert Client().post("/public/feed.atom").status_code == 405
