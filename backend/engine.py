"""The background engine: huey's queue, the tasks the worker runs, and their schedule.

TASK_QUEUE_URL picks the queue: unset, a SQLite file beside the app's database (nothing
to install; one machine); `redis://…` for several workers on several machines sharing
one queue; `memory://` runs each task at once in the process that enqueues it, after the
commit that asked for it (the test suite's default, and one-off commands).

Every task runs in the app's context with a database connection, so a task is written
like any other code of the domain it calls.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

from huey import Huey, crontab
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from redis import ConnectionPool

from backend import metrics, notify, redisclient, schedule
from backend.config import INSTANCE_DIR
from backend.db import database, end_request
from backend.inspections.rectification import sweep_overdue
from backend.opendata import lives_export
from backend.policies import publishing
from backend.policies import push as policies_push
from backend.purge import purge
from backend.sampling import publication
from backend.shops import registry_check, registry_watch
from backend.sweeps import sweep_licences
from backend.workorders import sla

log = logging.getLogger(__name__)

# Longer than huey's blocking pop (a second) waits for a task to come.
CONSUMER_REDIS_TIMEOUT = 5.0

# Configured by init_app; until then, tasks enqueued go nowhere useful.
huey = Huey("citycode", results=False, utc=True, storage_class=MemoryStorage)
_apps: list = []


def queue_location(url: str, database_url: str) -> str:
    """Where the queue lives, said without a password: what /readyz and the CLI show."""
    if url.startswith("redis"):
        parts = urlparse(url)
        return f"redis://{parts.hostname}:{parts.port or 6379}{parts.path}"
    return url or f"sqlite:///{_sqlite_beside(database_url)}"


def _sqlite_beside(database_url: str) -> Path:
    if database_url.startswith("sqlite:///"):
        path = Path(database_url.removeprefix("sqlite:///"))
        return path.with_name(path.stem + "-tasks.db")
    return INSTANCE_DIR / "tasks.db"


def init_app(app) -> None:
    config = app.config["CITYCODE"]
    url = config.task_queue_url
    huey.immediate = url == "memory://"
    if url.startswith("redis"):
        huey.storage = _redis(config, config.redis_timeout)
    elif not huey.immediate:
        path = Path(url.removeprefix("sqlite:///")) if url else _sqlite_beside(config.database_url)
        path.parent.mkdir(parents=True, exist_ok=True)
        huey.storage = SqliteStorage(config.task_queue_name, filename=str(path))
    _apps[:] = [app]
    app.extensions["citycode.huey"] = huey
    breaker = QueueBreaker()
    app.extensions["citycode.deliver"] = breaker.guard(deliver_message)
    app.extensions["citycode.deliver_many"] = breaker.guard(deliver_messages)
    app.extensions["citycode.push_policy"] = breaker.guard(push_policy)
    app.extensions["citycode.build_lives"] = breaker.guard(build_lives_feed)


def _redis(config, timeout: float) -> RedisStorage:
    pool = ConnectionPool.from_url(config.task_queue_url, **redisclient.options(timeout))
    return RedisStorage(config.task_queue_name, connection_pool=pool)


def serve_as_consumer(config) -> None:
    """The worker waits on the queue a second at a time (huey's blocking pop): its
    connection may wait longer than a request's, which only ever puts a task on."""
    if config.task_queue_url.startswith("redis"):
        huey.storage = _redis(config, CONSUMER_REDIS_TIMEOUT)


class QueueBreaker:
    """After the queue failed to take a task, a process stops asking it for
    RETRY_SECONDS: a request that wrote a message does not wait on a queue that is down
    (the message is in the outbox, and the pick-up sends it), and the next request after
    that tries again."""

    RETRY_SECONDS = 5.0

    def __init__(self):
        self._down_until = 0.0

    def guard(self, task):
        def enqueue(*args):
            if not huey.immediate and time.monotonic() < self._down_until:
                raise QueueDown("the task queue failed lately")
            try:
                return task(*args)
            except Exception:
                self._down_until = time.monotonic() + self.RETRY_SECONDS
                raise

        return enqueue


class QueueDown(Exception):
    """The queue is not asked: it failed less than QueueBreaker.RETRY_SECONDS ago."""


def in_app(task):
    """Run `task` in the app's context, its connection handed back as a request's is
    (db.end_request): PostgreSQL's to the pool, which checks it before lending it again;
    SQLite's kept by its thread, since closing the last one checkpoints the log, a fifth
    of a message's time."""

    @functools.wraps(task)
    def run(*args, **kwargs):
        started, ok = time.perf_counter(), False
        with _apps[0].app_context():
            opened = database.is_closed()
            database.connect(reuse_if_open=True)
            try:
                result = task(*args, **kwargs)
                ok = True
                return result
            finally:
                if opened:
                    end_request()
                metrics.observe_task(task.__name__, ok, time.perf_counter() - started)

    return run


def reachable() -> bool:
    """Whether the queue answers: a worker can take what is enqueued."""
    try:
        huey.storage.queue_size()
    except Exception:  # noqa: BLE001  any failure of the queue's storage means no
        log.warning("task queue unreachable", exc_info=True)
        return False
    return True


def queue_length() -> int:
    return huey.storage.queue_size()


# The periodic tasks' functions by name, for resuming a run a dead worker left; and
# their schedules, for how long each may go without a run.
_periodic: dict = {}
_schedules: dict = {}
_leases: dict = {}


@functools.cache
def periodic_intervals() -> dict[str, float]:
    """Each periodic task's longest gap between runs, in seconds."""
    return {name: schedule.longest_gap(when).total_seconds() for name, when in _schedules.items()}


def periodic(when, lease: timedelta = schedule.LEASE):
    """A task run on the schedule `when`, once per moment of it however many workers
    run the schedule (backend/schedule.py); one still running after `lease` is taken
    for dead and run again."""

    def register(function):
        name = function.__name__
        _periodic[name] = function
        _schedules[name] = when
        _leases[name] = lease

        @functools.wraps(function)
        def once():
            return schedule.run_once(name, when, function, lease)

        return huey.periodic_task(when, name=name)(in_app(once))

    return register


# -- tasks ------------------------------------------------------------------------------
@huey.task()
@in_app
def deliver_message(message_id: int) -> None:
    _deliver(message_id)


def _deliver(message_id: int) -> None:
    # The retry goes on the queue; the outbox row keeps when it is due, so a lost queue
    # loses nothing (the pick-up finds it).
    status, retry_in = notify.deliver(message_id)
    if status != "skipped":
        metrics.DELIVERIES.labels("retry" if status == "pending" else status).inc()
    if retry_in is not None and not huey.immediate:
        deliver_message.schedule((message_id,), delay=retry_in)


@huey.task()
@in_app
def deliver_messages(message_ids: list[int]) -> None:
    """A batch of a policy's messages: one task for many, so a push of 100,000 puts 500
    tasks on the queue, not 100,000; a retry of one goes back on alone."""
    for message_id in message_ids:
        _deliver(message_id)


@huey.task()
@in_app
def push_policy(policy_id: int) -> None:
    policies_push.push(policy_id)


@periodic(crontab(minute="*"))
def publish_policies() -> None:
    """Every minute: scheduled policies whose time has come, and pushes whose task was lost."""
    publishing.publish_due()
    policies_push.push_due()


@periodic(crontab(minute="*"))
def pick_up_messages() -> None:
    """Every minute: messages whose enqueue was lost, and retries the queue lost."""
    due = notify.due()
    random.shuffle(due)  # several workers picking up at once start apart
    for message_id in due:
        deliver_message(message_id)


# Sweeps, at quiet hours of Shanghai's day (the schedule is UTC: 18:00 UTC is 02:00 there).
@periodic(crontab(minute="10", hour="18"))
def sweep_licences_daily() -> None:
    sweep_licences()


@periodic(crontab(minute="5"))
def sweep_rectifications_hourly() -> None:
    sweep_overdue()


@periodic(crontab(minute="*/10"))
def sweep_work_orders() -> None:
    """Every ten minutes: an urgent order has two hours to be signed."""
    sla.sweep()


@periodic(crontab(minute="*/15"))
def recheck_unverified_registrations() -> None:
    """Registrations and claims that went through while the registry was down."""
    registry_check.recheck_unverified()


@periodic(crontab(minute="0", hour="19"))
def recheck_registry_daily() -> None:
    """Every live shop's business, asked of the registry again at its pace."""
    registry_watch.recheck()


@periodic(crontab(minute="30", hour="18"))
def flag_late_sampling_results() -> None:
    """一公开: results of drawn plans still unpublished 20 working days after inspection."""
    publication.flag_late()


@huey.task()
@in_app
def build_lives_feed() -> None:
    lives_export.rebuild()


@periodic(crontab(minute="20", hour="18"))
def publish_lives_daily() -> None:
    """The open-data feed (LIVES), made afresh each night for the day's readers."""
    lives_export.rebuild()


@periodic(crontab(minute="40", hour="18"))
def purge_daily() -> None:
    purge()


# A district's backup may take hours: within a 30-minute lease it would be taken for dead
# and started again beside itself.
@periodic(crontab(minute="50", hour="18"), lease=timedelta(hours=6))
def backup_daily() -> None:
    """02:50 in Shanghai, after the night's sweeps and purge: the database and the files
    into BACKUP_DIR, the last BACKUP_KEEP kept (backend/backup.py)."""
    from backend import backup

    backup.daily()


@periodic(crontab(minute="*"))
def resume_abandoned_runs() -> None:
    """Every minute: a periodic run whose worker died half-way, run again."""
    schedule.resume_abandoned(_periodic, _leases)
