"""A database that hangs instead of refusing: every path that needs it answers 503 within
its deadline, /healthz never waits on it, and service is whole again within a second of
its return. A restart under a pooled connection costs a read nothing.

PostgreSQL is hung by the test's own proxy (tests/cluster/faultproxy.py), never touched.
"""

from __future__ import annotations

import statistics
import time

import peewee as pw
import pytest

from backend.db import database
from tests.cluster.load import Load, assert_whole_within

UNKNOWN_CODE = "2345678923"  # well formed, issued to no shop: a read, then 404
READ = "/api/v1/public/sampling-plans"  # public JSON, read from the database
PAGE = f"/s/{UNKNOWN_CODE}"
DEADLINE = 3.0  # what a client may wait, at most, for its 503


def timed(client, path, **kwargs):
    started = time.monotonic()
    response = client.get(path, **kwargs)
    return response, time.monotonic() - started


@pytest.fixture
def client(migrated):
    client = migrated.test_client()
    assert client.get(READ).status_code == 200  # the pool holds a working connection
    return client


def test_a_hung_database_answers_503_in_time_and_healthz_never_waits(client, pg_proxy):
    pg_proxy.freeze()
    # About 20 requests a second each, as clients keep coming; /healthz probed beside.
    with (
        Load(lambda: client.get(READ), 6, 0.05) as load,
        Load(lambda: client.get("/healthz"), 1, 0.05) as health,
    ):
        time.sleep(1)
        ready, ready_seconds = timed(client, "/readyz")
        page, page_seconds = timed(client, PAGE)
        time.sleep(4)

    answers = [r for _, r, _ in load.answers]
    assert ready.status_code == 503 and ready_seconds <= DEADLINE
    assert page.status_code == 503 and page_seconds <= DEADLINE
    assert "服务暂时不可用" in page.get_data(as_text=True)
    assert answers and {r.status_code for r in answers} == {503}
    assert {r.get_json()["details"][0]["key"] for r in answers} == {"database_unavailable"}
    assert answers[0].get_json()["message"] == "数据库暂时不可用"
    assert max(load.seconds()) <= DEADLINE
    assert all(r.headers["Retry-After"] for r in answers)
    # Most fail at once: the breaker spares them the wait one request already had.
    assert statistics.median(load.seconds()) < 0.5
    assert {r.status_code for _, r, _ in health.answers} == {200}
    assert statistics.quantiles(health.seconds(), n=20)[18] < 0.1


def test_service_is_whole_within_a_second_of_the_database_coming_back(client, pg_proxy):
    pg_proxy.freeze()
    assert timed(client, READ)[0].status_code == 503
    time.sleep(3)
    pg_proxy.thaw()
    assert_whole_within(1.0, lambda: client.get(READ).status_code == 200)
    assert client.get("/readyz").status_code == 200


def test_a_read_on_a_connection_the_restart_cut_runs_again_on_a_fresh_one(client, pg_proxy):
    for _ in range(3):
        pg_proxy.drop()  # every connection cut, as a restart does; the server stays up
        assert client.get(READ).status_code == 200
        assert client.get(PAGE).status_code == 404


@pytest.fixture
def gunicorn(migrated, config, wechat_stub_url, tmp_path):
    """The service as production runs it: gunicorn, two workers of one thread each."""
    from tests.served import serve

    running = serve(config.database_url, tmp_path, wechat_stub_url, RATELIMIT_ENABLED="false")
    yield running
    running.stop()


def test_under_gunicorn_a_hang_costs_no_client_a_timeout_and_healthz_never_waits(
    gunicorn, pg_proxy
):
    assert gunicorn.get(READ).status_code == 200
    pg_proxy.freeze()
    # 20 requests a second in all, each client giving up after 35 s; /healthz beside.
    with (
        Load(lambda: gunicorn.get(READ, timeout=35), 4, 0.2) as load,
        Load(lambda: gunicorn.get("/healthz", timeout=35), 1, 0.05) as health,
    ):
        time.sleep(0.5)
        ready, ready_seconds = timed(gunicorn, "/readyz", timeout=35)
        time.sleep(5)
        pg_proxy.thaw()
        assert_whole_within(1.0, lambda: gunicorn.get(READ).status_code == 200)
        time.sleep(1)

    assert ready.status_code == 503 and ready_seconds <= DEADLINE
    refused = [r for _, r, _ in load.answers if r.status_code != 200]
    assert refused and {r.status_code for r in refused} == {503}
    assert max(load.seconds()) <= DEADLINE
    assert {r.status_code for _, r, _ in health.answers} == {200}
    # Under 100 ms but for the odd scheduling hiccup of a busy machine; never queued behind
    # a request that waits (that was seconds).
    assert statistics.quantiles(health.seconds(), n=20)[18] < 0.1 and max(health.seconds()) < 1


def test_a_statement_the_server_is_busy_with_waits_past_the_probe_up_to_its_limit(migrated):
    """Busy is not hung: a long statement (a lock held by another request, a report) goes
    on while the server answers the prober, and only its own limit ends it."""
    settings = migrated.config["CITYCODE"]
    assert settings.db_probe_after < 2 < settings.db_statement_timeout
    with migrated.test_request_context(), database.connection_context():
        started = time.monotonic()
        database.execute_sql("SELECT pg_sleep(2)")
        assert time.monotonic() - started >= 2


def test_a_statement_past_its_limit_fails_alone_and_opens_no_breaker(config, migrated):
    from backend import create_app

    impatient = create_app(config.replace(db_statement_timeout=1.2))
    with impatient.test_request_context(), database.connection_context():
        started = time.monotonic()
        with pytest.raises(pw.OperationalError):
            database.execute_sql("SELECT pg_sleep(5)")
        assert 1.2 <= time.monotonic() - started < 2
    client = impatient.test_client()
    assert timed(client, READ)[0].status_code == 200
