"""A resident's own account: phone, display name, and deleting it all."""

from __future__ import annotations

import secrets

from flask import current_app

from backend import clock, contentcheck, i18n, wechat
from backend.db import lock_for_update, write_transaction
from backend.errors import Conflict, Invalid
from backend.models import (
    Booking,
    BookingSlot,
    CommunityMembership,
    Complaint,
    FormSubmission,
    NoticeRead,
    OutboxMessage,
    PolicyDelivery,
    Rating,
    RefreshToken,
    Report,
    ResidentTag,
    ShopMembership,
    StaffAccount,
    Upload,
    User,
)
from backend.shops.requests import withdraw_requests


def bind_phone(user: User, code: str) -> User:
    """The number the user agreed to share in WeChat's getPhoneNumber button."""
    try:
        info = current_app.extensions["citycode.wechat"].get_phone_number(code)
    except wechat.InvalidLoginCode:
        raise Invalid.field(
            "code",
            "invalid, expired or already used; ask for the number again",
            key="phone_code_invalid",
        ) from None
    with write_transaction():
        user.phone, user.updated_at = info.pure_phone_number, clock.now()
        user.save()
    return user


def update_profile(user: User, display_name: str) -> User:
    if contentcheck.check(user, display_name, "display_name", contentcheck.PROFILE) != "pass":
        raise Invalid.field(
            "display_name", "this name needs review; choose another", key="content_needs_review"
        )
    with write_transaction():
        user.display_name, user.updated_at = display_name, clock.now()
        user.save()
    return user


def delete_account(user: User) -> None:
    """Erase what identifies the user, in one transaction.

    Ratings, reports and complaints stay, detached from the person; lifecycle
    events carry only the user's row id, which now names no one, so every
    shop's chain still verifies. For the same reason votes stay, so a poll's
    result does not change after the fact, and so do bookings of slots that have
    begun (who came is a record); places in slots still to come are freed.
    Registrations and claims still waiting for an admin are withdrawn.
    """
    with write_transaction():
        # Other writes that only refer to the account (an admin approving the user's
        # claim adds a membership) go ahead; they may hold a shop's row this will want.
        user = lock_for_update(
            User.select().where(User.id == user.id), let_references_in=True
        ).get()
        _refuse_a_staff_member(user)
        # After the user's row, as cancelling a booking does: a cancel racing this
        # deletion waits, then finds its booking gone, so each place is freed once.
        upcoming = list(
            lock_for_update(
                Booking.select()
                .join(BookingSlot)
                .where((Booking.user == user) & (BookingSlot.starts_at > clock.now())),
                of=Booking,
            )
        )
        for booking in upcoming:
            if Booking.delete().where(Booking.id == booking.id).execute() == 1:
                BookingSlot.update(booked=BookingSlot.booked - 1).where(
                    (BookingSlot.id == booking.slot_id) & (BookingSlot.booked > 0)
                ).execute()
        withdraw_requests(user)
        for model in (
            CommunityMembership,
            NoticeRead,
            RefreshToken,
            ShopMembership,
            OutboxMessage,
            FormSubmission,
            ResidentTag,  # what they declared about themselves, consent and all
        ):
            model.delete().where(model.user == user).execute()
        PolicyDelivery.update(note=None).where(PolicyDelivery.user == user).execute()
        for model in (Rating, Report, Complaint):
            model.update(user=None).where(model.user == user).execute()
        Upload.update(uploaded_by=None).where(Upload.uploaded_by == user).execute()
        StaffAccount.update(user=None).where(StaffAccount.user == user).execute()
        User.update(
            openid=f"deleted:{user.id}:{secrets.token_hex(8)}",
            unionid=None,
            session_key=None,
            phone=None,
            display_name=None,
            pseudonym=None,
            deleted_at=clock.now(),
            updated_at=clock.now(),
        ).where(User.id == user.id).execute()


def _refuse_a_staff_member(user: User) -> None:
    """A staff member's WeChat account carries their role: erased, the role would be left
    with nobody to use it (a district with no admin). An admin unbinds them first."""
    staff = StaffAccount.get_or_none(StaffAccount.user == user)
    if staff is not None:
        bound = i18n.reason("bound_to_staff", "bound to a staff account")
        raise Conflict(
            "this account is bound to the staff account of %(name)s (%(role)s); "
            "an admin must unbind it (disable that staff account) before it can be deleted",
            key="bound_to_staff",
            params={"name": staff.name, "role": staff.role},
            errors={"json": {"account": [bound]}},
        )
