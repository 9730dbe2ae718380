"""Fan-out: who hears of each case event, as which kind, exactly once per event per person."""

from __future__ import annotations

import datetime as dt

import pytest

from onegrid.cases import services as case_services
from onegrid.cases.models import CaseEvent, CaseReporter
from onegrid.core import clock
from onegrid.notify import kinds
from onegrid.notify.models import Delivery, FanOutMark, Notification, WebhookEndpoint
from onegrid.notify.services import fan_out
from onegrid.org.models import Role, RoleAssignment, User
from support.cases import act, advance, drive, photo, report, run_concurrently


def told(event_action, case) -> dict[str, str]:
    """{username: kind} of the notifications of the case's (last) `event_action` event."""
    event = CaseEvent.objects.filter(case=case, action=event_action).order_by("-seq").first()
    assert event is not None, event_action
    return {
        n.user.username: n.kind
        for n in Notification.objects.filter(key__startswith=f"{event.id}:").select_related("user")
    }


def verified(world, case):
    p = world.people
    case = act(case, p.acceptor, "request_verification")
    return act(case, p.worker, "verify", result="confirmed", photos=[photo()])


def test_each_step_reaches_the_desk_that_acts_next_and_never_the_actor(world):
    p = world.people
    case = report(world, who=p.resident)
    fan_out()
    # The street desk of the case's street, not the other street's; the reporter (the actor)
    # only gets the receipt of their own report.
    assert told("report", case) == {
        "acceptor": "to_my_desk",
        "shift_lead": "to_my_desk",
        "resident": kinds.REPORTER_RECEIVED,
    }

    case = verified(world, case)
    fan_out()
    # The desk's request for an on-site verification: the grid's workers, who go and look.
    assert told("request_verification", case) == {"worker": "to_my_desk"}
    assert told("verify", case) == {"acceptor": "to_my_desk", "shift_lead": "to_my_desk"}
    case = act(case, p.acceptor, "register")
    fan_out()
    assert told("register", case) == {
        "dispatcher": "to_my_desk",
        "shift_lead": "to_my_desk",
        "resident": kinds.REPORTER_REGISTERED,
    }

    case = act(case, p.dispatcher, "dispatch")
    fan_out()
    assert told("dispatch", case) == {
        "city_handler": kinds.TO_MY_DEPARTMENT,
        "resident": kinds.REPORTER_DISPATCHED,
    }

    case = act(case, p.city_handler, "sign")
    case = act(case, p.city_handler, "feed_back", reason="done", photos=[photo()])
    fan_out()
    # start_check (the system's follow-up): the grid's checkers; the reporter hears it is fixed.
    assert told("start_check", case) == {
        "worker": kinds.TO_MY_DESK,
        "resident": kinds.REPORTER_FIXED,
    }

    case = act(case, p.worker, "pass_check")
    fan_out()
    assert told("pass_check", case) == {"acceptor": kinds.CHECKED, "shift_lead": kinds.CHECKED}

    case = act(case, p.acceptor, "close")
    fan_out()
    assert told("close", case) == {"shift_lead": kinds.CLOSED, "resident": kinds.PLEASE_RATE}

    # An unsatisfied rating reaches the call-back desk; the reopening, the dispatch desk.
    case = act(case, p.resident, "rate", satisfaction="unsatisfied", reason="还是很吵")
    fan_out()
    assert told("rate", case) == {"callback": kinds.TO_MY_DESK, "shift_lead": kinds.TO_MY_DESK}
    # …saying why they are told: the reporter is unsatisfied, and the reporter's reason.
    rating = CaseEvent.objects.get(case=case, action="rate")
    rated = Notification.objects.get(key=f"{rating.id}:{p.callback.pk}")
    assert "上报人不满意：还是很吵" in rated.body
    # A reporter's comment on the closed case: the call-back desk; staff comments tell no one.
    case = act(case, p.resident, "comment", reason="晚上十点以后还在施工")
    fan_out()
    assert told("comment", case) == {"callback": kinds.TO_MY_DESK, "shift_lead": kinds.TO_MY_DESK}
    commented = CaseEvent.objects.get(case=case, action="comment")
    note = Notification.objects.get(key=f"{commented.id}:{p.callback.pk}")
    assert "晚上十点以后还在施工" in note.body
    case = act(case, p.acceptor, "comment", reason="已转告施工单位")
    fan_out()
    assert told("comment", case) == {}
    case = act(case, p.resident, "reopen", reason="晚上还是很吵")
    fan_out()
    assert told("reopen", case) == {"dispatcher": kinds.TO_MY_DESK, "shift_lead": kinds.TO_MY_DESK}
    reopening = CaseEvent.objects.get(case=case, action="reopen")
    reopened = Notification.objects.get(key=f"{reopening.id}:{p.dispatcher.pk}")
    assert "已重新办理：晚上还是很吵" in reopened.body


