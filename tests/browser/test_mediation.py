"""A mediation in a browser, from intake to the agreement PDF: a mediator registers a walk-in
dispute, accepts it, assigns themselves as lead, records a session and the agreement the parties
reached, and downloads the 人民调解协议书, whose text names the parties, the terms and the last
day to apply for judicial confirmation; the judicial office of the street records the parties'
application; a street desk sees the register line and nothing of the agreement."""

from __future__ import annotations

import io
import re

import pypdf

from onegrid.core import clock
from onegrid.mediation import agreements
from onegrid.mediation.legal_basis import ensure_default_types
from onegrid.mediation.models import Agreement, Dispute, MediationCommittee
from onegrid.org.models import Role
from support.browser import screenshot
from support.people import person


def test_a_mediation_from_intake_to_the_agreement_pdf(web):
    world = web.world
    # The live server's tests run after others that may have emptied the migration's types.
    ensure_default_types()
    MediationCommittee.objects.create(name="第1社区人民调解委员会", unit=world.community)
    person("mediator", Role.MEDIATOR, unit=world.community)
    person("judicial", Role.JUDICIAL_OFFICE, unit=world.street)
    today = clock.local_today()

    page = web.context("mediator").new_page()
    page.goto("/mediation/new/")
    page.select_option("#new-dispute select[name=type]", "neighbour")
    page.fill("#new-dispute input[name=title]", "楼上漏水")
    page.fill("#new-dispute textarea[name=facts]", "楼上卫生间漏水，渗到楼下。")
    page.fill("#new-dispute input[name=p0_name]", "<b>张三</b>")
    page.select_option("#new-dispute select[name=p0_sex]", "male")
    page.fill("#new-dispute input[name=p0_age]", "45")
    page.fill("#new-dispute input[name=p0_ethnicity]", "汉族")
    page.fill("#new-dispute input[name=p0_address]", "第1社区3号楼201")
    page.fill("#new-dispute input[name=p1_name]", "王五")
    page.fill("#new-dispute input[name=p1_address]", "第1社区3号楼301")
    page.click("#new-dispute button[type=submit]")
    page.wait_for_url(re.compile(r".*/mediation/disputes/\d+/$"))
    dispute = Dispute.objects.get()
    assert page.get_attribute("#dispute-state", "data-state") == "registered"

    page.click("#accept-form button[type=submit]")
    page.wait_for_selector('#dispute-state[data-state="accepted"]')
    page.check("#assign-form input[name=mediators]")
    page.check("#assign-form input[name=lead]")
    page.click("#assign-form button[type=submit]")
    page.wait_for_selector("#mediators li[data-mediator]")
    page.fill("#session-form input[name=held_at]", f"{today.isoformat()}T09:30")
    page.fill("#session-form input[name=place]", "社区调解室")
    page.fill("#session-form textarea[name=notes]", "双方陈述，同意修复并赔偿。")
    page.click("#session-form button[type=submit]")
    page.wait_for_selector("#sessions li[data-session]")
    # The type's legal basis is shown where the mediator acts.
    assert "《中华人民共和国民法典》" in page.inner_text("#dispute-content")

    form = "#agreement-form"
    page.fill(f"{form} textarea[name=facts]", "301室卫生间漏水渗至201室。")
    page.fill(f"{form} textarea[name=matters]", "维修及吊顶损失赔偿。")
    page.fill(f"{form} textarea[name=responsibilities]", "301室负全部责任。")
    page.fill(f"{form} textarea[name=terms]", "一、301室修复防水层；\n二、赔偿1500元。")
    page.fill(f"{form} input[name=performance_manner]", "现金当面支付")
    page.fill(f"{form} input[name=effective_on]", today.isoformat())
    page.click(f"{form} button[type=submit]")
    page.wait_for_selector("#agreement-number")
    agreement = Agreement.objects.get()
    assert page.inner_text("#agreement-number") == agreement.number
    assert page.get_attribute("#dispute-state", "data-state") == "agreed"
    deadline = agreements.confirmation_deadline(today)
    assert agreement.confirmation_deadline == deadline
    assert page.inner_text("#confirmation-deadline").startswith(deadline.isoformat())
    screenshot(page, "mediation-agreement")

    with page.expect_download() as caught:
        page.click("#agreement-pdf")
    pdf = caught.value.path().read_bytes()
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in reader.pages))
    assert "人民调解协议书" in text and agreement.number in text
    assert "<b>张三</b>" in text and "王五" in text
    assert "一、301室修复防水层；" in text
    assert f"{deadline.year}年{deadline.month}月{deadline.day}日" in text

    judicial = web.context("judicial").new_page()
    judicial.goto(f"/mediation/disputes/{dispute.pk}/")
    judicial.fill("#confirmation-form input[name=court]", "天津市北辰区人民法院")
    judicial.fill("#confirmation-form input[name=applied_on]", today.isoformat())
    judicial.click("#confirmation-form button[type=submit]")
    judicial.wait_for_selector('#confirmation-state[data-state="applied"]')

    desk = web.context("acceptor").new_page()
    desk.goto(f"/mediation/disputes/{dispute.pk}/")
    desk.wait_for_selector("#content-withheld")
    assert agreement.number not in desk.content()
