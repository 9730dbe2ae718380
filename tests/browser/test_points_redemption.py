"""The points-store counter in a browser: the organiser finds a volunteer by mobile number,
sees their name, masked phone and balance, and redeems an item; a double click on Redeem makes
one redemption. The volunteer's "my points" shows the new balance and the spending."""

from __future__ import annotations

from onegrid.volunteers import points
from onegrid.volunteers.models import PointsEntry, Redemption, StoreItem
from support.browser import phone, problems, screenshot, watch_problems
from support.points import make_store


def test_the_clerk_redeems_once_on_a_double_click_and_the_volunteer_sees_it(web):
    store = make_store(web.world)

    clerk = web.context("clerk")
    errors = watch_problems(clerk)
    page = clerk.new_page()
    page.goto("/volunteers/counter/")
    page.fill("#id_phone", "139 0000 1111")
    page.click("#find-form button[type=submit]")
    page.wait_for_selector("#holder")
    assert page.inner_text("#holder-name") == "王志愿"
    assert page.inner_text("#holder-phone") == "139****1111"
    assert page.inner_text("#holder-balance") == "30"
    page.select_option("#id_item", str(store.soap.pk))
    page.fill("#id_quantity", "2")
    screenshot(page, "points-counter")
    page.dblclick("#redeem-button")
    page.wait_for_selector('#redemptions tr[data-state="done"]')
    assert Redemption.objects.count() == 1
    assert page.locator('#redemptions tr[data-state="done"]').count() == 1
    assert "王*" in page.inner_text("#redemptions")
    assert points.balance(store.volunteer) == 10
    assert StoreItem.objects.get(pk=store.soap.pk).stock == 1
    assert PointsEntry.objects.filter(kind="redemption").count() == 1
    assert problems(page, errors) == []

    mine = phone(web, "volunteer").new_page()
    mine.goto("/field/points/")
    assert mine.inner_text("#points-balance") == "10"
    assert mine.locator('#points-entries [data-amount="-20"]').count() == 1
    assert "洗衣液" in mine.inner_text("#store-items")
    screenshot(mine, "points-mine")


def test_a_redemption_beyond_the_balance_is_refused_at_the_field(web):
    store = make_store(web.world)
    page = web.context("clerk").new_page()
    page.goto("/volunteers/counter/")
    page.fill("#id_phone", "13900001111")
    page.click("#find-form button[type=submit]")
    page.wait_for_selector("#holder")
    page.select_option("#id_item", str(store.rice.pk))
    page.fill("#id_quantity", "2")
    page.click("#redeem-button")
    page.wait_for_selector('[data-error-for="quantity"]')
    assert Redemption.objects.count() == 0
    assert points.balance(store.volunteer) == 30
