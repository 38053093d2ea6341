"""Bookings of limited places (masks to collect, meal-assistance sign-ups): never overbooked.

A place is taken by one conditional UPDATE (booked < capacity) inside the write
transaction, so two residents racing for the last place cannot both get it; the
per-resident limit is checked under a lock on the resident's row, so one
resident's parallel requests cannot each see "not yet booked".
"""

from __future__ import annotations

import peewee as pw

from backend import audit, clock, i18n, scope
from backend.community import publishing
from backend.community.membership import visible_paths
from backend.db import lock_for_update, lock_row, write_transaction
from backend.errors import Conflict, Invalid, NotFound
from backend.models import Booking, BookingEvent, BookingSlot, StaffAccount, User


# -- the resident's side ---------------------------------------------------------------------
def visible_events(user: User) -> pw.ModelSelect:
    """Events on the resident's communities and every region above them, newest first."""
    return (
        BookingEvent.select()
        .where(BookingEvent.region_path.in_(visible_paths(user)))
        .order_by(BookingEvent.id.desc())
    )


def visible_event(user: User, event_id: str) -> BookingEvent:
    event = visible_events(user).where(BookingEvent.public_id == event_id).first()
    if event is None:
        raise NotFound("event not found", key="event_not_found")
    return event


def event_for_resident(user: User, event_id: str) -> BookingEvent:
    """The event with its slots, each marked with the places left and whether I hold one."""
    event = visible_event(user, event_id)
    mine = {
        b.slot_id
        for b in Booking.select(Booking.slot).where(
            (Booking.event == event) & (Booking.user == user)
        )
    }
    event.slot_list = list(event.slots.order_by(BookingSlot.starts_at, BookingSlot.id))
    for slot in event.slot_list:
        slot.mine = slot.id in mine
    event.my_bookings = len(mine)
    return event


def book(user: User, event_id: str, slot_id: str) -> Booking:
    with write_transaction():
        # This resident's own requests take turns, so the per-resident count below
        # cannot go stale.
        lock_row(User, user.id)
        event = visible_event(user, event_id)
        slot = BookingSlot.get_or_none(
            (BookingSlot.public_id == slot_id) & (BookingSlot.event == event)
        )
        if slot is None:
            raise NotFound("slot not found", key="slot_not_found")
        if slot.starts_at <= clock.now():
            raise Conflict("this slot has already started", key="slot_started")
        held = list(
            Booking.select(Booking.slot).where((Booking.event == event) & (Booking.user == user))
        )
        if any(b.slot_id == slot.id for b in held):
            raise Conflict("you have already booked this slot", key="already_booked")
        if len(held) >= event.per_resident:
            raise Conflict(
                "you may hold at most %(limit)s booking(s) for this event",
                key="booking_limit",
                params={"limit": event.per_resident},
            )
        taken = (
            BookingSlot.update(booked=BookingSlot.booked + 1)
            .where((BookingSlot.id == slot.id) & (BookingSlot.booked < BookingSlot.capacity))
            .execute()
        )
        if taken == 0:
            raise Conflict("slot is full", key="slot_full")
        return Booking.create(slot=slot, event=event, user=user)


def my_bookings(user: User) -> pw.ModelSelect:
    return (
        Booking.select(Booking, BookingSlot, BookingEvent)
        .join(BookingSlot)
        .switch(Booking)
        .join(BookingEvent)
        .where(Booking.user == user)
        .order_by(BookingSlot.starts_at.desc(), Booking.id.desc())
    )


def cancel(user: User, booking_id: str) -> None:
    with write_transaction():
        # The resident's row first, as deleting the account takes it: the two then take
        # turns and the place is given back once.
        lock_row(User, user.id)
        booking = lock_for_update(
            Booking.select().where((Booking.public_id == booking_id) & (Booking.user == user))
        ).first()
        if booking is None:
            raise NotFound("booking not found", key="booking_not_found")
        if booking.slot.starts_at <= clock.now():
            raise Conflict(
                "this slot has already started; it can no longer be cancelled", key="slot_started"
            )
        if Booking.delete().where(Booking.id == booking.id).execute() == 1:
            (
                BookingSlot.update(booked=BookingSlot.booked - 1)
                .where((BookingSlot.id == booking.slot_id) & (BookingSlot.booked > 0))
                .execute()
            )


# -- the cadre's side ------------------------------------------------------------------------
def create_event(staff: StaffAccount, data: dict) -> BookingEvent:
    for i, slot in enumerate(data["slots"]):
        if slot["starts_at"] >= slot["ends_at"]:
            late = i18n.reason("ends_before_starts", "must be after starts_at")
            where = f"slots.{i}"
            raise Invalid(
                "%(slot)s: must end after it starts",
                key="ends_before_starts",
                params={"slot": where},
                errors={"json": {"slots": {str(i): {"ends_at": [late]}}}},
            )
    with write_transaction():
        region = scope.region(staff, data["region"])
        wanted = sorted((s["starts_at"], s["ends_at"], s["capacity"]) for s in data["slots"])
        publishing.refuse_a_repeat(
            staff,
            BookingEvent,
            region,
            BookingEvent.created_at,
            "event",
            matches=lambda event: (
                sorted((s.starts_at, s.ends_at, s.capacity) for s in event.slots) == wanted
            ),
            title=data["title"],
            description=data.get("description"),
            per_resident=data["per_resident"],
        )
        event = BookingEvent.create(
            region=region,
            region_path=region.path,
            title=data["title"],
            description=data.get("description"),
            per_resident=data["per_resident"],
            author=staff,
        )
        for slot in data["slots"]:
            BookingSlot.create(
                event=event,
                starts_at=slot["starts_at"],
                ends_at=slot["ends_at"],
                capacity=slot["capacity"],
            )
        audit.record(
            "booking_event.created",
            "booking_event",
            event.public_id,
            region.path,
            staff=staff,
            detail={"slots": len(data["slots"])},
        )
    return event_for_staff(staff, event.public_id)


def events_in_scope(staff: StaffAccount) -> pw.ModelSelect:
    return (
        BookingEvent.select()
        .where(scope.under(BookingEvent.region_path, staff.region_path))
        .order_by(BookingEvent.id.desc())
    )


def event_for_staff(staff: StaffAccount, event_id: str) -> BookingEvent:
    event = scope.find(
        staff,
        events_in_scope(staff).where(BookingEvent.public_id == event_id),
        "event",
        event_id,
        BookingEvent.select(BookingEvent.region_path).where(BookingEvent.public_id == event_id),
    )
    event.slot_list = list(event.slots.order_by(BookingSlot.starts_at, BookingSlot.id))
    return event


def bookings_of_event(staff: StaffAccount, event_id: str) -> pw.ModelSelect:
    event = event_for_staff(staff, event_id)
    return (
        Booking.select(Booking, BookingSlot, User)
        .join(BookingSlot)
        .switch(Booking)
        .join(User)
        .where(Booking.event == event)
        .order_by(BookingSlot.starts_at, Booking.id)
    )