def test_one_notification_per_event_per_person_however_often_it_runs(world):
    p = world.people
    case = verified(world, report(world, who=p.resident))
    act(case, p.acceptor, "register")
    first = fan_out()
    assert first > 0
    assert fan_out() == 0
    advance(minutes=3)  # still inside the safety window: rescanned, nothing new
    assert fan_out() == 0
    keys = list(Notification.objects.values_list("key", flat=True))
    assert len(keys) == len(set(keys)) == first


def test_a_return_reaches_the_dispatch_and_street_desks_with_the_reason(world):
    p = world.people
    case = drive(world, "dispatched")
    act(case, p.city_handler, "return", reason="不属于本部门")
    fan_out()
    got = told("return", case)
    assert got == {
        "dispatcher": kinds.RETURNED,
        "shift_lead": kinds.RETURNED,
        "acceptor": kinds.RETURNED,
    }
    n = Notification.objects.get(user=p.dispatcher, kind=kinds.RETURNED)
    assert "不属于本部门" in n.body
    assert n.url == f"/cases/{case.number}/"


def test_escalation_levels_reach_the_street_leader_then_the_command_centre(world):
    p = world.people
    street_leader = User.objects.create_user("street_leader", phone="13900000001")
    RoleAssignment.objects.create(user=street_leader, role=Role.LEADER, unit=world.street)
    drive(world, "in_progress")
    for step in (dt.timedelta(hours=5), dt.timedelta(days=1), dt.timedelta(days=3)):
        advance(seconds=step.total_seconds())
        case_services.tick()
        fan_out()
    events = CaseEvent.objects.filter(action="escalate").order_by("seq")
    assert [e.data["level"] for e in events] == [1, 2, 3]
    by_level = {}
    for e in events:
        by_level[e.data["level"]] = set(
            Notification.objects.filter(key__startswith=f"{e.id}:").values_list(
                "user__username", flat=True
            )
        )
    assert by_level[1] == {"city_handler"}
    assert by_level[2] == {"city_handler", "street_leader"}
    # The district leader is not the street's; the command centre joins at level 3.
    assert by_level[3] == {"city_handler", "street_leader", "command"}
    assert set(Notification.objects.filter(kind=kinds.ESCALATED).values_list("kind", flat=True))
    assert not Notification.objects.filter(user=p.leader).exists()


def test_merged_duplicates_reporters_hear_of_the_case(world):
    p = world.people
    case = report(world, who=p.worker)
    CaseReporter.objects.create(case=case, from_case=case, reporter=p.resident, at=clock.now())
    act(case, p.acceptor, "register")
    fan_out()
    got = told("register", case)
    assert got["worker"] == kinds.REPORTER_REGISTERED
    assert got["resident"] == kinds.REPORTER_REGISTERED


