"""Health and readiness, as a load balancer sees them."""

from __future__ import annotations

import threading

import pytest

from backend import create_app, db
from tests.factories import error_keys


def test_health_and_ready_need_no_token(client):
    assert client.http.get("/healthz").get_json() == {"status": "ok"}
    assert client.http.get("/readyz").get_json() == {"status": "ok", "queue": "ok"}


def test_not_ready_when_the_database_is_unreachable(config):
    app = create_app(config.replace(database_url="postgresql://nobody@127.0.0.1:9/none"))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert error_keys(response) == ["database_unavailable"]


def test_alive_and_serving_keys_while_the_database_is_away(config, caplog):
    # A liveness probe must not restart workers over a database blip, and gate
    # scanners must still fetch the keys that verify resident codes offline: the ones
    # the process read last, though it tries to read them again on every request here.
    app = create_app(config.replace(keys_check_seconds=0.001))
    http = app.test_client()
    known = http.get("/.well-known/jwks.json").get_json()
    db.bind("postgresql://nobody@127.0.0.1:9/none")  # the database goes away
    assert http.get("/healthz").status_code == 200
    keys = http.get("/.well-known/jwks.json")
    assert keys.status_code == 200 and keys.get_json() == known and known["keys"]
    said = [r for r in caplog.records if r.name == "backend.keys"][0]
    assert said.getMessage() == "signing keys not read; using the set read last"
    assert said.exc_info and issubclass(said.exc_info[0], Exception)  # what the database said
    assert http.get("/readyz").status_code == 503
    page = http.get("/s/ABCDEFGH23")  # a phone's camera: a page it can show, in Chinese
    assert page.status_code == 503 and page.headers["Retry-After"] == "5"
    assert "服务暂时不可用，请稍后再试" in page.get_data(as_text=True)
    scan = http.get("/api/v1/public/sampling-plans")
    assert scan.status_code == 503 and error_keys(scan) == ["database_unavailable"]


def test_every_pooled_connection_busy_is_a_503_not_a_500(config):
    if not config.database_url.startswith("postgres"):
        pytest.skip("SQLite keeps one connection per thread; only PostgreSQL pools them")
    from backend.db import database

    app = create_app(config.replace(db_pool_size=1))
    taken, done = threading.Event(), threading.Event()

    def another_request():  # holds the pool's one connection
        database.connect(reuse_if_open=True)
        taken.set()
        done.wait(30)
        database.close()

    holder = threading.Thread(target=another_request)
    holder.start()
    try:
        assert taken.wait(10)
        http = app.test_client()
        alive = http.get("/healthz")
        page = http.get("/s/ABCDEFGH23")  # waits for the pool, then gives up
    finally:
        done.set()
        holder.join()
    assert alive.status_code == 200
    assert page.status_code == 503 and page.headers["Retry-After"]
