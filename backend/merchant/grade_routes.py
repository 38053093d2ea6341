"""/api/v1/merchant: what the owner may do about the shop's grade — appeal an
inspection's grade, reply beside it, ask for a re-rating visit (backend/grades)."""

from __future__ import annotations

from flask.views import MethodView

from backend.auth import current_user
from backend.grades import appeals, replies, reratings
from backend.grades import schemas as s
from backend.merchant import SHOP, blp, member


@blp.route(f"{SHOP}/inspections/<string:inspection_id>/appeal")
class AppealFiling(MethodView):
    @member
    @blp.arguments(s.AppealIn)
    @blp.response(201, s.AppealOut)
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    @blp.asks_wechat
    def post(self, body, shop_id, inspection_id):
        """Appeal an inspection's grade (申请复核), once, within 21 days of its result"""
        return appeals.file(current_user(), shop_id, inspection_id, body["reason"], body["photos"])


@blp.route(f"{SHOP}/appeals")
class ShopAppeals(MethodView):
    @member
    @blp.response(200, s.AppealOut(many=True))
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, shop_id):
        """The shop's appeals, newest first, with how each was decided"""
        return appeals.of_shop(current_user(), shop_id)


@blp.route(f"{SHOP}/reply")
class GradeReply(MethodView):
    @member
    @blp.arguments(s.GradeReplyIn)
    @blp.response(201, s.GradeReplyOut)
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    @blp.asks_wechat
    def post(self, body, shop_id):
        """Publish the shop's reply about its latest inspection (商户说明), once"""
        return replies.publish(current_user(), shop_id, body["text"])


@blp.route(f"{SHOP}/replies")
class ShopReplies(MethodView):
    @member
    @blp.response(200, s.GradeReplyOut(many=True))
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, shop_id):
        """The shop's replies, newest first, and whether an admin hid one (and why)"""
        return replies.of_shop(current_user(), shop_id)


@blp.route(f"{SHOP}/rerating")
class Rerating(MethodView):
    @member
    @blp.arguments(s.RerateIn)
    @blp.response(201, s.RerateOut)
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body, shop_id):
        """Ask for a re-rating visit after putting things right (申请复查), once per
        inspection: accepted, with the date it comes by, never the day"""
        return reratings.request(current_user(), shop_id, body["evidence"], body["photos"])

    @member
    @blp.response(200, s.RerateOut(many=True))
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, shop_id):
        """The shop's re-rating requests, newest first"""
        return reratings.of_shop(current_user(), shop_id)
