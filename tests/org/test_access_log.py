"""The log of reads of personal data (org.access_log, PersonalDataRead): every place that shows
personal data unmasked records who read whose fields, in one insert a request; masked views
record nothing; the log is append-only and read by auditors and administrators only."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from onegrid.cases.models import CaseReporter
from onegrid.core import clock
from onegrid.notify.models import Delivery
from onegrid.open311 import services as open311_services
from onegrid.open311.models import ClientRequest
from onegrid.org import access_log
from onegrid.org.models import PersonalDataRead, Role, RoleAssignment, User
from support.api import token_client
from support.cases import drive


def _reads():
    return list(
        PersonalDataRead.objects.order_by("id").values_list(
            "username", "kind", "subject_id", "fields", "channel"
        )
    )


def _inserts(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("INSERT") and "org_personaldataread" in q["sql"]
    ]


def _admin_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def root(db):
    return User.objects.create_superuser("root", password="pw-root-1")


def test_record_writes_every_subject_in_one_insert(db):
    reader = User.objects.create_user("reader", password="pw-reader-1")
    with CaptureQueriesContext(connection) as queries:
        n = access_log.record(
            user=reader,
            kind="case_reporter",
            channel="download",
            path="/x/" + "p" * 400,
            subjects=[(i, ["name", "phone"]) for i in range(5000)] + [(9999, [])],
        )
    assert n == 5000 and PersonalDataRead.objects.count() == 5000
    # One bulk insert: one statement on PostgreSQL; SQLite caps a statement's parameters
    # (999 in Django), so there the same bulk_create takes the fewest statements it can.
    fields = [f for f in PersonalDataRead._meta.concrete_fields if not f.primary_key]
    per_statement = connection.ops.bulk_batch_size(fields, [None] * 5000)
    assert len(_inserts(queries)) == math.ceil(5000 / per_statement)
    if connection.vendor == "postgresql":
        assert len(_inserts(queries)) == 1
    row = PersonalDataRead.objects.get(subject_id="17")
    assert (row.user, row.username, row.fields, row.channel) == (
        reader,
        "reader",
        "name,phone",
        "download",
    )
    assert len(row.path) == PersonalDataRead.PATH_LENGTH
    assert not PersonalDataRead.objects.filter(subject_id="9999").exists()  # nothing shown


def test_record_refuses_unknown_kinds_and_channels_and_the_system_reads_as_nobody(db):
    with pytest.raises(ValueError):
        access_log.record(user=None, kind="shoe_size", channel="page", subjects=[(1, ["x"])])
    with pytest.raises(ValueError):
        access_log.record(user=None, kind="case_reporter", channel="fax", subjects=[(1, ["x"])])
    assert access_log.record(
        user=None, kind="case_reporter", channel="api", subjects=[(1, ["name"])]
    )
    row = PersonalDataRead.objects.get()
    assert row.user is None and row.username == ""


def test_the_case_page_and_api_record_the_reporters_names_shown(world):
    case = drive(world, "reported")
    CaseReporter.objects.create(
        case=case,
        from_case=case,
        reporter_name="张三",
        reporter_phone="13900001111",
        at=clock.now(),
    )
    reporters = list(CaseReporter.objects.filter(case=case).order_by("id"))
    acceptor = world.people.acceptor
    client = Client()
    client.force_login(acceptor)
    page = client.get(f"/cases/{case.pk}/")
    assert page.status_code == 200 and "张三" in page.content.decode()
    assert "13900001111" not in page.content.decode()  # the phone is masked: no record for it
    expected = [("acceptor", "case_reporter", str(r.pk), "name", "page") for r in reporters]
    assert _reads() == expected
    PersonalDataRead.objects.all().delete()
    with CaptureQueriesContext(connection) as queries:
        detail = token_client(acceptor).get(f"/api/v1/cases/{case.pk}")
    assert detail.status_code == 200 and len(detail.json()["reporters"]) == len(reporters)
    assert _reads() == [(u, k, s, f, "api") for u, k, s, f, _ in expected]
    assert len(_inserts(queries)) == 1
    assert PersonalDataRead.objects.filter(path=f"/api/v1/cases/{case.pk}").count() == 2


def test_viewers_who_see_no_reporter_record_nothing(world):
    case = drive(world, "dispatched")
    detail = token_client(world.people.city_handler).get(f"/api/v1/cases/{case.pk}").json()
    assert detail["reporters"] is None
    assert PersonalDataRead.objects.count() == 0


def test_the_open311_contact_page_records_the_fields_shown_and_the_list_none(world, root):
    client_, _key = open311_services.add_client(
        actor=None, name="12345 hotline", jurisdiction_code=world.district.code
    )
    case = drive(world, "reported")
    request = ClientRequest.objects.create(
        case=case,
        client=client_,
        email="li@example.com",
        last_name="李",
        created_at=clock.now(),
    )
    admin = _admin_client(root)
    assert admin.get("/admin/open311/clientrequest/").status_code == 200
    assert PersonalDataRead.objects.count() == 0  # the list shows no contact detail
    page = admin.get(f"/admin/open311/clientrequest/{request.pk}/change/")
    assert page.status_code == 200 and "li@example.com" in page.content.decode()
    assert _reads() == [("root", "open311_contact", str(case.pk), "email,last_name", "admin")]


def _delivery(channel: str, address: str, key: str) -> Delivery:
    return Delivery.objects.create(
        channel=channel,
        address=address,
        payload={"text": "hello"},
        next_attempt_at=clock.now(),
        created_at=clock.now(),
        key=key,
    )


def test_the_delivery_list_records_each_phone_and_address_in_one_insert(world, root):
    sms = [_delivery("sms", f"1390000{i:04d}", f"k{i}") for i in range(30)]
    mail = _delivery("email", "someone@example.com", "mail")
    hook = _delivery("webhook", "https://hooks.example.com/x", "hook")
    admin = _admin_client(root)
    with CaptureQueriesContext(connection) as queries:
        listing = admin.get("/admin/notify/delivery/")
    assert listing.status_code == 200 and "13900000007" in listing.content.decode()
    assert len(_inserts(queries)) == 1
    rows = _reads()
    assert {r[2] for r in rows} == {str(d.pk) for d in [*sms, mail]}  # not the webhook
    assert {(r[0], r[1], r[3], r[4]) for r in rows} == {
        ("root", "delivery_address", "address", "admin")
    }
    PersonalDataRead.objects.all().delete()
    assert admin.get(f"/admin/notify/delivery/{hook.pk}/change/").status_code == 200
    assert PersonalDataRead.objects.count() == 0
    assert admin.get(f"/admin/notify/delivery/{mail.pk}/change/").status_code == 200
    assert _reads() == [("root", "delivery_address", str(mail.pk), "address,payload", "admin")]


def test_a_user_account_page_records_its_phone_and_the_list_nothing(world, root):
    admin = _admin_client(root)
    assert admin.get("/admin/org/user/").status_code == 200
    assert PersonalDataRead.objects.count() == 0
    resident = world.people.resident
    assert admin.get(f"/admin/org/user/{resident.pk}/change/").status_code == 200
    assert _reads() == [("root", "user_account", str(resident.pk), "phone", "admin")]


def test_only_auditors_and_administrators_read_the_log_and_nobody_changes_it(world, root):
    access_log.record(user=root, kind="user_account", channel="admin", subjects=[(1, ["phone"])])
    row = PersonalDataRead.objects.get()
    auditor = User.objects.create_user("auditor", password="pw-auditor-1", is_staff=True)
    RoleAssignment.objects.create(user=auditor, role=Role.AUDITOR)
    administrator = User.objects.create_user("boss", password="pw-boss-1", is_staff=True)
    RoleAssignment.objects.create(user=administrator, role=Role.ADMIN, unit=world.district)
    clerk = User.objects.create_user("clerk", password="pw-clerk-1", is_staff=True)
    for user, status in ((auditor, 200), (administrator, 200), (root, 200), (clerk, 403)):
        client = _admin_client(user)
        assert client.get("/admin/org/personaldataread/").status_code == status, user
        assert client.get("/admin/org/personaldataread/?kind__exact=user_account&username=root")
    client = _admin_client(root)
    assert client.get("/admin/org/personaldataread/add/").status_code == 403
    assert client.post(f"/admin/org/personaldataread/{row.pk}/delete/").status_code == 403
    page = client.get(f"/admin/org/personaldataread/{row.pk}/change/")
    assert page.status_code == 200 and 'name="subject_id"' not in page.content.decode()
    client.post(f"/admin/org/personaldataread/{row.pk}/change/", {"subject_id": "2"})
    client.post(
        "/admin/org/personaldataread/",
        {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"},
    )
    row.refresh_from_db()
    assert row.subject_id == "1"


def test_reads_older_than_a_date_are_kept_until_purged(db):
    access_log.record(user=None, kind="user_account", channel="admin", subjects=[(1, ["phone"])])
    clock.set_now(clock.now() + dt.timedelta(days=400))
    try:
        access_log.record(
            user=None, kind="user_account", channel="admin", subjects=[(2, ["phone"])]
        )
        assert access_log.purge(older_than_days=365) == 1
    finally:
        clock.set_now(None)
    assert list(PersonalDataRead.objects.values_list("subject_id", flat=True)) == ["2"]


def test_the_purge_command(db):
    import io

    from django.core.management import CommandError, call_command

    access_log.record(user=None, kind="user_account", channel="admin", subjects=[(1, ["phone"])])
    out = io.StringIO()
    call_command("org", "purge-access-log", "--older-than", "30", stdout=out)
    assert PersonalDataRead.objects.count() == 1 and "0" in out.getvalue()
    with pytest.raises(CommandError, match="36500"):
        call_command("org", "purge-access-log", "--older-than", "0")


def test_a_reporter_reading_their_own_name_is_not_recorded(world):
    case = drive(world, "reported")
    case.reporter = world.people.resident
    case.save()
    CaseReporter.objects.filter(case=case).update(reporter=world.people.resident, reporter_name="")
    detail = token_client(world.people.resident).get(f"/api/v1/cases/{case.pk}")
    assert detail.status_code == 200
    assert PersonalDataRead.objects.count() == 0
    assert token_client(world.people.acceptor).get(f"/api/v1/cases/{case.pk}").status_code == 200
    assert [r[:4] for r in _reads()] == [
        ("acceptor", "case_reporter", str(CaseReporter.objects.get(case=case).pk), "name")
    ]


def test_the_residents_admin_pages_record_names_and_addresses(world, root):
    from onegrid.residents.models import AnonymousReport, OneTimeCode, ResidentProfile

    resident = world.people.resident
    profile = ResidentProfile.objects.create(
        user=resident, registered_at=clock.now(), phone_verified_at=clock.now()
    )
    case = drive(world, "reported")
    report = AnonymousReport.objects.create(
        case=case, client_address="203.0.113.9", created_at=clock.now()
    )
    admin = _admin_client(root)
    assert admin.get("/admin/residents/residentprofile/").status_code == 200
    assert admin.get("/admin/residents/anonymousreport/").status_code == 200
    assert admin.get(f"/admin/residents/anonymousreport/{report.pk}/change/").status_code == 200
    assert _reads() == [
        ("root", "resident_account", str(profile.pk), "display_name", "admin"),
        ("root", "anonymous_report", str(report.pk), "client_address", "admin"),
        ("root", "anonymous_report", str(report.pk), "client_address", "admin"),
    ]
    PersonalDataRead.objects.all().delete()
    code = OneTimeCode.objects.create(
        phone="13900003333",
        purpose="register",
        digest="x" * 64,
        expires_at=clock.now(),
        client_address="203.0.113.10",
        created_at=clock.now(),
    )
    assert admin.get("/admin/residents/onetimecode/").status_code == 200
    assert PersonalDataRead.objects.count() == 0  # the list shows the phone masked
    page = admin.get(f"/admin/residents/onetimecode/{code.pk}/change/")
    assert page.status_code == 200 and "13900003333" not in page.content.decode()
    assert _reads() == [("root", "one_time_code", str(code.pk), "client_address", "admin")]


def test_a_residents_username_is_their_phone_and_is_recorded_in_the_user_list(world, root):
    resident = User.objects.create_user("13900004444", phone="13900004444", display_name="王五")
    admin = _admin_client(root)
    assert admin.get("/admin/org/user/").status_code == 200
    assert _reads() == [("root", "user_account", str(resident.pk), "username", "admin")]


def test_the_failed_sign_ins_record_the_usernames_and_addresses_listed(db, root):
    from axes.models import AccessFailureLog

    failure = AccessFailureLog.objects.create(
        username="13900005555",
        ip_address="203.0.113.11",
        user_agent="test",
        http_accept="*/*",
        path_info="/login/",
        attempt_time=clock.now(),
    )
    assert _admin_client(root).get("/admin/axes/accessfailurelog/").status_code == 200
    assert _reads() == [("root", "sign_in_record", str(failure.pk), "username,ip_address", "admin")]


def test_a_cases_admin_page_records_its_reporter_and_the_list_nothing(world, root):
    case = drive(world, "reported")
    type(case).objects.filter(pk=case.pk).update(reporter_name="赵六", reporter_phone="13900006666")
    admin = _admin_client(root)
    assert admin.get("/admin/cases/case/").status_code == 200
    assert PersonalDataRead.objects.count() == 0
    page = admin.get(f"/admin/cases/case/{case.pk}/change/")
    assert page.status_code == 200 and "13900006666" in page.content.decode()
    own = CaseReporter.objects.get(case=case, from_case=case)
    assert _reads() == [("root", "case_reporter", str(own.pk), "name,phone", "admin")]


def test_a_one_time_codes_text_never_reaches_the_delivery_page(world, root):
    from onegrid.notify import services as notify_services

    delivery = notify_services.send_text(
        phone="13900007777", text="您的验证码是 493817，10 分钟内有效。", key="code-test"
    )
    page = _admin_client(root).get(f"/admin/notify/delivery/{delivery.pk}/change/")
    body = page.content.decode()
    assert page.status_code == 200 and "13900007777" in body
    assert "493817" not in body
    with translation.override("zh-hans"):  # the admin's language here
        assert translation.gettext("(one-time code: not shown)") in body
    assert _reads() == [("root", "delivery_address", str(delivery.pk), "address,payload", "admin")]


def test_the_case_list_in_the_admin_costs_no_query_per_case(world, root):
    for _ in range(3):
        drive(world, "reported")
    admin = _admin_client(root)
    admin.get("/admin/cases/case/")
    with CaptureQueriesContext(connection) as few:
        admin.get("/admin/cases/case/")
    for _ in range(5):
        drive(world, "reported")
    with CaptureQueriesContext(connection) as more:
        assert admin.get("/admin/cases/case/").status_code == 200
    assert len(more.captured_queries) == len(few.captured_queries)


def test_a_residents_username_on_a_team_page_or_answer_is_recorded(world):
    from onegrid.org import teams

    volunteer = User.objects.create_user(
        "13900008888", password="pw-volunteer-1", phone="13900008888", display_name="志愿者"
    )
    RoleAssignment.objects.create(user=volunteer, role=Role.RESIDENT, unit=world.district)
    teams.add_member(
        actor=world.people.command,
        grid_code=world.grids[0].code,
        username=volunteer.username,
        role=Role.VOLUNTEER,
    )
    client = Client()
    client.force_login(world.people.acceptor)
    page = client.get(f"/console/teams/{world.grids[0].code}/")
    assert page.status_code == 200 and "13900008888" in page.content.decode()
    # The staff's usernames ("worker"…) are no one's phone: only the volunteer's is recorded.
    expected = [("acceptor", "team_member_phone", str(volunteer.pk), "username")]
    assert [r[:4] for r in _reads()] == expected and _reads()[0][4] == "page"
    PersonalDataRead.objects.all().delete()
    answer = token_client(world.people.acceptor).get(f"/api/v1/teams/{world.grids[0].code}")
    assert answer.status_code == 200, answer.content
    assert _reads() == [(*expected[0], "api")]
