"""The working calendar page: who may open it, the years and days shown, the upload (always
checked first, then imported from the checked copy), refusals that change nothing, the download,
and the banner that warns from 1 December when next year has no holiday schedule."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from onegrid.cases.calendar import add_working_time
from onegrid.core import clock, holiday_schedule, limits, workdays
from onegrid.core.models import CalendarState, HolidayDay, HolidayYear
from onegrid.org.models import Role, RoleAssignment, User
from support.holidays import SCHEDULE_2027_CSV, import_2027

TZ = workdays.TZ
DECEMBER_FIRST = dt.datetime(2026, 12, 1, 8, 0, tzinfo=TZ)
NOVEMBER_LAST = dt.datetime(2026, 11, 30, 18, 0, tzinfo=TZ)
URL = "/console/calendar/"


@pytest.fixture
def people(world):
    admin = User.objects.create_user("admin", password="pw-admin", display_name="admin")
    RoleAssignment.objects.create(user=admin, role=Role.ADMIN, unit=world.district)
    world.people.admin = admin
    return world.people


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload(text: str, name="2027.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), "text/csv")


def check(client, text=SCHEDULE_2027_CSV, **fields):
    return client.post(reverse("web:calendar_check"), {"file": upload(text), **fields})


def test_only_administrators_and_the_command_centre_open_it(people):
    assert client_for(people.admin).get(URL).status_code == 200
    assert client_for(people.command).get(URL).status_code == 200
    for who in (people.dispatcher, people.resident, people.city_handler, people.leader):
        assert client_for(who).get(URL).status_code == 403
        response = client_for(who).post(reverse("web:calendar_check"), {"file": upload("x")})
        assert response.status_code == 403
    assert Client().get(URL).status_code == 302
    console = client_for(people.command).get(reverse("web:console")).content.decode()
    assert 'id="calendar-link"' in console
    desk = client_for(people.dispatcher).get(reverse("web:console")).content.decode()
    assert 'id="calendar-link"' not in desk


def test_years_and_days_are_shown_from_package_or_schedule(people):
    client = client_for(people.admin)
    page = client.get(URL, {"year": 2026}).content.decode()
    assert 'data-year="2026" data-source="package"' in page
    assert 'data-day="2026-02-16" data-kind="rest"' in page
    page = client.get(URL, {"year": 2027}).content.decode()
    assert 'id="calendar-days" data-year="2027" data-source="weekdays"' in page
    import_2027(imported_by="admin")
    page = client.get(URL, {"year": 2027}).content.decode()
    assert '<tr data-year="2027" data-source="schedule"' in page
    assert 'data-day="2027-02-14" data-kind="work"' in page
    assert client.get(URL, {"year": "²"}).status_code == 400
    assert client.get(URL, {"year": "99999"}).status_code == 400


def test_upload_is_checked_first_then_imported(people):
    client = client_for(people.admin)
    start = dt.datetime(2027, 2, 4, 16, tzinfo=TZ)
    assert add_working_time(start, 4, "hours") == dt.datetime(2027, 2, 5, 12, tzinfo=TZ)
    response = check(client)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-refused="0" data-dry-run="1"' in page
    assert '<tr data-year="2027"><td>2027</td><td>8</td><td>2</td>' in page
    assert 'id="calendar-warnings"' in page  # the weekend 休 days
    assert not HolidayYear.objects.exists()  # checking changed nothing
    checked = response.context["checked"]
    assert checked
    response = client.post(reverse("web:calendar_import"), {"checked": checked})
    assert response.status_code == 302
    assert response["Location"].endswith("?year=2027")
    year = HolidayYear.objects.get()
    assert (year.year, year.imported_by, year.source_name) == (2027, "admin", "2027.csv")
    assert HolidayDay.objects.count() == 10
    assert add_working_time(start, 4, "hours") == dt.datetime(2027, 2, 12, 12, tzinfo=TZ)
    # Pressing Import again (a retry after a lost response) changes nothing.
    version = CalendarState.objects.get().version
    response = client.post(reverse("web:calendar_import"), {"checked": checked}, follow=True)
    assert response.status_code == 200
    assert CalendarState.objects.get().version == version
    assert HolidayDay.objects.count() == 10


def test_a_bad_file_names_every_row_and_offers_no_import(people):
    client = client_for(people.admin)
    response = check(client, "日期,类型\n2027-02-03,班\n2027-02-31,休\n2027-02-05,休\n")
    assert response.status_code == 422
    page = response.content.decode()
    assert 'data-refused="1"' in page
    assert 'data-row="2" data-field="kind"' in page
    assert 'data-row="3" data-field="date"' in page
    assert 'id="calendar-import"' not in page
    assert not HolidayYear.objects.exists()


def test_a_year_with_a_schedule_needs_replace(people):
    import_2027()
    client = client_for(people.admin)
    other = SCHEDULE_2027_CSV.replace("2027-02-14", "2027-02-20")
    response = check(client, other)
    assert response.status_code == 422
    assert 'data-field="replace"' in response.content.decode()
    response = check(client, other, replace="1")
    assert response.status_code == 200
    client.post(reverse("web:calendar_import"), {"checked": response.context["checked"]})
    assert HolidayDay.objects.filter(day=dt.date(2027, 2, 20)).exists()
    assert not HolidayDay.objects.filter(day=dt.date(2027, 2, 14)).exists()


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"year": "20x7"},
        {"year": "2027", "file": "missing"},
    ],
)
def test_bad_form_fields_are_a_400_that_changes_nothing(people, fields):
    client = client_for(people.admin)
    if "file" in fields:
        data = {"year": fields["year"]}
    else:
        data = {"file": upload(SCHEDULE_2027_CSV), **fields}
        if not fields:
            data["file"] = SimpleUploadedFile("x.xlsx", b"PK\x03\x04broken", "application/zip")
    response = client.post(reverse("web:calendar_check"), data)
    assert response.status_code == 400
    assert 'id="calendar-error"' in response.content.decode()
    assert not HolidayYear.objects.exists()


def test_a_file_over_the_schedule_limit_is_refused_before_it_is_read(people):
    client = client_for(people.admin)
    large = SimpleUploadedFile("2027.csv", b"x" * (holiday_schedule.MAX_FILE_BYTES + 1))
    response = client.post(reverse("web:calendar_check"), {"file": large})
    assert response.status_code == 400
    assert (
        response.context["error"] == limits.file_too_large(holiday_schedule.MAX_FILE_BYTES).message
    )
    assert not HolidayYear.objects.exists()


def test_an_altered_checked_file_is_refused(people):
    client = client_for(people.admin)
    forged = signing.dumps({"data": "", "name": "x", "year": None, "replace": True}, salt="other")
    for value in ("", "garbage", forged):
        response = client.post(reverse("web:calendar_import"), {"checked": value})
        assert response.status_code == 400
    assert not HolidayYear.objects.exists()


def test_download_of_a_year(people):
    import_2027()
    client = client_for(people.admin)
    response = client.get(reverse("web:calendar_export", args=[2027, "csv"]))
    assert response.status_code == 200
    assert response.content.decode("utf-8-sig").splitlines()[1] == "2027-01-01,休,元旦"
    response = client.get(reverse("web:calendar_export", args=[2027, "xlsx"]))
    assert response.content[:2] == b"PK"
    assert client.get("/console/calendar/2027.pdf").status_code == 404
    assert client_for(people.dispatcher).get("/console/calendar/2027.csv").status_code == 403


# --- the banner -------------------------------------------------------------------------------


def banner(client, url="/console/") -> str | None:
    page = client.get(url).content.decode()
    marker = 'data-calendar-missing="'
    if marker not in page:
        return None
    return page.split(marker, 1)[1].split('"', 1)[0]


def test_banner_from_the_first_of_december_for_desks_and_administrators(people):
    clock.set_now(NOVEMBER_LAST)
    assert banner(client_for(people.dispatcher)) is None
    clock.set_now(DECEMBER_FIRST)
    assert banner(client_for(people.dispatcher)) == "2027"
    assert banner(client_for(people.command)) == "2027"
    assert banner(client_for(people.admin), URL) == "2027"
    # Departments and the field do not keep the calendar; they are not told.
    assert banner(client_for(people.city_handler), "/inbox/") is None
    assert banner(client_for(people.worker), "/field/") is None
    # The desk is told to ask; the administrator gets the link.
    desk = client_for(people.dispatcher).get("/console/").content.decode()
    assert f'href="{URL}"' not in desk.split('data-calendar-missing="2027"', 1)[1].split("</p>")[0]
    admin = client_for(people.command).get("/console/").content.decode()
    assert f'href="{URL}"' in admin.split('data-calendar-missing="2027"', 1)[1].split("</p>")[0]
    import_2027()
    assert banner(client_for(people.dispatcher)) is None


def test_banner_in_english(people):
    clock.set_now(DECEMBER_FIRST)
    client = client_for(people.dispatcher)
    page = client.get("/console/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "2027 has no holiday schedule yet" in page
