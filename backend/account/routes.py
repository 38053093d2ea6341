"""/api/v1/auth/* and /api/v1/me."""

from __future__ import annotations

from flask.views import MethodView

from backend.account import schemas
from backend.api import Blueprint, public
from backend.auth import current_user, session_id
from backend.people import sessions
from backend.ratelimit import per_address_refresh, per_client, per_refresh_token

blp = Blueprint("account", __name__, url_prefix="/api/v1", description="Sign in, tokens and me")


@blp.route("/auth/login")
@public
class Login(MethodView):
    decorators = [per_client]

    @blp.arguments(schemas.LoginRequest)
    @blp.response(200, schemas.TokenPair)
    @blp.alt_response(
        401,
        response="UNAUTHORIZED",
        description="the wx.login() code is invalid, expired or already used",
    )
    @blp.alt_response(502, response="BAD_GATEWAY")
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def post(self, body):
        """Exchange a wx.login() code for an access token and a refresh token"""
        return sessions.login(body["code"])


@blp.route("/auth/refresh")
@public
class Refresh(MethodView):
    decorators = [per_refresh_token, per_address_refresh]

    @blp.arguments(schemas.RefreshRequest)
    @blp.response(200, schemas.TokenPair)
    @blp.alt_response(
        401,
        response="UNAUTHORIZED",
        description="unknown, expired or already used (a reuse ends the login)",
    )
    def post(self, body):
        """Trade a refresh token for a new pair; a refresh token works once"""
        return sessions.refresh(body["refresh_token"])


@blp.route("/auth/logout")
class Logout(MethodView):
    @blp.arguments(schemas.RefreshRequest)
    @blp.response(204)
    def post(self, body):
        """End this login: its refresh tokens and its access tokens stop working at once"""
        sessions.logout(current_user(), body["refresh_token"], session_id())


@blp.route("/auth/bind-staff")
class BindStaff(MethodView):
    @blp.arguments(schemas.BindStaffRequest)
    @blp.response(200, schemas.StaffBrief)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body):
        """Bind your WeChat account to the staff account an admin created for you"""
        return sessions.bind_staff(current_user(), body["binding_code"])


@blp.route("/me")
class MeView(MethodView):
    @blp.response(200, schemas.Me)
    def get(self):
        """Who am I: roles, shops and staff scope"""
        return sessions.profile(current_user())
