"""What the cluster and fault tests share: a PostgreSQL database of their own on the
machine's server (made and dropped here, never the server itself touched), reached
through a FaultProxy that can hang it.

They are marked `once` (.ci/run's SQLite leg): they always need PostgreSQL, so the
PostgreSQL leg would only run them twice.
"""

from __future__ import annotations

import os
import re
import uuid

import pytest
import redis

from backend.db import database
from backend.migrate import upgrade
from tests.cluster.faultproxy import FaultProxy
from tests.conftest import IN_CI, _maintenance

SERVER = ("127.0.0.1", int(os.environ.get("CLUSTER_PG_PORT", "5432")))
REDIS = ("127.0.0.1", int(os.environ.get("CLUSTER_REDIS_PORT", "6379")))
REDIS_DB = 13  # the cluster tests' own; each test's queue has a name of its own


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/cluster/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.once)


@pytest.fixture
def pg_name():
    name = f"citycode_cluster_{uuid.uuid4().hex[:10]}"
    url = f"postgresql://postgres@{SERVER[0]}:{SERVER[1]}/{name}"
    _maintenance(url, 'CREATE DATABASE "{name}"')
    yield name
    _maintenance(url, 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_proxy():
    with FaultProxy(*SERVER) as proxy:
        yield proxy


@pytest.fixture
def redis_proxy(config):
    """Redis, through a proxy that can hang it; the test's queue emptied after (tests on
    other processes use the same database at the same time)."""
    try:
        redis.Redis(*REDIS, socket_timeout=2).ping()
    except redis.RedisError as exc:
        if IN_CI:
            pytest.fail(f"the cluster tests need Redis at {REDIS}: {exc}")
        pytest.skip(f"Redis at {REDIS} unreachable: {exc}")
    with FaultProxy(*REDIS) as proxy:
        yield proxy
    shared = redis.Redis(*REDIS, db=REDIS_DB)
    own = re.sub("[^A-Za-z0-9_]", "", config.task_queue_name)  # as huey names its keys
    for key in shared.scan_iter(f"huey.*.{own}*"):
        shared.delete(key)


@pytest.fixture
def config(config, pg_name, pg_proxy):
    """The suite's settings on our own database, through the proxy."""
    return config.replace(
        database_url=f"postgresql://postgres@127.0.0.1:{pg_proxy.port}/{pg_name}",
        ratelimit_enabled=False,  # the load is the test's, from one address
        task_queue_name=f"citycode-cluster-{uuid.uuid4().hex[:10]}",
    )


@pytest.fixture
def migrated(app):
    with app.app_context(), database.connection_context():
        upgrade(database.obj)
    return app
