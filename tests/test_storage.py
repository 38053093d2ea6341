"""Files go through one storage interface: a folder by default, S3-compatible object
storage (here a real one, SeaweedFS) when STORAGE_URL says so. A file the storage has
lost is a 404 in JSON, never a 500."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from backend import create_app, engine, storage
from backend.db import database
from backend.models import Upload
from tests.factories import ApiClient

# Object storage does not depend on the database: one run per CI run is enough.
on_object_storage = pytest.mark.once


@pytest.fixture
def shop(make):
    places = make.region_tree()
    return make.shop("owner", places["street_a"])


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(buffer, format="PNG")
    return buffer.getvalue()


def _uploaded(owner, shop) -> dict:
    response = owner.post(
        f"/api/v1/merchant/shops/{shop.public_id}/uploads",
        data={"file": (io.BytesIO(_png()), "licence.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _photo_url(shop, upload) -> str:
    return f"/api/v1/merchant/shops/{shop.public_id}/uploads/{upload['id']}"


def _key(upload) -> str:
    with database.connection_context():
        row = Upload.get(Upload.public_id == upload["id"])
    return f"{row.public_id}.png"


def test_a_photo_the_folder_has_lost_is_a_404_in_json(app, client, shop, config):
    owner = client.login("owner")
    upload = _uploaded(owner, shop)
    storage.Folder(config.upload_dir).delete(_key(upload))
    lost = owner.get(_photo_url(shop, upload))
    assert lost.status_code == 404
    assert lost.get_json()["details"][0]["key"] == "file_missing"
    assert lost.get_json()["message"] == "文件不存在或已被删除"


@on_object_storage
def test_a_photo_goes_to_the_bucket_and_comes_back_whole(config, object_storage, shop, seaweedfs):
    app = create_app(config.replace(storage_url=object_storage))
    owner = ApiClient(app).login("owner")
    upload = _uploaded(owner, shop)
    bucket = object_storage.removeprefix("s3://").split("?")[0]
    stored = seaweedfs.client().get_object(Bucket=bucket, Key=_key(upload))
    assert stored["ContentType"] == "image/png"
    served = owner.get(_photo_url(shop, upload))
    assert served.status_code == 200 and served.data == stored["Body"].read()
    assert served.mimetype == "image/png" and served.headers["Content-Length"] == str(
        len(served.data)
    )
    again = owner.get(_photo_url(shop, upload), headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert not Path(config.upload_dir).exists()  # nothing kept on this machine's disk

    seaweedfs.client().delete_object(Bucket=bucket, Key=_key(upload))
    lost = owner.get(_photo_url(shop, upload))
    assert lost.status_code == 404
    assert lost.get_json()["details"][0]["key"] == "file_missing"


@on_object_storage
def test_the_open_data_feed_is_kept_in_the_bucket(config, object_storage, seaweedfs):
    app = create_app(config.replace(storage_url=object_storage))
    with app.app_context(), database.connection_context():
        engine.publish_lives_daily.call_local()
    bucket = object_storage.removeprefix("s3://").split("?")[0]
    (stored,) = seaweedfs.client().list_objects_v2(Bucket=bucket)["Contents"]
    assert stored["Key"] == "open-data/lives.zip"
    served = app.test_client().get("/api/v1/public/lives.zip")
    assert served.status_code == 200 and served.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(served.data)) as feed:
        assert "businesses.csv" in feed.namelist()
    cached = app.test_client().get(
        "/api/v1/public/lives.zip", headers={"If-None-Match": served.headers["ETag"]}
    )
    assert cached.status_code == 304


def test_an_upload_the_object_storage_does_not_take_is_a_503_and_leaves_no_row(
    config, shop, monkeypatch
):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "citycode-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "citycode-test-secret")
    app = create_app(config.replace(storage_url="s3://citycode?endpoint=http://127.0.0.1:9"))
    owner = ApiClient(app).login("owner")
    refused = owner.post(
        f"/api/v1/merchant/shops/{shop.public_id}/uploads",
        data={"file": (io.BytesIO(_png()), "licence.png")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 503
    assert refused.get_json()["details"][0]["key"] == "storage_unavailable"
    assert refused.get_json()["message"] == "文件存储暂时不可用，请稍后再试"
    with database.connection_context():
        assert Upload.select().count() == 0


def test_a_storage_url_that_is_not_s3_stops_the_start():
    with pytest.raises(ValueError, match="STORAGE_URL"):
        storage.from_url("ftp://files.example.cn/citycode", "instance/uploads")
    assert isinstance(storage.from_url("", "instance/uploads"), storage.Folder)
