"""The working calendar page in a browser: the command centre checks a 2027 schedule file (a
dry run that changes nothing), sees its report, imports it, and the year's days show."""

from __future__ import annotations

from onegrid.core.models import HolidayDay, HolidayYear
from support.browser import screenshot
from support.holidays import SCHEDULE_2027_CSV


def test_command_centre_checks_then_imports_a_schedule(web):
    page = web.context("command").new_page()
    page.goto("/console/")
    page.click("#calendar-link")
    page.wait_for_url("**/console/calendar/")
    page.set_input_files(
        "#id_file",
        {"name": "2027.csv", "mimeType": "text/csv", "buffer": SCHEDULE_2027_CSV.encode("utf-8")},
    )
    page.fill("#id_year", "2027")
    page.click("#calendar-upload button[type=submit]")
    page.wait_for_selector('#calendar-report[data-refused="0"]')
    assert page.text_content('#calendar-plan tr[data-year="2027"] td:nth-child(2)') == "8"
    assert not HolidayYear.objects.exists()  # the check changed nothing
    screenshot(page, "calendar-checked")
    page.click("#calendar-import button[type=submit]")
    page.wait_for_url("**/console/calendar/?year=2027")
    page.wait_for_selector('#calendar-days tr[data-day="2027-02-14"][data-kind="work"]')
    assert page.is_visible('#calendar-years tr[data-year="2027"][data-source="schedule"]')
    assert HolidayYear.objects.get().imported_by == "command"
    assert HolidayDay.objects.count() == 10
    screenshot(page, "calendar-imported")
