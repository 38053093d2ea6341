"""Staff and departments, managed by admins inside their own region subtree only."""

from __future__ import annotations

import json

from backend import audit, scope
from backend.db import lock_for_update, write_transaction
from backend.errors import Conflict, Invalid
from backend.models import Department, Region, StaffAccount
from backend.people.staffing import create_staff, issue_binding_code, qualification_tags


def departments(admin: StaffAccount):
    return (
        Department.select(Department, Region)
        .join(Region)
        .where(scope.under(Region.path, admin.region_path))
        .order_by(Department.id)
    )


def department_in_scope(admin: StaffAccount, department_id: int, field="department"):
    department = departments(admin).where(Department.id == department_id).first()
    if department is None:
        raise Invalid.field(
            field, "no department with this id in your scope", key="department_not_in_scope"
        )
    return department


def create_department(admin: StaffAccount, name: str, kind: str, region_code: str):
    with write_transaction():
        region = scope.region(admin, region_code)
        department = Department.create(name=name, kind=kind, region=region)
        audit.record(
            "department.created",
            "department",
            department.id,
            region.path,
            staff=admin,
            detail={"name": name, "kind": kind},
        )
    return department


def staff_list(caller: StaffAccount, role: str | None = None, active: bool | None = None):
    query = scope.staff_accounts(caller).order_by(StaffAccount.id)
    if caller.role == "inspector":
        # An inspector looks colleagues up only to name a co-inspector on a two-person
        # inspection; the rest of the staff list is an admin's business.
        role, active = "inspector", True
    if role:
        query = query.where(StaffAccount.role == role)
    if active is not None:
        query = query.where(StaffAccount.active == active)
    return query


def staff_member(admin: StaffAccount, staff_id: int, lock: bool = False) -> StaffAccount:
    query = scope.staff_accounts(admin).where(StaffAccount.id == staff_id)
    return scope.find(
        admin,
        lock_for_update(query) if lock else query,
        "staff_member",
        staff_id,
        StaffAccount.select(StaffAccount.region_path).where(StaffAccount.id == staff_id),
    )


def read_staff_unmasked(admin: StaffAccount, staff_id: int) -> StaffAccount:
    member = staff_member(admin, staff_id)
    audit.record(
        audit.READ_UNMASKED,
        "staff",
        member.id,
        member.region_path,
        staff=admin,
        detail={"fields": ["name", "phone"]},
    )
    return member


def add_staff(admin: StaffAccount, data: dict) -> tuple[StaffAccount, str]:
    with write_transaction():
        region = scope.region(admin, data["region"])
        department = None
        if data.get("department") is not None:
            department = department_in_scope(admin, data["department"])
        member = create_staff(
            name=data["name"],
            role=data["role"],
            region=region,
            phone=data.get("phone"),
            department=department,
            created_by=admin,
            qualifications=data.get("qualifications") or (),
        )
        code = issue_binding_code(member)
        audit.record(
            "staff.created",
            "staff",
            member.id,
            region.path,
            staff=admin,
            detail={"role": member.role, "region": region.code},
        )
    return member, code


def set_qualifications(admin: StaffAccount, staff_id: int, tags: list[str]) -> StaffAccount:
    with write_transaction():
        member = staff_member(admin, staff_id, lock=True)
        member.qualifications = qualification_tags(tags)
        member.save()
        audit.record(
            "staff.qualifications",
            "staff",
            member.id,
            member.region_path,
            staff=admin,
            detail={"qualifications": json.loads(member.qualifications)},
        )
    return member


def new_binding_code(admin: StaffAccount, staff_id: int) -> tuple[StaffAccount, str]:
    with write_transaction():
        # Under the row's lock: two taps at once would each retire the codes before them
        # and leave both of theirs working.
        member = staff_member(admin, staff_id, lock=True)
        if member.user_id is not None:
            raise Conflict("already bound to a WeChat account", key="staff_already_bound")
        if not member.active:
            raise Conflict("this staff account is disabled", key="staff_disabled")
        code = issue_binding_code(member)
        audit.record("staff.binding_code", "staff", member.id, member.region_path, staff=admin)
    return member, code


def disable_staff(admin: StaffAccount, staff_id: int) -> StaffAccount:
    with write_transaction():
        member = staff_member(admin, staff_id, lock=True)
        if member.id == admin.id:
            raise Conflict("you cannot disable yourself", key="cannot_disable_self")
        if member.role == "admin" and member.active and _last_admin_of_its_region(member):
            raise Conflict(
                "this is the last active admin of its region; add another admin there first",
                key="last_admin",
            )
        # The WeChat account is let go with the role: a colleague who moves to another
        # region binds it to the account made for them there.
        released = member.user_id
        member.active, member.user = False, None
        member.save()
        audit.record(
            "staff.disabled",
            "staff",
            member.id,
            member.region_path,
            staff=admin,
            detail={"user": released},
        )
    return member


def _last_admin_of_its_region(member: StaffAccount) -> bool:
    """Without an active admin a region has nobody to add staff, approve shops or bind a
    new admin; only `citycode create-staff` on the server could mend it."""
    others = StaffAccount.select().where(
        (StaffAccount.region == member.region_id)
        & (StaffAccount.role == "admin")
        & (StaffAccount.active == True)  # noqa: E712  SQL, not Python
        & (StaffAccount.id != member.id)
    )
    return not lock_for_update(others).exists()
