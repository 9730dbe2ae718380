"""Intake at city rate (issue 14): what the fast report path must still get right.

The per-process caches (core.versions: tokens' people and roles, the catalogue, the units)
must never let a revoked token, a removed role, a deactivated person or a switched-off class
through; photos are stored before the transaction; the case number comes from the case's
district; and the report's queries stay few.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from onegrid.cases import history, services, tracking
from onegrid.cases.models import Case, CaseClass, CaseEvent, IdempotencyRecord, Photo
from onegrid.core import versions
from onegrid.org.models import RoleAssignment
from onegrid.org.services import issue_token, revoke_token
from support.cases import new_key, photo


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def files_on_disk(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def client_of(user) -> tuple[Client, str]:
    token, _ = issue_token(username=user.username, password="pw-" + user.username)
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="en"), token


def post_report(client, world, key=None, class_code=None, colour=(200, 40, 40)):
    return client.post(
        "/api/v1/cases",
        {
            "lon": world.point[0],
            "lat": world.point[1],
            "class_code": class_code or world.rubbish.code,
            "description": "rubbish by the gate",
            "photos": [photo(colour=colour)],
        },
        HTTP_IDEMPOTENCY_KEY=key or new_key(),
    )


def bump_elsewhere(name: str) -> None:
    """What another process's change looks like here: the counter moves in the database, and
    this process's caches are not emptied by the bump itself."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO core_cacheversion (name, version) VALUES (%s, 1) ON CONFLICT (name) "
            "DO UPDATE SET version = core_cacheversion.version + 1",
            [name],
        )


def test_a_revoked_token_is_refused_at_once(world):
    client, token = client_of(world.people.worker)
    assert client.get("/api/v1/cases").status_code == 200
    assert client.get("/api/v1/cases").status_code == 200  # now from the cache
    revoke_token(token)
    assert client.get("/api/v1/cases").status_code == 401


def test_a_removed_role_is_refused_at_once(world):
    client, _ = client_of(world.people.worker)
    assert post_report(client, world).status_code == 201
    RoleAssignment.objects.filter(user=world.people.worker).delete()
    refused = post_report(client, world)
    assert refused.status_code == 403, refused.content
    assert Case.objects.count() == 1


def test_a_role_removed_by_another_process_is_refused_at_once(world):
    """Another process deletes the role and bumps the counter: this process's cached roles
    are not used once the counter moved."""
    client, _ = client_of(world.people.worker)
    assert post_report(client, world).status_code == 201
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM org_roleassignment WHERE user_id = %s", [world.people.worker.pk]
        )
    bump_elsewhere(versions.ACCESS)
    assert post_report(client, world).status_code == 403
    assert Case.objects.count() == 1


def test_a_deactivated_person_is_refused_at_once(world):
    client, _ = client_of(world.people.worker)
    assert client.get("/api/v1/cases").status_code == 200
    world.people.worker.is_active = False
    world.people.worker.save()
    assert client.get("/api/v1/cases").status_code == 401


def test_a_class_switched_off_is_refused_at_once(world):
    client, _ = client_of(world.people.worker)
    assert post_report(client, world).status_code == 201
    CaseClass.objects.filter(pk=world.rubbish.pk).update(active=False)  # no signal …
    bump_elsewhere(versions.CATALOGUE)  # … as another process's change arrives
    refused = post_report(client, world)
    assert refused.status_code == 422 and refused.json()["field"] == "class_code"
    world.rubbish.refresh_from_db()
    world.rubbish.active = True
    world.rubbish.save()  # the signal bumps the counter
    assert post_report(client, world).status_code == 201
    assert Case.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_report_reads_few_queries(world):
    """The whole API report (token, roles, class, places, number, case, reporter, history,
    rollups, photo, idempotency): pinned so that a query creeping in shows. (A transactional
    test: the commit happens, as in a live process, so the photo's clean-up does not run.)"""
    client, _ = client_of(world.people.worker)
    assert post_report(client, world).status_code == 201  # caches warm, as in a live process
    with CaptureQueriesContext(connection) as queries:
        response = post_report(client, world, colour=(10, 200, 10))
    assert response.status_code == 201
    body = response.json()["case"]
    case = Case.objects.select_related("grid", "community", "street").get(pk=body["id"])
    assert (body["number"], body["grid_code"], body["street_code"], body["community_code"]) == (
        case.number,
        case.grid.code,
        case.street.code,
        case.community.code,
    )
    sql = [q["sql"] for q in queries.captured_queries]
    assert not any("MAX(" in s for s in sql), sql  # a new case's first event is 1
    assert not any('FROM "cases_caseclass"' in s for s in sql), sql  # the catalogue's cache
    assert not any('FROM "org_roleassignment"' in s for s in sql), sql  # the roles' cache
    assert len(sql) <= 21, "\n".join(sql)


