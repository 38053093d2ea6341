"""WeChat's quota is the app's, not a worker's: workers on several machines sharing Redis
send no more messages a second, together, than WECHAT_MESSAGES_PER_SECOND."""

from __future__ import annotations

import time
import uuid
from datetime import datetime

from backend import create_app, engine
from backend.ratelimit import Pace
from tests.test_outbox import REDIS_URL, _redis_or_skip, start_worker
from tests.test_outbox_crash import _deliveries, _pending, _wait_for, write_backlog

PER_SECOND = 5
MESSAGES = 20
# A message is counted when the stub answers it, a few milliseconds after the worker took
# its place: windows a little shorter than a second absorb that.
WINDOW = 0.9


def _most_in_any_window(times: list[float]) -> int:
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t - start < WINDOW) for i, start in enumerate(times))


def test_two_workers_sharing_redis_keep_wechats_pace_together(config, wechat_stub, tmp_path):
    _redis_or_skip()
    shared = config.replace(
        task_queue_url=REDIS_URL,
        task_queue_name=f"citycode-pace-{uuid.uuid4().hex[:8]}",
        ratelimit_storage_uri=REDIS_URL,
        wechat_messages_per_second=PER_SECOND,
    )
    expected = write_backlog(create_app(shared), wechat_stub, MESSAGES)
    log = tmp_path / "worker.log"
    # A Redis answer slower than the request's 0.2 s on a busy machine would pace each
    # worker alone for 30 s (tested below); here the shared pace is what is measured.
    workers = [start_worker(shared, log, threads=2, REDIS_TIMEOUT="2") for _ in range(2)]
    try:
        assert _wait_for(lambda: _pending() == 0, 60, interval=0.2), log.read_text()[-3000:]
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=30)
        engine.huey.storage.flush_all()
    sent = _deliveries(wechat_stub.url)
    assert len(sent) == len(expected) == MESSAGES
    times = [datetime.fromisoformat(d["at"]).timestamp() for d in sent]
    # Alone, each worker would send its share at PER_SECOND: twice the quota together.
    assert _most_in_any_window(times) <= PER_SECOND
    assert max(times) - min(times) >= MESSAGES / PER_SECOND - 1 - WINDOW


def test_with_redis_down_each_worker_still_keeps_the_pace_on_its_own():
    pace = Pace("redis://127.0.0.1:1/0", 3, "wechat-subscribe:down")
    started = time.monotonic()
    for _ in range(4):
        pace.wait()  # the fourth waits for the first's second to pass
    assert time.monotonic() - started >= 0.9
