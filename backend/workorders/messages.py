"""What the person who raised an order is told, through the outbox: that it went to a
department, that it was resolved (and how), and that it is closed; merged into another
or reopened too. A resident's report speaks in the report template its pages know."""

from __future__ import annotations

from flask import current_app

from backend import clock, notify
from backend.models import Report, ServiceCategory, StaffAccount, WorkOrder

# WeChat's phrase field holds at most five characters; thing, twenty.
PHRASES = {
    "dispatched": "已派发",
    "resolved": "已办结",
    "closed": "已关闭",
    "merged": "已合并",
    "reopened": "重新办理",
}
STEP_LABELS = {
    "dispatched": "已派发至承办部门",
    "resolved": "已办结，请评价",
    "closed": "已办结归档",
    "merged": "已并入相同问题的工单",
    "reopened": "已重新办理",
}
# A report's steps, in the words (and subjects) its pages have always used.
REPORT_STEPS = {
    "dispatched": ("received", "已受理"),
    "self_handled": ("in_hand", "处理中"),
    "resolved": ("resolved", "已解决"),
    "closed": ("closed", "已关闭"),
    "merged": ("merged", "已合并"),
    "reopened": ("reopened", "重新办理"),
}


def tell_reporter(order: WorkOrder, step: str) -> None:
    if order.reporter_id is None:
        return
    category = ServiceCategory.get_by_id(order.category_id)
    settings = current_app.config["CITYCODE"]
    report = Report.get_or_none(Report.work_order == order.id)
    if report is not None:
        status, phrase = REPORT_STEPS[step]
        notify.send(
            order.reporter,
            None,
            settings.wechat_template_report,
            f"report.{status}",
            {
                "thing1": category.name[:20],
                "phrase2": phrase,
                "thing3": (order.result or report.text)[:20],
                "time4": _now(),
            },
            page=f"pages/reports/detail?id={report.public_id}",
        )
        return
    said = order.result if step == "resolved" and order.result else STEP_LABELS[step]
    notify.send(
        order.reporter,
        order.shop,
        settings.wechat_template_work_order,
        f"work_order.{step}",
        {
            "character_string1": order.number,
            "thing2": category.name[:20],
            "phrase3": PHRASES[step],
            "thing4": said[:20],
            "time5": _now(),
        },
        page=f"pages/work-orders/detail?number={order.number}",
    )


def tell_department(order: WorkOrder, note: str) -> int:
    """A supervision note, to every active member of staff of the department holding the
    order who has signed in; how many were written."""
    if order.department_id is None:
        return 0
    staff = StaffAccount.select().where(
        (StaffAccount.department == order.department_id)
        & (StaffAccount.active == True)  # noqa: E712  SQL, not Python
        & StaffAccount.user.is_null(False)
    )
    category = ServiceCategory.get_by_id(order.category_id)
    template = current_app.config["CITYCODE"].wechat_template_work_order
    for member in staff:
        notify.send(
            member.user,
            order.shop,
            template,
            "work_order.supervised",
            {
                "character_string1": order.number,
                "thing2": category.name[:20],
                "phrase3": "督办",
                "thing4": note[:20],
                "time5": _now(),
            },
            page=f"pages/staff/work-orders/detail?number={order.number}",
        )
    return len(staff)


def _now() -> str:
    return clock.now().astimezone(clock.SHANGHAI).strftime("%Y-%m-%d %H:%M")
