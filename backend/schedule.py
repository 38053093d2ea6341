"""One run per moment of a periodic task's schedule, across every worker.

huey runs the schedule in every consumer, so with two worker machines every sweep, every
expiry notice and every export would run twice. A run is claimed first, in the database
every worker shares: one row per task and moment (`ScheduledRun`, unique), so the first
worker to insert it runs the task and every other skips it. The claim is a lease: a
worker that dies half-way leaves its run unfinished, and once the lease has passed
`resume_abandoned` (every minute, on any worker) claims it again and runs the task once
more. The tasks are written to be run again (each finding is noted once, in the same
transaction as its message), so a resumed run sends only what the dead one had not.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import peewee as pw

from backend import clock
from backend.db import write_transaction
from backend.models import ScheduledRun

log = logging.getLogger(__name__)

# Longer than any periodic task runs; a run past it is taken for dead and run again.
LEASE = timedelta(minutes=30)
# How far back the moment a run is for is looked for: a task's schedule repeats within a
# week, and one queued longer than that is for a moment long gone anyway.
LOOKBACK_MINUTES = 7 * 24 * 60
# Runs are kept this long, for an operator to see what ran where.
KEPT = timedelta(days=14)


def holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def moment(schedule: Callable[[datetime], bool], now: datetime) -> datetime:
    """The latest minute up to `now` that `schedule` (a huey crontab, which reads naive
    UTC) names: the moment a run started at `now` is for, however long it waited in the
    queue."""
    minute = now.astimezone(UTC).replace(tzinfo=None, second=0, microsecond=0)
    for _ in range(LOOKBACK_MINUTES):
        if schedule(minute):
            return minute.replace(tzinfo=UTC)
        minute -= timedelta(minutes=1)
    return now.astimezone(UTC).replace(second=0, microsecond=0)


def claim(task: str, slot: datetime, lease: timedelta = LEASE) -> bool:
    """Whether this worker runs `task` for `slot`: only the first to ask does."""
    now = clock.now()
    with write_transaction():
        inserted = (
            ScheduledRun.insert(task=task, slot=slot, holder=holder(), lease_until=now + lease)
            .on_conflict_ignore()
            .as_rowcount()
            .execute()
        )
    if not inserted:
        log.info("%s for %s is another worker's run", task, slot.isoformat())
    return bool(inserted)


def finish(task: str, slot: datetime) -> None:
    with write_transaction():
        ScheduledRun.update(finished_at=clock.now()).where(
            (ScheduledRun.task == task) & (ScheduledRun.slot == slot)
        ).execute()


def run_once(
    task: str,
    schedule: Callable[[datetime], bool],
    function: Callable[[], object],
    lease: timedelta = LEASE,
):
    """Run `function` for the moment of `schedule` now, unless another worker has; a run
    longer than `lease` is taken for dead and run again."""
    slot = moment(schedule, clock.now())
    if not claim(task, slot, lease):
        return None
    result = function()
    finish(task, slot)
    return result


def resume_abandoned(
    tasks: dict[str, Callable[[], object]], leases: dict[str, timedelta] | None = None
) -> list[str]:
    """Run again each run whose worker died before finishing it (its lease passed); the
    tasks run, by name, each with its own lease (LEASE unless `leases` says). Each is
    claimed by one worker: the one whose update took it."""
    now = clock.now()
    resumed = []
    abandoned = ScheduledRun.select().where(
        ScheduledRun.finished_at.is_null() & (ScheduledRun.lease_until < now)
    )
    for run in abandoned:
        with write_transaction():
            taken = (
                ScheduledRun.update(
                    holder=holder(), lease_until=now + (leases or {}).get(run.task, LEASE)
                )
                .where((ScheduledRun.id == run.id) & (ScheduledRun.lease_until == run.lease_until))
                .execute()
            )
        if not taken or run.task not in tasks:
            continue
        log.warning("resuming %s for %s, left unfinished by %s", run.task, run.slot, run.holder)
        tasks[run.task]()
        finish(run.task, run.slot)
        resumed.append(run.task)
    return resumed


def last_finished() -> dict[str, datetime]:
    """Each periodic task's latest run that finished: an alert fires on one gone quiet."""
    latest = pw.fn.MAX(ScheduledRun.finished_at)
    rows = (
        ScheduledRun.select(ScheduledRun.task, latest.alias("at"))
        .where(ScheduledRun.finished_at.is_null(False))
        .group_by(ScheduledRun.task)
        .tuples()
    )
    return {task: ScheduledRun.finished_at.python_value(at) for task, at in rows}


def longest_gap(schedule: Callable[[datetime], bool]) -> timedelta:
    """The longest time between two moments of `schedule` over a week: how late a run of
    it may be before it is missed."""
    start = datetime(2026, 1, 5)  # a Monday; a huey crontab reads naive UTC
    moments = [
        minute
        for minute in (start + timedelta(minutes=n) for n in range(LOOKBACK_MINUTES))
        if schedule(minute)
    ]
    if len(moments) < 2:
        return timedelta(minutes=LOOKBACK_MINUTES)
    wrapped = moments + [moments[0] + timedelta(minutes=LOOKBACK_MINUTES)]
    return max(later - earlier for earlier, later in zip(wrapped, wrapped[1:], strict=False))


def purge(now: datetime) -> int:
    return ScheduledRun.delete().where(ScheduledRun.slot < now - KEPT).execute()
