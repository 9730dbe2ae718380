"""A deliberation from topic to decision through the real pages: a resident on the roll raises
a topic (its title holds markup), two neighbours co-sign it on their phones, the community
committee accepts it, records a meeting and a proposal and opens an online ballot; residents
vote with their password; the committee closes the ballot and publishes the decision, adds a
practical project and reports a case into the loop; the decision and its progress show on the
public page, the title as text."""

from __future__ import annotations

import pytest
from django.utils import timezone

from onegrid.core import clock
from onegrid.deliberation.models import Ballot, Decision, Project, Topic, Voter
from onegrid.org.models import Role, RoleAssignment, User
from onegrid.residents.public_models import PublicSettings
from onegrid.territory.models import Address
from support.browser import screenshot

TITLE = '<img src=x onerror="window.__hacked=1">加装电梯'


def _resident(name: str, grid, n: int) -> User:
    user = User.objects.create_user(name, password=f"pw-{name}", display_name=name)
    RoleAssignment.objects.create(user=user, role=Role.RESIDENT, unit=grid.community.parent.parent)
    flat = Address.objects.create(
        code=f"ADDR-B{n:04d}",
        name=f"{grid.name}1号楼{n}室",
        building="1号楼",
        room=str(n),
        lon=grid.label_lon,
        lat=grid.label_lat,
        grid=grid,
    )
    Voter.objects.create(
        user=user,
        household=flat,
        community=grid.community,
        state=Voter.State.VERIFIED,
        applied_at=clock.now(),
        checked_at=clock.now(),
        method=Voter.Method.ID_CARD,
    )
    return user


@pytest.fixture
def roll(web, settings):
    settings.ONEGRID = {
        **settings.ONEGRID,
        "DELIBERATION_COSIGN_MIN": 3,
        "DELIBERATION_COSIGN_PERMILLE": 0,
    }
    grid = web.world.grids[0]
    people = [_resident(f"voter{i}", grid, i) for i in range(1, 5)]
    committee = User.objects.create_user("committee", password="pw-committee")
    RoleAssignment.objects.create(
        user=committee, role=Role.COMMUNITY_COMMITTEE, unit=web.world.community
    )
    PublicSettings.objects.create(district=web.world.district, enabled=True)
    return people


def _submit(page, form: str) -> None:
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")


