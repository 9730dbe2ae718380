"""Suggested classes in the browser. The field app: as the reporter types, the top three classes
show with their confidence and the top one is pre-selected while the reporter has not chosen a
class; a class the reporter chose stays; offline nothing shows and nothing breaks. The case
page: the desk sees the suggestion beside the class and changes the class in one click."""

from __future__ import annotations

import pytest

from onegrid.cases.models import Case
from onegrid.smart import classifier
from support.browser import open_report, phone, photo_payload, screenshot, wait_until
from support.cases import report
from support.classifier import train_world_model


@pytest.fixture
def model(tmp_path, settings):
    path = train_world_model(tmp_path / "model.npz")
    settings.ONEGRID = {**settings.ONEGRID, "CLASSIFIER_MODEL": str(path)}
    classifier.current.forget()
    yield path
    classifier.current.forget()


def _type(page, words):
    page.click("#report-description")
    page.keyboard.type(words)


def test_the_top_class_is_preselected_and_sent_with_the_report(web, model):
    page = phone(web, "worker").new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    open_report(page)
    assert page.locator("#class-suggestions").is_hidden()
    _type(page, "人行道上井盖丢了，很危险")
    page.wait_for_selector("#class-suggestions", state="visible")
    chips = page.inner_text("#class-suggestions")
    screenshot(page, "field-class-suggestions")
    assert "井盖缺失" in chips and "%" in chips
    assert page.locator("#class-suggestions .chip[data-code]").count() == 3
    assert page.input_value("#report-class") == "A0201"
    assert "井盖缺失" in page.inner_text("#class-selected")
    page.set_input_files("#report-photo", photo_payload())
    page.click("#report-submit")
    page.wait_for_selector("#after-report", state="visible")
    wait_until(lambda: Case.objects.filter(case_class__code="A0201").exists(), what="the report")
    assert not errors


def test_a_class_the_reporter_chose_is_never_replaced(web, model):
    page = phone(web, "worker").new_page()
    open_report(page)
    page.click('#class-chips .chip[data-code="A0102"]')
    _type(page, "楼顶有人违章搭建房屋")
    page.wait_for_selector("#class-suggestions", state="visible")
    assert page.input_value("#report-class") == "A0102"
    # Choosing a suggested chip is the reporter's choice too: more words do not move it.
    page.click('#class-suggestions .chip[data-code="A0101"]')
    assert page.input_value("#report-class") == "A0101"
    _type(page, "，半夜有人打架")
    page.wait_for_timeout(1500)
    assert page.input_value("#report-class") == "A0101"


def test_offline_there_are_no_suggestions_and_no_error(web, model):
    ctx = phone(web, "worker")
    page = ctx.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    open_report(page)
    ctx.set_offline(True)
    page.wait_for_selector("#net-status", state="visible")
    _type(page, "人行道上井盖丢了，很危险")
    page.wait_for_timeout(2000)
    assert page.locator("#class-suggestions").is_hidden()
    assert page.input_value("#report-class") == ""
    assert not errors


def test_the_desk_sees_the_suggestion_and_changes_the_class_in_one_click(web, model):
    case = report(web.world, description="人行道上井盖丢了，晚上有人差点掉下去")
    page = web.context("acceptor").pages[0]
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"/cases/{case.number}/")
    panel = page.locator("#suggestions")
    assert "井盖缺失" in panel.inner_text() and "%" in panel.inner_text()
    screenshot(page, "case-suggestions")
    panel.locator('li[data-code="A0201"] button.reclassify').click()
    page.wait_for_selector("#suggestions .correction")
    assert "井盖缺失" in page.inner_text("h1")
    assert "A0102 → A0201" in page.inner_text("#timeline")
    wait_until(lambda: Case.objects.get(pk=case.pk).case_class.code == "A0201", what="the class")
    assert not errors