def test_only_the_cases_own_reporter_is_asked_to_rate_it(world):
    p = world.people
    case = drive(world, "checked")
    case.reporter = p.resident
    case.save(update_fields=["reporter"])
    CaseReporter.objects.create(case=case, from_case=case, reporter=p.worker2, at=clock.now())
    act(case, p.acceptor, "close")
    fan_out()
    got = told("close", case)
    # A merged duplicate's reporter cannot rate the case (the rate row is the reporter's).
    assert got["resident"] == kinds.PLEASE_RATE
    assert got["worker2"] == kinds.REPORTER_CLOSED


def test_late_committed_events_inside_the_window_are_not_skipped(world):
    p = world.people
    case = verified(world, report(world, who=p.resident))
    fan_out()
    mark = FanOutMark.objects.get(name="notify").at
    # An event written with a time before the mark (its transaction committed late).
    advance(minutes=1)
    act(case, p.acceptor, "register")
    CaseEvent.objects.filter(case=case, action="register").update(at=mark - dt.timedelta(minutes=2))
    assert fan_out() > 0
    assert "dispatcher" in told("register", case)


def test_deliveries_follow_the_persons_channels_and_webhooks_match_kinds(world, tmp_path, settings):
    settings.ONEGRID = {**settings.ONEGRID, "SMS_FILE": str(tmp_path / "sms.jsonl")}
    p = world.people
    p.city_handler.email = "city@example.org"
    p.city_handler.save()
    hook = WebhookEndpoint.objects.create(
        name="city", url="http://127.0.0.1:9/hook", secret="s", kinds=["to_my_department"]
    )
    WebhookEndpoint.objects.create(
        name="other", url="http://127.0.0.1:9/other", secret="s", kinds=["closed"]
    )
    case = drive(world, "dispatched")
    fan_out()
    n = Notification.objects.get(user=p.city_handler, kind=kinds.TO_MY_DEPARTMENT)
    # Default for to_my_department: SMS (the handler has a phone); no e-mail unless chosen.
    assert list(n.deliveries.values_list("channel", "address")) == [("sms", "13812345678")]
    hooks = Delivery.objects.filter(channel="webhook")
    assert [(h.endpoint_id, h.case_id) for h in hooks] == [(hook.pk, case.pk)]
    assert hooks[0].payload["case"]["number"] == case.number
    assert "13812345678" not in str(hooks[0].payload)  # no personal data
    assert hooks[0].state == "retrying"  # nothing listens on port 9: tried at once, failed


def test_a_failed_check_goes_back_to_the_department_and_a_self_close_to_the_desk(world):
    p = world.people
    case = drive(world, "checking")
    act(case, p.worker, "fail_check", reason="还没清理干净", photos=[photo()])
    fan_out()
    assert told("fail_check", case) == {"city_handler": kinds.RETURNED}

    fixed = report(world, who=p.worker)
    act(fixed, p.worker, "self_close", photos=[photo()])
    fan_out()
    # The grid worker reported and closed it: the desk hears; the worker (actor) does not.
    assert told("self_close", fixed) == {"acceptor": kinds.CLOSED, "shift_lead": kinds.CLOSED}


def test_inactive_people_and_the_other_street_hear_nothing(world):
    p = world.people
    p.shift_lead.is_active = False
    p.shift_lead.save()
    case = report(world, who=p.worker)
    fan_out()
    assert told("report", case) == {"acceptor": kinds.TO_MY_DESK}
    assert not Notification.objects.filter(user=p.other_acceptor).exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_fan_outs_write_each_notification_once(world):
    p = world.people
    for _ in range(3):
        case = report(world, who=p.worker)
        act(case, p.acceptor, "register")
    now = clock.now()
    made = run_concurrently(lambda: fan_out(now=now), copies=3)
    keys = list(Notification.objects.values_list("key", flat=True))
    assert sum(made) == len(keys) == len(set(keys)) > 0
    assert Delivery.objects.count() == len(set(Delivery.objects.values_list("key", flat=True)))
