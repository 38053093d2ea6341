"""/api/v1/admin: appeals of grades as the shop's regulator decides them, re-rating visits
waiting in inspectors' lists, and hiding a shop's reply (backend/grades)."""

from __future__ import annotations

from flask.views import MethodView

from backend.admin import blp, requires
from backend.api import QueryPage
from backend.auth import current_staff
from backend.grades import appeals, replies, reratings
from backend.grades import schemas as s
from backend.models.people import STAFF_ROLES


@blp.route("/appeals")
class Appeals(MethodView):
    @requires(*STAFF_ROLES)
    @blp.arguments(s.AppealFilter, location="query")
    @blp.response(200, s.AppealStaffOut(many=True))
    @blp.paginate(QueryPage)
    def get(self, args):
        """Appeals of my department and region: open first, by deadline; `overdue` for
        supervision"""
        staff = current_staff()
        return appeals.overdue(staff) if args["overdue"] else appeals.in_scope(staff)


@blp.route("/appeals/<string:appeal_id>")
class AppealItem(MethodView):
    @requires(*STAFF_ROLES)
    @blp.response(200, s.AppealStaffOut)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, appeal_id):
        """One appeal"""
        return appeals.one(current_staff(), appeal_id)


@blp.route("/appeals/<string:appeal_id>/decision")
class AppealDecision(MethodView):
    @requires(*STAFF_ROLES)
    @blp.arguments(s.AppealDecision)
    @blp.response(200, s.AppealStaffOut)
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body, appeal_id):
        """Decide an appeal: upheld, or changed with the checklist as it should read (not
        by the inspection's inspector or co-inspector)"""
        return appeals.decide(
            current_staff(), appeal_id, body["outcome"], body["note"], body["checklist"]
        )


@blp.route("/reratings")
class Reratings(MethodView):
    @requires(*STAFF_ROLES)
    @blp.response(200, s.RerateStaffOut(many=True))
    @blp.paginate(QueryPage)
    def get(self):
        """Re-rating visits waiting in my region, soonest deadline first: the visit is
        the next inspection, unannounced"""
        return reratings.waiting_in_scope(current_staff())


@blp.route("/shops/<string:shop_id>/reply/hide")
class HideReply(MethodView):
    @requires("admin")
    @blp.arguments(s.HideReply)
    @blp.response(200, s.GradeReplyOut)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, body, shop_id):
        """Hide a shop's reply, for a reason the owner is told (audited)"""
        return replies.hide(current_staff(), shop_id, body["reason"], body["note"])
