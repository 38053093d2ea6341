"""/api/v1/resident: my account, my communities, my resident code, ratings and complaints."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from qrcode.constants import ERROR_CORRECT_M

from backend import codes, residentcode
from backend.api import QueryPage
from backend.auth import current_user
from backend.community import membership
from backend.people import accounts
from backend.ratelimit import limiter
from backend.ratings import complaints, ratings
from backend.ratings.schemas import ComplaintOut, RatingOut
from backend.resident import blp, schemas


@blp.route("/memberships")
class Memberships(MethodView):
    @blp.response(200, schemas.MembershipOut(many=True))
    def get(self):
        """My communities and pending requests"""
        return membership.my_memberships(current_user())

    @blp.arguments(schemas.JoinRequest)
    @blp.response(201, schemas.MembershipOut)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body):
        """Ask to join the community whose code I scanned"""
        raw = body["code"].rstrip("/").rsplit("/", 1)[-1]
        return membership.join(current_user(), raw)


@blp.route("/memberships/<int:membership_id>")
class MembershipItem(MethodView):
    @blp.response(204)
    @blp.alt_response(404, response="NOT_FOUND")
    def delete(self, membership_id):
        """Leave a community (or withdraw a request)"""
        membership.leave(current_user(), membership_id)


@blp.route("/profile")
class Profile(MethodView):
    @blp.response(200, schemas.ProfileOut)
    def get(self):
        """My profile"""
        return current_user()

    @blp.arguments(schemas.DisplayNameChange)
    @blp.response(200, schemas.ProfileOut)
    @blp.asks_wechat
    def patch(self, body):
        """Change my display name (checked by WeChat's content check)"""
        return accounts.update_profile(current_user(), body["display_name"])


@blp.route("/phone")
class Phone(MethodView):
    @blp.arguments(schemas.PhoneBinding)
    @blp.response(200, schemas.ProfileOut)
    @blp.asks_wechat
    def post(self, body):
        """Bind the phone number I shared through WeChat"""
        return accounts.bind_phone(current_user(), body["code"])


@blp.route("/account")
class Account(MethodView):
    @blp.response(204)
    @blp.alt_response(409, response="CONFLICT", description="bound to a staff account")
    def delete(self):
        """Delete my account: personal data erased; my ratings and reports stay, anonymous"""
        accounts.delete_account(current_user())


@blp.route("/code")
class ResidentCode(MethodView):
    @blp.response(200, schemas.ResidentCodeOut)
    def get(self):
        """My personal resident code (valid 90 seconds; refresh every 30)"""
        code, expires = residentcode.issue(current_user())
        return {
            "code": code,
            "expires_at": expires,
            "refresh_in": residentcode.REFRESH_EVERY_SECONDS,
        }


def _code_image(render):
    code, _ = residentcode.issue(current_user())
    return render(code)


@blp.route("/code.svg")
class ResidentCodeSvg(MethodView):
    @blp.binary("image/svg+xml", description="a fresh resident code, error correction M")
    def get(self):
        """My resident code as SVG"""
        svg = _code_image(lambda c: codes.render_svg(c, error_correction=ERROR_CORRECT_M))
        return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})


@blp.route("/code.png")
class ResidentCodePng(MethodView):
    @blp.binary("image/png", description="a fresh resident code, error correction M")
    def get(self):
        """My resident code as PNG"""
        png = _code_image(lambda c: codes.render_png(c, size=480, error_correction=ERROR_CORRECT_M))
        return Response(png, mimetype="image/png", headers={"Cache-Control": "no-store"})


@blp.route("/shops/<string:shop_id>/ratings")
class ShopRatings(MethodView):
    decorators = [limiter.limit("10 per hour", methods=["POST"])]

    @blp.idempotent
    @blp.arguments(schemas.RatingIn)
    @blp.response(201, RatingOut, description="my new rating")
    @blp.alt_response(200, schema=RatingOut, description="my rating of the last 30 days, edited")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.asks_wechat
    def post(self, body, shop_id):
        """Rate a shop I scanned in the last 24 hours (again within 30 days edits it)"""
        rating, new = ratings.rate(current_user(), shop_id, body)
        return rating, 201 if new else 200


@blp.route("/ratings")
class MyRatings(MethodView):
    @blp.response(200, RatingOut(many=True))
    @blp.paginate(QueryPage)
    def get(self):
        """My ratings"""
        return ratings.my_ratings(current_user())


@blp.route("/shops/<string:shop_id>/complaints")
class ShopComplaints(MethodView):
    @blp.idempotent
    @blp.arguments(schemas.ComplaintIn)
    @blp.response(201, ComplaintOut)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.asks_wechat
    @blp.alt_response(409, response="CONFLICT", description="the same complaint was sent")
    @blp.alt_response(
        429, response="TOO_MANY_REQUESTS", description="three complaints about it today"
    )
    def post(self, body, shop_id):
        """Complain about a shop I scanned in the last 24 hours (or with a verified phone)"""
        return complaints.complain(
            current_user(), shop_id, body["category"], body["text"], body["rating_ticket"]
        )
