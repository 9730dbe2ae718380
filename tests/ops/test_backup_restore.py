"""The backup/restore drill: build data, back up, change and destroy, restore, and find the
identical state (every table's rows, every media file by hash) and `onegrid verify` passing.
Also: a damaged backup, one from a newer version and a missing PostgreSQL tool are refused
with clear errors and change nothing.

These tests commit (transaction=True): a backup reads what is committed, and a restore replaces
the test database itself (SQLite's backup API, or pg_restore into the PostgreSQL test
database)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import shutil
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import translation

from onegrid.cases.models import Case, Photo
from onegrid.core import backup
from onegrid.org.models import User
from support.cases import act, drive, photo, report

committing = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _english():
    # The messages are matched in English (zh-hans is the default language).
    with translation.override("en"):
        yield


@pytest.fixture
def media(settings, tmp_path):
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    return root


def table_rows() -> dict[str, list[tuple]]:
    """Every model's rows (auto-created many-to-many tables included), ordered by key."""
    out = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        rows = model._base_manager.order_by("pk").values_list()
        out[model._meta.db_table] = [tuple(map(repr, row)) for row in rows]
    return out


def media_files(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }


def verify_report() -> dict:
    out = io.StringIO()
    with contextlib.suppress(CommandError):
        call_command("verify", "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def built(world, media):
    """Cases with photos and events, committed."""
    closed = drive(world, "closed")
    dispatched = drive(world, "dispatched")
    reported = report(world, photo_files=[photo(colour=(9, 9, 9)), photo(colour=(1, 1, 1))])
    return closed, dispatched, reported


@committing
def test_the_drill_restores_an_identical_state(built, world, media, tmp_path):
    closed, dispatched, reported = built
    before_rows, before_media = table_rows(), media_files(media)
    assert before_media and sum(len(r) for r in before_rows.values()) > 50
    target = tmp_path / "backup"
    out = io.StringIO()
    call_command("backup", str(target), stdout=out)
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["tables"]["cases_case"] == 3
    assert manifest["tables"]["cases_photo"] == Photo.objects.count()
    assert manifest["media"]["files"] == len(before_media)
    assert "0001_initial" in manifest["migrations"]["cases"]
    assert set(manifest["files"]) == {
        manifest["database"]["file"],
        "media.tar",
        "deliberation_meetings.tar",  # meeting attachments: under ONEGRID_VAR_DIR
    }

    # Life goes on, then disaster: new and changed rows, deleted rows and files.
    report(world, photo_files=[photo(colour=(5, 6, 7))])
    act(dispatched, world.people.city_handler, "sign")
    User.objects.filter(username="worker").update(display_name="changed")
    Case.objects.filter(pk=reported.pk).delete()
    for name in list(media_files(media))[:3]:
        default_storage.delete(name)
    default_storage.save("photos/zz/stray.jpg", ContentFile(b"stray"))
    assert table_rows() != before_rows and media_files(media) != before_media

    out = io.StringIO()
    call_command("restore", str(target), "--noinput", stdout=out)
    assert "onegrid verify" in out.getvalue()

    assert table_rows() == before_rows
    assert media_files(media) == before_media
    result = verify_report()
    assert result["ok"], result
    assert result["warnings"] == 0


@committing
def test_damaged_or_newer_backups_are_refused_and_change_nothing(built, media, tmp_path):
    target = tmp_path / "backup"
    call_command("backup", str(target), stdout=io.StringIO())
    copy = tmp_path / "copy"
    shutil.copytree(target, copy)
    database = target / json.loads((target / "manifest.json").read_text())["database"]["file"]
    data = bytearray(database.read_bytes())
    data[len(data) // 2] ^= 0xFF
    database.write_bytes(bytes(data))
    Case.objects.filter(pk=built[2].pk).delete()
    rows = table_rows()
    with pytest.raises(CommandError, match="checksum"):
        call_command("restore", str(target), "--noinput", stdout=io.StringIO())
    assert table_rows() == rows

    target = copy  # undamaged, but made by a newer version
    path = target / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["migrations"]["cases"].append("9999_from_the_future")
    path.write_text(json.dumps(manifest))
    with pytest.raises(CommandError, match="cases.9999_from_the_future"):
        call_command("restore", str(target), "--noinput", stdout=io.StringIO())
    (target / "manifest.json").unlink()
    with pytest.raises(CommandError, match="manifest.json"):
        call_command("restore", str(target), "--check", stdout=io.StringIO())
    assert table_rows() == rows


def test_backup_refuses_a_directory_in_use(db, tmp_path):
    (tmp_path / "something").write_text("x")
    with pytest.raises(CommandError, match="not an empty directory"):
        call_command("backup", str(tmp_path), stdout=io.StringIO())


def test_a_missing_postgresql_tool_is_named(monkeypatch):
    monkeypatch.setattr(backup.shutil, "which", lambda name: None)
    monkeypatch.setattr(backup.glob, "glob", lambda pattern: [])
    with pytest.raises(backup.BackupError, match="pg_dump.*postgresql-client"):
        backup.find_tool("pg_dump")
    monkeypatch.setattr(
        backup.glob,
        "glob",
        lambda pattern: [
            "/usr/lib/postgresql/9.6/bin/pg_dump",
            "/usr/lib/postgresql/15/bin/pg_dump",
        ],
    )
    assert backup.find_tool("pg_dump") == "/usr/lib/postgresql/15/bin/pg_dump"
