"""/api/v1/admin: work orders (一网统管) as dispatchers and departments handle them, the
routing rules that send them, and the departments and categories they name."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView

from backend.admin import blp, requires
from backend.admin import workorder_schemas as schemas
from backend.admin.schemas import VerifyOut
from backend.api import QueryPage
from backend.auth import current_staff
from backend.models.people import STAFF_ROLES
from backend.schemas import PhotoUpload, UploadOut
from backend.workorders import duplicates, orders, routing, stats, transitions
from backend.workorders.schemas import (
    CategoryOut,
    DuplicateOut,
    StaffOrderDetail,
    StaffOrderOut,
)

DISPATCHERS = ("admin",)


@blp.route("/work-orders")
class WorkOrders(MethodView):
    @requires(*STAFF_ROLES)
    @blp.arguments(schemas.OrderFilter, location="query")
    @blp.response(200, StaffOrderOut(many=True))
    @blp.paginate(QueryPage)
    def get(self, args):
        """Orders of my region (dispatchers) and of my department, newest first"""
        return orders.in_scope(current_staff(), args)

    @requires(*STAFF_ROLES)
    @blp.idempotent
    @blp.arguments(schemas.ReferralIn)
    @blp.response(201, StaffOrderDetail)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, body):
        """Refer a finding outside my remit: a new order, dispatched by the rules"""
        return orders.with_history(orders.refer(current_staff(), body))


@blp.route("/work-orders/stats")
class WorkOrderStats(MethodView):
    @requires(*STAFF_ROLES)
    @blp.arguments(schemas.StatsQuery, location="query")
    @blp.response(200, schemas.StatsOut)
    def get(self, args):
        """How the orders I reach were handled, by department and by street, for a period"""
        return stats.stats(current_staff(), args["since"], args["until"])


@blp.route("/work-orders/stats.csv")
class WorkOrderStatsExport(MethodView):
    @requires(*STAFF_ROLES)
    @blp.arguments(schemas.StatsQuery, location="query")
    @blp.binary("text/csv", description="the same figures as CSV (UTF-8 with BOM)")
    def get(self, args):
        """Export the figures as CSV"""
        body = stats.stats_csv(current_staff(), args["since"], args["until"])
        response = Response(body, mimetype="text/csv")
        name = f"work-orders-{args['since']}-{args['until']}.csv"
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


@blp.route("/work-orders/<string:number>")
class WorkOrderItem(MethodView):
    @requires(*STAFF_ROLES)
    @blp.response(200, StaffOrderDetail)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, number):
        """An order with its history (staff names masked)"""
        return orders.detail(current_staff(), number)


@blp.route("/work-orders/<string:number>/duplicates")
class WorkOrderDuplicates(MethodView):
    @requires(*DISPATCHERS)
    @blp.response(200, DuplicateOut(many=True))
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, number):
        """Open orders of the same category within 50 m in the 7 days before: likely the
        same problem, to merge"""
        return duplicates.suggested(current_staff(), number)


@blp.route("/work-orders/<string:number>/history/verify")
class WorkOrderHistoryVerify(MethodView):
    @requires(*STAFF_ROLES)
    @blp.response(200, VerifyOut)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, number):
        """Walk the order's hash-chained history: ok, or the first broken seq"""
        return orders.verify_in_scope(current_staff(), number)


def _step(path: str, action, schema=None, roles=STAFF_ROLES, summary: str = ""):
    """One transition as its own POST: parse, one call, the order as it now stands."""

    if schema is None:

        def post(self, number):
            return orders.with_history(action(current_staff(), number))

        post = blp.doc(**{"x-no-body": True})(post)
    else:

        def post(self, body, number):
            return orders.with_history(action(current_staff(), number, **body))

        post = blp.arguments(schema)(post)
    post.__doc__ = summary
    post = blp.alt_response(409, response="CONFLICT")(post)
    post = blp.alt_response(404, response="NOT_FOUND")(post)
    post = blp.response(200, StaffOrderDetail)(post)
    post = requires(*roles)(post)
    view = type(f"WorkOrder{path.title().replace('-', '')}", (MethodView,), {"post": post})
    blp.route(f"/work-orders/<string:number>/{path}")(view)


