"""Sign-in rules: WeChat login, refresh rotation with reuse detection, staff binding, /me."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app

from backend import auth, clock, i18n, metrics, revocations, wechat
from backend.db import lock_for_update, write_transaction
from backend.errors import Conflict, Unauthorized
from backend.models import (
    BindingCode,
    RefreshToken,
    Shop,
    ShopMembership,
    StaffAccount,
    User,
)
from backend.people.staffing import hash_binding_code


@dataclass
class Tokens:
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    token_type: str = "Bearer"  # noqa: S105  the OAuth 2.0 token type, not a secret


def wechat_client() -> wechat.WeChatClient:
    return current_app.extensions["citycode.wechat"]


def login(js_code: str) -> Tokens:
    try:
        session = wechat_client().code2session(js_code)
    except wechat.InvalidLoginCode:
        metrics.LOGINS.labels("refused").inc()
        used = i18n.reason("login_code_invalid", "invalid, expired or already used")
        raise Unauthorized(
            "WeChat login code is invalid, expired or already used; call wx.login() again",
            key="login_code_invalid",
            errors={"json": {"code": [used]}},
        ) from None
    now = clock.now()
    with write_transaction():
        user = lock_for_update(User.select().where(User.openid == session.openid)).first()
        if user is None:
            # A new user's mini-program may log in twice at once: both get the one account.
            # Only then insert, since on PostgreSQL each try spends an id even when it loses.
            User.insert(openid=session.openid, created_at=now).on_conflict_ignore().execute()
            user = lock_for_update(User.select().where(User.openid == session.openid)).get()
        user.session_key = session.session_key
        user.unionid = session.unionid or user.unionid
        user.last_login_at = now
        user.updated_at = now
        user.save()
        tokens = _issue(user, family=uuid.uuid4().hex)
    metrics.LOGINS.labels("ok").inc()
    return tokens


def refresh(token: str) -> Tokens:
    now = clock.now()
    reused = False
    with write_transaction():
        row = lock_for_update(
            RefreshToken.select().where(RefreshToken.token_hash == auth.hash_refresh_token(token))
        ).first()
        if row is None:
            raise Unauthorized("refresh token is not valid", key="refresh_token_invalid")
        if row.used_at is not None or row.revoked_at is not None:
            # A spent token coming back means it was copied: end the whole login.
            _revoke_family(row.family, now)
            reused = True
        elif row.expires_at <= now:
            raise Unauthorized("refresh token expired; sign in again", key="refresh_token_expired")
        else:
            row.used_at = now
            row.save()
            tokens = _issue(row.user, family=row.family)
    if reused:
        raise Unauthorized(
            "refresh token was already used; this login has been ended",
            key="refresh_token_reused",
        )
    return tokens


def logout(user: User, token: str, sid: str | None) -> None:
    """End the login the refresh token belongs to, and the one the caller's access token
    came from (usually the same): every token of either stops working at once."""
    now = clock.now()
    with write_transaction():
        row = RefreshToken.get_or_none(
            (RefreshToken.token_hash == auth.hash_refresh_token(token))
            & (RefreshToken.user == user)
        )
        for family in {row.family if row else None, sid} - {None}:
            _revoke_family(family, now)


def bind_staff(user: User, binding_code: str) -> StaffAccount:
    now = clock.now()
    code_hash = hash_binding_code(binding_code)
    with write_transaction():
        # The account's row first, its code after, as a reissue takes them; an admin
        # disabling the account meanwhile either waits for the binding or is seen here.
        found = (
            BindingCode.select(BindingCode.staff).where(BindingCode.code_hash == code_hash).first()
        )
        staff = (
            found
            and lock_for_update(
                StaffAccount.select().where(StaffAccount.id == found.staff_id)
            ).first()
        )
        code = (
            staff
            and lock_for_update(
                BindingCode.select().where(BindingCode.code_hash == code_hash)
            ).first()
        )
        if not code or code.used_at is not None or code.expires_at <= now:
            unusable = i18n.reason("binding_code_invalid", "unknown, used or expired")
            raise Unauthorized(
                "binding code is not valid",
                key="binding_code_invalid",
                errors={"json": {"binding_code": [unusable]}},
            )
        if not staff.active:
            raise Conflict("this staff account is disabled", key="staff_disabled")
        if staff.user_id is not None:
            raise Conflict(
                "this staff account is already bound to a WeChat user", key="staff_already_bound"
            )
        if StaffAccount.get_or_none(StaffAccount.user == user) is not None:
            raise Conflict(
                "your WeChat account is already bound to a staff account",
                key="wechat_already_bound",
            )
        staff.user = user
        staff.save(only=[StaffAccount.user])
        code.used_at = now
        code.save()
    return staff


@dataclass
class Profile:
    id: int
    display_name: str | None
    phone: str | None
    roles: list
    shops: list
    staff: StaffAccount | None


def profile(user: User) -> Profile:
    memberships = list(
        ShopMembership.select(ShopMembership, Shop)
        .join(Shop)
        .where(ShopMembership.user == user)
        .order_by(ShopMembership.id)
    )
    staff = (
        StaffAccount.select()
        .where((StaffAccount.user == user) & (StaffAccount.active == True))  # noqa: E712
        .first()
    )
    roles = ["resident"]
    if memberships:
        roles.append("shopkeeper")
    if staff is not None:
        roles.append(staff.role)
    return Profile(user.id, user.display_name, user.phone, roles, memberships, staff)


def _issue(user: User, family: str) -> Tokens:
    settings = current_app.config["CITYCODE"]
    access, lifetime = auth.issue_access_token(user, family)
    refresh_token = auth.new_refresh_token()
    RefreshToken.create(
        user=user,
        family=family,
        token_hash=auth.hash_refresh_token(refresh_token),
        issued_at=clock.now(),
        expires_at=clock.now() + timedelta(seconds=settings.refresh_token_seconds),
    )
    return Tokens(access, lifetime, refresh_token, settings.refresh_token_seconds)


def _revoke_family(family: str, now) -> None:
    """The login ends: its refresh tokens cannot be traded, its access tokens are refused."""
    (
        RefreshToken.update(revoked_at=now)
        .where((RefreshToken.family == family) & RefreshToken.revoked_at.is_null())
        .execute()
    )
    revocations.revoke(family, auth.access_token_lasting(), now)
