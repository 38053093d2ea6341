"""/api/v1/admin: shops in scope, their record and its verification, the dashboard and the
audit log."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView

from backend import notify, scope
from backend.admin import blp, requires, schemas
from backend.api import QueryPage
from backend.auth import current_staff
from backend.models.people import STAFF_ROLES
from backend.oversight import audit_log, dashboard, exports
from backend.schemas import LifecycleEventOut
from backend.shops import access, licences, members, record
from backend.shops.schemas import LicenceOut, ShopOut

REGULATORS = ("inspector", "admin")


@blp.route("/shops")
class ShopList(MethodView):
    @requires(*STAFF_ROLES)
    @blp.arguments(schemas.ShopFilter, location="query")
    @blp.response(200, ShopOut(many=True))
    @blp.paginate(QueryPage)
    def get(self, args):
        """Shops in my scope, filtered"""
        return access.shops_in_scope(current_staff(), args)


@blp.route("/shops/export.csv")
class ShopExport(MethodView):
    @requires(*STAFF_ROLES)
    @blp.arguments(schemas.ShopFilter, location="query")
    @blp.binary("text/csv", description="the same shops as the list, as CSV (UTF-8 with BOM)")
    def get(self, args):
        """Export the shops in my scope as CSV"""
        return Response(
            exports.shops_csv(current_staff(), args),
            mimetype="text/csv",
            headers={"Content-Disposition": 'attachment; filename="shops.csv"'},
        )


@blp.route("/shops/<string:shop_id>")
class ShopDetail(MethodView):
    @requires(*STAFF_ROLES)
    @blp.response(200, ShopOut)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, shop_id):
        """A shop in my scope"""
        return scope.shop(current_staff(), shop_id)


@blp.route("/shops/<string:shop_id>/contacts")
class ShopContacts(MethodView):
    @requires(*REGULATORS)
    @blp.response(200, schemas.Contact(many=True))
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, shop_id):
        """The shop's people with their phone numbers, unmasked (the read is audited)"""
        return members.shop_contacts(current_staff(), shop_id)


@blp.route("/shops/<string:shop_id>/licences/<string:licence_id>/verify")
class LicenceVerification(MethodView):
    @requires(*REGULATORS)
    @blp.response(200, LicenceOut)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.doc(**{"x-no-body": True})
    def post(self, shop_id, licence_id):
        """A regulator has seen the original licence"""
        return licences.verify_licence(current_staff(), shop_id, licence_id)


@blp.route("/shops/<string:shop_id>/lifecycle")
class ShopLifecycle(MethodView):
    @requires(*STAFF_ROLES)
    @blp.response(200, LifecycleEventOut(many=True))
    @blp.paginate(QueryPage)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, shop_id):
        """The shop's lifecycle record, newest first"""
        return record.events_in_scope(current_staff(), shop_id)


@blp.route("/shops/<string:shop_id>/lifecycle/verify")
class ShopLifecycleVerify(MethodView):
    @requires(*STAFF_ROLES)
    @blp.response(200, schemas.VerifyOut)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, shop_id):
        """Walk the chain (and the inspections it vouches for): ok, or the first broken seq"""
        return record.verify_in_scope(current_staff(), shop_id)


@blp.route("/stats")
class Dashboard(MethodView):
    @requires(*STAFF_ROLES)
    @blp.response(200, schemas.Stats)
    def get(self):
        """The dashboard for my scope"""
        return dashboard.stats(current_staff())


@blp.route("/audit")
class AuditLog(MethodView):
    @requires("admin")
    @blp.arguments(schemas.AuditFilter, location="query")
    @blp.response(200, schemas.AuditOut(many=True))
    @blp.paginate(QueryPage)
    def get(self, args):
        """The audit log about records in my scope, newest first"""
        return audit_log.entries_in_scope(current_staff(), args["action"], args["target_type"])


@blp.route("/outbox/stats")
class OutboxStats(MethodView):
    @requires("admin")
    @blp.response(200, schemas.OutboxStats)
    def get(self):
        """The outbox in my scope: messages by status and template, the oldest pending one's
        age"""
        return notify.stats_in_scope(current_staff())