def test_a_deliberation_from_topic_to_decision(web, roll):
    raiser, *neighbours = roll
    # 1. A resident on the roll raises a topic on their phone.
    phone = web.context(raiser.username, phone=True).new_page()
    phone.goto("/resident/deliberation/")
    phone.select_option("#raise-form select[name=scope]", "community")
    phone.fill("#raise-form input[name=title]", TITLE)
    phone.fill("#raise-form textarea[name=body]", "三号楼老人多，上下楼难，提议加装电梯。")
    _submit(phone, "#raise-form")
    topic = Topic.objects.get()
    assert topic.state == Topic.State.COLLECTING and topic.title == TITLE
    assert topic.cosign_threshold == 3  # the raiser signs first

    # 2. Two neighbours co-sign it from their own pages.
    for neighbour in neighbours[:2]:
        page = web.context(neighbour.username, phone=True).new_page()
        page.goto("/resident/deliberation/")
        card = page.wait_for_selector(f'li[data-topic="{topic.pk}"]')
        # The title with markup is text on the page.
        assert TITLE in card.inner_text()
        with page.expect_navigation():
            card.query_selector("button[type=submit]").click()
    topic.refresh_from_db()
    assert topic.state == Topic.State.SUBMITTED

    # 3. The committee accepts it, records a meeting and a proposal.
    desk = web.context("committee").new_page()
    desk.goto(f"/deliberation/topics/{topic.pk}/")
    desk.fill("#review-form textarea[name=note]", "同意列入议事")
    with desk.expect_navigation():
        desk.click('#review-form button[value="accept"]')
    topic.refresh_from_db()
    assert topic.state == Topic.State.ACCEPTED
    held = timezone.localtime(clock.now()).strftime("%Y-%m-%dT%H:%M")
    desk.fill("#meeting-form input[name=held_at]", held)
    desk.fill("#meeting-form input[name=place]", "社区议事厅")
    _submit(desk, "#meeting-form")
    meeting = topic.meetings.get()
    minutes = desk.locator(f'article[data-meeting="{meeting.pk}"] details')
    minutes.locator("summary").click()
    minutes.locator("textarea[name=minutes]").fill("居民代表12人参加，一致同意提交表决。")
    minutes.locator("input[name=participant_count]").fill("12")
    with desk.expect_navigation():
        minutes.locator("button[type=submit]").click()
    desk.fill("#proposal-form input[name=title]", "由物业加装电梯")
    desk.fill("#proposal-form input[name=estimated_cost]", "450000")
    desk.fill("#proposal-form textarea[name=body]", "费用由维修基金和住户分摊。")
    _submit(desk, "#proposal-form")
    assert topic.proposals.count() == 1

    # 4. An online ballot, per person (B's form on the topic page).
    _open_ballot(desk)
    ballot = Ballot.objects.get()
    assert ballot.state == Ballot.State.OPEN and ballot.electorate == 4
    topic.refresh_from_db()
    assert topic.state == Topic.State.VOTING

    # 5. Residents vote with their password.
    for voter, choice in zip(roll[:3], ["for", "for", "against"], strict=True):
        page = web.context(voter.username, phone=True).new_page()
        _vote(page, topic, choice, f"pw-{voter.username}")
    assert ballot.votes.count() == 3

    # 6. The committee closes the ballot and publishes the decision.
    desk.goto(f"/deliberation/topics/{topic.pk}/")
    _close_and_publish(desk, "在三号楼加装电梯一部，由物业承办。")
    decision = Decision.objects.get()
    topic.refresh_from_db()
    assert topic.state == Topic.State.DECIDED and decision.state == Decision.State.PUBLISHED

    # 7. The committee carries it out: a project and a case into the loop.
    desk.goto(f"/deliberation/topics/{topic.pk}/")
    desk.wait_for_selector("#decision-title")
    desk.fill("#project-add-form input[name=title]", "三号楼加装电梯")
    desk.fill("#project-add-form input[name=budget]", "-1")
    _submit(desk, "#project-add-form")
    assert desk.locator('p.error[data-form="project_add"][data-field="budget"]').is_visible()
    desk.fill("#project-add-form input[name=budget]", "450000.00")
    desk.fill("#project-add-form input[name=undertaker]", "物业公司")
    _submit(desk, "#project-add-form")
    project = Project.objects.get()
    assert str(project.budget) == "450000.00"
    desk.select_option("#decision-case-form select[name=class_code]", "A0102")
    desk.fill("#decision-case-form textarea[name=description]", "施工期间清理楼道堆物")
    _submit(desk, "#decision-case-form")
    assert decision.case_links.count() == 1
    assert desk.inner_text("#progress-money").replace(",", "") == "0.00 / 450000.00"
    screenshot(desk, "deliberation-topic-decision")

    # 8. Anyone sees the decision and its progress on the public page; the title is text.
    public = web.context().new_page()
    public.goto("/public/")
    public.click("#public-nav-decisions")
    item = public.wait_for_selector(f'li[data-number="{decision.number}"]')
    assert TITLE in item.inner_text()
    item.query_selector("h2 a").click()
    public.wait_for_selector("#public-decision")
    text = public.inner_text("#public-decision")
    assert "在三号楼加装电梯一部" in text and "三号楼加装电梯" in text and "物业公司" in text
    assert public.inner_text("#decision-title") == TITLE
    assert public.evaluate("window.__hacked") is None
    assert raiser.username not in public.content()
    screenshot(public, "public-decision")


def _open_ballot(desk) -> None:
    form = 'form[data-form="ballot_open"]'
    desk.wait_for_selector(form)
    desk.select_option(f"{form} select[name=mode]", "online")
    desk.select_option(f"{form} select[name=counting]", "person")
    _submit(desk, form)


def _vote(page, topic, choice: str, password: str) -> None:
    page.goto(f"/deliberation/topics/{topic.pk}/")
    form = 'form[data-form="vote"]'
    page.wait_for_selector(form)
    page.check(f'{form} input[name=choice][value="{choice}"]')
    page.fill(f"{form} input[name=password]", password)
    _submit(page, form)
    page.wait_for_selector(f'[data-my-vote="{choice}"]')


def _close_and_publish(desk, text: str) -> None:
    _submit(desk, 'form[data-form="close"]')
    form = 'form[data-form="decision"]'
    desk.fill(f"{form} textarea[name=text]", text)
    _submit(desk, form)
