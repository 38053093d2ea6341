"""Creating staff accounts and the one-time codes that bind them to a WeChat user."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import timedelta

from backend import clock
from backend.errors import Invalid
from backend.models import BindingCode, Department, Region, StaffAccount
from backend.models.people import ASSIGNABLE_ROLES

BINDING_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
BINDING_CODE_LIFETIME = timedelta(days=3)


def hash_binding_code(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


def create_staff(
    name: str,
    role: str,
    region: Region,
    phone: str | None = None,
    department: Department | None = None,
    created_by: StaffAccount | None = None,
    qualifications: list[str] = (),
) -> StaffAccount:
    if role not in ASSIGNABLE_ROLES:
        raise Invalid.field(
            "role",
            "must be one of %(choices)s",
            key="not_one_of",
            params={"choices": ", ".join(ASSIGNABLE_ROLES)},
        )
    if (
        department is not None
        and not department.region.path.startswith(region.path)
        and not region.path.startswith(department.region.path)
    ):
        raise Invalid.field(
            "department",
            "works outside this staff member's region",
            key="department_outside_region",
        )
    return StaffAccount.create(
        name=name,
        role=role,
        phone=phone,
        region=region,
        region_path=region.path,
        department=department,
        created_by=created_by,
        qualifications=qualification_tags(qualifications),
    )


def qualification_tags(tags) -> str:
    """Stored once each, sorted: a plan's pool compares them as sets."""
    return json.dumps(sorted(set(tags)), ensure_ascii=False)


def issue_binding_code(staff: StaffAccount) -> str:
    """A fresh one-time code; only its hash is stored, so it is shown once. Codes issued
    before it stop working: an admin reissues one because the last was lost."""
    now = clock.now()
    (
        BindingCode.update(expires_at=now)
        .where(
            (BindingCode.staff == staff)
            & BindingCode.used_at.is_null()
            & (BindingCode.expires_at > now)
        )
        .execute()
    )
    code = "".join(secrets.choice(BINDING_CODE_ALPHABET) for _ in range(10))
    BindingCode.create(
        staff=staff,
        code_hash=hash_binding_code(code),
        expires_at=clock.now() + BINDING_CODE_LIFETIME,
    )
    return code
