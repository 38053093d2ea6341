"""Each moment of a periodic task's schedule is run once, however many workers run the
schedule; a run its worker left half-way is run again, sending nothing twice."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from huey import crontab

from backend import clock, engine, schedule
from backend.db import database
from backend.models import LifecycleEvent, OutboxMessage, ScheduledRun


@pytest.fixture
def shop(make):
    places = make.region_tree()
    return make.shop("owner", places["street_a"])


def _runs(task):
    with database.connection_context():
        return list(ScheduledRun.select().where(ScheduledRun.task == task))


def _licence_notes():
    with database.connection_context():
        return OutboxMessage.select().where(OutboxMessage.template == "tmpl_licence_expiry").count()


def _expiring_noted():
    with database.connection_context():
        return LifecycleEvent.select().where(LifecycleEvent.type == "licence.expiring").count()


def test_a_run_is_for_the_latest_moment_its_schedule_names():
    nightly = crontab(minute="10", hour="18")
    assert schedule.moment(nightly, datetime(2026, 12, 7, 18, 12, 30, tzinfo=UTC)) == datetime(
        2026, 12, 7, 18, 10, tzinfo=UTC
    )
    assert schedule.moment(nightly, datetime(2026, 12, 7, 18, 9, tzinfo=UTC)) == datetime(
        2026, 12, 6, 18, 10, tzinfo=UTC
    )
    every_minute = crontab(minute="*")
    assert schedule.moment(every_minute, datetime(2026, 12, 7, 3, 4, 59, tzinfo=UTC)) == datetime(
        2026, 12, 7, 3, 4, tzinfo=UTC
    )


def test_of_two_workers_that_reach_one_moment_only_the_first_runs_it(app):
    ran = []
    with app.app_context(), database.connection_context():
        for _ in range(2):  # two consumers, each having enqueued the same moment's run
            schedule.run_once("count", crontab(minute="*"), lambda: ran.append(1))
        clock.travel(timedelta(minutes=1))
        schedule.run_once("count", crontab(minute="*"), lambda: ran.append(1))
    assert ran == [1, 1]
    first, second = _runs("count")
    assert second.slot - first.slot == timedelta(minutes=1)
    assert first.finished_at is not None and second.finished_at is not None


def test_the_engine_runs_the_nightly_sweep_once_though_two_workers_enqueue_it(
    app, make, shop, caplog
):
    caplog.set_level(logging.INFO, logger="backend.schedule")
    make.licence(shop, clock.today_local() + timedelta(days=10))
    with app.app_context():
        engine.sweep_licences_daily()
        engine.sweep_licences_daily()
    (run,) = _runs("sweep_licences_daily")
    assert run.slot.hour == 18 and run.slot.minute == 10
    assert "is another worker's run" in caplog.text
    assert _licence_notes() == 1


def test_a_sweep_its_worker_left_half_way_is_run_again_and_sends_nothing_twice(app, make, shop):
    today = clock.today_local()
    make.licence(shop, today + timedelta(days=10), number="JY0000000001")
    with app.app_context():
        engine.sweep_licences_daily()
    with database.connection_context():
        # The worker died before the end: its run is unfinished, and a licence it had not
        # reached yet waits.
        ScheduledRun.update(finished_at=None).execute()
    make.licence(shop, today + timedelta(days=20), number="JY0000000002")
    with app.app_context():
        engine.resume_abandoned_runs()  # its lease has not passed: the worker may live
    assert _licence_notes() == 1
    clock.travel(schedule.LEASE + timedelta(minutes=1))
    with app.app_context():
        engine.resume_abandoned_runs()
        clock.travel(timedelta(minutes=1))
        engine.resume_abandoned_runs()  # nothing left to resume
    assert _licence_notes() == 2 and _expiring_noted() == 2
    run = next(r for r in _runs("sweep_licences_daily"))
    assert run.finished_at is not None and run.holder == schedule.holder()
    assert len(_runs("resume_abandoned_runs")) == 3


def test_the_nightly_backup_running_for_hours_is_not_taken_for_dead(app, config, tmp_path):
    app.config["CITYCODE"] = config.replace(backup_dir=str(tmp_path / "backups"))
    with app.app_context():
        engine.backup_daily()
    with database.connection_context():
        ScheduledRun.update(finished_at=None).where(ScheduledRun.task == "backup_daily").execute()
    clock.travel(timedelta(hours=1))  # a sweep's lease long passed; the backup's has not
    with app.app_context():
        engine.resume_abandoned_runs()
    assert len(list((tmp_path / "backups").iterdir())) == 1
    clock.travel(timedelta(hours=6))
    with app.app_context():
        engine.resume_abandoned_runs()
    assert len(list((tmp_path / "backups").iterdir())) == 2
