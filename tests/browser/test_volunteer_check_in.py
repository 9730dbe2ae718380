"""A volunteer on a phone: registers, finds the activity near them (the phone's position),
signs up, checks in and out with its GPS, sees the hours waiting; the organiser confirms them
and the volunteer sees them confirmed. A check-in from too far is refused at the location,
with the distance."""

from __future__ import annotations

import datetime as dt

from onegrid.core import clock
from onegrid.org.models import Role
from onegrid.volunteers import activities
from onegrid.volunteers.models import SignUp
from support.browser import phone, screenshot, wait_until
from support.people import person


def post(organiser, world, *, title="清理楼道"):
    lon, lat = world.point
    now = clock.now()
    return activities.post_activity(
        actor=organiser,
        community_code=world.community.code,
        title=title,
        # Check-in opens 30 minutes before the start: this one is open for it now, and still
        # open for sign-up.
        starts_at=now + dt.timedelta(minutes=20),
        ends_at=now + dt.timedelta(hours=2),
        lon=lon,
        lat=lat,
        place="3号楼门口",
        capacity=5,
    )


def test_a_volunteer_signs_up_checks_in_and_out_and_the_organiser_confirms(web):
    world = web.world
    organiser = person("organiser", Role.ORGANISER, unit=world.community)
    activity = post(organiser, world)

    ctx = phone(web, "resident")
    page = ctx.new_page()
    page.goto("/field/volunteering/")
    page.select_option("#id_community", world.community.code)
    page.click("#register-form button[type=submit]")
    page.wait_for_selector(f'#near-list li[data-activity="{activity.pk}"]')
    assert "清理楼道" in page.inner_text("#near-list")
    assert page.get_attribute("#my-points-link", "href") == "/field/points/"
    screenshot(page, "volunteering-near")

    page.click(f'#near-list li[data-activity="{activity.pk}"] a')
    page.click("#sign-up")
    page.wait_for_selector("#check-in")
    page.click("#check-in")
    page.wait_for_selector("#check-out")
    row = SignUp.objects.get(activity=activity)
    assert row.checked_in_at is not None
    assert abs(row.check_in_lon - world.point[0]) < 1e-6

    # An hour and a half passes: the test moves the activity and the check-in back by it.
    shift = dt.timedelta(minutes=110)
    type(activity).objects.filter(pk=activity.pk).update(
        starts_at=activity.starts_at - shift, ends_at=activity.ends_at - shift
    )
    SignUp.objects.filter(pk=row.pk).update(checked_in_at=row.checked_in_at - shift)
    page.click("#check-out")
    page.wait_for_selector("#hours-pending")
    assert "1.50" in page.inner_text("#hours-pending")
    screenshot(page, "volunteering-checked-out")
    page.goto("/field/volunteering/hours/")
    assert page.get_attribute("#hours-by-month td[data-pending]", "data-pending") == "1.50"

    desk = web.context("organiser")
    sheet = desk.new_page()
    sheet.goto(f"/volunteers/activities/{activity.pk}/")
    sheet.click(f'tr[data-sign-up="{row.pk}"] .confirm-form button')
    sheet.wait_for_selector(f'tr[data-sign-up="{row.pk}"] [data-confirmed]')
    screenshot(sheet, "organiser-confirmed")
    wait_until(lambda: SignUp.objects.get(pk=row.pk).confirmed_at is not None, what="confirmed")

    page.goto(f"/field/volunteering/activities/{activity.pk}/")
    assert "1.50" in page.inner_text("#hours-confirmed")


def test_a_check_in_from_too_far_is_refused_with_the_distance(web):
    world = web.world
    organiser = person("organiser", Role.ORGANISER, unit=world.community)
    activity = post(organiser, world, title="义诊")
    lon, lat = world.point
    ctx = phone(web, "resident", point=(lon, lat + 0.01))  # about 1.1 km north
    page = ctx.new_page()
    page.goto("/field/volunteering/")
    page.select_option("#id_community", world.community.code)
    page.click("#register-form button[type=submit]")
    page.goto(f"/field/volunteering/activities/{activity.pk}/")
    page.click("#sign-up")
    page.wait_for_selector("#check-in")
    page.click("#check-in")
    page.wait_for_selector('#volunteering-status[data-field="location"]')
    message = page.inner_text("#volunteering-status")
    assert "111" in message and "200" in message
    assert SignUp.objects.get(activity=activity).checked_in_at is None


def test_an_activity_title_with_markup_is_text_in_the_near_list(web):
    world = web.world
    organiser = person("organiser", Role.ORGANISER, unit=world.community)
    payload = "<img src=x onerror=window.__xss=1>"
    activity = post(organiser, world, title=payload)
    ctx = phone(web, "resident")
    page = ctx.new_page()
    page.goto("/field/volunteering/")
    page.select_option("#id_community", world.community.code)
    page.click("#register-form button[type=submit]")
    page.wait_for_selector(f'#near-list li[data-activity="{activity.pk}"]')
    assert payload in page.inner_text("#near-list")
    assert page.locator("#near-list img").count() == 0
    assert page.evaluate("() => window.__xss === undefined")
