"""/metrics: counts that add up across gunicorn's workers, labels without personal data,
the state of the work read from the database, and who may read them."""

from __future__ import annotations

import io
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from backend import clock, create_app
from backend.clock import SHANGHAI
from backend.db import database, write_transaction
from backend.models import OutboxMessage, ScheduledRun, User
from tests import test_work_orders
from tests.factories import ApiClient, error_keys
from tests.served import free_port, serve
from tests.test_storage import _png
from tests.test_work_orders import _refer

city, rules = test_work_orders.city, test_work_orders.rules


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of an exposition, by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, frozenset(labels.items())), 0.0)


def scrape(client, **environ) -> str:
    answer = client.http.get("/metrics", environ_base=environ)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_data(as_text=True)


SCAN = "/s/{code}"  # the page a phone camera opens, without a sign-in


@pytest.mark.once
def test_counts_add_up_across_workers_and_outlive_a_worker(
    database_url, wechat_stub_url, make, tmp_path
):
    shop = make.shop("owner", make.region_tree()["street_a"])
    code = make.code_of(shop)
    served = serve(database_url, tmp_path, wechat_stub_url, workers=3)
    try:
        with ThreadPoolExecutor(12) as pool:
            found = list(pool.map(lambda _: served.get(f"/s/{code}").status_code, range(90)))
            missing = list(pool.map(lambda _: served.get("/s/ZZZZZZZZ").status_code, range(9)))
        assert found == [200] * 90 and set(missing) == {404}
        # The master wrote files of its own at import (preload): only workers count here.
        counted_by = {
            int(name.rsplit("_", 1)[1].removesuffix(".db"))
            for name in os.listdir(served.home / "instance" / "metrics")
            if name.startswith("counter_")
        } - {served.process.pid}
        assert len(counted_by) >= 2, counted_by  # the traffic was spread, and summed below

        # A worker that served some of it recycled (as max_requests does): its counts stay.
        recycled = sorted(counted_by & set(served.worker_pids()))[0]
        os.kill(recycled, signal.SIGTERM)
        deadline = time.monotonic() + 20
        while recycled in served.worker_pids() or len(served.worker_pids()) < 3:
            assert time.monotonic() < deadline, "gunicorn did not replace the worker"
            time.sleep(0.1)
        text = served.get("/metrics").text
    finally:
        served.stop()
    assert value(text, "citycode_http_requests_total", route=SCAN, method="GET", status="200") == 90
    assert value(text, "citycode_http_requests_total", route=SCAN, method="GET", status="404") == 9
    assert (
        value(text, "citycode_http_request_duration_seconds_count", route=SCAN, method="GET") == 99
    )
    # A scan answered within 5 s lands in the buckets the scan's alert reads.
    assert (
        value(
            text,
            "citycode_http_request_duration_seconds_bucket",
            route=SCAN,
            method="GET",
            le="5.0",
        )
        == 99
    )
    # Routes are templates: no code, and so no shop, in any label.
    assert code not in text and "ZZZZZZZZ" not in text


def test_metrics_are_served_only_to_the_allowed_networks_or_the_token(config):
    client = ApiClient(create_app(config.replace(metrics_token="scraper-secret-7f3a")))
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    refused = client.http.get(
        "/metrics", environ_base=outside, headers={"Accept-Language": "zh-CN"}
    )
    assert refused.status_code == 403 and error_keys(refused) == ["metrics_forbidden"]
    assert "指标" in refused.get_json()["message"]
    wrong = client.http.get(
        "/metrics", environ_base=outside, headers={"Authorization": "Bearer scraper-secret-7f3b"}
    )
    assert wrong.status_code == 403
    right = client.http.get(
        "/metrics", environ_base=outside, headers={"Authorization": "Bearer scraper-secret-7f3a"}
    )
    assert right.status_code == 200 and "citycode_database_up 1.0" in right.get_data(as_text=True)
    assert right.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    # Loopback by default, a token or not.
    assert client.http.get("/metrics").status_code == 200


