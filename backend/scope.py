"""Region-subtree query scopes: the only way staff reach data.

A staff member's scope is their region's path; a row is in scope when its
region_path starts with it. Every staff query is built from these functions, so
a record outside scope is simply not found — the same 404 as a record that
does not exist.
"""

from __future__ import annotations

import re

import peewee as pw

from backend import audit
from backend.db import is_sqlite, lock_for_update
from backend.errors import Invalid, NotFound
from backend.i18n import N_
from backend.models import Region, Shop, StaffAccount

REGION_PATH = re.compile(r"^([0-9A-Za-z]+/)+$")


def under(column: pw.Field, path: str) -> pw.Expression:
    """`column` lies in the subtree rooted at `path` (a slash-terminated region path).

    A case-sensitive prefix match that can use an index: peewee writes LIKE as GLOB
    on SQLite, and PostgreSQL has a pattern-ops index for LIKE (see migrations).
    """
    if not REGION_PATH.match(path):
        raise ValueError(f"not a region path: {path!r}")
    return pw.Expression(column, "LIKE", path + ("*" if is_sqlite() else "%"))


def shops(staff: StaffAccount) -> pw.ModelSelect:
    return Shop.select().where(under(Shop.region_path, staff.region_path))


def shop(staff: StaffAccount, public_id: str, *, lock: bool = False) -> Shop:
    """The shop `public_id` if it lies in `staff`'s subtree, else not found.

    `lock` reads it under a row lock (inside a write transaction): a write that saves
    the shop row must start from its current values, or a concurrent rating's tally or
    status change would be written back stale.
    """
    query = shops(staff).where(Shop.public_id == public_id)
    return find(
        staff,
        lock_for_update(query) if lock else query,
        "shop",
        public_id,
        Shop.select(Shop.region_path).where(Shop.public_id == public_id),
    )


def find(
    staff: StaffAccount,
    in_scope: pw.ModelSelect,
    target_type: str,
    target_id,
    region_path_query: pw.ModelSelect,
):
    """The row `in_scope` (a query already limited to `staff`'s subtree) finds, else the
    not-found answer, audited when the row exists elsewhere (see not_found)."""
    found = in_scope.first()
    if found is None:
        raise not_found(staff, target_type, target_id, region_path_query)
    return found


# The 404 of each kind of record staff reach through a scope: its words and its key.
NOT_FOUND = {
    "shop": (N_("shop not found"), "shop_not_found"),
    "shop_request": (N_("shop request not found"), "shop_request_not_found"),
    "street": (N_("street not found"), "street_not_found"),
    "notice": (N_("notice not found"), "notice_not_found"),
    "poll": (N_("poll not found"), "poll_not_found"),
    "event": (N_("event not found"), "event_not_found"),
    "form": (N_("form not found"), "form_not_found"),
    "report": (N_("report not found"), "report_not_found"),
    "inspection": (N_("inspection not found"), "inspection_not_found"),
    "rectification_order": (N_("rectification order not found"), "rectification_not_found"),
    "staff_member": (N_("staff member not found"), "staff_not_found"),
    "work_order": (N_("work order not found"), "work_order_not_found"),
    "policy": (N_("policy not found"), "policy_not_found"),
}


def not_found(
    staff: StaffAccount, target_type: str, target_id, region_path_query: pw.ModelSelect
) -> NotFound:
    """The 404 for a record the caller cannot reach; if it exists elsewhere, audit the try.

    `region_path_query` selects the record's region path without any scope. The answer
    is the same either way, so the caller learns nothing; the audit log learns who tried.
    """
    region_path = region_path_query.scalar()
    if region_path is not None:
        audit.denied(staff, target_type, target_id, region_path)
    message, key = NOT_FOUND[target_type]
    return NotFound(message, key=key)


def covers(staff: StaffAccount, region_path: str) -> bool:
    return region_path.startswith(staff.region_path)


def whole_district(staff: StaffAccount) -> bool:
    """Whether `staff`'s region is the root of the tree, the district: their scope is
    everything, and what is the district's to decide is theirs."""
    return staff.region_path.count("/") == 1


def staff_accounts(staff: StaffAccount) -> pw.ModelSelect:
    return StaffAccount.select().where(under(StaffAccount.region_path, staff.region_path))


def street_path(path: str) -> str:
    """The path of the street `path` lies in, where figures are summed by street:
    '310104/310104003/310104003001/' → '310104/310104003/'."""
    return "".join(f"{part}/" for part in path.split("/")[:2])


def ancestors(path: str) -> list[str]:
    """`path` and every region above it: '310104/310104003/' → ['310104/', '310104/310104003/']."""
    parts = [p for p in path.split("/") if p]
    return ["".join(f"{p}/" for p in parts[: i + 1]) for i in range(len(parts))]


def region(staff: StaffAccount, code: str, field: str = "region") -> Region:
    """The region a staff member names in a request body: their own or one below it.

    Any other code is the same 422 on `field`, whether or not it exists; naming one
    that exists elsewhere is audited like any reach outside scope.
    """
    found = Region.get_or_none(Region.code == code)
    if found is None or not covers(staff, found.path):
        if found is not None:
            audit.denied(staff, "region", code, found.path)
        raise Invalid.field(
            field, "no region with this code in your scope", key="region_not_in_scope"
        )
    return found
