"""The measures dashboard in a browser: the charts draw (ECharts on canvas, vendored) with no
console error and no Content-Security-Policy violation, a figure opens the drill-down with the
same count of cases, the charts follow a phone's width and print at the width of an A4 page."""

from __future__ import annotations

from django.utils import timezone

from onegrid.core import clock
from support.browser import problems, screenshot, watch_problems
from support.cases import drive, report


def watched(web, username, **options):
    """A signed-in page whose CSP violations and errors are recorded (support.browser)."""
    ctx = web.context(username, **options)
    errors = watch_problems(ctx)
    return ctx.pages[0], errors


CANVAS_WIDTH = "() => document.querySelector('#trend-chart canvas').getBoundingClientRect().width"
PRINT_WIDTH_PX = 680  # lib/charts.js: an A4 page less 15 mm margins


def this_month() -> str:
    return timezone.localtime(clock.now()).strftime("%Y-%m")


def history(world):
    p = world.people
    drive(world, "closed")
    drive(world, "in_progress")
    report(world, who=p.worker2, point=(117.115, 39.205))
    report(world, who=p.far_worker, point=world.far_point)


def test_the_dashboard_draws_its_charts_and_drills_down(web):
    history(web.world)
    page, errors = watched(web, "leader")
    page.goto(f"/console/measures/?month={this_month()}")
    page.wait_for_selector("body[data-charts=ready]")
    # ECharts drew the trend and the three league tables on canvases.
    for chart in ("trend-chart", "league-street-chart", "league-department-chart"):
        page.wait_for_selector(f"#{chart}[data-chart=ready] canvas")
    assert page.locator("#trend-chart canvas").count() >= 1
    # The period picker shows the month field only.
    assert page.locator("[data-period-field=month]").is_visible()
    assert page.locator("[data-period-field=week]").is_hidden()
    page.check("input[name=period][value=week]")
    assert page.locator("[data-period-field=week]").is_visible()
    assert page.locator("[data-period-field=month]").is_hidden()
    page.check("input[name=period][value=month]")
    screenshot(page, "measures-dashboard")
    assert problems(page, errors) == []

    # A league bar's tooltip is text built by the page, no markup from the data.
    box = page.locator("#league-street-chart").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + 20, steps=6)
    page.wait_for_timeout(300)

    # Open now: the figure's link lists as many cases.
    figure = page.locator('a[data-figure="open_now"]')
    shown = int(figure.inner_text())
    assert shown == 3
    figure.click()
    page.wait_for_url("**/console/measures/cases/**")
    assert int(page.get_attribute("[data-count]", "data-count")) == shown
    assert page.locator("#drill-cases tr[data-number]").count() == shown
    assert f"month={this_month()}" in page.url
    assert problems(page, errors) == []
    page.go_back()
    page.wait_for_selector("body[data-charts=ready]")

    # A card's numerator: its cases, as many as the figure says (where the selectors list them).
    card = page.locator('article[data-measure="closure_rate"]')
    numerator = int(card.locator('a[data-part="numerator"]').inner_text())
    card.locator('a[data-part="numerator"]').click()
    page.wait_for_url("**/console/measures/cases/**")
    if page.locator("[data-count]").count():
        assert int(page.get_attribute("[data-count]", "data-count")) == numerator
    assert problems(page, errors) == []


def test_the_charts_fit_a_phone_and_print_on_a4(web):
    history(web.world)
    page, errors = watched(web, "leader", phone=True)
    page.goto(f"/console/measures/?month={this_month()}")
    page.wait_for_selector("#trend-chart[data-chart=ready] canvas")
    width = page.evaluate(CANVAS_WIDTH)
    assert 200 < width <= 390
    screenshot(page, "measures-phone")
    # Printed: no navigation or forms, the charts redrawn at the width of an A4 page.
    page.emulate_media(media="print")
    page.wait_for_function(f"() => Math.round(({CANVAS_WIDTH})()) === {PRINT_WIDTH_PX}")
    assert page.locator(".topbar").is_hidden()
    assert page.locator("#measures-filters").is_hidden()
    page.emulate_media(media="screen")
    pdf = page.pdf(format="A4")
    assert pdf[:4] == b"%PDF" and len(pdf) > 10_000
    assert problems(page, errors) == []


def test_a_street_desk_sees_its_street_and_no_other(web):
    history(web.world)
    page, errors = watched(web, "acceptor")
    page.goto(f"/console/measures/?month={this_month()}")
    page.wait_for_selector("body[data-charts=ready]")
    options = page.eval_on_selector_all("#scope-select option", "(os) => os.map((o) => o.value)")
    assert options == [f"street:{web.world.street.code}", f"community:{web.world.community.code}"]
    assert problems(page, errors) == []
    response = page.goto(f"/console/measures/?scope=street:{web.world.other_street.code}")
    assert response.status == 403
