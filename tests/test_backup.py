"""`citycode backup` and `citycode restore`: a backup of a running district restores into
an empty database and storage whole (records that verify, the same photos, the same signing
keys, a service that starts), and a restore that would lose data or put back altered
files is refused. The worker's daily backup keeps the last BACKUP_KEEP."""

from __future__ import annotations

import io
import json
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import peewee as pw
import pytest
from PIL import Image

from backend import backup, clock, create_app, database_copy, engine
from backend.db import database
from backend.migrate import MIGRATIONS_DIR
from backend.models import Shop, ShopMembership, User
from backend.opendata import lives_export
from tests.conftest import _maintenance
from tests.factories import ApiClient

on_object_storage = pytest.mark.once


@pytest.fixture
def empty_database_url(database_url, tmp_path):
    """A database of no tables at all: a new SQLite file, or a new PostgreSQL database
    beside the test's own (dropped after)."""
    if database_url.startswith("sqlite"):
        (tmp_path / "restored").mkdir()
        yield f"sqlite:///{tmp_path / 'restored' / 'citycode.db'}"
        return
    parts = urlsplit(database_url)
    url = urlunsplit(parts._replace(path=f"{parts.path}_restored_{uuid.uuid4().hex[:8]}"))
    _maintenance(url, 'CREATE DATABASE "{name}"')
    yield url
    _maintenance(url, 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _cli(app, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def _photo(colour: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def _shop_of(user: str) -> Shop:
    with database.connection_context():
        return (
            Shop.select()
            .join(ShopMembership)
            .join(User)
            .where(User.openid == f"oStub_{user}")
            .order_by(Shop.id)
            .first()
        )


def _upload(owner: ApiClient, shop: Shop, data: bytes) -> str:
    """The photo's URL on the merchant API."""
    response = owner.post(
        f"/api/v1/merchant/shops/{shop.public_id}/uploads",
        data={"file": (io.BytesIO(data), "licence.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    return f"/api/v1/merchant/shops/{shop.public_id}/uploads/{response.get_json()['id']}"


def _counts() -> dict[str, int]:
    return database_copy.row_counts(database.obj)


def _files(config) -> dict[str, bytes]:
    root = Path(config.upload_dir)
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _restoring_into(config, url: str, **changes):
    """The app on the database `url`, the one before it let go of (its pool closed)."""
    if isinstance(database.obj, pw.PostgresqlDatabase):
        database.obj.close_all()
    return create_app(config.replace(database_url=url, **changes))


def _last_migration() -> str:
    return max(p.stem for p in MIGRATIONS_DIR.glob("[0-9]*.py"))


def _served_kids(app) -> set[str]:
    return {key["kid"] for key in app.test_client().get("/.well-known/jwks.json").json["keys"]}


def test_a_backup_restores_into_an_empty_database_whole(app, config, empty_database_url, tmp_path):
    assert _cli(app, "seed-demo").exit_code == 0
    shop = _shop_of("shopkeeper")
    owner = ApiClient(app).login("shopkeeper")
    photo = _photo("green")
    photo_url = _upload(owner, shop, photo)
    with app.app_context(), database.connection_context():
        lives_export.rebuild()  # a file under a folder: open-data/lives.zip
    kids = _served_kids(app)
    counts = _counts()

    made = _cli(app, "backup", str(tmp_path / "backup"))
    assert made.exit_code == 0, made.output
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["database"]["tables"] == counts and counts["shop"] >= 3
    assert manifest["database"]["latest_migration"] == _last_migration()
    assert manifest["code_version"]["package"]
    assert manifest["created_at"].endswith("Z")
    listed = {entry["key"]: entry for entry in manifest["files"]["list"]}
    # Every upload (the demo's photos and ours) and the open-data feed.
    assert manifest["files"]["count"] == len(listed) == counts["upload"] + 1
    assert "open-data/lives.zip" in listed
    assert all(len(entry["sha256"]) == 64 and entry["bytes"] for entry in listed.values())

    restored_dir = tmp_path / "restored-uploads"
    restored = _restoring_into(config, empty_database_url, upload_dir=str(restored_dir))
    put_back = _cli(restored, "restore", str(tmp_path / "backup"))
    assert put_back.exit_code == 0, put_back.output
    assert "next: citycode verify-chains" in put_back.output

    verified = _cli(restored, "verify-chains")
    assert verified.exit_code == 0, verified.output
    assert f"shops: {counts['shop']}, chains ok: {counts['shop']}, broken: 0" in verified.output
    assert _counts() == counts
    assert _served_kids(restored) == kids  # the signing keys came back, none made afresh
    assert restored.test_client().get("/readyz").status_code == 200
    served = ApiClient(restored).login("shopkeeper").get(photo_url)
    assert served.status_code == 200 and served.data == photo


def test_restore_over_data_is_refused_and_changes_nothing_unless_forced(
    app, make, config, tmp_path
):
    places = make.region_tree()
    shop = make.shop("owner", places["street_a"])
    _upload(ApiClient(app).login("owner"), shop, _photo("red"))
    assert _cli(app, "backup", str(tmp_path / "backup")).exit_code == 0
    make.shop("owner2", places["street_b"], name="街角咖啡")
    counts, files = _counts(), _files(config)

    refused = _cli(app, "restore", str(tmp_path / "backup"))
    assert refused.exit_code != 0
    assert "the database holds data" in refused.output and "--force" in refused.output
    assert "the file storage holds files" in refused.output
    assert _counts() == counts and _files(config) == files

    forced = _cli(app, "restore", "--force", str(tmp_path / "backup"))
    assert forced.exit_code == 0, forced.output
    assert _counts()["shop"] == counts["shop"] - 1  # as it was at the backup
    assert _cli(app, "verify-chains").exit_code == 0


def test_a_file_altered_in_the_backup_fails_the_restore_naming_it(
    app, make, config, empty_database_url, tmp_path
):
    places = make.region_tree()
    shop = make.shop("owner", places["street_a"])
    _upload(ApiClient(app).login("owner"), shop, _photo("blue"))
    assert _cli(app, "backup", str(tmp_path / "backup")).exit_code == 0
    (altered,) = (tmp_path / "backup" / "files").iterdir()
    altered.write_bytes(altered.read_bytes()[:-1] + b"\x00")

    restored_dir = tmp_path / "restored-uploads"
    restored = _restoring_into(config, empty_database_url, upload_dir=str(restored_dir))
    failed = _cli(restored, "restore", str(tmp_path / "backup"))
    assert failed.exit_code != 0
    assert altered.name in failed.output and "SHA-256" in failed.output
    assert _counts() == {} and not restored_dir.exists()  # nothing was put back


def test_a_database_copy_altered_in_the_backup_fails_the_restore_before_writing(
    app, make, config, empty_database_url, tmp_path
):
    make.shop("owner", make.region_tree()["street_a"])
    assert _cli(app, "backup", str(tmp_path / "backup")).exit_code == 0
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    dumped = tmp_path / "backup" / manifest["database"]["file"]
    dumped.write_bytes(dumped.read_bytes() + b"\x00")

    restored = _restoring_into(config, empty_database_url)
    failed = _cli(restored, "restore", str(tmp_path / "backup"))
    assert failed.exit_code != 0
    assert manifest["database"]["file"] in failed.output and "SHA-256" in failed.output
    assert _counts() == {}  # nothing was put back


def test_a_count_that_differs_from_the_manifest_fails_the_restore_naming_the_table(
    app, make, config, empty_database_url, tmp_path
):
    make.shop("owner", make.region_tree()["street_a"])
    assert _cli(app, "backup", str(tmp_path / "backup")).exit_code == 0
    path = tmp_path / "backup" / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["database"]["tables"]["shop"] += 1
    path.write_text(json.dumps(manifest))

    restored = _restoring_into(config, empty_database_url)
    # Migrated and holding only what the migrations write: empty enough to restore into.
    assert _cli(restored, "upgrade").exit_code == 0
    failed = _cli(restored, "restore", str(tmp_path / "backup"))
    assert failed.exit_code != 0
    assert "counts differ" in failed.output and "shop (manifest 2, restored 1)" in failed.output


def test_a_backup_goes_only_into_a_new_or_empty_folder(app, tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    refused = _cli(app, "backup", str(tmp_path / "taken"))
    assert refused.exit_code != 0 and "not empty" in refused.output
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["notes.txt"]


def test_a_backup_is_readable_by_the_services_own_user_only(app, tmp_path):
    made = _cli(app, "backup", str(tmp_path / "new"))
    assert made.exit_code == 0, made.output
    (tmp_path / "empty").mkdir(mode=0o755)
    assert _cli(app, "backup", str(tmp_path / "empty")).exit_code == 0
    for folder in ("new", "empty"):
        assert (tmp_path / folder).stat().st_mode & 0o777 == 0o700, folder


def test_rows_written_while_pg_dump_runs_are_in_neither_the_dump_nor_the_counts(
    app, make, config, empty_database_url, tmp_path, monkeypatch
):
    if not config.database_url.startswith("postgres"):
        pytest.skip("SQLite's counts are taken from the copy itself")
    places = make.region_tree()
    run = database_copy._run

    def a_shop_registered_meanwhile(db, *args):
        with app.app_context():
            make.shop("late", places["street_b"], name="晚到的店")
        return run(db, *args)

    monkeypatch.setattr(database_copy, "_run", a_shop_registered_meanwhile)
    assert _cli(app, "backup", str(tmp_path / "backup")).exit_code == 0
    monkeypatch.undo()
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["database"]["tables"]["shop"] == 0

    restored = _restoring_into(config, empty_database_url)
    put_back = _cli(restored, "restore", str(tmp_path / "backup"))
    assert put_back.exit_code == 0, put_back.output  # the counts match what was dumped


def test_the_daily_backup_keeps_the_last_backup_keep(config, tmp_path):
    root = tmp_path / "backups"
    (root / "operator-notes").mkdir(parents=True)
    app = create_app(config.replace(backup_dir=str(root), backup_keep=3))
    made = []
    with app.app_context():
        for _ in range(5):
            before = {p.name for p in root.iterdir()}
            engine.backup_daily.call_local()
            made += sorted({p.name for p in root.iterdir()} - before)
            clock.travel(timedelta(days=1))
    assert len(made) == 5
    assert sorted(p.name for p in root.iterdir()) == sorted([*made[-3:], "operator-notes"])
    assert all((root / name / "manifest.json").is_file() for name in made[-3:])


def test_backup_keep_0_makes_no_daily_backup(config, tmp_path):
    app = create_app(config.replace(backup_dir=str(tmp_path / "backups"), backup_keep=0))
    with app.app_context():
        assert backup.daily() is None
    assert not (tmp_path / "backups").exists()


@on_object_storage
def test_a_backup_of_object_storage_restores_into_an_empty_bucket(
    app, make, config, object_storage, seaweedfs, empty_database_url, tmp_path
):
    stored = create_app(config.replace(storage_url=object_storage))
    shop = make.shop("owner", make.region_tree()["street_a"])
    photo = _photo("purple")
    photo_url = _upload(ApiClient(stored).login("owner"), shop, photo)
    assert _cli(stored, "backup", str(tmp_path / "backup")).exit_code == 0
    (entry,) = json.loads((tmp_path / "backup" / "manifest.json").read_text())["files"]["list"]
    assert entry["bytes"] == len(photo)

    empty_bucket = seaweedfs.bucket(f"citycode-{uuid.uuid4().hex[:12]}")
    restored = _restoring_into(config, empty_database_url, storage_url=empty_bucket)
    put_back = _cli(restored, "restore", str(tmp_path / "backup"))
    assert put_back.exit_code == 0, put_back.output
    served = ApiClient(restored).login("owner").get(photo_url)
    assert served.status_code == 200 and served.data == photo
    assert served.mimetype == "image/png"
