"""Writing a policy and taking it through draft → scheduled → published → withdrawn, by an
admin inside their region or by a department's staff for their department; and the
preview of whom it would reach, before anyone is told."""

from __future__ import annotations

import json
from datetime import datetime

import peewee as pw

from backend import audit, clock, notify, queued, scope, uploads
from backend.db import lock_for_update, write_transaction
from backend.errors import Conflict, Forbidden, Invalid, NotFound
from backend.models import (
    Policy,
    PolicyDelivery,
    Region,
    StaffAccount,
    Upload,
)
from backend.policies import audience, matching

# What a publisher may change while a policy is out, without its being a new version.
EDITABLE = (
    "title",
    "body",
    "links",
    "attachments",
    "valid_from",
    "valid_to",
    "action_text",
    "action_due",
    "action_link",
    "public",
)


def visible(staff: StaffAccount) -> pw.ModelSelect:
    """An admin's policies are those of their region's subtree; a department's staff, their
    department's in their region's subtree; anyone else publishes none."""
    if staff.role == "admin":
        return Policy.select().where(scope.under(Policy.region_path, staff.region_path))
    if staff.department_id is not None:
        return Policy.select().where(
            (Policy.department == staff.department_id)
            & scope.under(Policy.region_path, staff.region_path)
        )
    raise Forbidden("only admins and departments' staff publish policies", key="not_a_publisher")


def find(staff: StaffAccount, public_id: str, lock: bool = False) -> Policy:
    query = visible(staff).where(Policy.public_id == public_id)
    return scope.find(
        staff,
        lock_for_update(query) if lock else query,
        "policy",
        public_id,
        Policy.select(Policy.region_path).where(Policy.public_id == public_id),
    )


def listed(staff: StaffAccount, status: str | None = None) -> pw.ModelSelect:
    query = visible(staff)
    if status:
        query = query.where(Policy.status == status)
    return query.order_by(Policy.created_at.desc(), Policy.id.desc())


def reach_of(staff: StaffAccount, code: str | None) -> Region:
    visible(staff)  # only a publisher has a reach
    return scope.region(staff, code) if code else Region.get_by_id(staff.region_id)


def _checked(data: dict, reach: Region) -> dict:
    if data.get("public") and (data["kind"] == "policy" or data["target"] != "shops"):
        raise Invalid.field(
            "public",
            "only laws and notices for shops are shown on shops' codes",
            key="not_public_kind",
        )
    valid_from, valid_to = data.get("valid_from"), data.get("valid_to")
    if valid_from and valid_to and valid_to < valid_from:
        raise Invalid.field("valid_to", "ends before it starts", key="ends_before_start")
    audience.check(data["audience"], data["target"], reach)
    if data.get("public") and not matching.by_category_only(data["audience"]):
        raise Invalid.field(
            "public",
            "a public law or notice is for shops by category alone: the code shows it to "
            "everyone in the reach",
            key="public_by_category",
        )
    return data


def _fields(data: dict) -> dict:
    kept_as_json = ("audience", "links", "attachments", "action")
    fields = {k: v for k, v in data.items() if k not in kept_as_json}
    if "action" in data:
        action = data["action"] or {}
        fields.update(
            action_text=action.get("text"),
            action_due=action.get("due"),
            action_link=action.get("link"),
        )
    for name in ("links", "attachments"):
        if name in data:
            fields[name] = _stored(data[name])
    if "audience" in data:
        fields["audience"] = _stored(data["audience"])
        fields["public_categories"] = matching.public_categories(data["audience"])
    return fields


def _stored(value) -> str:
    """A policy's list or expression as its JSON column keeps it."""
    return json.dumps(value, ensure_ascii=False)


def _own_documents(staff: StaffAccount, attachments: list[dict], kept: str = "[]") -> None:
    """Attachments new to the policy are PDFs the publisher uploaded; those it already had
    stay, whoever attached them."""
    had = {a["id"] for a in json.loads(kept)}
    new = [a["id"] for a in attachments if a["id"] not in had]
    if new:
        uploads.personal(staff.user_id, new, "attachments", documents=True)


def create(staff: StaffAccount, data: dict) -> Policy:
    reach = reach_of(staff, data.pop("region", None))
    data = _checked(data, reach)
    _own_documents(staff, data.get("attachments", []))
    department = staff.department if staff.department_id else None
    with write_transaction():
        policy = Policy.create(
            **_fields(data),
            region=reach,
            region_path=reach.path,
            department=department,
            issuer=department.name if department else reach.name,
            created_by=staff,
        )
        audit.record("policy.created", "policy", policy.public_id, reach.path, staff=staff)
    return policy


