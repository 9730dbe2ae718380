"""The public pages: off switches, what is listed, filters, photos only once approved, no
personal data and never the exact point, the status page by tracking code."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image

from onegrid.cases.models import Case, Photo
from onegrid.core import clock
from onegrid.residents import public
from onegrid.residents.public_models import PublicSettings
from support.cases import act, drive, report

PHONE = "13912345678"


def _exif_photo():
    """A JPEG whose EXIF holds a GPS position and a camera serial."""
    image = Image.new("RGB", (40, 30), (10, 200, 10))
    exif = Image.Exif()
    exif[0xA431] = "SERIAL-12345"  # BodySerialNumber
    exif[0x8825] = {1: "N", 2: (39.0, 12.0, 30.0)}  # GPSInfo
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("gps.jpg", buffer.getvalue(), content_type="image/jpeg")


def _registered(world, **extra):
    case = report(world, **extra)
    return act(case, world.people.acceptor, "register")


def _page(client, url="/public/", **query):
    response = client.get(url, query)
    return response, response.content.decode()


def test_off_by_default_everything_but_tracking_is_a_translated_404(world):
    case = _registered(world, description="路灯坏了")
    anyone = Client()
    response, html = _page(anyone)
    assert response.status_code == 404
    assert 'id="public-off"' in html and "不公开" in html
    assert anyone.get(f"/public/cases/{case.number}/").status_code == 404
    assert anyone.get("/public/feed.atom", {"lon": "117.1", "lat": "39.2"}).status_code == 404
    # The reporter still follows the case by its code: progress, no description.
    response, html = _page(anyone, f"/public/reports/{case.tracking_code}/")
    assert response.status_code == 200
    assert str(public.STATE_WORDS["registered"]) in html
    assert "路灯坏了" not in html and 'id="public-unlisted"' in html


def test_switched_off_district_and_private_class_are_not_listed(world, pages_on):
    shown = _registered(world, description="公开的")
    hidden_class = _registered(world, case_class=world.fight, description="治安的")
    world.fight.public = False
    world.fight.save()
    _response, html = _page(Client())
    assert shown.number in html and hidden_class.number not in html
    assert Client().get(f"/public/cases/{hidden_class.number}/").status_code == 404
    pages_on.enabled = False
    pages_on.save()
    assert Client().get("/public/").status_code == 404


def test_only_accepted_reports_are_listed(world, pages_on):
    waiting = report(world, who=world.people.resident, description="待受理")
    accepted = _registered(world)
    fixed = drive(world, "closed")
    _response, html = _page(Client())
    assert waiting.state in ("reported", "verifying")
    assert waiting.number not in html
    assert accepted.number in html and fixed.number in html


@pytest.mark.parametrize("location", ["grid", "100m"])
def test_no_personal_data_and_never_the_exact_point(world, pages_on, location):
    pages_on.location = location
    pages_on.save()
    point = (world.point[0] + 0.001234, world.point[1] - 0.002345)
    case = _registered(
        world,
        point=point,
        description=f"我叫李四，电话{PHONE}，邮箱 li.si@example.com，身份证11010519491231002X",
        address="果园新村3号楼2单元502室",
        reporter_name="李四",
        reporter_phone="13700001111",
    )
    case.refresh_from_db()
    for url in (
        "/public/",
        f"/public/cases/{case.number}/",
        f"/public/reports/{case.tracking_code}/",
    ):
        response, html = _page(Client(), url)
        assert response.status_code == 200, url
        for secret in (
            PHONE,
            "li.si@example.com",
            "11010519491231002X",
            "李四",
            "13700001111",
            "502室",
            world.people.acceptor.username,
        ):
            assert secret not in html, (url, secret)
        # Not the point to a metre or so (within the square, the first digits agree, of course).
        for exact in (f"{case.lon:.5f}", f"{case.lat:.5f}", repr(case.lon), repr(case.lat)):
            assert exact not in html, (url, exact)
        expected = (
            public.snap_100m(case.lon, case.lat)
            if location == "100m"
            else (round(case.grid.label_lon, 6), round(case.grid.label_lat, 6))
        )
        assert f'"lon": {expected[0]}, "lat": {expected[1]}' in html
        assert public.MASK in html


def test_filters_and_their_errors(world, pages_on):
    rubbish = _registered(world)
    manhole = _registered(world, case_class=world.manhole)
    _response, html = _page(Client(), **{"class": "A0201"})
    assert manhole.number in html and rubbish.number not in html
    _response, html = _page(Client(), state="fixed")
    assert manhole.number not in html
    _response, html = _page(Client(), street=world.street.code)
    assert manhole.number in html
    for query, field in (
        ({"class": "ZZZ"}, "class"),
        ({"state": "closed<script>"}, "state"),
        ({"street": "120113099000"}, "street"),
        ({"page": "１"}, "page"),
        ({"page": "99999999999999999999"}, "page"),
        ({"class": "A\x00"}, "class"),
    ):
        response, html = _page(Client(), **query)
        assert response.status_code == 400, query
        assert f'data-field="{field}"' in html, query
        assert "<script>" not in html


def test_paging(world, pages_on, settings):
    settings.ONEGRID = {**settings.ONEGRID, "PUBLIC_PAGE_SIZE": 2}
    cases = []
    for minutes in range(3):
        clock.set_now(clock.now().replace(minute=minutes + 31))
        cases.append(_registered(world))
    _response, first = _page(Client())
    _response, second = _page(Client(), page="2")
    assert cases[2].number in first and cases[1].number in first and cases[0].number not in first
    assert cases[0].number in second and 'rel="prev"' in second


def test_photos_only_once_approved_as_a_copy_without_exif(world, pages_on):
    case = _registered(world, photo_files=[_exif_photo()])
    shot = Photo.objects.get(case=case)
    url = reverse("web:public_photo", args=[shot.pk, "view"])
    _response, html = _page(Client())
    assert str(shot.pk) not in html
    assert Client().get(url).status_code == 404
    Photo.objects.filter(pk=shot.pk).update(
        approved_at=clock.now(), approved_by=world.people.acceptor
    )
    _response, html = _page(Client())
    assert url in html
    response = Client().get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    body = b"".join(response.streaming_content)
    original = shot.file.open("rb").read()
    assert body != original and b"SERIAL-12345" in original
    with Image.open(io.BytesIO(body)) as served:
        assert not served.getexif()
    assert b"SERIAL-12345" not in body
    thumb = Client().get(reverse("web:public_photo", args=[shot.pk, "thumb"]))
    assert thumb.status_code == 200
    assert Client().get(f"/public/photos/{shot.pk}/original.jpg").status_code == 404
    # The original stays behind the signed-in, scoped API.
    assert Client().get(f"/api/v1/photos/{shot.pk}").status_code in (401, 403)
    # A class taken off the public pages takes its approved photos with it.
    world.rubbish.public = False
    world.rubbish.save()
    assert Client().get(url).status_code == 404
    assert Client().get("/public/photos/not-a-uuid/view.jpg").status_code == 404


def test_status_page_by_tracking_code(world, pages_on):
    case = _registered(world, description="井盖缺失")
    case = act(case, world.people.dispatcher, "dispatch")
    code = case.tracking_code
    messy = f"{code[:4].lower()}-{code[4:]}"
    response = Client().get("/public/track/", {"code": messy})
    assert response.status_code == 302 and response["Location"].endswith(f"/public/reports/{code}/")
    response, html = _page(Client(), response["Location"])
    assert response.status_code == 200
    assert str(public.STATE_WORDS["dispatched"]) in html
    assert f"{clock.now():%Y}" in html and 'id="public-expected"' in html
    assert "井盖缺失" in html
    response, html = _page(Client(), "/public/reports/0000000000/")
    assert response.status_code == 404 and 'data-field="code"' in html
    response, html = _page(Client(), "/public/track/", code="not a code\x00")
    assert response.status_code == 400 and 'data-field="code"' in html


def test_expected_completion_before_dispatch_is_an_estimate(world, pages_on):
    case = _registered(world)
    found = public.by_tracking_code(case.tracking_code)
    assert found.expected_at is not None and found.expected_at > clock.now()
    closed = drive(world, "closed")
    found = public.by_tracking_code(closed.tracking_code)
    assert found.expected_at is None and found.closed_at is not None and found.fixed


def test_tracking_look_ups_are_throttled(world, pages_on, settings):
    settings.ONEGRID = {**settings.ONEGRID, "PUBLIC_LOOKUPS_PER_MINUTE": 2}
    anyone = Client()
    codes = [anyone.get("/public/reports/0000000000/").status_code for _ in range(3)]
    assert codes == [404, 404, 429]


def test_english_pages(world, pages_on):
    _registered(world)
    anyone = Client()
    anyone.cookies["django_language"] = "en"
    _response, html = _page(anyone)
    assert "Accepted; being sent to the department responsible" in html
    assert PublicSettings.objects.count() == 1
    assert Case.objects.exists()


def test_a_merged_report_follows_the_case_it_joined(world, pages_on):
    target = _registered(world)
    target = act(target, world.people.dispatcher, "dispatch")
    duplicate = act(report(world), world.people.acceptor, "merge", target=target.number)
    response, html = _page(Client(), f"/public/reports/{duplicate.tracking_code}/")
    assert response.status_code == 200
    assert 'id="public-merged"' in html and target.number in html
    assert str(public.STATE_WORDS["dispatched"]) in html


def test_the_admin_edits_a_districts_switches(world, admin_client):
    assert admin_client.get("/admin/residents/publicsettings/").status_code == 200
    response = admin_client.post(
        "/admin/residents/publicsettings/add/",
        {"district": world.district.pk, "enabled": "on", "location": "100m", "feed_enabled": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    row = PublicSettings.objects.get(district=world.district)
    assert row.enabled and row.location == "100m" and row.photos_require_approval
    response = admin_client.post(
        "/admin/residents/publicsettings/add/",
        {"district": world.street.pk, "location": "grid"},
    )
    assert response.status_code == 200  # a street is not a district: refused, nothing saved
    assert PublicSettings.objects.count() == 1


def test_the_list_reads_a_fixed_number_of_queries(world, pages_on, settings):
    # (the working calendar's version is re-read on a timer, not per case: keep it out)
    settings.ONEGRID = {**settings.ONEGRID, "CALENDAR_RECHECK_SECONDS": 3600}
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert Client().get("/public/").status_code == 200
        return len(queries)

    for _ in range(2):
        shot = _registered(world, reporter_name="某人")
    count()
    few = count()
    for _ in range(4):
        shot = _registered(world, case_class=world.manhole)
    Photo.objects.filter(case=shot).update(approved_at=clock.now())
    assert count() == few


def test_a_listed_reports_page_offers_its_grids_feed(world, pages_on):
    case = _registered(world)
    _response, html = _page(Client(), f"/public/cases/{case.number}/")
    href = f"/public/feed.atom?grid={case.grid.code}"
    assert f'rel="alternate" type="application/atom+xml" href="{href}"' in html
    assert Client().get(href).status_code == 200
    _response, html = _page(Client())
    assert 'id="feed-form"' in html and 'rel="alternate"' not in html


def test_the_command_switches_a_district(world):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    out = io.StringIO()
    call_command(
        "public_pages",
        "set",
        world.district.code,
        "--pages",
        "on",
        "--location",
        "100m",
        stdout=out,
    )
    row = PublicSettings.objects.get(district=world.district)
    assert row.enabled and row.location == "100m" and row.feed_enabled
    assert world.district.code in out.getvalue()
    assert Client().get("/public/").status_code == 200
    call_command("public_pages", "set", world.district.code, "--feed", "off", stdout=io.StringIO())
    row.refresh_from_db()
    assert row.enabled and not row.feed_enabled
    with pytest.raises(CommandError, match="district"):
        call_command("public_pages", "set", world.street.code, "--pages", "on")
    assert PublicSettings.objects.count() == 1


def test_only_the_switched_on_districts_reports_are_public(world, pages_on):
    from onegrid.territory.models import AdminUnit

    # The second street moves to a district of its own, whose pages stay off.
    other = AdminUnit.objects.create(
        code="120114000000", name="另一区", level="district", parent=world.district.parent
    )
    AdminUnit.objects.filter(pk=world.other_street.pk).update(parent=other)
    PublicSettings.objects.create(district=other, enabled=False)
    here = drive(world, "closed")
    there = act(
        report(world, who=world.people.far_worker, point=world.far_point),
        world.people.other_acceptor,
        "register",
    )
    _response, html = _page(Client())
    assert here.number in html and there.number not in html
    assert Client().get(f"/public/cases/{there.number}/").status_code == 404
    response, html = _page(Client(), street=world.other_street.code)
    assert response.status_code == 400 and 'data-field="street"' in html
    assert world.other_street.name not in html.split('id="public-filters"')[1].split("</form>")[0]
    response = Client().get("/public/feed.atom", {"grid": world.grids[2].code})
    assert response.status_code == 200 and there.number.encode() not in response.content
    # Its reporter still follows it by the code: progress only.
    response, html = _page(Client(), f"/public/reports/{there.tracking_code}/")
    assert response.status_code == 200 and 'id="public-unlisted"' in html
