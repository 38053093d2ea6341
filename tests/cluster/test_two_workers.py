"""Two engine consumers, both running the schedule, on one queue and one database: each
periodic task runs once per moment of its schedule, by one of them."""

from __future__ import annotations

import time

import pytest

from backend.db import database
from backend.models import ScheduledRun
from tests.cluster.conftest import REDIS, REDIS_DB
from tests.test_outbox import start_worker

EVERY_MINUTE = {"pick_up_messages", "publish_policies", "resume_abandoned_runs"}


def _runs():
    with database.connection_context():
        return [(r.task, r.slot, r.holder) for r in ScheduledRun.select()]


@pytest.mark.usefixtures("redis_proxy")  # Redis reachable, and our queue emptied after
def test_two_consumers_run_each_minutes_tasks_once(migrated, config, tmp_path):
    queued = config.replace(task_queue_url=f"redis://{REDIS[0]}:{REDIS[1]}/{REDIS_DB}")
    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
    workers = [start_worker(queued, log, LOG_LEVEL="INFO") for log in logs]
    try:
        started = time.monotonic()
        while not {task for task, _, _ in _runs()} >= EVERY_MINUTE:
            assert time.monotonic() - started < 75, [log.read_text()[-2000:] for log in logs]
            time.sleep(0.5)
        time.sleep(5)  # both consumers' copies have been taken by now
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)

    runs = _runs()
    first_slot = min(slot for _, slot, _ in runs)
    tasks = [task for task, slot, _ in runs if slot == first_slot]
    # Each once (a quarter-hour's moment has its quarter-hourly task beside them).
    assert len(tasks) == len(set(tasks)) and set(tasks) >= EVERY_MINUTE
    skipped = sum(log.read_text().count("is another worker's run") for log in logs)
    assert skipped >= len(EVERY_MINUTE), "the second consumer never enqueued them"