def update(staff: StaffAccount, public_id: str, data: dict) -> Policy:
    """A draft or scheduled policy changes freely. One that is out keeps its audience,
    kind and target; `material` makes the change a new version, and `push_again` sends
    that version to everyone it reaches, those who had the last one too."""
    material, again = data.pop("material", False), data.pop("push_again", False)
    with write_transaction():
        policy = find(staff, public_id, lock=True)
        if policy.status == "withdrawn":
            raise Conflict("a withdrawn policy is not changed", key="policy_withdrawn")
        out = policy.status == "published"
        if out and set(data) - set(EDITABLE) - {"action"}:
            raise Conflict(
                "a published policy keeps its audience; withdraw it and publish a new one",
                key="policy_published",
            )
        merged = {**_current(policy), **data}
        _checked(merged, Region.get_by_id(policy.region_id))
        if "attachments" in data:
            _own_documents(staff, data["attachments"], policy.attachments)
        for name, value in _fields(data).items():
            setattr(policy, name, value)
        if out and (material or again):
            policy.version += 1
            if again:
                policy.push_from_version = policy.version
        policy.push_pending = out
        policy.updated_at = clock.now()
        policy.save()
        audit.record("policy.updated", "policy", policy.public_id, policy.region_path, staff=staff)
        if out:
            _push_after_commit(policy)
    return policy


def _current(policy: Policy) -> dict:
    return {
        "kind": policy.kind,
        "target": policy.target,
        "audience": json.loads(policy.audience),
        "public": policy.public,
        "valid_from": policy.valid_from,
        "valid_to": policy.valid_to,
    }


def upload_attachment(staff: StaffAccount, stream) -> Upload:
    """A PDF to attach to a policy, kept as its publisher's."""
    visible(staff)  # only publishers upload them
    return uploads.store_document(staff.user, stream)


def attachment(upload_id: str) -> Upload:
    """An attachment anyone may read: one of a published policy's."""
    # The pair as _stored wrote it into the policy's attachments.
    named = _stored({"id": upload_id})[1:-1]
    found = (
        Upload.select()
        .join(Policy, on=Policy.attachments.contains(named))
        .where((Upload.public_id == upload_id) & (Policy.status == "published"))
        .first()
    )
    if found is None:
        raise NotFound("attachment not found", key="attachment_not_found")
    return found


def publish(staff: StaffAccount, public_id: str, at: datetime | None = None) -> Policy:
    """Out now, or scheduled for `at`; the engine matches and pushes it either way."""
    with write_transaction():
        policy = find(staff, public_id, lock=True)
        if policy.status not in ("draft", "scheduled"):
            raise Conflict("this policy is already out", key="policy_not_draft")
        if policy.valid_to is not None and policy.valid_to < clock.today_local():
            raise Invalid.field("valid_to", "this policy has expired", key="policy_expired")
        now = clock.now()
        if at is not None and at > now:
            policy.status, policy.publish_at = "scheduled", at
        else:
            policy.status, policy.published_at, policy.push_pending = "published", now, True
            _push_after_commit(policy)
        policy.save()
        audit.record(
            f"policy.{policy.status}", "policy", policy.public_id, policy.region_path, staff=staff
        )
    return policy


def publish_due() -> list[int]:
    """Scheduled policies whose time has come are out (the engine's every minute)."""
    now = clock.now()
    with write_transaction():
        due = [
            p.id
            for p in lock_for_update(
                Policy.select(Policy.id).where(
                    (Policy.status == "scheduled")
                    & (Policy.publish_at <= now)
                    # One that expired while it waited goes out to no one.
                    & (Policy.valid_to.is_null() | (Policy.valid_to >= clock.today_local()))
                )
            )
        ]
        if due:
            Policy.update(status="published", published_at=now, push_pending=True).where(
                Policy.id.in_(due)
            ).execute()
    return due


def withdraw(staff: StaffAccount, public_id: str, reason: str) -> Policy:
    """No further delivery: messages not yet sent are stopped. The record stays, and
    those who had it read 已撤回."""
    with write_transaction():
        policy = find(staff, public_id, lock=True)
        if policy.status not in ("scheduled", "published"):
            raise Conflict(
                "only a policy that is out or scheduled is withdrawn", key="policy_not_out"
            )
        policy.status, policy.withdrawn_at = "withdrawn", clock.now()
        policy.withdraw_reason, policy.push_pending = reason, False
        policy.save()
        notify.withdraw(
            PolicyDelivery.select(PolicyDelivery.message).where(PolicyDelivery.policy == policy)
        )
        audit.record(
            "policy.withdrawn", "policy", policy.public_id, policy.region_path, staff=staff
        )
    return policy


def _push_after_commit(policy: Policy) -> None:
    # The queue down: the engine's every-minute run pushes it (push_pending).
    queued.ask_after_commit("push_policy", policy.id)
