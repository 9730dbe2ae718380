"""The case page's forms for issue 11 (comment with photos, the reporter's rating, approving
photos for the public pages) and the console's call-back queue."""

from __future__ import annotations

from onegrid.cases.models import Photo
from support.cases import act, drive, photo, report
from support.web import client_for


def _page(client, case) -> str:
    response = client.get(f"/cases/{case.number}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_reporter_rates_on_the_case_page(world):
    case = drive(world, "closed")  # reported by the worker
    worker = client_for(world, "worker")
    html = _page(worker, case)
    assert (
        'class="action" data-action="rate"' in html
        and 'class="action" data-action="comment"' in html
    )
    assert case.tracking_code in html
    # Unsatisfied without a reason: refused next to the field, the choice kept.
    response = worker.post(
        f"/cases/{case.number}/act/rate/", {"satisfaction": "unsatisfied", "idempotency_key": "r1"}
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert 'data-field="reason"' in body
    assert 'value="unsatisfied" checked' in body
    case.refresh_from_db()
    assert case.rated_at is None
    response = worker.post(
        f"/cases/{case.number}/act/rate/",
        {"satisfaction": "unsatisfied", "reason": "<b>still</b> there", "idempotency_key": "r2"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.callback_needed
    html = _page(worker, case)
    assert 'class="action" data-action="rate"' not in html  # rated once
    assert 'id="callback-needed"' in html
    assert "&lt;b&gt;still&lt;/b&gt; there" in html and "<b>still</b>" not in html


def test_a_comment_with_a_photo_from_the_page(world):
    case = drive(world, "in_progress")
    worker = client_for(world, "worker")
    response = worker.post(
        f"/cases/{case.number}/act/comment/",
        {"reason": "worse today", "idempotency_key": "c1", "photos": photo()},
    )
    assert response.status_code == 302
    event = case.events.get(action="comment")
    assert [p.kind for p in event.photos.all()] == ["comment"]
    # The desk sees the reporter's comment marked as the reporter's, with its photo.
    html = _page(client_for(world, "acceptor"), case)
    assert 'data-action="comment" class="by-reporter"' in html
    assert f'data-photo="{event.photos.get().pk}"' in html
    # A department sees the comment but not who wrote it (reporters stay hidden from them).
    html = _page(client_for(world, "city_handler"), case)
    assert "worse today" in html
    assert "worker" not in html.split('id="timeline"')[1].split("</ol>")[0]
    # An empty comment is refused naming the field.
    response = worker.post(f"/cases/{case.number}/act/comment/", {"reason": " "})
    assert response.status_code == 422 and 'data-field="reason"' in response.content.decode()


def test_the_desk_approves_photos_one_by_one(world):
    case = report(world, photo_files=[photo(), photo(colour=(9, 9, 9))])
    desk = client_for(world, "acceptor")
    html = _page(desk, case)
    assert html.count('class="inline approve-photo"') == 2
    assert (
        'class="action" data-action="approve_photo"' not in html
    )  # no side-panel form: a button per photo
    # The worker (the reporter) gets no approve button.
    assert "approve-photo" not in _page(client_for(world, "worker"), case)
    first = case.photos.order_by("sha256").first()
    response = desk.post(
        f"/cases/{case.number}/act/approve_photo/", {"photo": str(first.pk), "idempotency_key": "a"}
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.approved_at is not None
    html = _page(desk, case)
    assert html.count('class="inline approve-photo"') == 1
    assert html.count('class="muted approved"') == 1
    # Approving it again: refused, shown at the top of the page, nothing changes.
    response = desk.post(
        f"/cases/{case.number}/act/approve_photo/", {"photo": str(first.pk), "idempotency_key": "b"}
    )
    assert response.status_code == 409
    assert 'id="stale-failure"' in response.content.decode()
    assert Photo.objects.exclude(approved_at=None).count() == 1


def test_the_call_back_queue_on_the_console(world):
    p = world.people
    waiting = drive(world, "closed")
    act(waiting, p.worker, "rate", satisfaction="unsatisfied", reason="not fixed")
    happy = drive(world, "closed")
    act(happy, p.worker, "rate", satisfaction="satisfied")
    callback = client_for(world, "callback")
    html = callback.get("/console/?tab=callback").content.decode()
    assert 'data-tab="callback"' in html and 'id="callbacks-waiting">1<' in html
    assert f'data-number="{waiting.number}"' in html
    assert f'data-number="{happy.number}"' not in html
    assert "data-callback" in html
    # Its download holds the same cases.
    download = callback.get("/console/?tab=callback&format=csv")
    assert download.status_code == 200
    text = b"".join(download.streaming_content).decode("utf-8-sig")
    assert waiting.number in text and happy.number not in text
    # The acceptor has no such queue: the tab is not shown and asking for it shows the default.
    acceptor = client_for(world, "acceptor")
    html = acceptor.get("/console/?tab=callback").content.decode()
    assert 'data-tab="callback"' not in html
    # Another street's call-back staff do not see it.
    act(waiting, p.callback, "revisit", satisfaction="satisfied")
    html = callback.get("/console/?tab=callback").content.decode()
    assert f'data-number="{waiting.number}"' not in html
    assert 'id="callbacks-waiting"' not in html
