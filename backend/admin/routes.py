"""/api/v1/admin: what staff do, always within their region subtree."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView

from backend.admin import blp, requires, schemas
from backend.api import QueryPage
from backend.auth import current_staff
from backend.shops import decisions, printing, status
from backend.shops.schemas import ShopOut


@blp.route("/shop-requests")
class ShopRequests(MethodView):
    @requires("admin")
    @blp.arguments(schemas.RequestFilter, location="query")
    @blp.response(200, schemas.ShopRequestReview(many=True))
    @blp.paginate(QueryPage)
    @blp.alt_response(403, response="FORBIDDEN")
    def get(self, args):
        """Registrations, claims and changes of name or address in my scope (pending by default)"""
        return decisions.shop_requests(current_staff(), args["status"])


@blp.route("/shop-requests/<int:request_id>/approve")
class ApproveRequest(MethodView):
    @requires("admin")
    @blp.response(200, schemas.ShopRequestReview)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    @blp.doc(**{"x-no-body": True})
    def post(self, request_id):
        """Approve: a registered shop becomes active and gets its code; a claimant becomes
        owner; a shop takes the name or address its owner asked for"""
        return decisions.approve_request(current_staff(), request_id)


@blp.route("/shop-requests/<int:request_id>/reject")
class RejectRequest(MethodView):
    @requires("admin")
    @blp.arguments(schemas.Rejection)
    @blp.response(200, schemas.ShopRequestReview)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body, request_id):
        """Reject with a reason the applicant will read"""
        return decisions.reject_request(current_staff(), request_id, body["note"])


@blp.route("/shops/<string:shop_id>/status")
class ShopStatus(MethodView):
    @requires("admin")
    @blp.arguments(schemas.StatusChange)
    @blp.response(200, ShopOut)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, body, shop_id):
        """Suspend, reopen or close a shop in my scope"""
        return status.change(current_staff(), shop_id, body["status"], body["reason"])


@blp.route("/streets/<string:street_code>/codes")
class StreetCodes(MethodView):
    @requires("admin")
    @blp.arguments(schemas.PrintFormat, location="query")
    @blp.binary(
        "application/pdf",
        "application/zip",
        description="A4 sheets to print (PDF): a cover page (street, number of shops, date "
        "printed, issuer), then six stickers a page with cut marks, the codes as vectors; "
        "or one PNG sticker per active shop (ZIP)",
    )
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args, street_code):
        """Every active shop's code in a street, to print as stickers"""
        street, entries = printing.street_codes(current_staff(), street_code)
        if args["format"] == "zip":
            body, mimetype, ext = printing.street_codes_zip(entries), "application/zip", "zip"
        else:
            body = printing.street_codes_pdf(street, entries)
            mimetype, ext = "application/pdf", "pdf"
        response = Response(body, mimetype=mimetype)
        response.headers["Content-Disposition"] = f'attachment; filename="{street.code}.{ext}"'
        return response
