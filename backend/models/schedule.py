"""The runs of the engine's periodic tasks (backend/schedule.py)."""

from __future__ import annotations

import peewee as pw

from backend.models.base import BaseModel, UTCDateTimeField


class ScheduledRun(BaseModel):
    """One periodic task's run for one moment of its schedule: the worker that claimed it
    first runs it, every other worker skips it. A run whose lease passed unfinished (its
    worker died) is taken up again by another."""

    task = pw.CharField(max_length=64)
    slot = UTCDateTimeField()  # the moment of the schedule this run is for
    holder = pw.CharField(max_length=100)  # host:pid of the worker running it
    lease_until = UTCDateTimeField()
    finished_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "scheduled_run"
        indexes = ((("task", "slot"), True), (("finished_at", "lease_until"), False))
