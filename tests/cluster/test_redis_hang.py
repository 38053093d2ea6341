"""A Redis that hangs costs nobody anything: rate limits count in each process's memory
after one short wait and ask Redis again only now and then; a write whose message the
queue would not take answers at once (the outbox's pick-up sends it later).

Redis is hung by the test's own proxy (tests/cluster/faultproxy.py), never touched.
"""

from __future__ import annotations

import statistics
import threading
import time

import pytest

from backend import create_app
from backend.db import database
from backend.models import OutboxMessage
from tests.cluster.conftest import REDIS_DB
from tests.factories import ApiClient

LIMITED_READ = "/api/v1/public/sampling-plans"  # the open data: every read counts in Redis


def timed(target, path, **kwargs):
    started = time.monotonic()
    response = target.get(path, **kwargs)
    return response, time.monotonic() - started


@pytest.fixture
def gunicorn(migrated, config, redis_proxy, wechat_stub_url, tmp_path):
    from tests.served import serve

    redis_url = f"redis://127.0.0.1:{redis_proxy.port}/{REDIS_DB}"
    running = serve(
        config.database_url,
        tmp_path,
        wechat_stub_url,
        RATELIMIT_STORAGE_URI=redis_url,
        RATELIMIT_PUBLIC="1000000 per minute",
        TASK_QUEUE_URL=redis_url,
    )
    yield running
    running.stop()


def test_a_hung_redis_slows_no_read_and_leaves_no_second_stall(gunicorn, redis_proxy):
    normal = [timed(gunicorn, LIMITED_READ)[1] for _ in range(100)]
    answers, health, stop = [], [], threading.Event()

    def load():
        while not stop.is_set():
            answers.append((time.monotonic(), *timed(gunicorn, LIMITED_READ, timeout=35)))
            time.sleep(0.1)

    def probe():
        while not stop.is_set():
            health.append(timed(gunicorn, "/healthz", timeout=35))
            time.sleep(0.05)

    threads = [threading.Thread(target=load) for _ in range(2)] + [threading.Thread(target=probe)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    redis_proxy.freeze()
    frozen = time.monotonic()
    time.sleep(8)
    redis_proxy.thaw()
    thawed = time.monotonic()
    time.sleep(6)
    stop.set()
    for thread in threads:
        thread.join()

    assert {r.status_code for _, r, _ in answers} == {200}
    during = [s for at, _, s in answers if frozen <= at < thawed]
    after = [s for at, _, s in answers if at >= thawed]
    # Within a fifth of normal (and 5 ms, a 2-core machine's jitter), at the median.
    assert statistics.median(during) <= 1.2 * statistics.median(normal) + 0.005
    # One short wait per worker at most: the first finds Redis silent, later checks too.
    assert max(during) < 0.5
    assert max(after) < 0.5, "a second stall after Redis came back"
    assert {r.status_code for r, _ in health} == {200}
    assert max(s for _, s in health) < 0.1


def test_a_write_whose_message_the_hung_queue_would_not_take_answers_at_once(
    migrated, config, redis_proxy, places, wechat_stub
):
    redis_url = f"redis://127.0.0.1:{redis_proxy.port}/{REDIS_DB}"
    client = ApiClient(create_app(config.replace(task_queue_url=redis_url)))
    wechat_stub.control(
        "subscriptions",
        {"openid": "oStub_alice", "template_id": "tmpl_report_progress", "count": 2},
    )
    alice, cadre = client.login("alice"), client.login("cadre_a")
    reports = [
        alice.post(
            "/api/v1/resident/reports",
            json={"community": places["community_a"].code, "category": "safety", "text": text},
        ).get_json()["id"]
        for text in ("楼道里堆满了杂物，存在消防隐患", "小区东门路灯坏了一个多星期")
    ]
    redis_proxy.freeze()
    seconds = []
    for report in reports:  # each tells alice: a message to queue
        started = time.monotonic()
        moved = cadre.post(f"/api/v1/admin/reports/{report}/status", json={"status": "in_hand"})
        seconds.append(time.monotonic() - started)
        assert moved.status_code == 200
    assert seconds[0] < 1.0
    assert seconds[1] < seconds[0] - 0.1, "the queue was asked again while it hung"
    with database.connection_context():
        assert [m.status for m in OutboxMessage.select()] == ["pending", "pending"]
