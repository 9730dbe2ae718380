"""A restore given a hostile or foreign backup refuses it before changing anything: a media tar
with a member that climbs out (`..`), an absolute name, a link or a device; a manifest naming
a file outside the backup's directory; a backup of an installation serving other districts.
The database and the media stay exactly as they were."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from onegrid.cases.models import Case
from onegrid.core import backup
from support.cases import photo, report

committing = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def media(settings, tmp_path):
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    return root


def files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def reseal(target: Path) -> None:
    """The manifest's checksums made to match the files again (a forged backup)."""
    path = target / "manifest.json"
    manifest = json.loads(path.read_text())
    for name in manifest["files"]:
        data = (target / name).read_bytes()
        manifest["files"][name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    path.write_text(json.dumps(manifest))


def add_member(target: Path, info: tarfile.TarInfo, data: bytes = b"") -> None:
    with tarfile.open(target / "media.tar", "a") as tar:
        tar.addfile(info, io.BytesIO(data) if info.isfile() else None)
    reseal(target)


@pytest.fixture
def backed_up(world, media, tmp_path):
    """A backup of one case with a photo, then the case gone and a file added: a restore that
    ran would bring the case back and drop the file."""
    case = report(world, photo_files=[photo(colour=(3, 4, 5))])
    target = tmp_path / "backup"
    call_command("backup", str(target), stdout=io.StringIO())
    Case.objects.filter(pk=case.pk).delete()
    (media / "after.txt").write_bytes(b"written after the backup")
    return target


def assert_refused(target: Path, media: Path, match: str) -> None:
    cases, files = Case.objects.count(), files_under(media)
    with pytest.raises(CommandError, match=match):
        call_command("restore", str(target), "--noinput", stdout=io.StringIO())
    assert Case.objects.count() == cases
    assert files_under(media) == files
    assert not list(media.parent.glob(".restore-*"))  # no staging folder left behind


def _file(name: str, data: bytes = b"x") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info


@committing
@pytest.mark.parametrize("name", ["../escaped.txt", "photos/../../escaped.txt", "/tmp/abs.txt"])
def test_a_media_member_outside_the_root_is_refused(backed_up, media, name):
    add_member(backed_up, _file(name), b"x")
    assert_refused(backed_up, media, "media tar")
    assert not (media.parent / "escaped.txt").exists()


@committing
@pytest.mark.parametrize("kind", [tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE])
def test_a_media_link_or_device_is_refused_even_pointing_inside(backed_up, media, kind):
    with tarfile.open(backed_up / "media.tar") as tar:
        existing = tar.getnames()[0]
    info = tarfile.TarInfo("photos/link.jpg")
    info.type = kind
    info.linkname = existing
    add_member(backed_up, info)
    assert_refused(backed_up, media, "media tar")


@committing
@pytest.mark.parametrize("name", ["../database.sqlite3", "/etc/passwd", ".hidden"])
def test_a_manifest_naming_a_file_outside_the_backup_is_refused(backed_up, media, name):
    path = backed_up / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["database"]["file"] = name
    path.write_text(json.dumps(manifest))
    assert_refused(backed_up, media, "plain names")


@committing
def test_a_backup_of_another_installation_is_refused(backed_up, media, settings):
    manifest = json.loads((backed_up / "manifest.json").read_text())
    assert manifest["installation"]["district_codes"] == [settings.ONEGRID["DISTRICT_CODE"]]
    settings.ONEGRID = {**settings.ONEGRID, "DISTRICT_CODE": "110105", "DISTRICT_CODES": ""}
    assert_refused(backed_up, media, "another installation")
    with pytest.raises(CommandError, match="another installation"):
        call_command("restore", str(backed_up), "--check", stdout=io.StringIO())


@committing
def test_an_untampered_backup_still_restores(backed_up, media):
    call_command("restore", str(backed_up), "--noinput", stdout=io.StringIO())
    assert Case.objects.count() == 1
    assert "after.txt" not in files_under(media)


def test_members_checked_names_the_first_bad_one(tmp_path):
    path = tmp_path / "t.tar"
    with tarfile.open(path, "w") as tar:
        tar.addfile(_file("photos/a.jpg"), io.BytesIO(b"x"))
        tar.addfile(_file("C:evil"), io.BytesIO(b"x"))
    with tarfile.open(path) as tar, pytest.raises(backup.BackupError, match="C:evil"):
        backup._checked_members(tar)


@pytest.fixture
def attachments(settings, tmp_path):
    """Deliberation's meeting attachments, kept under ONEGRID_VAR_DIR (not in the media)."""
    settings.VAR_DIR = tmp_path / "var"
    from onegrid.deliberation.meetings import attachments_root

    root = attachments_root()
    (root / "7").mkdir(parents=True)
    (root / "7" / "minutes.pdf").write_bytes(b"%PDF- the minutes")
    return root


@committing
def test_meeting_attachments_are_backed_up_and_restored(world, media, attachments, tmp_path):
    report(world, photo_files=[photo(colour=(8, 8, 8))])
    before = files_under(attachments)
    target = tmp_path / "backup"
    call_command("backup", str(target), stdout=io.StringIO())
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["folders"]["deliberation_meetings"]["files"] == 1
    (attachments / "7" / "minutes.pdf").unlink()
    (attachments / "stray.txt").write_bytes(b"after")
    call_command("restore", str(target), "--noinput", stdout=io.StringIO())
    assert files_under(attachments) == before


@committing
def test_a_hostile_attachments_tar_is_refused_before_the_database(
    world, media, attachments, tmp_path
):
    case = report(world)
    target = tmp_path / "backup"
    call_command("backup", str(target), stdout=io.StringIO())
    Case.objects.filter(pk=case.pk).delete()
    with tarfile.open(target / "deliberation_meetings.tar", "a") as tar:
        tar.addfile(_file("../../escaped.txt"), io.BytesIO(b"x"))
    reseal(target)
    before = files_under(attachments)
    assert_refused(target, media, "tar")
    assert files_under(attachments) == before
