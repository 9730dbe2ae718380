"""Media storage chosen by the environment (settings STORAGES): the file system by default,
an S3-compatible bucket with ONEGRID_MEDIA_STORAGE=s3 (django-storages) — and a report's
photos going through it end to end (moto's in-process S3 standing in for MinIO)."""

from __future__ import annotations

import importlib.util
import sys

import boto3
import pytest
from moto import mock_aws

from onegrid.cases.models import Photo
from support.api import token_client
from support.cases import photo

from .support_ops import REPO

SETTINGS_FILE = REPO / "src" / "onegrid" / "config" / "settings.py"
S3_ENV = {
    "ONEGRID_MEDIA_STORAGE": "s3",
    "ONEGRID_S3_ENDPOINT_URL": "https://minio.internal:9000",
    "ONEGRID_S3_BUCKET": "city-media",
    "ONEGRID_S3_ACCESS_KEY": "key-id",
    "ONEGRID_S3_SECRET_KEY": "key-secret",
    "ONEGRID_S3_ADDRESSING_STYLE": "path",
    "ONEGRID_S3_PREFIX": "onegrid",
}


def load_settings(monkeypatch, tmp_path, env: dict[str, str]):
    """The settings module as a fresh module object, read under `env` (the real one stays)."""
    for name in [*S3_ENV, "ONEGRID_S3_REGION"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ONEGRID_VAR_DIR", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("onegrid_settings_probe", SETTINGS_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules.pop("onegrid_settings_probe", None)
    return module


def test_file_system_is_the_default(monkeypatch, tmp_path):
    loaded = load_settings(monkeypatch, tmp_path, {})
    assert loaded.STORAGES["default"] == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_s3_is_chosen_with_its_endpoint_bucket_and_keys(monkeypatch, tmp_path):
    loaded = load_settings(monkeypatch, tmp_path, S3_ENV)
    default = loaded.STORAGES["default"]
    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    options = default["OPTIONS"]
    assert options["endpoint_url"] == "https://minio.internal:9000"
    assert options["bucket_name"] == "city-media"
    assert (options["access_key"], options["secret_key"]) == ("key-id", "key-secret")
    assert options["addressing_style"] == "path" and options["location"] == "onegrid"
    assert options["default_acl"] is None and options["file_overwrite"] is False
    # Static files stay with whitenoise on every machine.
    assert loaded.STORAGES["staticfiles"]["BACKEND"].startswith("whitenoise.")


def test_an_unknown_storage_is_refused_at_start(monkeypatch, tmp_path):
    with pytest.raises(RuntimeError, match="ONEGRID_MEDIA_STORAGE"):
        load_settings(monkeypatch, tmp_path, {"ONEGRID_MEDIA_STORAGE": "ftp"})


@pytest.fixture
def s3_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"  # empty: whatever lands there is this test's
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="city-media")
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": "city-media",
                    "region_name": "us-east-1",
                    "access_key": "testing",
                    "secret_key": "testing",
                    "location": "onegrid",
                    "default_acl": None,
                    "file_overwrite": False,
                },
            },
        }
        yield s3


def test_a_reports_photos_are_stored_in_and_served_from_the_bucket(world, s3_media, settings):
    sent = photo().read()
    client = token_client(world.people.worker)
    data = {"lon": world.point[0], "lat": world.point[1], "class_code": "A0102"}
    response = client.post(
        "/api/v1/cases", {**data, "photos": [photo()]}, HTTP_IDEMPOTENCY_KEY="s3-1"
    )
    assert response.status_code in (200, 201), response.content
    stored = Photo.objects.get(case_id=response.json()["case"]["id"])
    keys = {o["Key"] for o in s3_media.list_objects_v2(Bucket="city-media")["Contents"]}
    # The original, its viewing copy and its thumbnail, under the prefix; nothing on disk.
    assert {f"onegrid/{stored.file.name}", f"onegrid/{stored.view.name}"} <= keys
    assert f"onegrid/{stored.thumb.name}" in keys and len(keys) == 3
    assert not settings.MEDIA_ROOT.exists()
    body = s3_media.get_object(Bucket="city-media", Key=f"onegrid/{stored.file.name}")
    assert body["Body"].read() == sent
    # Served through the app's view (its permission check), read back from the bucket.
    served = token_client(world.people.acceptor).get(f"/api/v1/photos/{stored.pk}")
    assert served.status_code == 200 and b"".join(served.streaming_content) == sent
