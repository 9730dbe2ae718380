"""Issue 11's rows and reports: the reporter's rating and the call-back queue, comments with
photos, photo approval for the public pages, Open311 and anonymous reports, tracking codes, and
a rating counted in the satisfaction measure like a call-back."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.test import Client

from onegrid.cases import rollups, selectors, services, tracking
from onegrid.cases.models import Case, Photo
from onegrid.core import clock
from onegrid.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from onegrid.insight.measures import compute_measures, recompute_measures
from onegrid.org.models import Role, RoleAssignment, User
from support.cases import act, drive, new_key, photo, report

CROCKFORD = re.compile(r"[0-9A-HJKMNP-TV-Z]{10}")


def _state(case: Case) -> tuple:
    case.refresh_from_db()
    return (
        case.state,
        case.satisfaction,
        case.rated_at,
        case.callback_needed,
        case.events.count(),
    )


def _client_user(world) -> User:
    user = User.objects.create_user("open311-client", password="pw-open311-client")
    RoleAssignment.objects.create(user=user, role=Role.API_CLIENT, unit=world.street.parent)
    return user


# --- rate ---


def test_the_reporter_rates_a_closed_case_once(world):
    p = world.people
    case = drive(world, "closed")  # the worker reported it
    key = new_key()
    first = services.perform_action(
        actor=p.worker,
        case_id=case.pk,
        action="rate",
        params={"satisfaction": "satisfied"},
        idempotency_key=key,
    )
    case.refresh_from_db()
    assert (case.state, case.satisfaction, case.callback_needed) == ("closed", "satisfied", False)
    assert case.rated_at == clock.now()
    event = case.events.order_by("-seq").first()
    assert (event.action, event.actor_role, event.data) == (
        "rate",
        "reporter",
        {"satisfaction": "satisfied"},
    )
    # A retry with the same key answers with the first result; a second rating is refused.
    again = services.perform_action(
        actor=p.worker,
        case_id=case.pk,
        action="rate",
        params={"satisfaction": "satisfied"},
        idempotency_key=key,
    )
    assert again.replayed and again.case.pk == first.case.pk
    before = _state(case)
    with pytest.raises(Conflict) as refused:
        act(case, p.worker, "rate", satisfaction="unsatisfied", reason="changed my mind")
    assert refused.value.status == 409
    assert _state(case) == before
    assert "rate" not in selectors.allowed_actions(p.worker, case)


def test_only_the_reporter_rates_and_only_a_closed_case(world):
    p = world.people
    open_case = drive(world, "checked")
    with pytest.raises(Conflict):
        act(open_case, p.worker, "rate", satisfaction="satisfied")
    case = drive(world, "closed")
    for person in (p.acceptor, p.callback, p.worker2, p.command):
        with pytest.raises((PermissionDenied, NotFound)):
            act(case, person, "rate", satisfaction="satisfied")
    assert "rate" in selectors.allowed_actions(p.worker, case)
    assert "rate" not in selectors.allowed_actions(p.callback, case)


def test_a_resident_rates_the_case_they_reported(world):
    p = world.people
    case = report(world, who=p.resident, photo_files=[])
    act(case, p.acceptor, "request_verification")
    act(case, p.worker, "verify", result="confirmed")
    act(case, p.acceptor, "register")
    act(case, p.dispatcher, "dispatch")
    act(case, p.city_handler, "sign")
    act(case, p.city_handler, "feed_back", reason="done", photos=[photo()])
    act(case, p.worker, "pass_check")
    act(case, p.acceptor, "close")
    case.refresh_from_db()
    assert selectors.allowed_actions(p.resident, case) == ["reopen", "rate", "comment"]
    case = act(case, p.resident, "rate", satisfaction="basically_satisfied")
    assert case.satisfaction == "basically_satisfied"


@pytest.mark.parametrize(
    ("params", "reason", "field"),
    [
        ({}, "", "satisfaction"),
        ({"satisfaction": "thrilled"}, "", "satisfaction"),
        ({"satisfaction": "unsatisfied"}, "", "reason"),
        ({"satisfaction": "unsatisfied"}, "   ", "reason"),
    ],
)
def test_a_bad_rating_names_the_field_and_changes_nothing(world, params, reason, field):
    case = drive(world, "closed")
    before = _state(case)
    with pytest.raises(InvalidInput) as refused:
        act(case, world.people.worker, "rate", reason=reason, **params)
    assert refused.value.field == field
    assert refused.value.status == 422
    assert _state(case) == before


def test_an_unsatisfied_rating_waits_for_a_call_back_until_revisit(world):
    p = world.people
    case = drive(world, "closed")
    act(case, p.worker, "rate", satisfaction="unsatisfied", reason="still rubbish there")
    case.refresh_from_db()
    assert case.callback_needed and case.satisfaction == "unsatisfied"
    assert list(selectors.callback_queue(p.callback)) == [case]
    assert list(selectors.callback_queue(p.shift_lead)) == [case]
    assert list(selectors.callback_queue(p.command)) == [case]
    # Not a queue for the acceptor, the department or another street.
    assert list(selectors.callback_queue(p.acceptor)) == []
    assert list(selectors.callback_queue(p.city_handler)) == []
    assert list(selectors.callback_queue(p.other_acceptor)) == []
    act(case, p.callback, "revisit", satisfaction="basically_satisfied")
    case.refresh_from_db()
    assert not case.callback_needed and case.satisfaction == "basically_satisfied"
    assert list(selectors.callback_queue(p.callback)) == []


def test_a_reopen_clears_the_call_back_and_the_case_may_be_rated_again(world):
    p = world.people
    case = drive(world, "closed")
    act(case, p.worker, "rate", satisfaction="unsatisfied", reason="not fixed")
    act(case, p.callback, "reopen", reason="the reporter says it is not fixed")
    case.refresh_from_db()
    assert (case.state, case.callback_needed, case.rated_at) == ("registered", False, None)
    act(case, p.dispatcher, "dispatch")
    act(case, p.city_handler, "sign")
    act(case, p.city_handler, "feed_back", reason="done now", photos=[photo()])
    act(case, p.worker, "pass_check")
    act(case, p.acceptor, "close")
    case = act(case, p.worker, "rate", satisfaction="satisfied")
    assert (case.satisfaction, case.callback_needed) == ("satisfied", False)


# --- the measures count a rating as a reply ---


def test_a_rating_counts_in_satisfaction_like_a_call_back(world):
    p = world.people
    by_reporter = drive(world, "closed")
    by_callback = drive(world, "closed")
    unhappy = drive(world, "closed")
    act(by_reporter, p.worker, "rate", satisfaction="satisfied")
    act(by_callback, p.callback, "revisit", satisfaction="satisfied")
    act(unhappy, p.worker, "rate", satisfaction="unsatisfied", reason="dirty again")
    day = clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    start, end = day, day + dt.timedelta(days=1)
    measures = compute_measures(start, end)
    assert (measures.counts.replies, measures.counts.satisfied) == (3, 2)
    assert measures["satisfaction_rate"].value == Decimal("66.67")
    # The rollups agree with the full recompute from the history.
    again = recompute_measures(start, end)
    assert (again.counts.replies, again.counts.satisfied) == (3, 2)
    assert again.values() == measures.values()


# --- comment ---


def test_the_reporter_and_the_desks_comment_with_photos(world):
    p = world.people
    case = drive(world, "in_progress")
    case = act(case, p.worker, "comment", reason="it is getting worse", photos=[photo()])
    event = case.events.order_by("-seq").first()
    assert (event.action, event.actor_role, event.reason) == (
        "comment",
        "reporter",
        "it is getting worse",
    )
    assert event.from_state == event.to_state == "in_progress"
    assert [ph.kind for ph in event.photos.all()] == ["comment"]
    act(case, p.callback, "comment", reason="called the reporter")
    act(case, p.command, "comment", reason="watching this one")
    # A department comments on a case it has a task on, not on another's.
    act(case, p.city_handler, "comment", reason="crew on the way")
    with pytest.raises((PermissionDenied, NotFound)):
        act(case, p.eco_handler, "comment", reason="not ours")
    assert case.events.filter(action="comment").count() == 4


@pytest.mark.parametrize(
    "text",
    ["", "   ", "x" * 2001, "bad\x00text", "bell\x07"],
)
def test_a_bad_comment_names_the_reason_and_changes_nothing(world, text):
    case = drive(world, "registered")
    before = _state(case)
    with pytest.raises(InvalidInput) as refused:
        act(case, world.people.acceptor, "comment", reason=text)
    assert refused.value.field == "reason"
    assert _state(case) == before


def test_no_comment_on_a_merged_case(world):
    p = world.people
    merged = act(report(world), p.acceptor, "merge", target=drive(world, "registered").number)
    with pytest.raises(Conflict):
        act(merged, p.acceptor, "comment", reason="hello")
    assert "comment" not in selectors.allowed_actions(p.acceptor, merged)


# --- approve_photo ---


def test_the_desk_approves_a_photo_for_the_public_pages(world):
    p = world.people
    case = report(world, photo_files=[photo(), photo(colour=(1, 2, 3))])
    first, second = case.photos.order_by("sha256")
    assert "approve_photo" in selectors.allowed_actions(p.acceptor, case)
    assert "approve_photo" not in selectors.allowed_actions(p.worker, case)
    with pytest.raises(PermissionDenied):
        act(case, p.worker, "approve_photo", photo=str(first.pk))
    act(case, p.acceptor, "approve_photo", photo=str(first.pk))
    first.refresh_from_db()
    assert first.approved_at == clock.now() and first.approved_by == p.acceptor
    # The same photo again is a conflict on its field.
    with pytest.raises(Conflict) as refused:
        act(case, p.command, "approve_photo", photo=str(first.pk))
    assert refused.value.field == "photo"
    act(case, p.command, "approve_photo", photo=str(second.pk))
    # Nothing left to approve: not offered.
    assert "approve_photo" not in selectors.allowed_actions(p.acceptor, case)
    with pytest.raises(Conflict) as refused:
        act(case, p.acceptor, "approve_photo", photo=str(second.pk))
    assert refused.value.field == "action"


@pytest.mark.parametrize(
    "given", ["", "nonsense", "00000000-0000-0000-0000-000000000000", "1" * 999]
)
def test_approving_a_photo_not_of_this_case_names_the_photo(world, given):
    p = world.people
    case = report(world)
    before = _state(case)
    with pytest.raises(InvalidInput) as refused:
        act(case, p.acceptor, "approve_photo", photo=given)
    assert refused.value.field == "photo"
    assert _state(case) == before
    assert not Photo.objects.exclude(approved_at=None).exists()


def test_approving_another_cases_photo_is_refused(world):
    p = world.people
    case, other = report(world), report(world, point=(117.1051, 39.2051))
    with pytest.raises(InvalidInput) as refused:
        act(case, p.acceptor, "approve_photo", photo=str(other.photos.get().pk))
    assert refused.value.field == "photo"


# --- Open311 and anonymous reports ---


def test_an_open311_client_reports_with_attributes(world):
    client = _client_user(world)
    outcome = services.report_case(
        actor=client,
        lon=world.point[0],
        lat=world.point[1],
        class_code=world.rubbish.code,
        description="overflowing bin",
        source="open311",
        reporter_name="Li",
        reporter_phone="13900001111",
        attributes={"bin_size": "large", "count": "3"},
        idempotency_key="client-req-1",
    )
    case = outcome.case
    assert (case.source, case.reporter, case.reporter_phone) == ("open311", None, "13900001111")
    assert CROCKFORD.fullmatch(case.tracking_code)
    report_event = case.events.get(action="report")
    assert report_event.data["attributes"] == {"bin_size": "large", "count": "3"}
    assert report_event.actor == client
    # The client's role gives it no scope over cases.
    assert not selectors.visible_cases(client).exists()
    # Open311 reports are confirmed on site before registration, like a resident's.
    with pytest.raises(InvalidInput):
        act(case, world.people.acceptor, "register")


def test_only_an_api_client_reports_as_open311(world):
    p = world.people
    for person in (p.resident, p.acceptor, p.worker):
        with pytest.raises(PermissionDenied) as refused:
            report(world, who=person, source="open311")
        assert refused.value.field == "source"
    # And no one says "public": that source is the anonymous form's.
    with pytest.raises(PermissionDenied):
        report(world, who=p.acceptor, source="public")
    # An API client may not report as anything else.
    with pytest.raises(PermissionDenied):
        report(world, who=_client_user(world), photo_files=[])
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("attributes", "field"),
    [
        ({f"a{i}": "x" for i in range(31)}, "attributes"),
        ({"k" * 51: "x"}, "attributes"),
        ({"": "x"}, "attributes"),
        ({"bad\nkey": "x"}, "attributes"),
        ({"long": "v" * 501}, "attribute[long]"),
        ({"nul": "a\x00b"}, "attribute[nul]"),
        (["not", "a", "mapping"], "attributes"),
    ],
)
def test_open311_attributes_are_bounded(world, attributes, field):
    with pytest.raises(InvalidInput) as refused:
        report(
            world,
            who=_client_user(world),
            source="open311",
            photo_files=[],
            attributes=attributes,
        )
    assert refused.value.field == field
    assert not Case.objects.exists()


def _anonymous(world, key="anon-1", **extra):
    values = {
        "lon": world.point[0],
        "lat": world.point[1],
        "class_code": world.rubbish.code,
        "description": "rubbish by the school gate",
        "photo_files": [photo()],
        "idempotency_key": key,
    }
    return services.report_anonymously(**(values | extra))


def test_an_anonymous_report_is_idempotent_on_its_key(world):
    first = _anonymous(world, reporter_phone="+86 139-0000-1111")
    case = first.case
    assert (case.source, case.reporter, case.state) == ("public", None, "reported")
    assert CROCKFORD.fullmatch(case.tracking_code)
    assert case.events.get().actor is None
    again = _anonymous(world, reporter_phone="+86 139-0000-1111")
    assert again.replayed and again.case.tracking_code == case.tracking_code
    assert Case.objects.count() == 1
    with pytest.raises(Conflict) as refused:
        _anonymous(world, description="something else")
    assert refused.value.field == "idempotency_key"
    # Anonymous keys do not collide with a person's keys.
    mine = services.report_case(
        actor=world.people.resident,
        lon=world.point[0],
        lat=world.point[1],
        class_code=world.rubbish.code,
        idempotency_key="anon-1",
    )
    assert not mine.replayed and mine.case.pk != case.pk
    # Verified on site before registration, like other resident reports.
    p = world.people
    with pytest.raises(InvalidInput):
        act(case, p.acceptor, "register")
    act(case, p.acceptor, "request_verification")
    act(case, p.worker, "verify", result="confirmed")
    assert act(case, p.acceptor, "register").state == "registered"


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"description": ""}, "description"),
        ({"description": "x" * 2001}, "description"),
        ({"description": "a\x00b"}, "description"),
        ({"reporter_phone": "１３９００００１１１１"}, "reporter_phone"),
        ({"reporter_phone": "call me"}, "reporter_phone"),
        ({"class_code": "A01\x0002"}, "class_code"),
        ({"class_code": "Z9999"}, "class_code"),
        ({"lon": None, "lat": None}, "lon"),
        ({"lon": 1e308, "lat": 1e308}, "lon"),
        ({"idempotency_key": ""}, "idempotency_key"),
        ({"idempotency_key": "k" * 65}, "idempotency_key"),
    ],
)
def test_a_bad_anonymous_report_names_the_field(world, extra, field):
    with pytest.raises(InvalidInput) as refused:
        _anonymous(world, **extra)
    assert refused.value.field == field
    assert not Case.objects.exists()


# --- tracking codes ---


def test_tracking_codes_are_read_the_forgiving_way(world):
    case = report(world)
    code = case.tracking_code
    assert CROCKFORD.fullmatch(code) and code != case.number
    assert selectors.case_by_tracking_code(code) == case
    assert selectors.case_by_tracking_code(code.lower()) == case
    assert selectors.case_by_tracking_code(f" {code[:5]}-{code[5:]} ") == case
    confusable = code.replace("1", "l").replace("0", "O")
    assert selectors.case_by_tracking_code(confusable) == case
    for hostile in ["", "x" * 10_000, "A\x00BCDEFGHJ", None, 12345, "0123456789"]:
        assert selectors.case_by_tracking_code(hostile) is None


def test_new_tracking_codes_are_random_and_in_the_alphabet():
    codes = {tracking.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(CROCKFORD.fullmatch(c) for c in codes)
    assert set("".join(codes)) == set(tracking.ALPHABET)


# --- the API ---


def test_the_api_takes_the_new_rows(world):
    p = world.people
    case = drive(world, "closed")
    client = Client()
    client.force_login(p.worker)
    url = f"/api/v1/cases/{case.pk}/actions/"
    response = client.post(url + "rate", {"satisfaction": "unsatisfied", "reason": "smelly"})
    assert response.status_code == 200, response.content
    body = response.json()["case"]
    assert body["callback_needed"] is True and body["satisfaction"] == "unsatisfied"
    assert body["tracking_code"] == case.tracking_code
    refused = client.post(url + "rate", {"satisfaction": "satisfied"})
    assert refused.status_code == 409
    desk = Client()
    desk.force_login(p.acceptor)
    photo_id = case.photos.filter(kind="before").first().pk
    assert desk.post(url + "approve_photo", {"photo": str(photo_id)}).status_code == 200
    detail = desk.get(f"/api/v1/cases/{case.pk}").json()
    approved = [ph for e in detail["events"] for ph in e["photos"] if ph["approved_at"]]
    assert [ph["id"] for ph in approved] == [str(photo_id)]


def test_the_satisfaction_figure_drills_down_to_rated_cases(world):
    from onegrid.insight import periods
    from onegrid.insight import selectors as insight
    from onegrid.insight.measures import Scope

    p = world.people
    rated = drive(world, "closed")
    act(rated, p.worker, "rate", satisfaction="satisfied")
    act(drive(world, "closed"), p.worker, "rate", satisfaction="unsatisfied", reason="no")
    march, district = periods.month(2026, 3), Scope("district")
    board = insight.dashboard(p.leader, period=march, scope=district)
    figure = next(f for f in board.figures if f.key == "satisfaction_rate")
    assert (figure.numerator, figure.denominator) == (1, 2)
    listed = insight.drilldown(
        p.leader, key="satisfaction_rate", part="numerator", period=march, scope=district
    )
    assert [c.pk for c in listed] == [rated.pk]


def test_the_admin_finds_a_case_by_tracking_code_and_switches_classes_public(world):
    case = report(world)
    root = User.objects.create_superuser("root", password="pw-root")
    admin = Client()
    admin.force_login(root)
    html = admin.get("/admin/cases/case/", {"q": case.tracking_code}).content.decode()
    assert case.number in html
    html = admin.get("/admin/cases/caseclass/").content.decode()
    assert 'name="form-0-public"' in html


@pytest.mark.django_db(transaction=True)
def test_concurrent_ratings_count_once(world):
    # Four taps at once with different keys (four tabs): the case lock orders them, the first
    # rates, the others find it rated and are refused.
    from support.cases import run_concurrently

    case = drive(world, "closed")
    keys = iter(["t1", "t2", "t3", "t4"])

    def work():
        try:
            services.perform_action(
                actor=world.people.worker,
                case_id=case.pk,
                action="rate",
                params={"satisfaction": "satisfied"},
                idempotency_key=next(keys),
            )
        except Conflict:
            return "refused"
        return "rated"

    assert sorted(run_concurrently(work)) == ["rated", "refused", "refused", "refused"]
    assert case.events.filter(action="rate").count() == 1
    # (The threads' clock is not the test's frozen one: compare the rollups with the history.)
    assert rollups.verify() == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_anonymous_retries_file_one_case(world):
    from support.cases import run_concurrently

    def work():
        return _anonymous(world, key="double-tap").case.tracking_code

    codes = run_concurrently(work)
    assert len(set(codes)) == 1
    assert Case.objects.count() == 1