def test_a_forwarded_for_header_does_not_make_a_stranger_local(config):
    behind_proxy = ApiClient(create_app(config.replace(proxy_hops=1)))
    forged = behind_proxy.http.get(
        "/metrics",
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
        headers={"X-Forwarded-For": "127.0.0.1"},
    )
    assert forged.status_code == 403 and error_keys(forged) == ["metrics_forbidden"]
    spec = behind_proxy.http.get("/api/openapi.json").get_json()
    assert spec["paths"]["/metrics"]["get"]["security"] == [{"metricsToken": []}, {}]


def test_made_up_methods_make_no_labels_of_their_own(client):
    for method in ("BREW", "PROPFIND", "XYZZY"):
        client.http.open("/s/ABCDEFGHJK", method=method)
    text = scrape(client)
    assert "BREW" not in text and "XYZZY" not in text
    # The route's methods are GET and HEAD: a 405 matches no route.
    assert (
        value(text, "citycode_http_requests_total", route="unmatched", method="other", status="405")
        >= 3
    )


def test_an_operator_sets_the_networks_allowed(config):
    from backend.config import Config

    os.environ["METRICS_ALLOW"] = "10.20.0.0/16, 192.168.1.7/32"
    try:
        allowed = Config.from_env().metrics_allow
    finally:
        del os.environ["METRICS_ALLOW"]
    client = ApiClient(create_app(config.replace(metrics_allow=allowed)))
    assert client.http.get("/metrics", environ_base={"REMOTE_ADDR": "10.20.3.4"}).status_code == 200
    assert client.http.get("/metrics", environ_base={"REMOTE_ADDR": "10.21.3.4"}).status_code == 403
    assert client.http.get("/metrics").status_code == 403  # loopback is no longer among them


def test_the_outbox_and_the_schedule_are_read_at_scrape_time(app, client):
    now = clock.now()
    with app.app_context(), database.connection_context(), write_transaction():
        user = User.create(openid="oMetrics", created_at=now)
        for minutes_ago, status in ((12, "pending"), (3, "pending"), (30, "sent")):
            OutboxMessage.create(
                user=user,
                template="tmpl_report_progress",
                subject="report.in_hand",
                status=status,
                data="{}",
                created_at=now - timedelta(minutes=minutes_ago),
                next_attempt_at=now,
            )
        ScheduledRun.create(
            task="sweep_work_orders",
            slot=now - timedelta(minutes=20),
            holder="a:1",
            lease_until=now,
            finished_at=now - timedelta(minutes=19),
        )
        ScheduledRun.create(  # still running: not a success yet
            task="sweep_work_orders",
            slot=now - timedelta(minutes=10),
            holder="a:1",
            lease_until=now,
        )
    text = scrape(client)
    assert value(text, "citycode_outbox_messages", status="pending") == 2
    assert 12 * 60 <= value(text, "citycode_outbox_oldest_pending_seconds") < 13 * 60
    finished = value(
        text, "citycode_periodic_task_last_success_timestamp_seconds", task="sweep_work_orders"
    )
    assert finished == pytest.approx((now - timedelta(minutes=19)).timestamp(), abs=1)
    assert value(text, "citycode_periodic_task_interval_seconds", task="sweep_work_orders") == 600
    assert value(text, "citycode_periodic_task_interval_seconds", task="purge_daily") == 86400
    assert value(text, "citycode_database_up") == 1 and value(text, "citycode_ready") == 1


