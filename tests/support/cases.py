"""Photos, idempotency keys, and cases driven through the real services."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import threading

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from PIL import Image

from onegrid.cases import selectors, services, workflow
from onegrid.cases.models import Case
from onegrid.core import clock

_keys = itertools.count()


# The world's people who act on cases in the property tests (tests/cases/test_*_properties.py),
# and the actions a person may take: every workflow row but the report and the timer's own.
ACTING_PEOPLE = (
    "worker",
    "worker2",
    "resident",
    "acceptor",
    "dispatcher",
    "shift_lead",
    "callback",
    "command",
    "city_handler",
    "eco_handler",
    "market_handler",
    "police_handler",
)
PERSON_ACTIONS = tuple(
    t.action for t in workflow.TABLE if t.action != "report" and workflow.SYSTEM not in t.roles
)


def offered_actions(people, case_id) -> list[tuple[str, str]]:
    """(name, action) for every action offered to one of `people` (name → user) on the case:
    what the case page would show each of them."""
    case = Case.objects.get(pk=case_id)
    return [
        (name, action)
        for name, person in people.items()
        if selectors.visible_cases(person).filter(pk=case_id).exists()
        for action in selectors.allowed_actions(person, case)
    ]


def photo(name="p.jpg", fmt="JPEG", colour=(200, 40, 40)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(buffer, fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def new_key() -> str:
    return f"k-{next(_keys)}"


def advance(**delta) -> None:
    clock.set_now(clock.now() + dt.timedelta(**delta))


def report(world, who=None, case_class=None, point=None, **extra) -> Case:
    who = who or world.people.worker
    lon, lat = point or world.point
    if "photo_files" not in extra:
        extra["photo_files"] = [photo()]
    return services.report_case(
        actor=who,
        lon=lon,
        lat=lat,
        class_code=(case_class or world.rubbish).code,
        idempotency_key=new_key(),
        **extra,
    ).case


def act(case, who, action, reason="", photos=(), **params) -> Case:
    outcome = services.perform_action(
        actor=who,
        case_id=case.pk,
        action=action,
        reason=reason,
        params=params,
        photo_files=list(photos),
    )
    return outcome.case


def drive(world, state: str, case_class=None) -> Case:
    """A fresh case brought to `state` along the main path."""
    p = world.people
    case = report(world, case_class=case_class)
    path = [
        ("registered", lambda c: act(c, p.acceptor, "register")),
        ("dispatched", lambda c: act(c, p.dispatcher, "dispatch")),
        ("in_progress", lambda c: act(c, p.city_handler, "sign")),
        (
            "checking",
            lambda c: act(c, p.city_handler, "feed_back", reason="done", photos=[photo()]),
        ),
        ("checked", lambda c: act(c, p.worker, "pass_check")),
        ("closed", lambda c: act(c, p.acceptor, "close")),
    ]
    for reached, step in path:
        if case.state == state:
            break
        case = step(case)
        assert case.state == reached
    assert case.state == state
    return case


def run_concurrently(work, copies: int = 4) -> list:
    """Start `copies` threads at once, each with its own database connection; return results.

    Any exception in a thread fails the calling test with that exception.
    """
    results, errors = [], []
    barrier = threading.Barrier(copies)

    def run():
        try:
            barrier.wait()
            results.append(work())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(copies)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return results
