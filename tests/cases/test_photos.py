"""Photos: bounded pixels, viewing copies without EXIF, and no file without its row (issue 9
§1.5 and §1.10)."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from PIL import Image

from onegrid.cases import photo_maintenance, photos, services
from onegrid.cases.models import Case, IdempotencyRecord, Photo, PhotoContent
from onegrid.core.errors import DomainError, InvalidInput
from support.cases import drive, new_key, photo, report, run_concurrently

GPS = 0x8825
ORIENTATION = 0x0112


@pytest.fixture
def media(settings, tmp_path):
    """An empty media root of this test's own, so files on disk can be compared with rows."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def files_on_disk(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def files_of_rows() -> set[str]:
    names = set()
    for row in Photo.objects.values_list("file", "view", "thumb"):
        names.update(n for n in row if n)
    return names


def camera_jpeg(size=(2000, 1000), orientation=6, name="IMG_0001.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, camera_bytes(size, orientation), content_type="image/jpeg")


def camera_bytes(size=(2000, 1000), orientation=6) -> bytes:
    """A photo as a phone writes it: sideways pixels, an orientation tag and a GPS position."""
    image = Image.new("RGB", size, (30, 120, 200))
    image.paste((250, 250, 0), (0, 0, size[0] // 4, size[1] // 4))  # a corner to follow
    exif = image.getexif()
    exif[ORIENTATION] = orientation
    exif[GPS] = {1: "N", 2: (39.0, 10.0, 30.0), 3: "E", 4: (117.0, 8.0, 0.0)}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def png_of(width: int, height: int, name="bomb.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("1", (width, height)).save(buffer, "PNG", optimize=True)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


# --- §1.5 image bombs and copies ---


def test_a_small_png_of_56_megapixels_is_refused_before_decoding(world, media):
    bomb = png_of(7483, 7483)
    assert bomb.size < 100 * 1024  # tiny on the wire, ~220 MB decoded
    with pytest.raises(InvalidInput) as error:
        report(world, photo_files=[bomb])
    assert error.value.field == "photos"
    assert "bomb.png" in str(error.value.message) and "40" in str(error.value.message)
    assert Case.objects.count() == 0 and files_on_disk(media) == set()


def test_the_pixel_limit_is_configurable(world, media, settings):
    settings.ONEGRID = {**settings.ONEGRID, "PHOTO_MAX_PIXELS": 1000}
    report(world, photo_files=[photo()])  # 32 × 24 = 768 pixels
    with pytest.raises(InvalidInput):
        report(world, photo_files=[png_of(40, 30)])


def test_pages_get_an_upright_copy_and_a_thumbnail_without_exif(world, media):
    sent = camera_jpeg()
    case = report(world, photo_files=[sent])
    stored = case.photos.get()
    with stored.file.open("rb") as f:
        original = f.read()
    assert original == sent.file.getvalue()  # the evidence is kept as sent, GPS and all
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS)
    view = Image.open(stored.view.open("rb"))
    thumb = Image.open(stored.thumb.open("rb"))
    assert view.format == thumb.format == "JPEG"
    assert view.size == (800, 1600)  # turned upright (orientation 6), long side 1600
    assert max(thumb.size) == 320 and thumb.width < thumb.height
    assert not view.getexif() and not thumb.getexif()  # no GPS, no orientation left to apply
    # The yellow corner, top-left in the sensor's pixels, is top-right once turned upright.
    assert view.getpixel((790, 10))[2] < 100 and view.getpixel((10, 10))[2] > 150


def test_one_content_is_stored_once_for_every_case_that_holds_it(world, media):
    content = camera_bytes()
    first = report(world, photo_files=[SimpleUploadedFile("a.jpg", content)])
    second = report(world, photo_files=[SimpleUploadedFile("b.jpg", content)])
    a, b = first.photos.get(), second.photos.get()
    assert (a.file.name, a.view.name, a.thumb.name) == (b.file.name, b.view.name, b.thumb.name)
    assert files_on_disk(media) == files_of_rows() and len(files_on_disk(media)) == 3


def test_a_photo_whose_pixels_do_not_decode_is_refused_and_leaves_nothing(world, media):
    whole = camera_bytes()
    cut = SimpleUploadedFile("cut.jpg", whole[: len(whole) // 2])
    with pytest.raises(InvalidInput) as error:
        report(world, photo_files=[photo(), cut])
    assert error.value.field == "photos" and "cut.jpg" in str(error.value.message)
    assert Case.objects.count() == 0 and files_on_disk(media) == set()


def api_client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_the_api_gives_copy_and_thumbnail_urls_to_those_who_may_see_the_case(world, media):
    case = report(world, photo_files=[camera_jpeg()])
    acceptor = api_client(world.people.acceptor)
    shown = acceptor.get(f"/api/v1/cases/{case.number}").json()["events"][0]["photos"][0]
    assert shown["view_url"] == f"/api/v1/photos/{shown['id']}/view"
    assert shown["thumb_url"] == f"/api/v1/photos/{shown['id']}/thumb"
    for url in (shown["url"], shown["view_url"], shown["thumb_url"]):
        answer = acceptor.get(url)
        assert answer.status_code == 200, url
        assert api_client(world.people.other_acceptor).get(url).status_code == 404
    view = Image.open(io.BytesIO(b"".join(acceptor.get(shown["view_url"]).streaming_content)))
    assert max(view.size) == 1600 and not view.getexif()


def old_style_row(case, content: bytes) -> Photo:
    """A row as stored before copies existed: dated name, no copies."""
    name = default_storage.save("photos/2026/03/old.jpg", ContentFile(content))
    return Photo.objects.create(
        case=case,
        kind="before",
        file=name,
        content_type="image/jpeg",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        created_at=case.reported_at,
    )


def test_rows_stored_before_copies_get_them_on_first_view_and_from_the_command(world, media):
    case = report(world)
    lazy = old_style_row(case, camera_bytes(size=(3000, 2000), orientation=1))
    answer = api_client(world.people.acceptor).get(f"/api/v1/photos/{lazy.id}/thumb")
    assert answer.status_code == 200
    lazy.refresh_from_db()
    assert lazy.view.name.endswith(".view.jpg") and lazy.thumb.name.endswith(".thumb.jpg")
    later = old_style_row(case, camera_bytes(size=(1000, 3000), orientation=1))
    out = io.StringIO()
    call_command("photos", "rebuild-copies", stdout=out)
    later.refresh_from_db()
    assert Image.open(later.view.open("rb")).size == (533, 1600)
    assert files_on_disk(media) == files_of_rows()


def test_a_missing_file_is_a_404_not_a_500(world, media):
    case = report(world)
    stored = case.photos.get()
    default_storage.delete(stored.view.name)
    default_storage.delete(stored.file.name)
    client = api_client(world.people.acceptor)
    assert client.get(f"/api/v1/photos/{stored.id}").status_code == 404
    assert client.get(f"/api/v1/photos/{stored.id}/view").status_code == 404


# --- §1.10 no file without its row, no row without its file ---


def test_a_refused_action_leaves_no_file(world, media):
    case = drive(world, "in_progress")
    before = files_on_disk(media)
    with pytest.raises(DomainError):
        services.perform_action(
            actor=world.people.acceptor,  # sees the case, may not feed back
            case_id=case.pk,
            action="feed_back",
            reason="done",
            photo_files=[camera_jpeg(name="refused.jpg")],
        )
    assert files_on_disk(media) == before == files_of_rows()


def test_a_refused_action_keeps_the_files_another_case_uses(world, media):
    content = camera_bytes()
    report(world, photo_files=[SimpleUploadedFile("kept.jpg", content)])
    case = drive(world, "in_progress")
    with pytest.raises(DomainError):
        services.perform_action(
            actor=world.people.acceptor,  # sees the case, may not feed back
            case_id=case.pk,
            action="feed_back",
            reason="done",
            photo_files=[SimpleUploadedFile("same.jpg", content)],
        )
    assert files_on_disk(media) == files_of_rows()
    assert Photo.objects.filter(sha256=hashlib.sha256(content).hexdigest()).count() == 1


def test_a_transaction_that_rolls_back_after_writing_rows_leaves_no_file(world, media, monkeypatch):
    def fail(**kwargs):
        assert Photo.objects.filter(case=kwargs["case"]).exists()  # rows written, then this
        raise RuntimeError("database went away")

    monkeypatch.setattr(IdempotencyRecord.objects, "create", fail)
    with pytest.raises(RuntimeError):
        report(world, photo_files=[camera_jpeg(), photo()])
    assert Case.objects.count() == 0 and Photo.objects.count() == 0
    assert files_on_disk(media) == set() and not PhotoContent.objects.exists()


def test_a_replay_run_leaves_exactly_the_rows_files(world, media):
    """Offline phones resend: the same report again, the same key with other photos (409),
    and actions resent; nothing is stored twice and nothing stays behind."""
    for n in range(6):
        key = new_key()
        content = camera_bytes(size=(400 + n, 300))
        kwargs = dict(
            actor=world.people.worker,
            lon=world.point[0],
            lat=world.point[1],
            class_code=world.rubbish.code,
            idempotency_key=key,
        )
        first = services.report_case(**kwargs, photo_files=[SimpleUploadedFile("p.jpg", content)])
        again = services.report_case(**kwargs, photo_files=[SimpleUploadedFile("p.jpg", content)])
        assert again.replayed and again.case.pk == first.case.pk
        with pytest.raises(DomainError):
            services.report_case(**kwargs, photo_files=[camera_jpeg(size=(300, 300 + n))])
    case = drive(world, "in_progress")
    feed_back = dict(
        actor=world.people.city_handler,
        case_id=case.pk,
        action="feed_back",
        reason="done",
        idempotency_key="fb-1",
    )
    for _ in range(3):
        services.perform_action(**feed_back, photo_files=[camera_jpeg(size=(640, 480))])
    assert case.photos.filter(kind="after").count() == 1
    assert files_on_disk(media) == files_of_rows()
    assert Photo.objects.count() == 6 + 2  # six reports, the driven case's report and feedback


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_with_one_key_leave_one_set_of_files(world, media):
    content = camera_bytes()
    results = run_concurrently(
        lambda: services.report_case(
            actor=world.people.worker,
            lon=world.point[0],
            lat=world.point[1],
            class_code=world.rubbish.code,
            idempotency_key="offline-7",
            photo_files=[SimpleUploadedFile("p.jpg", content), photo()],
        )
    )
    assert sum(not o.replayed for o in results) == 1 and Photo.objects.count() == 2
    assert files_on_disk(media) == files_of_rows()


@pytest.mark.django_db(transaction=True)
def test_refused_and_kept_uploads_of_one_photo_at_once_never_lose_a_kept_file(world, media):
    """One thread stores a photo with a new case while five send the same photo with an action
    they may not take: the refused ones' clean-up must not delete what the first one keeps."""
    target = drive(world, "in_progress")
    for round in range(6):
        content = camera_bytes(size=(600 + round, 400))
        turn = iter(range(6))

        def work(content=content, turn=turn):
            files = [SimpleUploadedFile("same.jpg", content)]
            if next(turn) == 0:
                return report(world, photo_files=files).pk
            with pytest.raises(DomainError):
                services.perform_action(
                    actor=world.people.acceptor,  # sees the case, may not feed back
                    case_id=target.pk,
                    action="feed_back",
                    reason="done",
                    photo_files=files,
                )
            return None

        run_concurrently(work, copies=6)
        assert Photo.objects.filter(sha256=hashlib.sha256(content).hexdigest()).count() == 1
        assert files_on_disk(media) == files_of_rows()


def test_the_orphans_command_deletes_files_no_row_uses(world, media):
    report(world)
    default_storage.save("photos/2025/01/left-behind.jpg", ContentFile(b"x"))
    default_storage.save(photos.view_name("ab" * 32), ContentFile(b"y"))
    out = io.StringIO()
    call_command("photos", "orphans", stdout=out)
    assert "left-behind.jpg" in out.getvalue() and len(files_on_disk(media)) == 5
    call_command("photos", "orphans", "--delete", stdout=io.StringIO())
    assert files_on_disk(media) == files_of_rows()


def test_the_upkeep_reads_rows_one_folder_or_batch_at_a_time(world, media, monkeypatch):
    """A city keeps tens of millions of photos: neither command holds the whole table's names
    in memory. The orphan scan asks for one folder's rows at a time; the rebuild pages
    through the contents (here two at a time) and still reaches every one."""
    case = report(world)
    legacy = [
        old_style_row(case, camera_bytes(size=(300 + n, 200), orientation=1)) for n in range(5)
    ]
    default_storage.save("photos/2025/01/left-behind.jpg", ContentFile(b"x"))
    out = io.StringIO()
    with CaptureQueriesContext(connection) as queries:
        call_command("photos", "orphans", stdout=out)
    reads = [q["sql"] for q in queries if 'FROM "cases_photo"' in q["sql"]]
    assert reads and all("WHERE" in sql for sql in reads), reads
    assert "left-behind.jpg" in out.getvalue() and legacy[0].file.name not in out.getvalue()

    monkeypatch.setattr(photo_maintenance, "BATCH", 2)
    call_command("photos", "rebuild-copies", stdout=io.StringIO())
    assert not Photo.objects.filter(view="").exists()
    call_command("photos", "orphans", "--delete", stdout=io.StringIO())
    assert files_on_disk(media) == files_of_rows()


def test_files_are_written_before_the_transaction(world, media, monkeypatch):
    """Staging writes every file before the transaction opens (SQLite's write lock is not held
    while writing); inside it only their presence is checked."""
    seen = []
    real_atomic = transaction.atomic

    def watching_atomic(*args, **kwargs):
        seen.append(files_on_disk(media))
        return real_atomic(*args, **kwargs)

    monkeypatch.setattr(services.transaction, "atomic", watching_atomic)
    case = report(world, photo_files=[camera_jpeg()])
    stored = case.photos.get()
    assert {stored.file.name, stored.view.name, stored.thumb.name} <= seen[0]
