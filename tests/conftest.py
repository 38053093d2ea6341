"""Fixtures: a migrated database per test, the WeChat stub running over HTTP, a client per role.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import peewee as pw
import psycopg2
import pytest
import requests
from hypothesis import settings

from backend import clock, create_app
from backend.config import Config
from backend.db import make_database
from backend.migrate import HISTORY_TABLE, upgrade
from tests.factories import ApiClient, Factory

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
IN_CI = os.environ.get("CI", "").lower() == "true"

# Property tests draw the same examples on every run in CI and under mutation testing,
# so a failure there can be repeated, and explore afresh on a developer's machine.
settings.register_profile("repeatable", deadline=None, derandomize=True)
settings.register_profile("exploring", deadline=None)
settings.load_profile("repeatable" if IN_CI or os.environ.get("MUTANT_UNDER_TEST") else "exploring")


def _postgres_or_skip(url: str) -> pw.Database:
    db = make_database(url, pool_size=4)
    try:
        db.connect()
        db.close()
    except pw.OperationalError as exc:
        if IN_CI:
            pytest.fail(f"TEST_DATABASE_URL is set but PostgreSQL is unreachable: {exc}")
        pytest.skip(f"PostgreSQL at TEST_DATABASE_URL unreachable: {exc}")
    return db


# Rows the migrations themselves write, which every test starts from: kept, not truncated.
REFERENCE_TABLES = ("service_category", "sampling_item")


@pytest.fixture(scope="session")
def database_template(tmp_path_factory, worker_id):
    """Migrate once per session; each test then gets a fresh copy (SQLite) or a truncation (PG).

    Under pytest-xdist each worker has a PostgreSQL database of its own beside
    TEST_DATABASE_URL's (its name plus the worker's id), made here and dropped at the end.
    """
    if TEST_DATABASE_URL.startswith("postgres"):
        url = TEST_DATABASE_URL if worker_id == "master" else _worker_database(worker_id)
        db = _postgres_or_skip(url)
        with db.connection_context():
            db.execute_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
            upgrade(db)
        db.close_all()
        yield {"kind": "postgres", "url": url}
        if url != TEST_DATABASE_URL:
            _maintenance(url, 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    path = tmp_path_factory.mktemp("db") / "template.db"
    db = make_database(f"sqlite:///{path}")
    with db.connection_context():
        upgrade(db)
    db.close()
    yield {"kind": "sqlite", "path": path}


def _worker_database(worker_id: str) -> str:
    parsed = urlsplit(TEST_DATABASE_URL)
    url = urlunsplit(parsed._replace(path=f"{parsed.path.rstrip('/')}_{worker_id}"))
    _maintenance(url, 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', 'CREATE DATABASE "{name}"')
    return url


def _maintenance(url: str, *statements: str) -> None:
    """Run `statements` (with {name}, the database of `url`) on the server's postgres database."""
    parsed = urlsplit(url)
    try:
        conn = psycopg2.connect(
            dbname="postgres",
            user=parsed.username,
            password=parsed.password,
            host=parsed.hostname,
            port=parsed.port or 5432,
        )
    except psycopg2.OperationalError as exc:
        where = f"{parsed.hostname}:{parsed.port or 5432}"
        if IN_CI:
            pytest.fail(f"PostgreSQL at {where} is unreachable: {exc}")
        pytest.skip(f"PostgreSQL at {where} unreachable: {exc}")
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement.format(name=parsed.path.lstrip("/")))
    finally:
        conn.close()


@pytest.fixture
def database_url(database_template, tmp_path):
    if database_template["kind"] == "sqlite":
        target = tmp_path / "test.db"
        shutil.copy(database_template["path"], target)
        return f"sqlite:///{target}"
    url = database_template["url"]
    db = make_database(url, pool_size=2)
    with db.connection_context():
        tables = [t for t in db.get_tables() if t not in (HISTORY_TABLE, *REFERENCE_TABLES)]
        if tables:
            names = ", ".join(f'"{t}"' for t in tables)
            db.execute_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    db.close_all()
    return url


@pytest.fixture(scope="session")
def wechat_stub_url():
    from wechat_stub import create_app as create_stub
    from wechat_stub.server import start_in_thread

    url, stop = start_in_thread(
        create_stub(
            appid="wx_citycode_test",
            secret="test-secret",
            risky_words=["赌博", "casino"],
            review_words=["广告", "promo"],
        )
    )
    yield url
    stop()


