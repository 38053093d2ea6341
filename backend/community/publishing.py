"""What staff publish to residents (notices, polls, booking events, forms) goes out once.

The same thing sent again within minutes by the same staff member is a double tap or
a retry on a slow network: residents would see it twice, and a booking event's places
would be given out twice. Sent later, it is a reminder, and welcome; sent with any
change, it is a correction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import peewee as pw

from backend import clock, i18n
from backend.db import lock_row
from backend.errors import Conflict
from backend.i18n import N_
from backend.models import Region, StaffAccount

# What was published, in the reader's words (the values of %(…)s in messages), for the catalog.
_WORDS = (N_("notice"), N_("poll"), N_("event"), N_("form"))

REPEAT_WINDOW = timedelta(minutes=10)


def refuse_a_repeat(
    staff: StaffAccount,
    model: type[pw.Model],
    region: Region,
    sent_at: pw.Field,
    what: str,
    matches: Callable[[pw.Model], bool] | None = None,
    **same,
) -> None:
    """Call first in the write transaction; raises Conflict naming the first copy.

    A copy is the same in every column named in `same`, and in what `matches` compares
    (its slots, its options). Anything different is a correction sent again, and goes
    out. The staff member's row is locked, so a double tap's two requests take turns
    and the second finds the first.
    """
    lock_row(StaffAccount, staff.id)
    query = model.select().where(
        (model.author == staff) & (model.region == region) & (sent_at > clock.now() - REPEAT_WINDOW)
    )
    for name, value in same.items():
        field = getattr(model, name)
        query = query.where(field.is_null() if value is None else field == value)
    for first in query:
        if matches is None or matches(first):
            title = i18n.reason("already_published", "just published: %(id)s", id=first.public_id)
            raise Conflict(
                "this %(what)s was just published (%(id)s)",
                key="already_published",
                params={"what": i18n.Word(what), "id": first.public_id},
                errors={"json": {"title": [title]}},
            )
