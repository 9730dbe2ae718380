"""Health for the console's alert, the admin pages (secrets write-only) and the commands."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.test import Client

from onegrid.core import clock
from onegrid.forwarding import health, services
from onegrid.forwarding.models import Forward, Target
from onegrid.org.models import User
from support.cases import advance, drive
from support.forwarding_remotes import webhook_target


@pytest.mark.django_db
def test_failing_forwards_by_target(world, receiver):
    hook = webhook_target(receiver.url)
    assert health.failing_forwards() == []
    cases = [drive(world, "registered") for _ in range(3)]
    receiver.mode = "down"
    services.scan()
    services.deliver_due()
    # One failure is not an alert yet: the back-off retries it within a minute.
    assert health.failing_forwards() == []
    advance(minutes=20)
    (item,) = health.failing_forwards()
    assert (item.target, item.dead, item.retrying, item.unacknowledged) == (hook.name, 0, 3, 0)
    Forward.objects.filter(case=cases[0]).update(state="dead")
    Forward.objects.filter(case=cases[1]).update(
        state="sent", sent_at=clock.now() - dt.timedelta(hours=2)
    )
    (item,) = health.failing_forwards()
    assert (item.dead, item.retrying, item.unacknowledged, item.total) == (1, 1, 1, 3)


@pytest.mark.django_db
def test_admin_target_secret_is_write_only(world):
    User.objects.create_superuser("root", password="pw-root-123")
    client = Client()
    client.login(username="root", password="pw-root-123")
    form = {
        "name": "12345",
        "kind": "webhook",
        "url": "https://hotline.example.org/hook",
        "secret": "very-secret",
        "api_key": "",
        "jurisdiction_id": "",
        "service_codes": "{}",
        "active": "on",
        "rules-TOTAL_FORMS": "1",
        "rules-INITIAL_FORMS": "0",
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "1000",
        "rules-0-on": "dispatch",
        "rules-0-class_prefix": "A01",
        "rules-0-department": str(world.city_mgmt.pk),
        "rules-0-active": "on",
    }
    assert client.post("/admin/forwarding/target/add/", form).status_code == 302
    target = Target.objects.get()
    assert target.secret == "very-secret"
    assert target.rules.get().class_prefix == "A01"
    page = client.get(f"/admin/forwarding/target/{target.pk}/change/").content.decode()
    assert "very-secret" not in page
    # Saved again with the secret left blank: the stored one is kept.
    form.update({"name": "12345 hotline", "secret": "", "rules-TOTAL_FORMS": "0"})
    assert client.post(f"/admin/forwarding/target/{target.pk}/change/", form).status_code == 302
    target.refresh_from_db()
    assert (target.name, target.secret) == ("12345 hotline", "very-secret")
    # A new webhook target without a secret, or a bad URL, is refused naming the field.
    bad = {**form, "name": "other", "url": "ftp://x", "secret": ""}
    answer = client.post("/admin/forwarding/target/add/", bad)
    assert answer.status_code == 200
    assert set(answer.context["adminform"].form.errors) == {"url", "secret"}
    assert client.get("/admin/forwarding/forward/").status_code == 200


@pytest.mark.django_db
def test_admin_actions_send_again_and_revive(world, receiver):
    webhook_target(receiver.url)
    drive(world, "registered")
    receiver.mode = "down"
    services.scan()
    services.deliver_due()
    forward = Forward.objects.get()
    User.objects.create_superuser("root", password="pw-root-123")
    client = Client()
    client.login(username="root", password="pw-root-123")
    receiver.mode = "up"
    client.post(
        "/admin/forwarding/forward/",
        {"action": "send_now", "_selected_action": [str(forward.pk)]},
    )
    forward.refresh_from_db()
    assert forward.next_attempt_at <= clock.now()
    Forward.objects.update(state="dead")
    client.post(
        "/admin/forwarding/forward/", {"action": "revive", "_selected_action": [str(forward.pk)]}
    )
    forward.refresh_from_db()
    assert (forward.state, forward.attempts) == ("pending", 0)


@pytest.mark.django_db
def test_commands_run_status_reconcile_retry(world, receiver):
    webhook_target(receiver.url)
    drive(world, "registered")
    out = io.StringIO()
    call_command("forwarding", "run", stdout=out)
    assert Forward.objects.get().state == "acknowledged"
    out = io.StringIO()
    call_command("forwarding", "status", stdout=out)
    assert "\t对方已确认\t1" in out.getvalue()  # the state in words, not its code
    Forward.objects.update(state="dead")
    out = io.StringIO()
    call_command("forwarding", "status", stdout=out)
    assert "1" in out.getvalue().splitlines()[-1]  # the alert line counts the dead one
    call_command("forwarding", "retry", "--dead", stdout=io.StringIO())
    assert Forward.objects.get().state == "pending"
    call_command("forwarding", "reconcile", stdout=io.StringIO())
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("forwarding", "retry", "--dead", "--target", "nobody", stdout=io.StringIO())


@pytest.mark.django_db
def test_admin_rule_for_every_class_on_registration_is_kept(world):
    """The commonest rule — on registration, every class, any department — is what a new rule
    row holds once its step is chosen; it must be saved, not dropped as an unchanged row. A row
    left unchosen adds no rule."""
    User.objects.create_superuser("root", password="pw-root-123")
    client = Client()
    client.login(username="root", password="pw-root-123")
    page = client.get("/admin/forwarding/target/add/").content.decode()
    row = page[page.index('name="rules-0-on"') :]
    row = row[: row.index("</select>")]
    assert '<option value="" selected>' in row
    form = {
        "name": "hotline",
        "kind": "webhook",
        "url": "https://hotline.example.org/hook",
        "secret": "very-secret",
        "api_key": "",
        "jurisdiction_id": "",
        "service_codes": "{}",
        "initial-service_codes": "{}",
        "active": "on",
        "rules-TOTAL_FORMS": "2",
        "rules-INITIAL_FORMS": "0",
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "1000",
        "rules-0-on": "register",
        "rules-0-class_prefix": "",
        "rules-0-department": "",
        "rules-0-active": "on",
        "rules-1-on": "",
        "rules-1-class_prefix": "",
        "rules-1-department": "",
        "rules-1-active": "on",
    }
    assert client.post("/admin/forwarding/target/add/", form).status_code == 302
    rule = Target.objects.get().rules.get()
    assert (rule.on, rule.class_prefix, rule.department_id) == ("register", "", None)
