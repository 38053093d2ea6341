"""Reports (随手拍): a member reports a problem in their community. Filed, it becomes a work
order, dispatched by the rules to the department that owns it; the report's status
(received → in_hand → resolved) and reply follow the order. A cadre of the community may
still take a report in hand and resolve it themselves (自行处置, backend/workorders/
community.py), which this module's `move` does, as it always has.

Its text passes WeChat's content check: risky text is refused; text sent for review is
kept, because a report is only ever shown to the resident who made it and to the staff
who must act on it, never published. Reports filed before they became work orders keep
their own status, moved here.
"""

from __future__ import annotations

import peewee as pw
from flask import current_app

from backend import audit, clock, contentcheck, i18n, lifecycle, notify, scope, uploads
from backend.community.membership import approved_communities
from backend.db import lock_for_update, lock_row, write_transaction
from backend.errors import Conflict, Invalid, NotFound
from backend.i18n import N_
from backend.models import Region, Report, ServiceCategory, StaffAccount, Upload, User
from backend.models.community import REPORT_STATUSES
from backend.workorders import orders, self_handling

# A report's status in the reader's words (the values of %(…)s in messages), for the catalog.
_WORDS = (N_("received"), N_("in_hand"), N_("resolved"))

CATEGORIES = {
    "environment": "环境卫生",
    "facilities": "公共设施",
    "safety": "安全隐患",
    "noise": "噪音扰民",
    "parking": "停车秩序",
    "other": "其他",
}
ORDER = {status: rank for rank, status in enumerate(REPORT_STATUSES)}
STATUS_LABELS = {"received": "已受理", "in_hand": "处理中", "resolved": "已解决"}


def upload_photo(user: User, stream) -> Upload:
    """A photo a resident may attach to their own report; it belongs to no shop."""
    return uploads.store_personal(user, stream)


def _own_photo(user: User, upload_id: str | None) -> Upload | None:
    return uploads.personal(user.id, [upload_id], "photo")[0] if upload_id else None


def _my_community(user: User, code: str) -> Region:
    for community in approved_communities(user):
        if community.code == code:
            return community
    raise Invalid.field(
        "community", "not a community you are an approved member of", key="not_community_member"
    )


# -- the resident's side ----------------------------------------------------------------------
def file(user: User, data: dict) -> Report:
    community = _my_community(user, data["community"])
    text = data["text"].strip()
    contentcheck.check(user, text, "text")
    location = data.get("location") or {}
    with write_transaction():
        lock_row(User, user.id)  # a double tap's two requests take turns
        _refuse_a_repeat(user, community, data["category"], text)
        report = Report.create(
            user=user,
            community=community,
            region_path=community.path,
            category=data["category"],
            text=text,
            photo=_own_photo(user, data.get("photo")),
            lat=location.get("lat"),
            lng=location.get("lng"),
        )
        report.work_order = orders.open_order(
            source="report",
            category=ServiceCategory.get(ServiceCategory.code == report.category),
            region=community,
            description=text,
            actor=lifecycle.actor_for_user(user),
            reporter=user,
            location=location,
            photos=[report.photo.public_id] if report.photo_id else [],
            dispatch=False,
        )
        report.save()
        orders.send_on(report.work_order)  # its resident is told in the report's words
        return Report.get_by_id(report.id)


def _refuse_a_repeat(user: User, community: Region, category: str, text: str) -> None:
    """The same report sent twice (a double tap, a retry) while the first is still open
    would put two copies in the cadres' queue."""
    same = (
        Report.select(Report.public_id)
        .where(
            (Report.user == user)
            & (Report.community == community)
            & (Report.category == category)
            & (Report.text == text)
            & (Report.status != "resolved")
        )
        .first()
    )
    if same is not None:
        text = i18n.reason("already_sent", "already sent: %(id)s", id=same.public_id)
        raise Conflict(
            "you already sent this report (%(id)s); it is being handled",
            key="already_sent",
            params={"id": same.public_id},
            errors={"json": {"text": [text]}},
        )


