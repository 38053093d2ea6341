"""A shop's employees and their health certificates, masked for all but the owner."""

from __future__ import annotations

from backend import lifecycle, masking
from backend.db import write_transaction
from backend.errors import Conflict, NotFound
from backend.inspections import risk
from backend.models import Employee, Shop, User
from backend.shops.access import member_shop, membership_of


def _refuse_a_held_certificate(shop: Shop, number: str, editing: Employee | None = None) -> None:
    same = (Employee.shop == shop) & (Employee.health_cert_number == number)
    if editing is not None:
        same &= Employee.id != editing.id
    if Employee.select().where(same).exists():
        raise Conflict.field(
            "health_cert_number",
            "an employee of this shop already holds this certificate",
            key="duplicate_certificate",
        )


def employees(user: User, public_id: str) -> list[Employee]:
    """The shop's employees, masked for all but the owner (masking.employees_for)."""
    membership = membership_of(user, public_id)
    return masking.employees_for(
        membership.role,
        list(Employee.select().where(Employee.shop == membership.shop_id).order_by(Employee.id)),
    )


def add_employee(user: User, public_id: str, data: dict) -> Employee:
    with write_transaction():
        shop = member_shop(user, public_id)
        _refuse_a_held_certificate(shop, data["health_cert_number"])
        employee = Employee.create(shop=shop, **data)
        # Names and certificate numbers stay out of the chain: it outlives a deletion request.
        lifecycle.append(
            shop,
            "employee.added",
            lifecycle.actor_for_user(user),
            {
                "employee": employee.public_id,
                "certificate_expires": employee.health_cert_expires,
            },
        )
        risk.refresh(shop)
    return employee


def _employee(shop: Shop, employee_id: str) -> Employee:
    employee = Employee.get_or_none((Employee.public_id == employee_id) & (Employee.shop == shop))
    if employee is None:
        raise NotFound("employee not found", key="employee_not_found")
    return employee


def update_employee(user: User, public_id: str, employee_id: str, data: dict) -> Employee:
    with write_transaction():
        membership = membership_of(user, public_id)
        shop = membership.shop
        employee = _employee(shop, employee_id)
        changed = {k: v for k, v in data.items() if getattr(employee, k) != v}
        if not changed:  # a form sent again as it was: nothing happened to record
            return masking.employees_for(membership.role, [employee])[0]
        if "health_cert_number" in changed:
            _refuse_a_held_certificate(shop, changed["health_cert_number"], editing=employee)
        for field, value in changed.items():
            setattr(employee, field, value)
        if "health_cert_expires" in changed:
            employee.expired_noted_for = None
        employee.save()
        lifecycle.append(
            shop,
            "employee.updated",
            lifecycle.actor_for_user(user),
            {
                "employee": employee.public_id,
                "certificate_expires": employee.health_cert_expires,
            },
        )
        risk.refresh(shop)
    return masking.employees_for(membership.role, [employee])[0]


def remove_employee(user: User, public_id: str, employee_id: str) -> None:
    with write_transaction():
        shop = member_shop(user, public_id)
        employee = _employee(shop, employee_id)
        lifecycle.append(
            shop,
            "employee.removed",
            lifecycle.actor_for_user(user),
            {"employee": employee.public_id},
        )
        employee.delete_instance()
        risk.refresh(shop)
