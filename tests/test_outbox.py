"""Every message through the outbox: written with its change, delivered by the worker after
the commit, at least once, retried with backoff, and counted for operators."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import redis

from backend import clock, create_app, engine, notify
from backend.db import database, write_transaction
from backend.models import OutboxMessage, User
from tests.conftest import IN_CI
from tests.factories import ApiClient, error_keys

REDIS_URL = "redis://127.0.0.1:6379/0"
REPORT_TEMPLATE = "tmpl_report_progress"


def _redis_or_skip() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as exc:
        if IN_CI:
            pytest.fail(f"Redis at {REDIS_URL} is unreachable: {exc}")
        pytest.skip(f"Redis at {REDIS_URL} unreachable: {exc}")


def _messages() -> list[tuple[str, str, int]]:
    with database.connection_context():
        return [
            (m.subject, m.status, m.attempts)
            for m in OutboxMessage.select().order_by(OutboxMessage.id)
        ]


def _sent(wechat_stub) -> list[dict]:
    return wechat_stub.sent("subscribe/send")


def _report_taken_in_hand(
    client, places, wechat_stub, subscribed: int = 1, fault: dict | None = None
) -> None:
    """Alice reports; the cadre takes it in hand, which tells alice (report.in_hand), with
    WeChat answering `fault` from then on."""
    wechat_stub.control(
        "subscriptions",
        {"openid": "oStub_alice", "template_id": REPORT_TEMPLATE, "count": subscribed},
    )
    community = places["community_a"].code
    body = {"community": community, "category": "safety", "text": "楼道里堆满了杂物，存在消防隐患"}
    report_id = client.login("alice").post("/api/v1/resident/reports", json=body).get_json()["id"]
    cadre = client.login("cadre_a")
    if fault:
        wechat_stub.control("faults", fault)
    moved = cadre.post(f"/api/v1/admin/reports/{report_id}/status", json={"status": "in_hand"})
    assert moved.status_code == 200, moved.get_json()


def test_a_change_that_rolls_back_leaves_no_message_and_sends_nothing(app, places, wechat_stub):
    class Refused(Exception):
        pass

    with app.app_context(), database.connection_context():
        alice = User.get(User.openid == "oStub_alice")
        with pytest.raises(Refused), write_transaction():
            notify.send(alice, None, REPORT_TEMPLATE, "report.in_hand", {"thing1": "x"})
            raise Refused
        with pytest.raises(RuntimeError):  # and never outside the change's transaction
            notify.send(alice, None, REPORT_TEMPLATE, "report.in_hand", {"thing1": "x"})
    assert _messages() == []
    assert _sent(wechat_stub) == []


def test_a_message_is_sent_right_after_its_commit(client, places, wechat_stub):
    _report_taken_in_hand(client, places, wechat_stub)
    assert _messages() == [("report.in_hand", "sent", 1)]
    (sent,) = _sent(wechat_stub)
    assert sent["body"]["touser"] == "oStub_alice" and sent["errcode"] == 0
    with database.connection_context():
        message = OutboxMessage.get()
    assert message.data is None and message.page is None and message.sent_at is not None


def test_wechat_busy_is_tried_again_later_and_arrives_once(app, client, places, wechat_stub):
    _report_taken_in_hand(client, places, wechat_stub, fault={"busy": 1})
    assert _messages() == [("report.in_hand", "pending", 1)]
    with database.connection_context():
        waiting = OutboxMessage.get()
    assert waiting.errcode == -1 and waiting.data is not None
    wait = (waiting.next_attempt_at - clock.now()).total_seconds()
    assert 30 * 0.8 - 1 <= wait <= 30 * 1.2, wait
    with app.app_context():
        engine.pick_up_messages()  # not yet due: nothing is tried
    assert len(_sent(wechat_stub)) == 1
    clock.travel(timedelta(seconds=40))
    with app.app_context():
        engine.pick_up_messages()  # due, but its retry is on the queue: left to it
    assert len(_sent(wechat_stub)) == 1
    clock.travel(timedelta(minutes=3))
    with app.app_context():
        engine.pick_up_messages()  # due long enough that its retry must have been lost
        engine.pick_up_messages()  # a second pick-up finds nothing left to send
    assert [s["errcode"] for s in _sent(wechat_stub)] == [-1, 0]
    assert _messages() == [("report.in_hand", "sent", 2)]


def test_after_its_last_try_a_message_is_failed_with_wechats_errcode(
    app, config, client, places, wechat_stub
):
    _report_taken_in_hand(client, places, wechat_stub, fault={"busy": 10})
    for _ in range(config.message_attempts - 1):
        clock.travel(timedelta(hours=2))
        with app.app_context():
            engine.pick_up_messages()
    assert _messages() == [("report.in_hand", "failed", config.message_attempts)]
    with database.connection_context():
        failed = OutboxMessage.get()
    assert (failed.errcode, failed.data, failed.page) == (-1, None, None)  # nothing kept
    clock.travel(timedelta(hours=2))
    with app.app_context():
        engine.pick_up_messages()
    assert len(_sent(wechat_stub)) == config.message_attempts


def test_wechat_limiting_our_rate_waits_longer_than_a_busy_answer(client, places, wechat_stub):
    _report_taken_in_hand(client, places, wechat_stub, fault={"frequency": 1})
    with database.connection_context():
        waiting = OutboxMessage.get()
    assert waiting.status == "pending" and waiting.errcode == 45009
    assert (waiting.next_attempt_at - clock.now()).total_seconds() >= 4 * 30 * 0.8 - 1


def test_no_subscription_left_is_refused_and_final(app, client, places, wechat_stub):
    _report_taken_in_hand(client, places, wechat_stub, subscribed=0)
    assert _messages() == [("report.in_hand", "refused", 1)]
    clock.travel(timedelta(hours=2))
    with app.app_context():
        engine.pick_up_messages()
    assert len(_sent(wechat_stub)) == 1


def test_an_admin_sees_the_outbox_of_their_scope(client, make, places, wechat_stub):
    wechat_stub.control("faults", {"busy": 1})
    make.shop("owner", places["street_b"])  # its approval tells its owner: busy, pending
    district = client.login("district_admin").get("/api/v1/admin/outbox/stats").get_json()
    assert district["by_status"] == {
        "pending": 1,
        "sent": 0,
        "refused": 0,
        "failed": 0,
        "withdrawn": 0,
    }
    assert district["by_template"] == {"tmpl_shop_membership": {"pending": 1}}
    assert district["oldest_pending_seconds"] >= 0
    street_a = client.login("street_admin").get("/api/v1/admin/outbox/stats").get_json()
    assert street_a["by_status"]["pending"] == 0 and street_a["by_template"] == {}
    refused = client.login("cadre_a").get("/api/v1/admin/outbox/stats")
    assert refused.status_code == 403 and error_keys(refused) == ["role_required"]


def test_the_outbox_command_prints_the_same_counts(app, make, places, wechat_stub):
    wechat_stub.control("faults", {"busy": 1})
    make.shop("owner", places["street_b"])
    output = app.test_cli_runner().invoke(args=["outbox"]).output
    assert "pending: 1 sent: 0 refused: 0 failed: 0 withdrawn: 0" in output
    assert "tmpl_shop_membership: pending 1" in output


def test_with_the_queue_down_a_change_succeeds_and_its_message_waits_for_the_pick_up(
    config, places, wechat_stub
):
    down = create_app(config.replace(task_queue_url="redis://127.0.0.1:9/0"))
    # Readiness says so, and still takes traffic: requests do not need the queue.
    ready = down.test_client().get("/readyz")
    assert ready.status_code == 200 and ready.get_json() == {"status": "ok", "queue": "unreachable"}
    _report_taken_in_hand(ApiClient(down), places, wechat_stub)  # 200, asserted inside
    assert _messages() == [("report.in_hand", "pending", 0)]
    assert _sent(wechat_stub) == []
    back = create_app(config)  # the queue is back (memory://, delivering at once)
    clock.travel(timedelta(minutes=3))
    with back.app_context():
        engine.pick_up_messages()
    assert _messages() == [("report.in_hand", "sent", 1)]


def test_a_second_task_for_a_message_waiting_out_its_backoff_does_nothing(
    app, client, places, wechat_stub
):
    _report_taken_in_hand(client, places, wechat_stub, fault={"busy": 1})
    with database.connection_context():
        message_id = OutboxMessage.get().id
    with app.app_context():
        engine.deliver_message(message_id)  # a duplicate task, early: the backoff holds
    assert _messages() == [("report.in_hand", "pending", 1)]
    assert len(_sent(wechat_stub)) == 1


# -- the real worker, on each queue ------------------------------------------------------
def start_worker(config, log: Path, threads: int = 2, **settings: str) -> subprocess.Popen:
    """`citycode worker` as an operator runs it, on `config`'s database, queue and stub
    (`settings`: more environment). Its output goes to `log`: a pipe nobody reads would
    block a worker that logs much."""
    env = {
        **os.environ,
        "DATABASE_URL": config.database_url,
        "TASK_QUEUE_URL": config.task_queue_url,
        "TASK_QUEUE_NAME": config.task_queue_name,
        "WECHAT_API_BASE": config.wechat_api_base,
        "WECHAT_APPID": config.wechat_appid,
        "WECHAT_SECRET": config.wechat_secret,
        "WECHAT_MESSAGES_PER_SECOND": str(config.wechat_messages_per_second),
        "RATELIMIT_STORAGE_URI": config.ratelimit_storage_uri,
        "KEY_ENCRYPTION_KEY": config.key_encryption_key,
        "CITYCODE_ENV": "development",
        "LOG_LEVEL": "WARNING",
        **settings,
    }
    with log.open("ab") as output:
        return subprocess.Popen(
            [str(Path(sys.executable).parent / "citycode"), "worker", "--threads", str(threads)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def _wait_for(condition, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_a_message_committed_while_no_worker_runs_arrives_once_it_starts(
    config, places, wechat_stub, tmp_path, backend
):
    if backend == "redis":
        _redis_or_skip()
        queue_url = REDIS_URL
    else:
        queue_url = f"sqlite:///{tmp_path / 'tasks.db'}"
    queue_name = f"citycode-test-{uuid.uuid4().hex[:8]}"
    queued = config.replace(task_queue_url=queue_url, task_queue_name=queue_name)
    client = ApiClient(create_app(queued))
    _report_taken_in_hand(client, places, wechat_stub)
    assert _messages() == [("report.in_hand", "pending", 0)]
    assert _sent(wechat_stub) == []  # the request did not wait on WeChat

    log = tmp_path / "worker.log"
    worker = start_worker(queued, log)
    try:
        assert _wait_for(lambda: _messages() == [("report.in_hand", "sent", 1)]), (
            _messages(),
            log.read_text(errors="replace")[-3000:],
        )
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        if backend == "redis":
            engine.huey.storage.flush_all()
    assert [s["body"]["touser"] for s in _sent(wechat_stub)] == ["oStub_alice"]


def test_the_purge_deletes_messages_final_for_half_a_year_and_keeps_the_pending(app, wechat_stub):
    def tell(openid: str, subscribed: bool = True) -> None:
        if subscribed:
            wechat_stub.control(
                "subscriptions", {"openid": openid, "template_id": REPORT_TEMPLATE, "count": 1}
            )
        with app.app_context(), database.connection_context(), write_transaction():
            user = User.create(openid=openid)
            notify.send(user, None, REPORT_TEMPLATE, "report.in_hand", {"thing1": openid})

    tell("oOld_sent")
    tell("oOld_refused", subscribed=False)
    wechat_stub.control("faults", {"busy": 1})
    tell("oOld_pending")
    clock.travel(notify.FINAL_KEPT + timedelta(days=1))
    tell("oNew_sent")

    result = app.test_cli_runner().invoke(args=["purge"])

    assert result.exit_code == 0, result.output
    assert "messages: 2" in result.output
    with database.connection_context():
        left = {(m.user.openid, m.status) for m in OutboxMessage.select()}
    assert left == {("oOld_pending", "pending"), ("oNew_sent", "sent")}
