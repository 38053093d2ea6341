"""Community notices: staff publish to a region in their scope; residents read what reaches them.

A notice aimed at a region reaches the approved members of every community under
it, so a resident sees notices aimed at their communities and at the street and
district above them, never those aimed only at a neighbouring community.
"""

from __future__ import annotations

import peewee as pw

from backend import audit, scope
from backend.community import publishing
from backend.community.membership import visible_paths
from backend.db import write_transaction
from backend.errors import NotFound
from backend.models import Notice, NoticeRead, Region, StaffAccount, User


def _was_read_by(user: User) -> pw.Expression:
    return pw.fn.EXISTS(
        NoticeRead.select(NoticeRead.id).where(
            (NoticeRead.notice == Notice.id) & (NoticeRead.user == user)
        )
    )


# -- the resident's side ----------------------------------------------------------------------
def notices_for(user: User) -> pw.ModelSelect:
    """Notices that reach `user`, newest first, each with `is_read`."""
    return (
        Notice.select(Notice, Region, _was_read_by(user).alias("is_read"))
        .join(Region)
        .where(Notice.region_path.in_(visible_paths(user)))
        .order_by(Notice.published_at.desc(), Notice.id.desc())
    )


def open_notice(user: User, public_id: str) -> Notice:
    """A notice that reaches `user`; opening it marks it read (once)."""
    notice = notices_for(user).where(Notice.public_id == public_id).first()
    if notice is None:
        raise NotFound("notice not found", key="notice_not_found")
    if not notice.is_read:
        # Two quick opens of one notice both find it unread; the second insert is a no-op.
        with write_transaction():
            NoticeRead.insert(notice=notice, user=user).on_conflict_ignore().execute()
        notice.is_read = True
    return notice


# -- the staff's side -------------------------------------------------------------------------
def _read_count() -> pw.Expression:
    return NoticeRead.select(pw.fn.COUNT(NoticeRead.id)).where(NoticeRead.notice == Notice.id)


def notices_in_scope(staff: StaffAccount, region_code: str | None = None) -> pw.ModelSelect:
    query = (
        Notice.select(Notice, Region, _read_count().alias("read_count"))
        .join(Region)
        .where(scope.under(Notice.region_path, staff.region_path))
        .order_by(Notice.published_at.desc(), Notice.id.desc())
    )
    return query.where(Region.code == region_code) if region_code else query


def notice_in_scope(staff: StaffAccount, public_id: str) -> Notice:
    return scope.find(
        staff,
        notices_in_scope(staff).where(Notice.public_id == public_id),
        "notice",
        public_id,
        Notice.select(Notice.region_path).where(Notice.public_id == public_id),
    )


def publish(staff: StaffAccount, data: dict) -> Notice:
    region = scope.region(staff, data["region"])
    with write_transaction():
        publishing.refuse_a_repeat(
            staff,
            Notice,
            region,
            Notice.published_at,
            "notice",
            title=data["title"],
            body=data["body"],
        )
        notice = Notice.create(
            region=region,
            region_path=region.path,
            title=data["title"],
            body=data["body"],
            author=staff,
        )
        audit.record("notice.published", "notice", notice.public_id, region.path, staff=staff)
    notice.read_count = 0
    return notice


def withdraw(staff: StaffAccount, public_id: str) -> None:
    """Take a notice down; residents no longer see it and its read marks go with it."""
    with write_transaction():
        notice = notice_in_scope(staff, public_id)
        # A double tap's second delete waits for the first and then finds nothing: one
        # withdrawal, one entry in the audit log.
        if Notice.delete().where(Notice.id == notice.id).execute() == 0:
            raise NotFound("notice not found", key="notice_not_found")
        audit.record(
            "notice.withdrawn",
            "notice",
            public_id,
            notice.region_path,
            staff=staff,
            detail={"title": notice.title},
        )
