"""The desk pages through Django's test client: who may open what, what each shows, and how
an action form behaves when it is refused."""

from __future__ import annotations

import pytest
from django.test import Client

from onegrid.cases.models import Case, CaseEvent
from onegrid.org.models import Role, RoleAssignment, User
from onegrid.web.views import account
from support.cases import act, drive, photo, report
from support.web import client_for

PAGES = ["/field/", "/console/", "/inbox/", "/map/"]
# Who may open which page (org.policies.PAGE_ROLES), person by person in the small world.
ALLOWED = {
    "worker": {"/field/"},
    "resident": {"/field/"},
    "acceptor": {"/console/", "/map/"},
    "dispatcher": {"/console/", "/map/"},
    "command": {"/console/", "/map/"},
    "leader": {"/map/"},
    "city_handler": {"/inbox/"},
}
LANDING = {
    "worker": "/field/",
    "resident": "/resident/",
    "acceptor": "/console/",
    # Those who steer by the figures land on the measures page (tests/web/test_measures_pages).
    "command": "/console/measures/",
    "leader": "/console/measures/",
    "city_handler": "/inbox/",
}


@pytest.mark.parametrize("username", sorted(ALLOWED))
def test_each_role_opens_only_its_pages(world, username):
    client = client_for(world, username)
    for url in PAGES:
        response = client.get(url)
        if url in ALLOWED[username]:
            assert response.status_code == 200, (username, url)
        else:
            assert response.status_code == 403, (username, url)
            assert "你的角色无权访问此页面" in response.content.decode(), (username, url)


@pytest.mark.parametrize("username", sorted(LANDING))
def test_each_role_lands_on_its_own_page(world, username):
    response = client_for(world, username).get("/")
    assert response.status_code == 302
    assert response["Location"] == LANDING[username]


def test_a_superuser_lands_on_the_console_not_an_empty_inbox(world):
    """A superuser may open every page, but its work is an administrator's: the console."""
    root = User.objects.create_superuser("root", password="pw-root")
    client = Client()
    client.force_login(root)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/console/"
    assert client.get("/inbox/").status_code == 200


def test_signing_in_through_the_form_lands_on_the_role_page(world):
    client = Client()
    response = client.post("/login/", {"username": "acceptor", "password": "pw-acceptor"})
    assert response.status_code == 302 and response["Location"] == "/console/"


def test_signing_in_goes_on_to_next_only_on_this_site(world, rf):
    client = Client()
    form = {"username": "acceptor", "password": "pw-acceptor"}
    response = client.post("/login/?next=https://evil.example/x", form)
    assert response.status_code == 302 and response["Location"] == "/console/"
    client.logout()
    response = client.post("/login/", {**form, "next": "/map/"})
    assert response["Location"] == "/map/"
    # The page of a refused sign-in (too many failures) keeps the same rule.
    for next_url, kept in [("/map/", True), ("//evil.example/x", False)]:
        request = rf.post("/login/", {"username": "acceptor", "next": next_url})
        page = account.sign_in_refused(request, "locked").content.decode()
        assert (f'name="next" value="{next_url}"' in page) is kept, next_url
        assert "evil.example" not in page