def my_reports(user: User) -> pw.ModelSelect:
    return (
        Report.select(Report, Region)
        .join(Region)
        .where(Report.user == user)
        .order_by(Report.created_at.desc(), Report.id.desc())
    )


def my_report(user: User, public_id: str) -> Report:
    report = my_reports(user).where(Report.public_id == public_id).first()
    if report is None:
        raise NotFound("report not found", key="report_not_found")
    return report


# -- the staff's side -------------------------------------------------------------------------
def reports_in_scope(
    staff: StaffAccount,
    status: str | None = None,
    category: str | None = None,
    community_code: str | None = None,
    whole: bool = False,
) -> pw.ModelSelect:
    """Reports in `staff`'s subtree; `whole` shows the personal data in their text (audited)."""
    query = (
        Report.select(Report, Region, User)
        .join(Region)
        .switch(Report)
        .join(User, pw.JOIN.LEFT_OUTER)
        .where(scope.under(Report.region_path, staff.region_path))
        .order_by(Report.created_at.desc(), Report.id.desc())
    )
    if status:
        query = query.where(Report.status == status)
    if category:
        query = query.where(Report.category == category)
    if community_code:
        query = query.where(Region.code == community_code)
    if whole:
        query = audit.unmasked(query, staff, "reports", community_code or "*", staff.region_path)
    return query


def report_in_scope(staff: StaffAccount, public_id: str, whole: bool = False) -> Report:
    query = reports_in_scope(staff).where(Report.public_id == public_id)
    found = scope.find(
        staff,
        query,
        "report",
        public_id,
        Report.select(Report.region_path).where(Report.public_id == public_id),
    )
    if whole:
        return audit.unmasked(query, staff, "report", public_id, found.region_path).get()
    return found


def move(staff: StaffAccount, public_id: str, status: str, reply: str | None) -> Report:
    """Move a report forward; a resolved one carries the reply the resident will read.
    One that became a work order is then in the community's own hands (自行处置)."""
    reply = (reply or "").strip() or None
    with write_transaction():
        report_in_scope(staff, public_id)
        report = lock_for_update(Report.select().where(Report.public_id == public_id)).get()
        if ORDER[status] <= ORDER[report.status]:
            raise Conflict(
                "this report is already %(status)s; it cannot become %(to)s "
                "(a report only moves received → in_hand → resolved)",
                key="status_change_not_allowed",
                params={"status": i18n.Word(report.status), "to": i18n.Word(status)},
            )
        if status == "resolved" and reply is None:
            raise Invalid.field(
                "reply", "resolving a report needs a reply to the resident", key="reply_required"
            )
        if report.work_order_id is not None:
            self_handling.handle(staff, report.work_order_id, status, reply)
            Report.update(handled_by=staff).where(Report.id == report.id).execute()
        else:
            report.status, report.handled_by, report.updated_at = status, staff, clock.now()
            if reply is not None:
                report.reply = reply
            report.save()
            if report.user_id is not None:
                _tell_reporter(report)
        audit.record(
            f"report.{status}", "report", report.public_id, report.region_path, staff=staff
        )
    return Report.get_by_id(report.id)


def _tell_reporter(report: Report) -> None:
    """A subscribe message, sent once the move is committed; a refusal (43101) is only
    recorded."""
    template = current_app.config["CITYCODE"].wechat_template_report
    notify.send(
        report.user,
        None,
        template,
        f"report.{report.status}",
        {
            "thing1": CATEGORIES.get(report.category, report.category)[:20],
            "phrase2": STATUS_LABELS[report.status],
            "thing3": (report.reply or report.text)[:20],
            "time4": clock.now().astimezone(clock.SHANGHAI).strftime("%Y-%m-%d %H:%M"),
        },
        page=f"pages/reports/detail?id={report.public_id}",
    )
