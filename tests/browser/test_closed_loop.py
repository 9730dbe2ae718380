"""The whole closed loop by four people in four browsers, and the doors each role may not open."""

from __future__ import annotations

import pytest

from onegrid.cases.models import Case, CaseEvent
from support.browser import fill_report, open_report, phone, photo_payload, screenshot


def open_action(page, action: str):
    """Open the form of one workflow action on the case page."""
    page.click(f'details.action[data-action="{action}"] > summary')
    return page.locator(f'details.action[data-action="{action}"] form')


def test_the_whole_loop_by_four_people(web, settings):
    settings.ONEGRID = {**settings.ONEGRID, "LIVE_POLL_SECONDS": 1}
    world = web.world
    lon, lat = world.point
    worker = phone(web, "worker", {"longitude": lon, "latitude": lat, "accuracy": 10}).pages[0]
    acceptor = web.context("acceptor").pages[0]
    dispatcher = web.context("dispatcher").pages[0]
    handler = web.context("city_handler").pages[0]

    # 1. The grid worker reports with a photo from the field app.
    report_from_field_app(worker, class_code="A0101", text="楼顶私搭乱建，约20平方米")
    case = Case.objects.get(reporter=world.people.worker)
    assert case.photos.filter(kind="before").count() == 1

    # 2. The street acceptor sees it in the incoming queue and registers it.
    acceptor.goto("/console/")
    screenshot(acceptor, "console")
    acceptor.click(f'#queue tr[data-number="{case.number}"] a')
    open_action(acceptor, "register").locator("button[type=submit]").click()
    acceptor.wait_for_selector("#case-state[data-state=registered]")

    # 3. The dispatcher dispatches it to the city-management department.
    dispatcher.goto("/console/?tab=dispatch")
    dispatcher.click(f'#queue tr[data-number="{case.number}"] a')
    form = open_action(dispatcher, "dispatch")
    form.locator("select[name=department]").select_option("city_management")
    form.locator("button[type=submit]").click()
    dispatcher.wait_for_selector("#case-state[data-state=dispatched]")

    # The leader's live map shows the open case in its grid.
    leader = web.context("leader").pages[0]
    leader.goto("/map/")
    leader.wait_for_selector("#map[data-state=ready]")
    leader.evaluate(f"window.onegridMap.select('{world.grids[0].code}')")
    leader.wait_for_selector(f'#grid-panel .grid-case[data-number="{case.number}"]')
    screenshot(leader, "map")

    # 4. The department signs for it and feeds back with an after-photo.
    handler.goto("/inbox/")
    screenshot(handler, "inbox")
    handler.click(f'#inbox tr[data-number="{case.number}"] a')
    open_action(handler, "sign").locator("button[type=submit]").click()
    handler.wait_for_selector("#case-state[data-state=in_progress]")
    form = open_action(handler, "feed_back")
    form.locator("textarea[name=reason]").fill("已拆除，现场恢复")
    form.locator("input[name=photos]").set_input_files(photo_payload("after.jpg", (40, 160, 40)))
    form.locator("button[type=submit]").click()
    handler.wait_for_selector("#case-state[data-state=checking]")

    # 5. The grid worker checks on site and passes the check.
    check_from_field_app(worker, case)

    # 6. The acceptor closes it; the case page shows the whole story.
    acceptor.goto(f"/cases/{case.number}/")
    open_action(acceptor, "close").locator("button[type=submit]").click()
    acceptor.wait_for_selector("#case-state[data-state=closed]")
    case.refresh_from_db()
    assert case.state == "closed"
    actions = list(
        CaseEvent.objects.filter(case=case).order_by("seq").values_list("action", flat=True)
    )
    assert actions == [
        "report",
        "register",
        "dispatch",
        "sign",
        "feed_back",
        "start_check",
        "pass_check",
        "close",
    ]
    timeline = acceptor.locator("#timeline li")
    assert timeline.count() == len(actions)
    assert acceptor.locator("#before-after img").count() == 2
    # What is left for the acceptor on a closed case is the call-back and a comment.
    offered = acceptor.locator("details.action").evaluate_all(
        "nodes => nodes.map(n => n.dataset.action)"
    )
    assert offered == ["revisit", "comment"]
    screenshot(acceptor, "case-page")

    # 7. The leader sees it on the live map: its grid lists no open case any more.
    leader.evaluate(f"window.onegridMap.select('{world.grids[0].code}')")
    leader.wait_for_selector("#grid-no-cases")
    assert leader.locator(f'.grid-case[data-number="{case.number}"]').count() == 0


def report_from_field_app(page, *, class_code: str, text: str) -> None:
    """Photo, class chip, send: the location comes from the phone's GPS."""
    open_report(page)
    fill_report(page, class_code, text, photo_file=photo_payload("before.jpg"))
    screenshot(page, "field-report")
    page.click("#report-submit")
    page.wait_for_selector("#after-report", state="visible")


def check_from_field_app(page, case) -> None:
    page.goto("/field/")
    card = page.locator(f"#case-{case.number}")
    card.wait_for()
    card.locator("summary").click()
    card.locator('input[type="file"]').set_input_files(photo_payload("check.jpg", (10, 160, 10)))
    card.locator('button[value="pass_check"]').click()
    card.locator(".done-line").wait_for(state="visible")


@pytest.mark.parametrize(
    ("username", "url"),
    [
        ("worker", "/console/"),
        ("resident", "/inbox/"),
        ("acceptor", "/inbox/"),
        ("city_handler", "/console/"),
        ("leader", "/field/"),
        ("command", "/inbox/"),
    ],
)
def test_a_forbidden_page_says_so(web, username, url):
    page = web.context(username).pages[0]
    response = page.goto(url)
    assert response.status == 403
    assert page.locator("#forbidden").is_visible()
    page.click("text=去我的页面")
    assert "/login/" not in page.url and page.url.rstrip("/") != (web.url + url).rstrip("/")
