"""一公开: a drawn plan's results reach the public within 20 working days of each
inspection (国办发〔2015〕58号). The plan's admin publishes the results once they have
checked them; the day each is due is set when the inspection fulfils its task, and a
daily check marks any result still unpublished after that day, for supervision
(tasks.unpublished_in_scope lists them)."""

from __future__ import annotations

from datetime import timedelta

from backend import audit, clock
from backend.db import write_transaction
from backend.models import Inspection, SamplingPlan, SamplingTask, StaffAccount
from backend.workdays import calendar

PUBLISH_WITHIN_WORKING_DAYS = 20


def due_on(inspection: Inspection):
    """The last day its result may reach the public: the 20th working day after it."""
    deadline = calendar().after(inspection.recorded_at, PUBLISH_WITHIN_WORKING_DAYS)
    return clock.local_date(deadline - timedelta(microseconds=1))


def publish(staff: StaffAccount, plan: SamplingPlan) -> int:
    """Publish every result of the plan done and not yet published; how many."""
    with write_transaction():
        published = (
            SamplingTask.update(published_at=clock.now())
            .where(
                (SamplingTask.plan == plan)
                & SamplingTask.done_at.is_null(False)
                & SamplingTask.published_at.is_null()
            )
            .execute()
        )
        audit.record(
            "sampling_plan.published",
            "sampling_plan",
            plan.public_id,
            plan.region_path,
            staff=staff,
            detail={"results": published},
        )
    return published


def flag_late(today=None) -> int:
    """Mark the results past their day and still unpublished, once each; how many."""
    today = today or clock.today_local()
    with write_transaction():
        return (
            SamplingTask.update(published_late_on=today)
            .where(
                SamplingTask.published_at.is_null()
                & SamplingTask.published_late_on.is_null()
                & (SamplingTask.publish_by < today)
            )
            .execute()
        )
