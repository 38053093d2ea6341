"""Ended logins: what every worker refuses, read from the database at most once a second."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend import clock, revocations
from backend.db import database
from backend.models import RevokedSession


@pytest.fixture
def fresh(app):
    revocations.forget_all()
    with app.app_context(), database.connection_context():
        yield
    revocations.forget_all()


def test_an_ended_login_is_refused_here_at_once_and_by_another_worker_from_the_database(fresh):
    with database.atomic():
        revocations.revoke("login-1", timedelta(minutes=15))
    assert revocations.is_revoked("login-1")
    revocations.forget_all()  # what another worker knows: only the database
    assert revocations.is_revoked("login-1")
    assert not revocations.is_revoked("login-2")
    assert not revocations.is_revoked(None)


def test_a_login_ended_elsewhere_is_seen_once_the_copy_is_a_second_old(fresh, monkeypatch):
    assert not revocations.is_revoked("login-1")  # this worker's copy, read just now
    with database.atomic():
        RevokedSession.create(sid="login-1", expires_at=clock.now() + timedelta(minutes=15))
    assert not revocations.is_revoked("login-1")  # not read again within the second
    monkeypatch.setattr(revocations, "_next_reload", 0.0)  # the second has passed
    assert revocations.is_revoked("login-1")


def test_an_ending_outlives_the_tokens_it_ends_and_no_longer(fresh):
    with database.atomic():
        revocations.revoke("login-1", timedelta(minutes=15))
        revocations.revoke("login-1", timedelta(minutes=20))  # ended again, later: kept longer
    (ended,) = RevokedSession.select()
    assert abs(ended.expires_at - ended.revoked_at - timedelta(minutes=20)) < timedelta(seconds=1)
    clock.travel(timedelta(minutes=21))
    revocations.forget_all()
    assert not revocations.is_revoked("login-1")
    with database.atomic():
        assert revocations.purge(clock.now()) == 1
    assert RevokedSession.select().count() == 0


def test_this_worker_refuses_a_login_it_ended_without_reading_the_database_again(fresh):
    assert not revocations.is_revoked("login-0")  # a copy read just now
    with database.atomic():
        revocations.revoke("login-1", timedelta(minutes=15))
        RevokedSession.delete().execute()  # as if another worker's view of it were late
    assert revocations.is_revoked("login-1")
    assert not revocations.is_revoked("login-0")


def test_an_ending_records_when_it_was_ended(fresh):
    then = clock.now() - timedelta(minutes=3)
    with database.atomic():
        revocations.revoke("login-1", timedelta(minutes=15), now=then)
    (ended,) = RevokedSession.select()
    assert (ended.revoked_at, ended.expires_at) == (then, then + timedelta(minutes=15))


def test_the_purge_deletes_the_endings_whose_tokens_have_all_expired_and_no_others(fresh):
    now = clock.now()
    with database.atomic():
        for sid, left in (("over", -1), ("just-over", 0), ("live", 1)):
            RevokedSession.create(sid=sid, expires_at=now + timedelta(seconds=left))
        assert revocations.purge(now) == 2
    assert [s.sid for s in RevokedSession.select()] == ["live"]
