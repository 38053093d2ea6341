"""A worker killed with SIGKILL in the middle of a backlog loses no message: a new worker
sends every one, and sends again at most those that were in flight at the kill."""

from __future__ import annotations

import os
import signal
import sys
import time
import uuid
from collections import Counter
from datetime import timedelta

import pytest
import requests

from backend import clock, create_app, engine, notify
from backend.db import database, write_transaction
from backend.models import OutboxMessage, User
from tests.test_outbox import REDIS_URL, REPORT_TEMPLATE, _redis_or_skip, start_worker

MESSAGES = 2000
BATCH = 100  # messages written per transaction, as a sweep would
KILL_AFTER = 300  # deliveries the stub has seen when the worker is killed
THREADS = 4


def _deliveries(stub_url: str) -> list[dict]:
    calls = requests.get(f"{stub_url}/__stub__/sent", timeout=10).json()
    return [c for c in calls if "subscribe/send" in c["endpoint"]]


def _pending() -> int:
    with database.connection_context():
        return OutboxMessage.select().where(OutboxMessage.status == "pending").count()


def _in_flight() -> int:
    """Claimed by a worker and not yet final: what it may have sent without recording it."""
    with database.connection_context():
        return (
            OutboxMessage.select()
            .where((OutboxMessage.status == "pending") & OutboxMessage.claimed_until.is_null(False))
            .count()
        )


def _claims_run_out() -> None:
    """What a few minutes would do to a dead worker's messages, without waiting for them
    (the worker is a process of its own, which clock.travel cannot reach): its claims run
    out (notify.CLAIM), and what it held or had taken is due long enough to be found lost
    (notify.LOST_AFTER)."""
    long_ago = clock.now() - notify.LOST_AFTER - timedelta(seconds=1)
    with database.connection_context(), write_transaction():
        OutboxMessage.update(claimed_until=long_ago, next_attempt_at=long_ago).where(
            OutboxMessage.status == "pending"
        ).execute()


def write_backlog(app, stub, messages: int = MESSAGES) -> dict[str, str]:
    """`messages` messages, one to each of as many residents, each subscribed twice (so a
    message sent again is accepted, and counted, like the first); marker → openid."""
    openids = [f"oCrash_{n:05d}" for n in range(messages)]
    # One call: 2,000 calls to /__stub__/subscriptions took 6 s of a loaded 2-core machine.
    stub.control(
        "subscriptions/bulk", {"openids": openids, "template_id": REPORT_TEMPLATE, "count": 2}
    )
    expected = {}
    with app.app_context(), database.connection_context():
        with write_transaction():
            User.insert_many([{"openid": o} for o in openids]).execute()
        users = list(User.select().where(User.openid.in_(openids)).order_by(User.id))
        for start in range(0, len(users), BATCH):
            with write_transaction():  # enqueued once this commits
                for user in users[start : start + BATCH]:
                    marker = f"crash-{user.id}"
                    notify.send(user, None, REPORT_TEMPLATE, "report.in_hand", {"thing1": marker})
                    expected[marker] = user.openid
    return expected


def _wait_for(condition, seconds: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_a_worker_killed_mid_backlog_loses_no_message(
    config, wechat_stub, tmp_path, capsys, backend
):
    if backend == "redis":
        _redis_or_skip()
        queue_url = REDIS_URL
    else:
        queue_url = f"sqlite:///{tmp_path / 'tasks.db'}"
    queue_name = f"citycode-crash-{uuid.uuid4().hex[:8]}"
    # The quota is not what is tested here: 2,000 messages at the default 20/s are 100 s.
    queued = config.replace(
        task_queue_url=queue_url, task_queue_name=queue_name, wechat_messages_per_second=100000
    )
    log = tmp_path / "worker.log"
    started = time.monotonic()
    expected = write_backlog(create_app(queued), wechat_stub)
    written = time.monotonic()
    assert _pending() == MESSAGES and _deliveries(wechat_stub.url) == []

    first = second = None
    try:
        first = start_worker(queued, log, THREADS)
        assert _wait_for(lambda: len(_deliveries(wechat_stub.url)) >= KILL_AFTER, 60), (
            log.read_text(errors="replace")[-3000:]
        )
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        at_kill = len(_deliveries(wechat_stub.url))
        in_flight = _in_flight()
        assert at_kill < MESSAGES, "the worker finished before the kill: nothing was tested"

        _claims_run_out()
        # The new worker's pick-up, at its start, finds what the dead one held or had taken.
        second = start_worker(queued, log, THREADS)
        assert _wait_for(lambda: _pending() == 0, 120, interval=0.5), (
            _pending(),
            log.read_text(errors="replace")[-3000:],
        )
    finally:
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=30)
        if backend == "redis":
            engine.huey.storage.flush_all()
    finished = time.monotonic()

    deliveries = _deliveries(wechat_stub.url)
    received = Counter(
        (d["body"]["touser"], d["body"]["data"]["thing1"]["value"])
        for d in deliveries
        if d["errcode"] == 0
    )
    lost = [m for m, openid in expected.items() if received[(openid, m)] == 0]
    duplicates = len(deliveries) - len(expected)
    with database.connection_context():
        statuses = Counter(m.status for m in OutboxMessage.select(OutboxMessage.status))
    with capsys.disabled():  # on stderr, which pytest-xdist's workers pass on to the log
        print(
            f"\n[outbox crash, {backend}] messages {MESSAGES}, delivered at the kill {at_kill}, "
            f"in flight at the kill {in_flight}, stub calls {len(deliveries)}, "
            f"duplicates {duplicates}, lost {len(lost)}; written in {written - started:.1f} s, "
            f"delivered in {finished - written:.1f} s",
            file=sys.stderr,
        )
    assert lost == []
    assert statuses == {"sent": MESSAGES}
    assert all(d["errcode"] == 0 for d in deliveries)
    assert 0 <= duplicates <= in_flight
