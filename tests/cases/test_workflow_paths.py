"""Every path of the closed loop, through the real services."""

from __future__ import annotations

import pytest

from onegrid.cases import selectors, services
from onegrid.cases.history import replay_states
from onegrid.cases.models import Case, CaseReporter, Photo
from onegrid.core import clock
from onegrid.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from support.cases import act, advance, drive, new_key, photo, report, run_concurrently


def states(case):
    return [e.to_state for e in case.events.order_by("seq")]


def test_main_path_closes_on_time_and_history_replays(world):
    p = world.people
    case = report(world)
    assert case.grid == world.grids[0] and case.source == "grid_worker"
    case = act(case, p.acceptor, "register")
    case = act(case, p.dispatcher, "dispatch")
    assert case.due_at is not None and case.tasks.get().department == world.city_mgmt
    advance(hours=1)
    case = act(case, p.city_handler, "sign")
    case = act(case, p.city_handler, "feed_back", reason="cleared", photos=[photo()])
    assert case.state == "checking"
    case = act(case, p.worker, "pass_check", photos=[photo()])
    case = act(case, p.acceptor, "close")
    assert case.state == "closed" and case.closed_on_time is True
    assert states(case) == [
        "reported",
        "registered",
        "dispatched",
        "in_progress",
        "in_progress",
        "checking",
        "checked",
        "closed",
    ]
    assert replay_states(case.events.order_by("seq"))[-1] == case.state
    kinds = sorted(Photo.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds == ["after", "before", "check"]


def test_resident_report_is_verified_on_site_before_registration(world):
    p = world.people
    case = report(world, who=p.resident, photo_files=[])
    assert case.source == "resident"
    with pytest.raises(InvalidInput) as error:
        act(case, p.acceptor, "register")
    assert error.value.field == "action"
    case = act(case, p.acceptor, "request_verification")
    assert case.state == "verifying"
    with pytest.raises(InvalidInput) as error:
        act(case, p.worker, "verify", result="maybe")
    assert error.value.field == "result"
    case = act(case, p.worker, "verify", result="confirmed", photos=[photo()])
    assert case.state == "reported"
    assert act(case, p.acceptor, "register").state == "registered"


def test_not_found_on_site_must_be_rejected_with_a_reason(world):
    p = world.people
    case = report(world, who=p.resident, photo_files=[])
    act(case, p.acceptor, "request_verification")
    act(case, p.worker, "verify", result="not_found")
    with pytest.raises(InvalidInput):
        act(case, p.acceptor, "register")
    with pytest.raises(InvalidInput) as error:
        act(case, p.acceptor, "reject")
    assert error.value.field == "reason"
    assert act(case, p.acceptor, "reject", reason="nothing there").state == "rejected"


def test_self_close_needs_a_minor_class_an_after_photo_and_a_grid_team_report(world):
    p = world.people
    case = report(world)
    with pytest.raises(InvalidInput) as error:
        act(case, p.worker, "self_close")
    assert error.value.field == "photos"
    assert act(case, p.worker, "self_close", photos=[photo()]).state == "self_closed"
    big = report(world, case_class=world.building)
    with pytest.raises(InvalidInput) as error:
        act(big, p.worker, "self_close", photos=[photo()])
    assert error.value.field == "case_class"
    theirs = report(world, who=p.resident, photo_files=[])
    with pytest.raises(InvalidInput):
        act(theirs, p.worker, "self_close", photos=[photo()])


def test_lead_return_goes_back_to_registration_and_arbitration_ends_disputes(world):
    p = world.people
    case = drive(world, "dispatched")
    with pytest.raises(NotFound):
        act(case, p.eco_handler, "return", reason="not ours")  # not their case
    with pytest.raises(Conflict):
        act(case, p.command, "arbitrate", reason="x")
    never_returned = drive(world, "registered")
    with pytest.raises(InvalidInput):
        act(never_returned, p.command, "arbitrate", reason="too early", department="ecology")
    case = act(case, p.city_handler, "return", reason="this is ecology's")
    assert case.state == "registered" and case.due_at is None
    with pytest.raises(PermissionDenied):
        act(case, p.worker, "arbitrate", reason="x")
    case = act(case, p.dispatcher, "dispatch", department="ecology")
    case = act(case, p.eco_handler, "return", reason="city management's")
    case = act(case, p.command, "arbitrate", reason="decided", department="city_management")
    assert case.state == "dispatched"
    with pytest.raises(InvalidInput):
        act(case, p.city_handler, "return", reason="still not ours")
    assert act(case, p.city_handler, "sign").state == "in_progress"


def test_joint_case_waits_for_every_live_task_and_co_return_keeps_it_going(world):
    p = world.people
    case = drive(world, "registered")
    case = act(
        case,
        p.dispatcher,
        "dispatch",
        department="city_management",
        co_departments=["ecology", "market"],
    )
    assert case.tasks.count() == 3
    case = act(case, p.market_handler, "return", reason="not food")
    assert case.state == "dispatched"
    act(case, p.city_handler, "sign")
    act(case, p.eco_handler, "sign")
    case = act(case, p.city_handler, "feed_back", reason="done", photos=[photo()])
    assert case.state == "in_progress"
    with pytest.raises(Conflict):  # the lead's task has fed back already
        act(case, p.city_handler, "feed_back", reason="again", photos=[photo()])
    # a co-department's feedback needs no after-photo
    case = act(case, p.eco_handler, "feed_back", reason="sampled water")
    assert case.state == "checking"


def test_dispatch_to_the_same_department_twice_is_refused(world):
    case = drive(world, "registered")
    with pytest.raises(InvalidInput) as error:
        act(
            case,
            world.people.dispatcher,
            "dispatch",
            department="ecology",
            co_departments=["ecology"],
        )
    assert error.value.field == "co_departments"
    with pytest.raises(InvalidInput) as error:
        act(case, world.people.dispatcher, "dispatch", department="nope")
    assert error.value.field == "department"
    assert Case.objects.get(pk=case.pk).state == "registered"


def test_only_an_approved_extension_moves_the_deadline(world):
    p = world.people
    case = drive(world, "in_progress", case_class=world.building)
    due = case.due_at
    with pytest.raises(InvalidInput) as error:
        act(case, p.city_handler, "request_extension", reason="big job", hours=0)
    assert error.value.field == "hours"
    case = act(case, p.city_handler, "request_extension", reason="big job", hours=16)
    assert Case.objects.get(pk=case.pk).due_at == due
    case = act(case, p.dispatcher, "reject_extension", reason="no")
    assert case.due_at == due
    act(case, p.city_handler, "request_extension", reason="really big", hours=16)
    case = act(case, p.dispatcher, "approve_extension")
    assert case.due_at > due
    assert case.events.filter(action="approve_extension").get().data["hours"] == 16


def test_failed_check_sends_it_back_to_rework(world):
    p = world.people
    case = drive(world, "checking")
    with pytest.raises(NotFound):
        act(case, p.far_worker, "fail_check", reason="still dirty")
    with pytest.raises(NotFound):  # another grid's worker does not even see it
        act(case, p.worker2, "fail_check", reason="still dirty")
    with pytest.raises(PermissionDenied):
        act(case, p.acceptor, "fail_check", reason="still dirty")
    case = act(case, p.worker, "fail_check", reason="still dirty", photos=[photo()])
    assert case.state == "in_progress" and case.rework_count == 1
    case = act(case, p.city_handler, "feed_back", reason="cleaned again", photos=[photo()])
    assert case.state == "checking"


def test_call_back_and_reopen_by_the_reporter(world):
    p = world.people
    case = drive(world, "closed")
    with pytest.raises(InvalidInput):
        act(case, p.callback, "revisit", satisfaction="meh")
    case = act(case, p.callback, "revisit", satisfaction="satisfied")
    assert case.state == "closed" and case.satisfaction == "satisfied"
    with pytest.raises(PermissionDenied):
        act(case, p.acceptor, "reopen", reason="no")
    case = act(case, p.worker, "reopen", reason="it is back")
    assert case.state == "registered" and case.closed_at is None


def test_urgent_class_is_dispatched_at_registration(world):
    case = report(world, case_class=world.manhole)
    case = act(case, world.people.acceptor, "register")
    assert case.state == "dispatched"
    dispatch = case.events.get(action="dispatch")
    assert dispatch.actor is None and dispatch.actor_role == "system"


def test_police_classes_go_to_the_street_police_station(world):
    case = drive(world, "dispatched", case_class=world.fight)
    assert case.tasks.get().department == world.police


def test_manual_merge_keeps_both_reporters(world):
    p = world.people
    first = report(world)
    act(first, p.acceptor, "register")
    duplicate = report(world, who=p.resident, photo_files=[])
    with pytest.raises(Conflict):
        act(duplicate, p.acceptor, "merge", target=duplicate.number)
    merged = act(duplicate, p.acceptor, "merge", target=first.number)
    assert merged.state == "merged" and merged.merged_into == first
    reporters = set(
        CaseReporter.objects.filter(case=first).values_list("reporter__username", flat=True)
    )
    assert reporters == {"worker", "resident"}
    assert first.events.filter(action="absorb").exists()


def test_actions_not_allowed_in_the_current_state(world):
    case = drive(world, "reported")
    with pytest.raises(Conflict) as error:
        act(case, world.people.worker, "pass_check")
    assert error.value.code == "not_allowed_now"
    with pytest.raises(InvalidInput):
        act(case, world.people.acceptor, "escalate")  # system only
    with pytest.raises(InvalidInput):
        act(case, world.people.acceptor, "fly")


def test_street_staff_cannot_touch_another_streets_case(world):
    case = drive(world, "reported")
    with pytest.raises(NotFound):
        act(case, world.people.other_acceptor, "register")


def test_report_replay_returns_the_first_case_and_creates_nothing(world):
    p = world.people
    kwargs = dict(
        actor=p.worker,
        lon=world.point[0],
        lat=world.point[1],
        class_code="A0102",
        idempotency_key="same-key",
    )
    first = services.report_case(photo_files=[photo()], **kwargs)
    again = services.report_case(photo_files=[photo()], **kwargs)
    assert again.replayed and again.case.pk == first.case.pk
    assert Case.objects.count() == 1 and Photo.objects.count() == 1
    with pytest.raises(Conflict) as error:
        services.report_case(photo_files=[photo(colour=(1, 2, 3))], **kwargs)
    assert error.value.field == "idempotency_key"
    assert Case.objects.count() == 1


def test_bad_reports_change_nothing(world):
    p = world.people
    base = dict(
        actor=p.worker,
        lon=world.point[0],
        lat=world.point[1],
        class_code="A0102",
        photo_files=[photo()],
    )
    bad = [
        ({"class_code": "Z9999"}, "class_code"),
        ({"lon": 116.3975, "lat": 39.9087}, "lon"),
        ({"lon": 500.0}, "lon"),
        ({"photo_files": []}, "photos"),
        ({"photo_files": [photo(name="x.jpg", fmt="GIF")]}, "photos"),
        ({"crs": "bd09"}, "crs"),
    ]
    for change, field in bad:
        with pytest.raises(InvalidInput) as error:
            services.report_case(**{**base, **change, "idempotency_key": new_key()})
        assert error.value.field == field, change
    assert Case.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_create_one_case(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    photo_bytes = photo().read()
    results = run_concurrently(
        lambda: services.report_case(
            actor=world.people.worker,
            lon=world.point[0],
            lat=world.point[1],
            class_code="A0102",
            idempotency_key="offline-42",
            photo_files=[SimpleUploadedFile("p.jpg", photo_bytes)],
        )
    )
    assert Case.objects.count() == 1 and Photo.objects.count() == 1
    assert {o.case.pk for o in results} == {Case.objects.get().pk}
    assert sum(not o.replayed for o in results) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_copies_of_one_action_happen_once_and_all_succeed(world):
    case = drive(world, "checking")
    results = run_concurrently(
        lambda: services.perform_action(
            actor=world.people.worker,
            case_id=case.pk,
            action="pass_check",
            idempotency_key="check-twice",
        )
    )
    assert case.events.filter(action="pass_check").count() == 1
    assert sum(not o.replayed for o in results) == 1
    assert {o.case.state for o in results} == {"checked"}


def test_a_replayed_action_happens_once(world):
    case = drive(world, "checking")
    kwargs = dict(
        actor=world.people.worker,
        case_id=case.pk,
        action="fail_check",
        reason="still dirty",
        idempotency_key="check-7",
    )
    first = services.perform_action(**kwargs)
    again = services.perform_action(**kwargs)
    assert not first.replayed and again.replayed
    assert case.events.filter(action="fail_check").count() == 1
    with pytest.raises(Conflict) as error:
        services.perform_action(**{**kwargs, "reason": "other words"})
    assert error.value.field == "idempotency_key"


def test_history_cannot_be_rewritten(world):
    case = drive(world, "registered")
    event = case.events.get(action="register")
    event.reason = "rewritten"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()
    assert case.events.get(action="register").reason == ""


def test_merge_target_must_be_a_case_the_merger_may_see(world):
    p = world.people
    theirs = report(world, who=p.far_worker, point=world.far_point)  # another street's case
    duplicate = report(world)
    with pytest.raises(NotFound) as error:
        act(duplicate, p.acceptor, "merge", target=theirs.number)
    assert error.value.field == "target"
    with pytest.raises(NotFound):
        act(duplicate, p.acceptor, "merge", target="not-a-case")
    assert Case.objects.get(pk=duplicate.pk).state == "reported"


def test_a_returned_case_gets_a_fresh_dispatch_clock(world):
    case = drive(world, "dispatched")
    advance(days=14)
    case = act(case, world.people.city_handler, "return", reason="不属于城管")
    assert case.state == "registered"
    start, due = selectors.running_clock(case)
    assert start == clock.now() and due > clock.now()
    assert selectors.timer_colour(case) == "green"