def test_the_number_takes_the_district_of_the_case(world, settings):
    """The 6-digit prefix is the located district's, not the installation's setting."""
    settings.ONEGRID = {**settings.ONEGRID, "DISTRICT_CODE": "110101000000"}
    outcome = services.report_case(
        actor=world.people.worker,
        lon=world.point[0],
        lat=world.point[1],
        class_code=world.rubbish.code,
        photo_files=[photo()],
        idempotency_key=new_key(),
    )
    district = outcome.case.street.parent
    assert outcome.case.number.startswith(district.code[:6] + "-")
    assert not outcome.case.number.startswith("110101")
    second = services.report_case(
        actor=world.people.worker,
        lon=world.point[0],
        lat=world.point[1],
        class_code=world.rubbish.code,
        photo_files=[photo()],
        idempotency_key=new_key(),
    )
    serial = [int(c.number.rsplit("-", 1)[1]) for c in (outcome.case, second.case)]
    assert serial[1] == serial[0] + 1


def test_photos_are_stored_before_the_transaction_and_a_failed_report_leaves_nothing(
    world, media, monkeypatch
):
    """The files are on the storage before the case's transaction starts; when that
    transaction fails, neither a case nor a file stays; the retry stores each file once."""
    seen = {}
    real_append = history.append_event

    def failing_append(**kwargs):
        seen["files"] = files_on_disk(media)
        seen["in_transaction"] = connection.in_atomic_block
        raise IntegrityError("the database refused")

    monkeypatch.setattr(history, "append_event", failing_append)
    key = new_key()
    kwargs = dict(
        actor=world.people.worker,
        lon=world.point[0],
        lat=world.point[1],
        class_code=world.rubbish.code,
        idempotency_key=key,
    )
    with pytest.raises(IntegrityError):
        services.report_case(**kwargs, photo_files=[photo()])
    assert seen["in_transaction"] and len(seen["files"]) == 3  # original, view, thumbnail
    assert not Case.objects.exists() and not Photo.objects.exists()
    assert not IdempotencyRecord.objects.exists()
    assert files_on_disk(media) == set()  # what no committed row names is removed
    monkeypatch.setattr(history, "append_event", real_append)
    first = services.report_case(**kwargs, photo_files=[photo()])
    again = services.report_case(**kwargs, photo_files=[photo()])
    assert again.replayed and again.case.pk == first.case.pk
    assert Case.objects.count() == 1 and Photo.objects.count() == 1
    row = Photo.objects.get()
    assert files_on_disk(media) == {row.file.name, row.view.name, row.thumb.name}
    assert all(default_storage.exists(n) for n in (row.file.name, row.view.name))


def test_a_taken_tracking_code_is_drawn_again(world, monkeypatch):
    """The tracking code is not looked up before the insert: the unique column refuses a
    repeat, and the report's transaction runs again with a fresh code (nothing doubled)."""
    first = services.report_case(
        actor=world.people.worker,
        lon=world.point[0],
        lat=world.point[1],
        class_code=world.rubbish.code,
        photo_files=[photo()],
        idempotency_key=new_key(),
    )
    codes = iter([first.case.tracking_code, "ZZZZZZZZZZ"])
    monkeypatch.setattr(tracking, "new_code", lambda: next(codes))
    second = services.report_case(
        actor=world.people.worker,
        lon=world.point[0],
        lat=world.point[1],
        class_code=world.rubbish.code,
        photo_files=[photo(colour=(1, 2, 3))],
        idempotency_key=new_key(),
    )
    assert second.case.tracking_code == "ZZZZZZZZZZ"
    assert Case.objects.count() == 2 and CaseEvent.objects.count() == 2
