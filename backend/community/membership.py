"""Community membership rules: join by the community's code, cadre approval, leave."""

from __future__ import annotations

import peewee as pw

from backend import audit, clock, codes, i18n, scope
from backend.db import lock_for_update, lock_row, write_transaction
from backend.errors import Conflict, Invalid, NotFound
from backend.i18n import N_
from backend.models import CommunityMembership, Region, ShopCode, StaffAccount, User

# A membership's status in the reader's words (the values of %(…)s in messages), for the catalog.
_WORDS = (N_("approved"), N_("rejected"), N_("left"))

LIVE = ("pending", "approved")


def approved_communities(user: User) -> list[Region]:
    """The communities `user` is an approved member of."""
    return list(
        Region.select()
        .join(CommunityMembership, on=(CommunityMembership.community == Region.id))
        .where((CommunityMembership.user == user) & (CommunityMembership.status == "approved"))
        .order_by(Region.id)
    )


def member_of(user: User, region_path: str) -> Region:
    """An approved community of `user` that lies under `region_path` (or the one it names)."""
    for community in approved_communities(user):
        if community.path.startswith(region_path) or region_path.startswith(community.path):
            return community
    raise NotFound("not found", key="not_community_member")


def visible_paths(user: User) -> list[str]:
    """Region paths whose content reaches `user`: their communities and every region above."""
    paths = set()
    for community in approved_communities(user):
        paths.update(scope.ancestors(community.path))
    return sorted(paths)


def community_for_code(raw: str) -> Region:
    code = ShopCode.get_or_none(
        (ShopCode.code == codes.normalise_code_id(raw)) & (ShopCode.kind == "community")
    )
    if code is None:
        raise Invalid.field("code", "not an official community code", key="unknown_community_code")
    if code.revoked_at is not None:
        raise Invalid.field(
            "code", "this community code has been replaced", key="community_code_replaced"
        )
    return code.region


def join(user: User, raw_code: str) -> CommunityMembership:
    with write_transaction():
        lock_row(User, user.id)  # a double tap on "join" must not ask twice
        community = community_for_code(raw_code)
        existing = (
            CommunityMembership.select()
            .where(
                (CommunityMembership.user == user)
                & (CommunityMembership.community == community)
                & CommunityMembership.status.in_(LIVE)
            )
            .first()
        )
        if existing is not None and existing.status == "approved":
            raise Conflict("you are already approved in this community", key="already_member")
        if existing is not None:
            raise Conflict("you are already pending in this community", key="membership_pending")
        automatic = community.auto_approve_bound_phone and bool(user.phone)
        return CommunityMembership.create(
            user=user,
            community=community,
            region_path=community.path,
            status="approved" if automatic else "pending",
            decided_at=clock.now() if automatic else None,
            note="auto-approved: bound phone" if automatic else None,
        )


def my_memberships(user: User):
    return (
        CommunityMembership.select(CommunityMembership, Region)
        .join(Region)
        .where((CommunityMembership.user == user) & (CommunityMembership.status != "left"))
        .order_by(CommunityMembership.id)
    )


def leave(user: User, membership_id: int) -> None:
    with write_transaction():
        # Locked, and only the status written: a cadre's approval landing meanwhile keeps
        # who decided and when.
        membership = lock_for_update(
            CommunityMembership.select().where(
                (CommunityMembership.id == membership_id)
                & (CommunityMembership.user == user)
                & CommunityMembership.status.in_(LIVE)
            )
        ).first()
        if membership is None:
            raise NotFound("membership not found", key="membership_not_found")
        membership.status = "left"
        membership.save(only=[CommunityMembership.status])


# -- the cadre's side ------------------------------------------------------------------------
def memberships_in_scope(staff: StaffAccount, status: str | None):
    query = (
        CommunityMembership.select(CommunityMembership, Region, User)
        .join(Region, on=(CommunityMembership.community == Region.id))
        .switch(CommunityMembership)
        .join(User)
        .where(scope.under(CommunityMembership.region_path, staff.region_path))
        .order_by(CommunityMembership.id)
    )
    return query.where(CommunityMembership.status == status) if status else query


def decide(
    staff: StaffAccount, membership_id: int, approve: bool, note: str | None = None
) -> CommunityMembership:
    with write_transaction():
        # Only the membership's row: the region and the resident it joins are read, and
        # locking them would hold up that community's and that resident's other writes.
        membership = lock_for_update(
            memberships_in_scope(staff, None).where(CommunityMembership.id == membership_id),
            of=CommunityMembership,
        ).first()
        if membership is None:
            raise NotFound("membership not found", key="membership_not_found")
        if membership.status != "pending":
            raise Conflict(
                "this request is already %(status)s",
                key="already_decided",
                params={"status": i18n.Word(membership.status)},
            )
        membership.status = "approved" if approve else "rejected"
        membership.note, membership.decided_by, membership.decided_at = note, staff, clock.now()
        membership.save()
        audit.record(
            f"membership.{membership.status}",
            "membership",
            membership.id,
            membership.region_path,
            staff=staff,
        )
    return membership


def issue_community_code(staff: StaffAccount, community_code: str) -> ShopCode:
    """A printed code for a community in scope; a reissue revokes the old one at once."""
    with write_transaction():
        community = Region.get_or_none(
            (Region.code == community_code) & (Region.level == "community")
        )
        if community is None or not scope.covers(staff, community.path):
            raise NotFound("community not found", key="community_not_found")
        # Reissues of one community take turns: a second one running alongside would not
        # see the first's new code to revoke it, and both would stay live.
        lock_row(Region, community.id)
        now = clock.now()
        (
            ShopCode.update(revoked_at=now)
            .where((ShopCode.region == community) & ShopCode.revoked_at.is_null())
            .execute()
        )
        code = ShopCode.create(
            code=codes.new_code_id(), kind="community", region=community, issued_at=now
        )
        audit.record(
            "community_code.issued",
            "region",
            community.code,
            community.path,
            staff=staff,
            detail={"code": code.code},
        )
    return code


def current_community_code(staff: StaffAccount, community_code: str) -> ShopCode:
    community = Region.get_or_none((Region.code == community_code) & (Region.level == "community"))
    if community is None or not scope.covers(staff, community.path):
        raise NotFound("community not found", key="community_not_found")
    code = ShopCode.get_or_none((ShopCode.region == community) & ShopCode.revoked_at.is_null())
    if code is None:
        raise NotFound("this community has no code yet", key="no_community_code")
    return code


def community_with_street(region_id: int) -> Region:
    """A community with its street's name, as its printed code's scan shows it."""
    street = Region.alias()
    return (
        Region.select(Region, street)
        .join(street, pw.JOIN.LEFT_OUTER, on=(Region.parent == street.id))
        .where(Region.id == region_id)
        .get()
    )


def status_in(user: User, region_id: int) -> str | None:
    """The user's standing in a community: pending, approved or rejected; None if not asked."""
    mine = (
        CommunityMembership.select(CommunityMembership.status)
        .where(
            (CommunityMembership.user == user)
            & (CommunityMembership.community == region_id)
            & (CommunityMembership.status != "left")
        )
        .order_by(CommunityMembership.id.desc())
        .first()
    )
    return mine.status if mine else None
