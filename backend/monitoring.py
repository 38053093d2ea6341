"""The state of the work, read at scrape time: whether the database answers, the outbox,
the engine's queue and schedule, and the work orders' SLA by department.

Every web instance reports the same readings (they come from the one database), so
alert rules and dashboards take their max across instances, not their sum.
"""

from __future__ import annotations

import logging

from prometheus_client.core import GaugeMetricFamily

from backend import engine, notify, schedule, tokens
from backend.db import database
from backend.i18n import N_
from backend.workorders import sla

log = logging.getLogger(__name__)


DATABASE_DOWN = ("database_unavailable", N_("database unavailable"))
NO_KEYS = ("no_signing_keys", N_("no signing keys yet; run citycode rotate-keys"))
UNKNOWN = ("unknown", "")


def unready() -> tuple[str, str] | None:
    """Why this instance should take no traffic now (a key and its message), or None:
    the database answers and the keys are there. What /readyz says, and citycode_ready."""
    try:
        database.execute_sql("SELECT 1")
    except Exception:  # noqa: BLE001  any failure of the database means it is not up
        log.info("readiness: the database did not answer", exc_info=True)
        return DATABASE_DOWN
    # Production is given its keys (`citycode rotate-keys`); until then it signs nothing.
    if not tokens.key_set().ready():
        return NO_KEYS
    return None


class StateOfWork:
    """A prometheus_client collector; each reading a query or two, none per row."""

    def collect(self):
        try:
            why = unready()
        except Exception:  # noqa: BLE001  a reading lost is a gap in a graph, not a failed scrape
            log.warning("readiness not read", exc_info=True)
            why = UNKNOWN
        database_up = why is None or why[0] != DATABASE_DOWN[0]
        yield _gauge("citycode_database_up", "The database answered this scrape", database_up)
        yield _gauge("citycode_ready", "What /readyz says: 1 ready, 0 not", why is None)
        yield from self._queue()
        if not database_up:
            return
        try:
            yield from self._outbox()
            yield from self._schedule()
            yield from self._work_orders()
        except Exception:  # noqa: BLE001  a reading lost is a gap in a graph, not a failed scrape
            log.warning("state of work not read", exc_info=True)

    @staticmethod
    def _queue():
        try:
            length = engine.queue_length()
        except Exception:  # noqa: BLE001  reported by /readyz; the gauge is absent
            return
        yield _gauge("citycode_engine_queue_length", "Tasks waiting in the engine's queue", length)

    @staticmethod
    def _outbox():
        # Only what waits: a count by every status would read the whole outbox (half a
        # year of messages) at every scrape; what became of them the worker counts
        # (citycode_outbox_deliveries_total).
        waiting, oldest_seconds = notify.pending_summary()
        pending = GaugeMetricFamily(
            "citycode_outbox_messages", "Outbox messages still to send", labels=["status"]
        )
        pending.add_metric(["pending"], waiting)
        yield pending
        yield _gauge(
            "citycode_outbox_oldest_pending_seconds",
            "How long the oldest message still to send has waited",
            oldest_seconds,
        )

    @staticmethod
    def _schedule():
        last = GaugeMetricFamily(
            "citycode_periodic_task_last_success_timestamp_seconds",
            "When each periodic task last finished a run (Unix time)",
            labels=["task"],
        )
        for task, finished in schedule.last_finished().items():
            last.add_metric([task], finished.timestamp())
        yield last
        interval = GaugeMetricFamily(
            "citycode_periodic_task_interval_seconds",
            "The longest gap between two runs of each periodic task's schedule",
            labels=["task"],
        )
        for task, seconds in engine.periodic_intervals().items():
            interval.add_metric([task], seconds)
        yield interval

    @staticmethod
    def _work_orders():
        counts = sla.open_by_department()
        labels = ["department_id", "department"]
        open_orders = GaugeMetricFamily(
            "citycode_work_orders_open", "Open work orders by department", labels=labels
        )
        overdue = GaugeMetricFamily(
            "citycode_work_orders_overdue",
            "Open work orders past their deadline by department",
            labels=labels,
        )
        for department, (open_count, overdue_count) in sorted(counts.items()):
            open_orders.add_metric(list(department), open_count)
            overdue.add_metric(list(department), overdue_count)
        yield open_orders
        yield overdue


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=float(value))
