"""The public scan stays a handful of queries, and still shows everything it should."""

from __future__ import annotations

import logging
import re
from contextlib import contextmanager
from datetime import date

import pytest


class _Seen(list):
    """The statements' SQL; `.params` the parameters each was sent with."""

    def __init__(self):
        super().__init__()
        self.params: list[tuple] = []


class _Statements(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.sql = _Seen()

    def emit(self, record):
        # peewee logs each statement as (sql, params); the pool logs plain messages.
        # The set of ended logins is read again once a second whatever the request,
        # so whether it falls inside a measured block is a matter of timing: not counted.
        if isinstance(record.msg, tuple) and '"revoked_session"' not in record.msg[0]:
            self.sql.append(record.msg[0])
            self.sql.params.append(tuple(record.msg[1] or ()))


@contextmanager
def statements():
    """Every SQL statement peewee sends while the block runs."""
    logger = logging.getLogger("peewee")
    handler, level, propagate = _Statements(), logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False  # statements carry parameters; keep them out of the app's log
    try:
        yield handler.sql
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def sqlite_plan(sql, index: int) -> list[str]:
    """SQLite's plan of the `index`th statement `statements()` caught, a step a line."""
    from backend.db import database

    with database.connection_context():
        explained = database.execute_sql(f"EXPLAIN QUERY PLAN {sql[index]}", sql.params[index])
        return [row[3] for row in explained.fetchall()]


@pytest.fixture
def places(make):
    return make.region_tree()


@pytest.fixture
def shop(make, places):
    shop = make.shop("owner", places["street_a"], places["community_a"])
    make.licence(shop, date(2030, 1, 1))
    shop.code = make.code_of(shop)
    return shop


def test_a_residents_public_scan_takes_one_statement(client, shop):
    resident = client.login("alice")
    resident.get(f"/api/v1/scan/{shop.code}")
    with statements() as sql:
        body = resident.get(f"/api/v1/scan/{shop.code}").get_json()
    assert body["view"] == "public" and body["shop"]["street"] and body["shop"]["community"]
    assert len(body["licences"]) == 1 and body["rating_ticket"]
    # the caller's account, the code with its shop, licences and the caller's ties to it
    assert len(sql) == 1, sql


def test_an_anonymous_page_view_takes_two_queries(client, shop):
    client.http.get(f"/s/{shop.code}")
    with statements() as sql:
        page = client.http.get(f"/s/{shop.code}")
    assert page.status_code == 200 and "老王面馆" in page.get_data(as_text=True)
    assert len(sql) == 2, sql


def test_honours_and_comments_still_show_when_a_shop_has_them(client, shop):
    owner = client.login("owner")
    assert (
        owner.post(
            f"/api/v1/merchant/shops/{shop.public_id}/honours",
            json={"title": "诚信经营示范店", "issuer": "徐汇区市场监督管理局"},
        ).status_code
        == 201
    )
    alice = client.login("alice")
    alice.patch("/api/v1/resident/profile", json={"display_name": "欧阳娜娜"})
    ticket = alice.get(f"/api/v1/scan/{shop.code}").get_json()["rating_ticket"]
    assert (
        alice.post(
            f"/api/v1/resident/shops/{shop.public_id}/ratings",
            json={"rating_ticket": ticket, "stars": 5, "text": "面很好吃"},
        ).status_code
        == 201
    )

    bob = client.login("bob")
    with statements() as sql:
        body = bob.get(f"/api/v1/scan/{shop.code}").get_json()
    assert [h["title"] for h in body["honours"]] == ["诚信经营示范店"]
    assert [(c["text"], c["author"]) for c in body["comments"]] == [("面很好吃", "欧***")]
    # the honours, and the comments with their authors, come in the same one statement
    assert len(sql) == 1, sql


def test_the_owner_and_inspectors_still_get_their_views(client, make, places, shop):
    make.staff("inspector_a", "inspector", places["street_a"])
    make.staff("inspector_b", "inspector", places["street_b"])
    owner = client.login("owner").get(f"/api/v1/scan/{shop.code}").get_json()
    assert owner["view"] == "owner" and owner["owner"]["role"] == "owner"
    inside = client.login("inspector_a").get(f"/api/v1/scan/{shop.code}").get_json()
    assert inside["view"] == "regulatory" and inside["regulatory"]["scan_proof"]["token"]
    outside = client.login("inspector_b").get(f"/api/v1/scan/{shop.code}").get_json()
    assert outside["view"] == "public" and outside["regulatory"] is None


def test_postgres_plans_the_scan_once_per_connection(app, client, shop):
    from backend.db import is_postgres

    if not is_postgres():
        pytest.skip("server-side prepared statements are PostgreSQL's")
    resident = client.login("alice")
    with statements() as sql:
        bodies = [resident.get(f"/api/v1/scan/{shop.code}").get_json() for _ in range(3)]
    assert all(b["view"] == "public" and b["shop"]["name"] == "老王面馆" for b in bodies)
    assert len(sql) == 3 and all(s.startswith("EXECUTE citycode_") for s in sql), sql


def test_postgres_behind_a_transaction_pooler_can_do_without(config, shop):
    from backend import create_app
    from backend.db import database, is_postgres
    from tests.factories import ApiClient

    app = create_app(config.replace(db_server_prepare=False))
    if not is_postgres():
        pytest.skip("server-side prepared statements are PostgreSQL's")
    try:
        resident = ApiClient(app, None, {}).login("alice")
        with statements() as sql:
            body = resident.get(f"/api/v1/scan/{shop.code}").get_json()
        assert body["view"] == "public" and len(body["licences"]) == 1
        assert len(sql) == 1 and sql[0].startswith("SELECT"), sql
        with database.connection_context():
            prepared = database.execute_sql("SELECT count(*) FROM pg_prepared_statements")
            assert prepared.fetchone()[0] == 0
    finally:
        database.obj.close_all()


def test_a_shops_comments_are_found_among_its_own_ratings_not_everyones(client, shop):
    from backend.db import is_sqlite

    if not is_sqlite():
        pytest.skip("PostgreSQL plans from table statistics; SQLite's plan is fixed by indexes")
    resident = client.login("alice")
    with statements() as sql:
        resident.get(f"/api/v1/scan/{shop.code}")
    # The scan's statement (a once-a-second look at ended logins may come first).
    scan = next(i for i, statement in enumerate(sql) if '"shop_code"' in statement)
    plan = sqlite_plan(sql, scan)
    # Every table is reached through an index, ratings through the shop's own.
    assert not any(re.match(r"SCAN t\d+", step) for step in plan), plan
    assert any(
        "INDEX rating_shop_id_status_updated_at (shop_id=? AND status=?)" in step for step in plan
    ), plan
