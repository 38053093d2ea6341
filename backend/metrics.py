"""Prometheus metrics: what each process counts, and what /metrics reads at scrape time.

Counts and latencies are kept per process by prometheus_client. Under gunicorn each
worker writes its own into memory-mapped files in PROMETHEUS_MULTIPROC_DIR
(gunicorn.conf.py sets it), and /metrics, served by whichever worker the scrape reaches,
adds up every worker's files. The background engine's worker serves its own counts on
a port of its own (`citycode worker --metrics-port`).

The state of the work (outbox, queue, schedule, work orders, readiness) is read from the
database and the queue at scrape time, by the web: it is right whichever process wrote
it, and still reported when the engine's worker is down, which is when it matters.

No label carries personal data or a user's id: routes are templates (`/s/{code}`),
departments are departments.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import logging
import os
import re
import time

from flask import g, request
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)

log = logging.getLogger(__name__)

# From a cached scan (a few ms) to a request at its deadline.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
TASK_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0)

REQUESTS = Counter(
    "citycode_http_requests", "Requests answered, by route template", ["route", "method", "status"]
)
LATENCY = Histogram(
    "citycode_http_request_duration_seconds",
    "Time from a request's first hook to its answer",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
POOL_IN_USE = Gauge(
    "citycode_db_pool_connections_in_use",
    "Pooled database connections lent to requests and tasks",
    multiprocess_mode="livesum",
)
POOL_WAITS = Counter("citycode_db_pool_waits", "Times a request found every pooled connection busy")
POOL_WAIT_SECONDS = Counter(
    "citycode_db_pool_wait_seconds", "Time spent waiting for a pooled connection"
)
LOGINS = Counter("citycode_logins", "WeChat logins, by outcome", ["outcome"])
RESIDENT_CODE_CHECKS = Counter(
    "citycode_resident_code_verifications",
    "Resident codes checked at a gate, by outcome",
    ["outcome"],
)
STORAGE_ERRORS = Counter(
    "citycode_storage_errors", "File storage failures, by operation", ["operation"]
)
TASKS = Counter("citycode_engine_tasks", "Background tasks run, by outcome", ["task", "outcome"])
TASK_SECONDS = Histogram(
    "citycode_engine_task_duration_seconds",
    "Time a background task ran",
    ["task"],
    buckets=TASK_BUCKETS,
)
DELIVERIES = Counter(
    "citycode_outbox_deliveries",
    "Tries to send an outbox message: sent, refused, failed (for good) or retry (later)",
    ["outcome"],
)

_RULE_VARIABLE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


@functools.lru_cache(maxsize=1024)
def route_of(rule: str | None) -> str:
    """A Flask rule as its OpenAPI template: `/s/<scanned:code>` → `/s/{code}`."""
    return _RULE_VARIABLE.sub(r"{\1}", rule) if rule else "unmatched"


# Any other token a client sends as its method is "other": labels are not the client's to make.
METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))


def observe_request(rule: str | None, method: str, status: int, seconds: float) -> None:
    route = route_of(rule)
    method = method if method in METHODS else "other"
    REQUESTS.labels(route, method, str(status)).inc()
    LATENCY.labels(route, method).observe(seconds)


def init_app(app) -> None:
    """Count and time every request the app answers. First of the app's hooks, so the time
    includes sign-in and rate limits; last of its after-hooks, so the status is final."""

    @app.before_request
    def _start_clock():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response):
        started = g.get("metrics_started")
        if started is not None:
            rule = request.url_rule.rule if request.url_rule is not None else None
            seconds = time.perf_counter() - started
            observe_request(rule, request.method, response.status_code, seconds)
        return response


def observe_task(task: str, ok: bool, seconds: float) -> None:
    TASKS.labels(task, "ok" if ok else "error").inc()
    TASK_SECONDS.labels(task).observe(seconds)


def exposition(*collectors) -> bytes:
    """The text a scrape gets: every process's counts (every worker's files under
    gunicorn, else this process's own) and `collectors`' readings."""
    registry = CollectorRegistry()
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        multiprocess.MultiProcessCollector(registry, path=directory)
    else:
        registry.register(_ThisProcess())
    for collector in collectors:
        registry.register(collector)
    return generate_latest(registry)


class _ThisProcess:
    def collect(self):
        return REGISTRY.collect()


def serve_worker(host: str, port: int) -> None:
    """The engine's worker's own counts, on their own port (0: none). A port taken leaves
    the worker without metrics, not without its work."""
    if not port:
        return
    try:
        start_http_server(port, addr=host)
    except OSError as exc:
        log.warning("worker metrics not served on %s:%s: %s", host, port, exc)
        return
    log.info("worker metrics on http://%s:%s/metrics", host, port)


def allowed(remote: str | None, authorization: str | None, networks, token: str) -> bool:
    """Whether a scrape may read /metrics: from one of `networks` (`remote` is the socket's
    peer, never what X-Forwarded-For claims), or with the bearer `token` when one is
    configured."""
    bearer = authorization or ""
    if (
        token
        and bearer.startswith("Bearer ")
        and hmac.compare_digest(bearer[7:].encode(), token.encode())
    ):
        return True
    try:
        address = ipaddress.ip_address(remote or "")
    except ValueError:
        return False
    return any(address in network for network in networks)
