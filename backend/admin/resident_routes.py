"""/api/v1/admin: community membership, community codes, gate checks, held ratings, complaints."""

from __future__ import annotations

from flask import Response, current_app
from flask.views import MethodView

from backend import codes
from backend.admin import blp, requires, schemas
from backend.api import QueryPage
from backend.auth import current_staff
from backend.community import gates, membership
from backend.ratings import complaints, ratings
from backend.schemas import UnmaskedQuery

COMMUNITY_STAFF = ("cadre", "admin")


def _code_out(code):
    base = current_app.config["CITYCODE"].public_base_url
    return {
        "code": code.code,
        "url": codes.printed_url(base, code.code),
        "issued_at": code.issued_at,
    }


@blp.route("/memberships")
class Memberships(MethodView):
    @requires(*COMMUNITY_STAFF)
    @blp.arguments(schemas.MembershipFilter, location="query")
    @blp.response(200, schemas.CommunityMemberOut(many=True))
    @blp.paginate(QueryPage)
    def get(self, args):
        """Members and applicants of communities in my scope (masked)"""
        return membership.memberships_in_scope(current_staff(), args["status"])


@blp.route("/memberships/<int:membership_id>/approve")
class ApproveMembership(MethodView):
    @requires(*COMMUNITY_STAFF)
    @blp.arguments(schemas.MembershipDecision, required=False)
    @blp.response(200, schemas.CommunityMemberOut)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body, membership_id):
        """Admit a resident to the community"""
        return membership.decide(current_staff(), membership_id, True, body["note"])


@blp.route("/memberships/<int:membership_id>/reject")
class RejectMembership(MethodView):
    @requires(*COMMUNITY_STAFF)
    @blp.arguments(schemas.MembershipDecision, required=False)
    @blp.response(200, schemas.CommunityMemberOut)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body, membership_id):
        """Turn a request down"""
        return membership.decide(current_staff(), membership_id, False, body["note"])


@blp.route("/communities/<string:community_code>/code")
class CommunityCode(MethodView):
    @requires(*COMMUNITY_STAFF)
    @blp.response(200, schemas.CommunityCodeOut)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, community_code):
        """The community's current printed code"""
        return _code_out(membership.current_community_code(current_staff(), community_code))

    @requires(*COMMUNITY_STAFF)
    @blp.response(201, schemas.CommunityCodeOut)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.doc(**{"x-no-body": True})
    def post(self, community_code):
        """Issue the community's code; a reissue revokes the old one at once"""
        return _code_out(membership.issue_community_code(current_staff(), community_code))


@blp.route("/communities/<string:community_code>/code.png")
class CommunityCodePng(MethodView):
    @requires(*COMMUNITY_STAFF)
    @blp.binary("image/png", description="the community code with its name under it")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, community_code):
        """The community's code, print-ready"""
        staff = current_staff()
        code = membership.current_community_code(staff, community_code)
        png = codes.render_png(_code_out(code)["url"], size=600, caption=code.region.name)
        return Response(png, mimetype="image/png")


@blp.route("/resident-codes/verify")
class VerifyResidentCode(MethodView):
    @requires(*COMMUNITY_STAFF)
    @blp.arguments(schemas.ResidentCodeCheck)
    @blp.response(200, schemas.ResidentCodeVerdict)
    def post(self, body):
        """Check a resident's code at the gate: signature, expiry, once only, live membership"""
        return gates.verify_resident_code(current_staff(), body["code"])


@blp.route("/ratings")
class Ratings(MethodView):
    @requires(*COMMUNITY_STAFF)
    @blp.arguments(schemas.RatingFilter, location="query")
    @blp.response(200, schemas.StaffRatingOut(many=True))
    @blp.paginate(QueryPage)
    def get(self, args):
        """Ratings of shops in my scope (held ones by default)"""
        return ratings.ratings_in_scope(current_staff(), args["status"], args["unmasked"])


@blp.route("/ratings/<string:rating_id>/release")
class ReleaseRating(MethodView):
    @requires(*COMMUNITY_STAFF)
    @blp.response(200, schemas.StaffRatingOut)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    @blp.doc(**{"x-no-body": True})
    def post(self, rating_id):
        """Let a rating held for review be seen; it joins the shop's aggregate"""
        return ratings.release(current_staff(), rating_id)


@blp.route("/complaints")
class Complaints(MethodView):
    @requires("inspector", "cadre", "admin")
    @blp.arguments(UnmaskedQuery, location="query")
    @blp.response(200, schemas.StaffComplaintOut(many=True))
    @blp.paginate(QueryPage)
    def get(self, args):
        """Complaints about shops in my scope, newest first (personal data in them masked)"""
        return complaints.complaints_in_scope(current_staff(), args["unmasked"])
