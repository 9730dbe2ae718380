"""Delivery by signed webhook to a real local receiver: acknowledged only on the receiver's id;
never on a 5xx or a timeout; down for a while then up: exactly one per case per target."""

import datetime as dt

import pytest

from onegrid.core import clock
from onegrid.forwarding import services
from onegrid.forwarding.models import Forward
from onegrid.notify import backoff
from support.cases import advance, drive
from support.forwarding_remotes import webhook_target


def _deliver_all():
    services.scan()
    return services.deliver_due()


@pytest.mark.django_db
def test_signed_delivery_acknowledged_with_the_receivers_id(world, receiver):
    webhook_target(receiver.url)
    case = drive(world, "registered")
    assert _deliver_all() == {"acknowledged": 1}
    forward = Forward.objects.get()
    assert forward.state == "acknowledged"
    assert forward.external_id == "R-1"
    assert forward.acknowledged_at == clock.now()
    assert receiver.bad_signatures == 0
    ((delivery, payload),) = receiver.accepted.items()
    assert delivery == str(forward.pk)
    assert payload["case"]["number"] == case.number
    assert payload["case"]["tracking_code"] == case.tracking_code
    assert payload["trigger"]["action"] == "register"
    # No personal data unless the target is allowed it.
    assert "reporter" not in payload["case"]
    # Done is done: nothing is sent again.
    advance(hours=2)
    assert services.deliver_due() == {}
    assert receiver.posts == 1


@pytest.mark.django_db
def test_a_wrong_secret_is_refused_and_never_acknowledged(world, receiver):
    webhook_target(receiver.url, secret="not-the-receivers")
    drive(world, "registered")
    assert _deliver_all() == {"dead": 1}  # 401: permanent until the secret is fixed
    forward = Forward.objects.get()
    assert forward.acknowledged_at is None and forward.sent_at is None
    assert "401" in forward.last_error
    assert receiver.accepted == {}


@pytest.mark.django_db
@pytest.mark.parametrize("mode", ["down", "hang"])
def test_never_marked_sent_on_a_5xx_or_a_timeout(world, receiver, mode):
    webhook_target(receiver.url)
    drive(world, "registered")
    receiver.mode = mode
    assert _deliver_all() == {"failed": 1}
    forward = Forward.objects.get()
    assert forward.state == "failed"
    assert forward.sent_at is None and forward.acknowledged_at is None
    assert forward.attempts == 1
    assert ("503" if mode == "down" else "no answer") in forward.last_error
    # Not due again until the back-off has passed.
    assert forward.next_attempt_at >= clock.now() + backoff.delay_after(1) / 2
    assert services.deliver_due() == {}


@pytest.mark.django_db
def test_receiver_down_for_ten_minutes_then_everything_exactly_once(world, receiver):
    webhook_target(receiver.url)
    cases = [drive(world, "registered") for _ in range(3)]
    receiver.mode = "down"
    start = clock.now()
    services.scan()
    # Ten minutes of clock, the worker passing every 30 s.
    while clock.now() < start + dt.timedelta(minutes=10):
        services.deliver_due()
        advance(seconds=30)
    assert set(Forward.objects.values_list("state", flat=True)) == {"failed"}
    assert receiver.accepted == {}
    failing_posts = receiver.posts
    assert failing_posts >= 3 * 4  # retried with back-off: 30 s, 1, 2, 4 min…
    receiver.mode = "up"
    for _ in range(40):
        services.deliver_due()
        advance(minutes=5)
    assert set(Forward.objects.values_list("state", flat=True)) == {"acknowledged"}
    assert sorted(receiver.cases()) == sorted(c.number for c in cases)
    assert receiver.posts == failing_posts + 3  # one accepted post per case, no more


@pytest.mark.django_db
def test_a_bare_2xx_is_sent_but_not_acknowledged_until_the_receiver_acks(world, receiver):
    webhook_target(receiver.url)
    drive(world, "registered")
    receiver.answer = "bare"
    assert _deliver_all() == {"sent": 1}
    forward = Forward.objects.get()
    assert forward.sent_at is not None and forward.acknowledged_at is None
    receiver.answer = "ack"
    advance(hours=1)
    assert services.deliver_due() == {"acknowledged": 1}
    # The same delivery id both times: the receiver counted it once.
    assert len(receiver.accepted) == 1 and receiver.posts == 2