def test_open_and_overdue_work_orders_are_counted_by_department(app, client, city, rules):
    clock.travel(datetime(2026, 9, 30, 10, tzinfo=SHANGHAI) - clock.now())
    number = _refer(client, "inspector", "litter", rules["community_a"].code)["number"]
    _refer(client, "inspector", "litter", rules["community_a"].code)
    clock.travel(datetime(2026, 10, 9, 0, 1, tzinfo=SHANGHAI) - clock.now())
    client.login("squad_lead").post(f"/api/v1/admin/work-orders/{number}/sign")
    assert app.test_cli_runner().invoke(args=["sweep-work-orders"]).exit_code == 0
    text = scrape(client)
    squad = {"department_id": str(city["squad"].id), "department": city["squad"].name}
    assert value(text, "citycode_work_orders_open", **squad) == 2
    assert value(text, "citycode_work_orders_overdue", **squad) == 1
    assert "citycode_work_orders_open" in text and city["market"].name not in text


def test_logins_are_counted_by_outcome_and_the_rate_limited_apart(config, wechat_stub):
    client = ApiClient(create_app(config.replace(ratelimit_login="3 per minute")))
    before = scrape(client)
    answers = [
        client.post("/api/v1/auth/login", json={"code": code}).status_code
        for code in ("metrics.one", "metrics.two", "invalid-code", "metrics.three")
    ]
    assert answers == [200, 200, 401, 429]
    after = scrape(client)
    for outcome, more in (("ok", 2), ("refused", 1), ("rate_limited", 1)):
        grown = value(after, "citycode_logins_total", outcome=outcome) - value(
            before, "citycode_logins_total", outcome=outcome
        )
        assert grown == more, outcome
    assert "metrics.one" not in after and "oStub" not in after  # no one's identity


def test_a_full_disk_is_a_503_and_counted_as_a_storage_error(config, make, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the uploads folder should be")
    client = ApiClient(create_app(config.replace(upload_dir=str(blocked / "uploads"))))
    shop = make.shop("owner", make.region_tree()["street_a"])
    before = value(scrape(client), "citycode_storage_errors_total", operation="write")
    owner = client.login("owner")
    sent = owner.post(
        f"/api/v1/merchant/shops/{shop.public_id}/uploads",
        data={"file": (io.BytesIO(_png()), "licence.png")},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 503 and error_keys(sent) == ["storage_unavailable"]
    assert value(scrape(client), "citycode_storage_errors_total", operation="write") == before + 1


def test_resident_codes_checked_at_a_gate_are_counted_by_outcome(app, client, places):
    code = client.login("alice").get("/api/v1/resident/code").get_json()["code"]
    cadre = client.login("cadre_a")
    before = scrape(client)
    outcomes = [
        cadre.post("/api/v1/admin/resident-codes/verify", json={"code": sent}).get_json()["reason"]
        for sent in (code, code, "SQR1:not-a-code")
    ]
    assert outcomes == ["ok", "replayed", "malformed"]
    after = scrape(client)
    for outcome in ("ok", "replayed", "malformed"):
        grown = value(after, "citycode_resident_code_verifications_total", outcome=outcome) - value(
            before, "citycode_resident_code_verifications_total", outcome=outcome
        )
        assert grown == 1, outcome
    assert code.split(":", 1)[1][:20] not in after


def test_the_engines_worker_serves_its_own_counts(config, places, wechat_stub, tmp_path):
    from tests.test_outbox import _report_taken_in_hand, _wait_for, start_worker

    queued = config.replace(task_queue_url=f"sqlite:///{tmp_path / 'tasks.db'}")
    _report_taken_in_hand(ApiClient(create_app(queued)), places, wechat_stub)
    port = free_port()
    worker = start_worker(queued, tmp_path / "worker.log", WORKER_METRICS_PORT=str(port))

    def delivered() -> str:
        try:
            text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
        except requests.RequestException:
            return ""
        return text if value(text, "citycode_outbox_deliveries_total", outcome="sent") else ""

    try:
        assert _wait_for(delivered), (tmp_path / "worker.log").read_text(errors="replace")[-3000:]
        text = delivered()
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert value(text, "citycode_outbox_deliveries_total", outcome="sent") == 1
    assert value(text, "citycode_engine_tasks_total", task="deliver_message", outcome="ok") == 1
    assert value(text, "citycode_engine_task_duration_seconds_count", task="deliver_message") == 1
