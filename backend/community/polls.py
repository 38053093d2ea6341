"""Polls (民意调查): staff ask a region in their scope; its residents vote once each.

A poll reaches residents exactly as a notice does. Voting again replaces the
previous vote as a whole. Results are shown to a resident per the poll's
`results_visible`: "after_vote" once they have voted (or the poll has closed),
"after_close" only once it has closed. Staff in scope always see them.
"""

from __future__ import annotations

import peewee as pw

from backend import audit, clock, scope
from backend.community import publishing
from backend.community.membership import visible_paths
from backend.db import lock_row, write_transaction
from backend.errors import Conflict, Invalid, NotFound
from backend.models import Poll, PollOption, PollVote, Region, StaffAccount, User

RESULTS_VISIBLE = ("after_vote", "after_close")


def state(poll: Poll) -> str:
    now = clock.now()
    if now < poll.opens_at:
        return "upcoming"
    return "open" if now < poll.closes_at else "closed"


def options(poll: Poll) -> list[PollOption]:
    return list(PollOption.select().where(PollOption.poll == poll).order_by(PollOption.position))


def results(poll: Poll) -> dict:
    counts = dict(
        PollVote.select(PollVote.option, pw.fn.COUNT(PollVote.id))
        .where(PollVote.poll == poll)
        .group_by(PollVote.option)
        .tuples()
    )
    voters = PollVote.select(PollVote.user).where(PollVote.poll == poll).distinct().count()
    return {
        "voters": voters,
        "options": [
            {"id": o.id, "label": o.label, "votes": counts.get(o.id, 0)} for o in options(poll)
        ],
    }


def _local(moment) -> str:
    return moment.astimezone(clock.SHANGHAI).strftime("%Y-%m-%d %H:%M")


# -- the resident's side ----------------------------------------------------------------------
def _has_voted(user: User) -> pw.Expression:
    return pw.fn.EXISTS(
        PollVote.select(PollVote.id).where((PollVote.poll == Poll.id) & (PollVote.user == user))
    )


def polls_for(user: User) -> pw.ModelSelect:
    """Polls that reach `user`, newest first, each with `has_voted`."""
    return (
        Poll.select(Poll, Region, _has_voted(user).alias("has_voted"))
        .join(Region)
        .where(Poll.region_path.in_(visible_paths(user)))
        .order_by(Poll.created_at.desc(), Poll.id.desc())
    )


def _visible_poll(user: User, public_id: str) -> Poll:
    poll = polls_for(user).where(Poll.public_id == public_id).first()
    if poll is None:
        raise NotFound("poll not found", key="poll_not_found")
    return poll


def for_resident(user: User, public_id: str) -> Poll:
    """The poll with the resident's own choices, and its results when they may see them."""
    poll = _visible_poll(user, public_id)
    poll.my_choices = [
        v.option_id
        for v in PollVote.select(PollVote.option)
        .where((PollVote.poll == poll) & (PollVote.user == user))
        .order_by(PollVote.option)
    ]
    poll.has_voted = bool(poll.my_choices)
    shown = state(poll) == "closed" or (poll.results_visible == "after_vote" and poll.has_voted)
    poll.results = results(poll) if shown else None
    return poll


def _checked_choices(poll: Poll, option_ids: list[int]) -> list[int]:
    if len(set(option_ids)) != len(option_ids):
        raise Invalid.field("options", "an option is listed more than once", key="duplicate_option")
    mine = {o.id for o in options(poll)}
    if not set(option_ids) <= mine:
        raise Invalid.field("options", "not an option of this poll", key="unknown_option")
    if not poll.multiple and len(option_ids) > 1:
        raise Invalid.field("options", "this poll takes exactly one choice", key="single_choice")
    return option_ids


def vote(user: User, public_id: str, option_ids: list[int]) -> Poll:
    """Cast or replace the resident's vote: the new set of options replaces the old one."""
    with write_transaction():
        poll = _visible_poll(user, public_id)
        now = clock.now()
        if now < poll.opens_at:
            raise Conflict(
                "this poll opens at %(time)s (Shanghai time)",
                key="poll_not_open",
                params={"time": _local(poll.opens_at)},
            )
        if now >= poll.closes_at:
            raise Conflict(
                "this poll closed at %(time)s (Shanghai time)",
                key="poll_closed",
                params={"time": _local(poll.closes_at)},
            )
        chosen = _checked_choices(poll, option_ids)
        # One resident's votes queue on their own row, so two quick taps never leave
        # both ballots standing.
        lock_row(User, user.id)
        PollVote.delete().where((PollVote.poll == poll) & (PollVote.user == user)).execute()
        PollVote.insert_many(
            [
                {"poll": poll.id, "option": option_id, "user": user.id, "voted_at": now}
                for option_id in chosen
            ]
        ).execute()
    return for_resident(user, public_id)


# -- the staff's side -------------------------------------------------------------------------
def polls_in_scope(staff: StaffAccount, region_code: str | None = None) -> pw.ModelSelect:
    query = (
        Poll.select(Poll, Region)
        .join(Region)
        .where(scope.under(Poll.region_path, staff.region_path))
        .order_by(Poll.created_at.desc(), Poll.id.desc())
    )
    return query.where(Region.code == region_code) if region_code else query


def poll_in_scope(staff: StaffAccount, public_id: str) -> Poll:
    poll = scope.find(
        staff,
        polls_in_scope(staff).where(Poll.public_id == public_id),
        "poll",
        public_id,
        Poll.select(Poll.region_path).where(Poll.public_id == public_id),
    )
    poll.results = results(poll)
    return poll


def create(staff: StaffAccount, data: dict) -> Poll:
    if data["opens_at"] >= data["closes_at"]:
        raise Invalid.field("closes_at", "must be later than opens_at", key="ends_before_starts")
    labels = [label.strip() for label in data["options"]]
    if not all(labels):
        raise Invalid.field("options", "an option is blank", key="blank_option")
    if len(set(labels)) != len(labels):
        raise Invalid.field("options", "each option must be different", key="duplicate_option")
    region = scope.region(staff, data["region"])
    with write_transaction():
        publishing.refuse_a_repeat(
            staff,
            Poll,
            region,
            Poll.created_at,
            "poll",
            matches=lambda poll: [o.label for o in options(poll)] == labels,
            title=data["title"],
            description=data.get("description"),
            multiple=data["multiple"],
            opens_at=data["opens_at"],
            closes_at=data["closes_at"],
            results_visible=data["results_visible"],
        )
        poll = Poll.create(
            region=region,
            region_path=region.path,
            title=data["title"],
            description=data.get("description"),
            multiple=data["multiple"],
            opens_at=data["opens_at"],
            closes_at=data["closes_at"],
            results_visible=data["results_visible"],
            author=staff,
        )
        PollOption.insert_many(
            [
                {"poll": poll.id, "position": i, "label": label}
                for i, label in enumerate(labels, start=1)
            ]
        ).execute()
        audit.record("poll.created", "poll", poll.public_id, region.path, staff=staff)
    return poll_in_scope(staff, poll.public_id)


def withdraw(staff: StaffAccount, public_id: str) -> None:
    """Take a poll down with its votes."""
    with write_transaction():
        poll = poll_in_scope(staff, public_id)
        # As a notice's: a double tap's second delete finds nothing, and is a 404.
        if Poll.delete().where(Poll.id == poll.id).execute() == 0:
            raise NotFound("poll not found", key="poll_not_found")
        audit.record(
            "poll.withdrawn",
            "poll",
            public_id,
            poll.region_path,
            staff=staff,
            detail={"title": poll.title},
        )