_step("sign", transitions.sign, summary="签收: my department takes the order on")
_step(
    "return",
    transitions.send_back,
    schemas.ReasonIn,
    summary="退单: not my department's; back to the dispatchers, with a reason",
)
_step(
    "decline",
    transitions.decline,
    schemas.ReasonIn,
    summary="不予受理: a complaint the regulator does not take up, with the reason",
)
_step("start", transitions.start, summary="The department starts work on a signed order")
_step(
    "resolve",
    transitions.resolve,
    schemas.ResolutionIn,
    summary="办结: what was done, with photos; the reporter is told and asked to rate it",
)
_step(
    "transfer",
    lambda s, n, department, reason: transitions.transfer(s, n, department, reason),
    schemas.TransferIn,
    summary="转办: to another department, with a reason",
)
_step(
    "extension",
    transitions.ask_extension,
    schemas.ExtensionIn,
    summary="延期: ask the dispatchers for more working days",
)
_step(
    "extension-decision",
    transitions.decide_extension,
    schemas.ExtensionDecisionIn,
    DISPATCHERS,
    summary="Grant or refuse the extension a department asked for",
)
_step(
    "dispatch",
    lambda s, n, department: transitions.dispatch(s, n, department),
    schemas.DispatchIn,
    DISPATCHERS,
    summary="Dispatch by hand: an order no rule caught, or one sent back",
)
_step(
    "supervise",
    transitions.supervise,
    schemas.NoteIn,
    DISPATCHERS,
    summary="督办: a supervision note on an order, counted and on its history",
)
_step("close", transitions.close, None, DISPATCHERS, summary="Close a resolved order")
_step(
    "reopen",
    transitions.reopen,
    schemas.ReasonIn,
    DISPATCHERS,
    summary="Reopen a resolved or closed order: back to its department",
)
_step(
    "merge",
    transitions.merge,
    schemas.MergeIn,
    DISPATCHERS,
    summary="Merge a duplicate into the order it repeats; its reporter follows that one",
)


@blp.route("/routing-rules")
class RoutingRules(MethodView):
    @requires(*DISPATCHERS)
    @blp.response(200, schemas.RuleOut(many=True))
    @blp.paginate(QueryPage)
    def get(self):
        """The routing rules of my region's subtree"""
        return routing.rules_in_scope(current_staff())

    @requires(*DISPATCHERS)
    @blp.arguments(schemas.RuleIn)
    @blp.response(201, schemas.RuleOut)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body):
        """A rule: orders of a category (or any) in a region's subtree go to a department"""
        return routing.add_rule(current_staff(), body)


@blp.route("/routing-rules/<int:rule_id>")
class RoutingRuleItem(MethodView):
    @requires(*DISPATCHERS)
    @blp.response(204)
    @blp.alt_response(404, response="NOT_FOUND")
    def delete(self, rule_id):
        """Delete a routing rule"""
        routing.delete_rule(current_staff(), rule_id)


@blp.route("/uploads")
class StaffPhotos(MethodView):
    @requires(*STAFF_ROLES)
    @blp.arguments(PhotoUpload, location="files")
    @blp.response(201, UploadOut)
    @blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
    def post(self, files):
        """Upload a photo (JPEG or PNG, at most 5 MB) for an order: a finding, a result"""
        return orders.upload_photo(current_staff(), files["file"].stream)


@blp.route("/work-order-categories")
class Categories(MethodView):
    @requires(*STAFF_ROLES)
    @blp.response(200, CategoryOut(many=True))
    def get(self):
        """What an order can be about, with each one's time to sign and to resolve"""
        return routing.categories()


@blp.route("/work-order-categories/<string:code>")
class CategoryTimes(MethodView):
    @requires(*DISPATCHERS)
    @blp.arguments(schemas.CategoryTimesIn)
    @blp.response(200, CategoryOut)
    @blp.alt_response(404, response="NOT_FOUND")
    def patch(self, body, code):
        """A category's working days to sign and to resolve (the district's admins): for
        orders made from now on"""
        return routing.set_times(current_staff(), code, body)
