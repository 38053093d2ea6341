"""/api/v1/admin/policies: policies (政策找人) as admins and departments write, preview,
publish, withdraw and follow them."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView

from backend.admin import blp, requires
from backend.admin import policy_schemas as schemas
from backend.api import QueryPage
from backend.auth import current_staff
from backend.models.people import STAFF_ROLES
from backend.policies import funnel, preview, publishing
from backend.policies.schemas import PolicyOut
from backend.schemas import UploadOut


@blp.route("/policies")
class Policies(MethodView):
    @requires(*STAFF_ROLES)
    @blp.arguments(schemas.PolicyFilter, location="query")
    @blp.response(200, PolicyOut(many=True))
    @blp.paginate(QueryPage)
    def get(self, args):
        """The policies of my region (admins) or of my department, newest first"""
        return publishing.listed(current_staff(), args["status"])

    @requires(*STAFF_ROLES)
    @blp.idempotent
    @blp.arguments(schemas.PolicyIn)
    @blp.response(201, PolicyOut)
    def post(self, body):
        """Write a policy, as a draft: its audience is checked now, matched when published"""
        return publishing.create(current_staff(), body)


@blp.route("/policy-attachments")
class PolicyAttachments(MethodView):
    @requires(*STAFF_ROLES)
    @blp.arguments(schemas.DocumentUpload, location="files")
    @blp.response(201, UploadOut)
    @blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
    def post(self, files):
        """Upload a PDF to attach to a policy (at most 5 MB)"""
        return publishing.upload_attachment(current_staff(), files["file"].stream)


@blp.route("/policy-preview")
class PolicyPreview(MethodView):
    @requires(*STAFF_ROLES)
    @blp.arguments(schemas.PreviewIn)
    @blp.response(200, schemas.PreviewOut)
    def post(self, body):
        """Whom an audience would reach: counts by street and category, a masked sample"""
        return preview.preview(current_staff(), body)


@blp.route("/policies/<string:policy_id>")
class PolicyItem(MethodView):
    @requires(*STAFF_ROLES)
    @blp.response(200, PolicyOut)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, policy_id):
        """One policy"""
        return publishing.find(current_staff(), policy_id)

    @requires(*STAFF_ROLES)
    @blp.arguments(schemas.PolicyChange)
    @blp.response(200, PolicyOut)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def patch(self, body, policy_id):
        """Change a policy; once out, only its words, dates, links and call to action"""
        return publishing.update(current_staff(), policy_id, body)


@blp.route("/policies/<string:policy_id>/publish")
class PolicyPublish(MethodView):
    @requires(*STAFF_ROLES)
    @blp.arguments(schemas.PublishIn)
    @blp.response(200, PolicyOut)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body, policy_id):
        """Publish now, or at publish_at: matched and pushed by the engine"""
        return publishing.publish(current_staff(), policy_id, body["publish_at"])


@blp.route("/policies/<string:policy_id>/withdraw")
class PolicyWithdraw(MethodView):
    @requires(*STAFF_ROLES)
    @blp.arguments(schemas.WithdrawIn)
    @blp.response(200, PolicyOut)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body, policy_id):
        """Withdraw: what is not yet sent is stopped, and those who had it read 已撤回"""
        return publishing.withdraw(current_staff(), policy_id, body["reason"])


@blp.route("/policies/<string:policy_id>/funnel")
class PolicyFunnel(MethodView):
    @requires(*STAFF_ROLES)
    @blp.response(200, schemas.FunnelOut)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, policy_id):
        """Matched → delivered → read → acted, refused and not-me, by street and category"""
        return funnel.funnel(current_staff(), policy_id)


@blp.route("/policies/<string:policy_id>/funnel.csv")
class PolicyFunnelExport(MethodView):
    @requires(*STAFF_ROLES)
    @blp.binary("text/csv", description="the funnel as CSV (UTF-8 with BOM)")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, policy_id):
        """Export the funnel as CSV"""
        body = funnel.funnel_csv(current_staff(), policy_id)
        response = Response(body, mimetype="text/csv")
        response.headers["Content-Disposition"] = f'attachment; filename="policy-{policy_id}.csv"'
        return response
