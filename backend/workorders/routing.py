"""Which department an order goes to: the admin-kept rules (category + region subtree →
department). Of the rules that match, one for the order's category beats one for any
category, then the deepest region wins; a street's rule for any category is its default
department, catching the rest."""

from __future__ import annotations

import peewee as pw

from backend import audit, scope
from backend.db import write_transaction
from backend.errors import Conflict, Forbidden, Invalid, NotFound
from backend.models import Department, Region, RoutingRule, ServiceCategory, StaffAccount


def route(category: ServiceCategory, region_path: str) -> Department | None:
    return (
        Department.select()
        .join(RoutingRule)
        .where(
            RoutingRule.region_path.in_(scope.ancestors(region_path))
            & (RoutingRule.category.is_null() | (RoutingRule.category == category))
        )
        .order_by(
            RoutingRule.category.is_null(),
            pw.fn.LENGTH(RoutingRule.region_path).desc(),
        )
        .first()
    )


def regulator_for(region_path: str) -> Department | None:
    """The market regulator nearest above a place: a complaint about a shop goes to its
    street's 市场监管所, else to the district's 市场监督管理局."""
    return (
        Department.select()
        .join(Region)
        .where(
            (Department.kind == "market_supervision")
            & Region.path.in_(scope.ancestors(region_path))
        )
        .order_by(pw.fn.LENGTH(Region.path).desc())
        .first()
    )


def category(code: str, field: str = "category") -> ServiceCategory:
    found = ServiceCategory.get_or_none(ServiceCategory.code == code)
    if found is None:
        raise Invalid.field(field, "no such category", key="unknown_category")
    return found


def department_for(staff: StaffAccount, department_id: int, field: str = "department"):
    """A department the staff member may send work to: one of their region's subtree or
    above it (a street sends food safety to the district's regulator)."""
    department = (
        Department.select(Department, Region)
        .join(Region)
        .where(Department.id == department_id)
        .first()
    )
    if department is None or not (
        scope.covers(staff, department.region.path)
        or staff.region_path.startswith(department.region.path)
    ):
        raise Invalid.field(field, "no such department", key="unknown_department")
    return department


# -- the rules, as an admin keeps them ----------------------------------------------------
def rules_in_scope(staff: StaffAccount) -> pw.ModelSelect:
    return (
        RoutingRule.select(RoutingRule, Region, Department)
        .join(Region)
        .switch(RoutingRule)
        .join(Department)
        .where(scope.under(RoutingRule.region_path, staff.region_path))
        .order_by(RoutingRule.region_path, RoutingRule.id)
    )


def add_rule(staff: StaffAccount, data: dict) -> RoutingRule:
    with write_transaction():
        region = scope.region(staff, data["region"])
        department = department_for(staff, data["department"])
        kind = category(data["category"]) if data.get("category") else None
        taken = RoutingRule.select().where(
            (RoutingRule.region == region)
            & (RoutingRule.category.is_null() if kind is None else RoutingRule.category == kind)
        )
        if taken.exists():
            raise Conflict(
                "a rule for this category and region exists; delete it first",
                key="rule_exists",
            )
        rule = RoutingRule.create(
            category=kind,
            region=region,
            region_path=region.path,
            department=department,
            created_by=staff,
        )
        audit.record("routing_rule.added", "routing_rule", rule.id, region.path, staff=staff)
    return rules_in_scope(staff).where(RoutingRule.id == rule.id).get()


def delete_rule(staff: StaffAccount, rule_id: int) -> None:
    with write_transaction():
        rule = rules_in_scope(staff).where(RoutingRule.id == rule_id).first()
        if rule is None:
            raise NotFound("routing rule not found", key="routing_rule_not_found")
        audit.record("routing_rule.deleted", "routing_rule", rule.id, rule.region_path, staff=staff)
        rule.delete_instance()


def categories() -> list[ServiceCategory]:
    return list(ServiceCategory.select().order_by(ServiceCategory.id))


def set_times(staff: StaffAccount, code: str, data: dict) -> ServiceCategory:
    """A category's working days to sign and to resolve, the district's to set: orders
    made from now on are timed by them, those already open keep their deadlines."""
    if not scope.whole_district(staff):
        raise Forbidden(
            "only the district's admins set a category's deadlines", key="district_admin_only"
        )
    with write_transaction():
        kind = ServiceCategory.get_or_none(ServiceCategory.code == code)
        if kind is None:
            raise NotFound("no such category", key="category_not_found")
        for field in ("sign_working_days", "resolve_working_days"):
            if data.get(field) is not None:
                setattr(kind, field, data[field])
        if kind.sign_working_days > kind.resolve_working_days:
            raise Invalid.field(
                "sign_working_days", "signing cannot take longer than resolving", key="too_large"
            )
        kind.save()
        audit.record(
            "work_order_category.timed",
            "work_order_category",
            code,
            staff.region_path,
            staff=staff,
            detail={
                "sign_working_days": kind.sign_working_days,
                "resolve_working_days": kind.resolve_working_days,
            },
        )
    return kind