def test_wrong_password_says_so_and_keeps_the_username(world):
    response = Client().post("/login/", {"username": "acceptor", "password": "wrong"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "请输入一个正确的" in body
    assert 'value="acceptor"' in body


def test_anonymous_visitors_are_sent_to_sign_in_and_back(world):
    response = Client().get("/console/?tab=dispatch")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=%2Fconsole%2F%3Ftab%3Ddispatch")


def test_an_expired_session_is_named_on_the_login_page(world):
    client = Client()
    client.cookies["sessionid"] = "expired-or-unknown"
    response = client.get("/console/", follow=True)
    assert "会话已过期" in response.content.decode()


def test_language_switch_to_english_and_back(world):
    client = client_for(world, "acceptor")
    assert "街道受理台" in client.get("/console/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/console/"})
    assert "Street console" in client.get("/console/").content.decode()
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/console/"})
    assert "街道受理台" in client.get("/console/").content.decode()


def test_sign_out_ends_the_session(world):
    client = client_for(world, "acceptor")
    client.post("/logout/")
    assert client.get("/console/").status_code == 302


def test_console_lists_only_the_street_and_colours_timers(world):
    mine = drive(world, "registered")
    far = report(world, who=world.people.far_worker, point=world.far_point)
    body = client_for(world, "acceptor").get("/console/?tab=dispatch").content.decode()
    assert mine.number in body and 'class="timer green"' in body
    assert far.number not in client_for(world, "acceptor").get("/console/?tab=all").content.decode()
    assert far.number in client_for(world, "other_acceptor").get("/console/").content.decode()


def test_console_filters_by_class_grid_state_and_source(world):
    rubbish = report(world)
    # ~340 m apart in grid 0: neither is offered as the other's likely duplicate on the page.
    building = report(
        world, case_class=world.building, point=(world.point[0] + 0.004, world.point[1])
    )
    client = client_for(world, "acceptor")
    by_class = client.get("/console/?tab=all&class=A0101").content.decode()
    assert building.number in by_class and rubbish.number not in by_class
    by_grid = client.get(f"/console/?tab=all&grid={world.grids[1].code}").content.decode()
    assert building.number not in by_grid
    by_source = client.get("/console/?tab=all&source=resident").content.decode()
    assert rubbish.number not in by_source


def test_console_suggests_the_older_nearby_case_and_merges_in_one_click(world):
    older = report(world)
    newer = report(world, who=world.people.worker2, point=world.point)
    body = client_for(world, "acceptor").get("/console/").content.decode()
    assert f'href="/cases/{older.number}/"' in body  # offered as the duplicate of the newer one
    client = client_for(world, "acceptor")
    response = client.post(
        f"/cases/{newer.number}/act/merge/", {"target": older.number, "next": "/console/"}
    )
    assert response.status_code == 302 and response["Location"] == "/console/"
    newer.refresh_from_db()
    assert newer.state == "merged" and newer.merged_into_id == older.pk
    assert older.reporters.count() == 2


def test_inbox_lists_only_my_departments_tasks_soonest_first(world):
    later = drive(world, "dispatched", case_class=world.building)  # 15 working days
    sooner = drive(world, "dispatched")  # 4 working hours
    body = client_for(world, "city_handler").get("/inbox/").content.decode()
    assert body.index(sooner.number) < body.index(later.number)
    assert sooner.number not in client_for(world, "eco_handler").get("/inbox/").content.decode()


def test_case_page_offers_exactly_the_allowed_actions(world):
    case = report(world)
    acceptor_page = client_for(world, "acceptor").get(f"/cases/{case.number}/").content.decode()
    assert 'data-action="register"' in acceptor_page
    assert 'data-action="reject"' in acceptor_page
    assert 'data-action="dispatch"' not in acceptor_page
    worker_page = client_for(world, "worker").get(f"/cases/{case.number}/").content.decode()
    assert 'data-action="self_close"' in worker_page
    assert 'data-action="register"' not in worker_page


def test_department_sees_the_case_without_the_reporter(world):
    case = drive(world, "dispatched")
    body = client_for(world, "city_handler").get(f"/cases/{case.number}/").content.decode()
    assert 'data-action="sign"' in body
    assert "worker" not in body.split('id="timeline"')[1].split("</ol>")[0]
    assert "138****5678" not in body


def test_a_case_outside_my_scope_is_not_found(world):
    case = report(world)
    assert client_for(world, "other_acceptor").get(f"/cases/{case.number}/").status_code == 404
    assert client_for(world, "eco_handler").get(f"/cases/{case.number}/").status_code == 404


def test_a_refused_action_shows_the_error_at_the_field_and_keeps_the_input(world):
    case = drive(world, "in_progress")
    client = client_for(world, "city_handler")
    response = client.post(
        f"/cases/{case.number}/act/request_extension/",
        {"reason": "材料未到，需等待三天", "hours": "9999", "idempotency_key": "ext-1"},
    )
    body = response.content.decode()
    assert response.status_code == 422
    assert 'data-field="hours"' in body
    assert "材料未到，需等待三天" in body
    assert 'value="ext-1"' in body  # the retry keeps its key
    case.refresh_from_db()
    assert case.state == "in_progress"
    assert not CaseEvent.objects.filter(case=case, action="request_extension").exists()


def test_reject_without_reason_is_refused_next_to_the_reason(world):
    case = report(world)
    response = client_for(world, "acceptor").post(f"/cases/{case.number}/act/reject/", {})
    assert response.status_code == 422
    assert 'data-field="reason"' in response.content.decode()
    assert Case.objects.get(pk=case.pk).state == "reported"


def test_an_action_form_retry_with_its_key_is_not_done_twice(world):
    case = report(world)
    client = client_for(world, "acceptor")
    for _ in range(2):
        response = client.post(
            f"/cases/{case.number}/act/register/", {"idempotency_key": "reg-once"}
        )
        assert response.status_code == 302
    assert CaseEvent.objects.filter(case=case, action="register").count() == 1


def test_dispatch_jointly_and_feed_back_with_after_photo(world):
    case = drive(world, "registered")
    client_for(world, "dispatcher").post(
        f"/cases/{case.number}/act/dispatch/",
        {"department": "city_management", "co_departments": ["ecology"]},
    )
    case.refresh_from_db()
    assert case.state == "dispatched"
    assert sorted(case.tasks.values_list("department__code", flat=True)) == [
        "city_management",
        "ecology",
    ]
    handler = client_for(world, "city_handler")
    handler.post(f"/cases/{case.number}/act/sign/", {})
    refused = handler.post(f"/cases/{case.number}/act/feed_back/", {"reason": "已清理"})
    assert refused.status_code == 422 and 'data-field="photos"' in refused.content.decode()
    done = handler.post(
        f"/cases/{case.number}/act/feed_back/", {"reason": "已清理", "photos": [photo()]}
    )
    assert done.status_code == 302
    page = handler.get(f"/cases/{case.number}/").content.decode()
    assert 'id="before-after"' in page and page.count("/api/v1/photos/") >= 2


def test_approve_extension_from_the_case_page_moves_the_deadline(world):
    case = drive(world, "in_progress")
    act(case, world.people.city_handler, "request_extension", reason="等材料", hours=8)
    due = case.tasks.get().due_at
    client = client_for(world, "dispatcher")
    body = client.get("/console/?tab=extension").content.decode()
    assert case.number in body
    client.post(f"/cases/{case.number}/act/approve_extension/", {})
    assert case.tasks.get().due_at > due


def test_a_reporter_who_reopens_stays_hidden_from_the_department(world):
    case = drive(world, "closed")
    act(case, world.people.worker, "reopen", reason="垃圾又堆起来了")
    act(case, world.people.dispatcher, "dispatch")
    handler = client_for(world, "city_handler")
    timeline = handler.get(f"/cases/{case.number}/").content.decode().split('id="timeline"')[1]
    assert "垃圾又堆起来了" in timeline  # the reason is the department's to read
    assert ">worker<" not in timeline and "worker (" not in timeline
    events = handler.get(f"/api/v1/cases/{case.pk}").json()["events"]
    reopen = next(e for e in events if e["action"] == "reopen")
    assert reopen["actor"] is None
    # The street desk still sees who it was.
    desk = client_for(world, "acceptor").get(f"/api/v1/cases/{case.pk}").json()["events"]
    assert next(e for e in desk if e["action"] == "reopen")["actor"] == "worker"


def test_an_action_refused_on_a_stale_page_keeps_the_error_and_the_text(world):
    case = report(world)
    act(case, world.people.acceptor, "register")  # another desk acted first
    response = client_for(world, "shift_lead").post(
        f"/cases/{case.number}/act/reject/", {"reason": "不属于受理范围的重复来电"}
    )
    body = response.content.decode()
    assert response.status_code == 409
    assert 'id="stale-failure"' in body and "不属于受理范围的重复来电" in body


def test_only_desks_that_may_merge_are_offered_a_merge(world):
    report(world)
    report(world, who=world.people.worker2, point=world.point)
    assert 'class="merge"' in client_for(world, "acceptor").get("/console/").content.decode()
    assert 'class="merge"' not in client_for(world, "command").get("/console/").content.decode()


def test_no_duplicate_is_offered_across_a_street_boundary(world):
    # Two grids of different streets touch at lon 117.12: points 20 m apart, either side.
    report(world, who=world.people.worker2, point=(117.1198, 39.205))
    newer = report(world, who=world.people.far_worker, point=(117.1201, 39.205))
    # A desk of both streets sees both cases and may merge in either.
    both = User.objects.create_user("both", password="pw-both")
    for street in (world.street, world.other_street):
        RoleAssignment.objects.create(user=both, role=Role.ACCEPTOR, unit=street)
    admin = Client()
    admin.force_login(both)
    body = admin.get("/console/?tab=all").content.decode()
    assert newer.number in body and "可能重复" not in body
    # Within one street the same pair of points is offered.
    report(world, who=world.people.far_worker, point=(117.1203, 39.205))
    assert "可能重复" in admin.get("/console/?tab=all").content.decode()