@pytest.mark.django_db
def test_dead_after_the_last_attempt(world, receiver):
    webhook_target(receiver.url)
    drive(world, "registered")
    receiver.mode = "down"
    services.scan()
    for _ in range(backoff.MAX_ATTEMPTS + 3):
        services.deliver_due()
        advance(hours=2)
    forward = Forward.objects.get()
    assert (forward.state, forward.attempts) == ("dead", backoff.MAX_ATTEMPTS)
    assert receiver.posts == backoff.MAX_ATTEMPTS
    receiver.mode = "up"
    assert services.retry_dead() == 1
    assert services.deliver_due() == {"acknowledged": 1}


@pytest.mark.django_db
def test_a_worker_killed_mid_delivery_sends_again_after_the_lease(world, receiver):
    """The claim is committed, then the worker dies before recording the answer: the row is
    due again once its lease ends, and the receiver, deduping by delivery id, counts one."""
    webhook_target(receiver.url)
    drive(world, "registered")
    services.scan()
    forward = Forward.objects.get()
    claim = services._claim(forward.pk, clock.now())  # the worker took it…
    assert claim is not None
    services._send(claim.forward)  # …and sent it, then was killed
    assert services.deliver_due() == {}  # leased: not yet
    advance(seconds=services._lease().total_seconds() + 1)
    assert services.deliver_due() == {"acknowledged": 1}
    assert receiver.posts == 2 and len(receiver.accepted) == 1
    assert Forward.objects.get().attempts == 2


@pytest.mark.django_db
def test_the_job_queue_delivers_after_commit(world, receiver, django_capture_on_commit_callbacks):
    webhook_target(receiver.url)
    drive(world, "registered")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.run_once().created == 1
    # The immediate test backend ran the job as the transaction committed.
    assert Forward.objects.get().state == "acknowledged"


@pytest.mark.django_db
def test_requeue_finds_a_lost_job(world, receiver, django_capture_on_commit_callbacks):
    webhook_target(receiver.url)
    drive(world, "registered")
    services.scan()  # its job is lost: on_commit never runs here
    assert services.requeue() == 0  # not yet: its job may still come
    advance(seconds=services.REQUEUE_GRACE.total_seconds() + 1)
    assert services.requeue() == 1  # lost again
    # Its time moved to now: not requeued on every pass while a job may be on its way.
    assert services.requeue() == 0
    advance(seconds=services.REQUEUE_GRACE.total_seconds() + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.requeue() == 1
    assert Forward.objects.get().state == "acknowledged"
    assert receiver.posts == 1


@pytest.mark.django_db
def test_an_attempt_that_outlived_its_lease_does_not_overwrite_a_newer_one(world, receiver):
    webhook_target(receiver.url)
    drive(world, "registered")
    services.scan()
    forward = Forward.objects.get()
    old = services._claim(forward.pk, clock.now())
    advance(seconds=services._lease().total_seconds() + 1)
    new = services._claim(forward.pk, clock.now())
    assert (old.attempt, new.attempt) == (1, 2)
    # The old attempt's late failure changes nothing; the new one's success counts.
    late = services._record(
        forward.pk, old.attempt, services.remotes.Answer(accepted=False, error="x"), clock.now()
    )
    assert late == "pending"
    assert Forward.objects.get().next_attempt_at == new.forward.next_attempt_at
    done = services._record(forward.pk, new.attempt, services._send(new.forward), clock.now())
    assert done == "acknowledged"


@pytest.mark.django_db
def test_reporter_in_the_webhook_only_where_agreed(world, receiver):
    target = webhook_target(receiver.url)
    target.include_reporter = True
    target.save()
    case = drive(world, "registered")
    type(case).objects.filter(pk=case.pk).update(reporter_name="李四", reporter_phone="13900002222")
    _deliver_all()
    (payload,) = receiver.accepted.values()
    assert payload["case"]["reporter"] == {"name": "李四", "phone": "13900002222"}