REGISTRY_TOKEN = "test-registry-token"  # noqa: S105  the stub's, for tests


@pytest.fixture(scope="session")
def registry_stub_url():
    from registry_stub import create_app as create_registry
    from wechat_stub.server import start_in_thread

    url, stop = start_in_thread(create_registry(token=REGISTRY_TOKEN))
    yield url
    stop()


@pytest.fixture
def registry_stub(registry_stub_url):
    """The business-registry stub, reset; tests that want it configure the app with it
    (`registry_config`); the rest run with no registry, every registration 未核验."""
    requests.post(f"{registry_stub_url}/__stub__/reset", timeout=5).raise_for_status()
    return registry_stub_url


@pytest.fixture
def wechat_stub(wechat_stub_url):
    """The stub, reset before the test; `.sent()` lists what our backend sent to it."""
    requests.post(f"{wechat_stub_url}/__stub__/reset", timeout=5).raise_for_status()
    return StubControl(wechat_stub_url)


class StubControl:
    def __init__(self, url: str):
        self.url = url

    def sent(self, endpoint: str | None = None) -> list[dict]:
        calls = requests.get(f"{self.url}/__stub__/sent", timeout=5).json()
        return [c for c in calls if endpoint is None or endpoint in c["endpoint"]]

    def control(self, name: str, body: dict | None = None) -> None:
        requests.post(f"{self.url}/__stub__/{name}", json=body or {}, timeout=5).raise_for_status()


@pytest.fixture
def config(database_url, wechat_stub, tmp_path) -> Config:
    return Config(
        testing=True,
        database_url=database_url,
        wechat_api_base=wechat_stub.url,
        wechat_appid="wx_citycode_test",
        wechat_secret="test-secret",
        upload_dir=str(tmp_path / "uploads"),
        public_base_url="https://c.example.cn",
        log_level="WARNING",
        # Many residents sign in from the one test address; the limits have tests of their own.
        ratelimit_login="10000 per minute",
        ratelimit_writes="10000 per minute",
        # A message is delivered right after the commit that wrote it, in the same process;
        # tests/test_outbox.py runs the real worker on SQLite and on Redis.
        task_queue_url="memory://",
        wechat_messages_per_second=1000,
    )


@pytest.fixture
def app(config):
    app = create_app(config)
    yield app
    from backend.db import database

    if isinstance(database.obj, pw.PostgresqlDatabase):
        database.obj.close_all()


@pytest.fixture(autouse=True)
def _reset_clock():
    yield
    clock.reset()


@pytest.fixture
def client(app) -> ApiClient:
    return ApiClient(app)


@pytest.fixture
def make(app) -> Factory:
    return Factory(app)


def pytest_report_header(config):
    kind = "PostgreSQL" if TEST_DATABASE_URL.startswith("postgres") else "SQLite"
    return f"database: {kind}"


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture
def places(make):
    """The district of region_tree() with people in it: cadres of communities A and B, a
    street-A admin, a district admin, an inspector; alice lives in A, bob in B. Modules
    that need only the regions define their own `places`."""
    places = make.region_tree()
    make.staff("cadre_a", "cadre", places["community_a"], name="周敏")
    make.staff("cadre_b", "cadre", places["community_b"], name="吴芳")
    make.staff("street_admin", "admin", places["street_a"], name="钱进")
    make.staff("district_admin", "admin", places["district"], name="孙立")
    make.staff("inspector", "inspector", places["district"], name="郑直")
    make.member("alice", places["community_a"], display_name="张小红", phone="13812345678")
    make.member("bob", places["community_b"])
    return places


@pytest.fixture
def served(database_url, wechat_stub_url, tmp_path):
    """The service under gunicorn, as production runs it (tests/served.py)."""
    from tests.served import serve

    running = serve(database_url, tmp_path, wechat_stub_url)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory):
    """A real S3 server (SeaweedFS), one per test process (tests/objectstore.py)."""
    from tests.objectstore import SeaweedFS

    server = SeaweedFS(tmp_path_factory.mktemp("seaweedfs"))
    yield server
    server.stop()


@pytest.fixture
def object_storage(seaweedfs, monkeypatch):
    """A fresh bucket's STORAGE_URL; its credentials where boto3 looks, the environment."""
    from tests.objectstore import ACCESS

    for name, value in ACCESS.items():
        monkeypatch.setenv(name, value)
    return seaweedfs.bucket(f"citycode-{uuid.uuid4().hex[:12]}")
