"""/api/v1/admin: notices and polls for regions in my scope, and residents' reports to handle."""

from __future__ import annotations

from flask.views import MethodView

from backend import uploads
from backend.admin import blp, requires
from backend.admin import community_schemas as schemas
from backend.api import QueryPage
from backend.auth import current_staff
from backend.community import notices, polls, reports
from backend.community.schemas import PollSummary
from backend.errors import NotFound
from backend.schemas import UnmaskedQuery

COMMUNITY_STAFF = ("cadre", "admin")


@blp.route("/notices")
class StaffNotices(MethodView):
    @requires(*COMMUNITY_STAFF)
    @blp.arguments(schemas.NoticeIn)
    @blp.response(201, schemas.StaffNoticeOut)
    @blp.alt_response(409, response="CONFLICT", description="the same notice was just published")
    def post(self, body):
        """Publish a notice to a district, street or community in my scope"""
        return notices.publish(current_staff(), body)

    @requires(*COMMUNITY_STAFF)
    @blp.arguments(schemas.RegionFilter, location="query")
    @blp.response(200, schemas.StaffNoticeOut(many=True))
    @blp.paginate(QueryPage)
    def get(self, args):
        """Notices in my scope, newest first, with how many residents opened each"""
        return notices.notices_in_scope(current_staff(), args["region"])


@blp.route("/notices/<string:notice_id>")
class StaffNoticeItem(MethodView):
    @requires(*COMMUNITY_STAFF)
    @blp.response(200, schemas.StaffNoticeOut)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, notice_id):
        """A notice in my scope"""
        return notices.notice_in_scope(current_staff(), notice_id)

    @requires(*COMMUNITY_STAFF)
    @blp.response(204)
    @blp.alt_response(404, response="NOT_FOUND")
    def delete(self, notice_id):
        """Withdraw a notice: residents no longer see it"""
        notices.withdraw(current_staff(), notice_id)


@blp.route("/polls")
class StaffPolls(MethodView):
    @requires(*COMMUNITY_STAFF)
    @blp.arguments(schemas.PollIn)
    @blp.response(201, schemas.StaffPollOut)
    @blp.alt_response(409, response="CONFLICT", description="the same poll was just started")
    def post(self, body):
        """Start a poll (民意调查) for a district, street or community in my scope"""
        return polls.create(current_staff(), body)

    @requires(*COMMUNITY_STAFF)
    @blp.arguments(schemas.RegionFilter, location="query")
    @blp.response(200, PollSummary(many=True))
    @blp.paginate(QueryPage)
    def get(self, args):
        """Polls in my scope, newest first"""
        return polls.polls_in_scope(current_staff(), args["region"])


@blp.route("/polls/<string:poll_id>")
class StaffPollItem(MethodView):
    @requires(*COMMUNITY_STAFF)
    @blp.response(200, schemas.StaffPollOut)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, poll_id):
        """A poll in my scope with its results so far"""
        return polls.poll_in_scope(current_staff(), poll_id)

    @requires(*COMMUNITY_STAFF)
    @blp.response(204)
    @blp.alt_response(404, response="NOT_FOUND")
    def delete(self, poll_id):
        """Withdraw a poll and its votes"""
        polls.withdraw(current_staff(), poll_id)


@blp.route("/reports")
class StaffReports(MethodView):
    @requires(*COMMUNITY_STAFF)
    @blp.arguments(schemas.ReportFilter, location="query")
    @blp.response(200, schemas.StaffReportOut(many=True))
    @blp.paginate(QueryPage)
    def get(self, args):
        """Residents' reports in my scope, newest first (reporters masked)"""
        return reports.reports_in_scope(
            current_staff(),
            args["status"],
            args["category"],
            args["community"],
            args["unmasked"],
        )


@blp.route("/reports/<string:report_id>")
class StaffReportItem(MethodView):
    @requires(*COMMUNITY_STAFF)
    @blp.arguments(UnmaskedQuery, location="query")
    @blp.response(200, schemas.StaffReportOut)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args, report_id):
        """A report in my scope (personal data in its text masked unless asked for)"""
        return reports.report_in_scope(current_staff(), report_id, args["unmasked"])


@blp.route("/reports/<string:report_id>/status")
class StaffReportStatus(MethodView):
    @requires(*COMMUNITY_STAFF)
    @blp.arguments(schemas.ReportMove)
    @blp.response(200, schemas.StaffReportOut)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body, report_id):
        """Move a report forward (received → in_hand → resolved); resolving needs a reply"""
        return reports.move(current_staff(), report_id, body["status"], body["reply"])


@blp.route("/reports/<string:report_id>/photo")
class StaffReportPhoto(MethodView):
    @requires(*COMMUNITY_STAFF)
    @blp.binary("image/jpeg", "image/png", description="the photo the resident attached")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, report_id):
        """The photo attached to a report in my scope"""
        report = reports.report_in_scope(current_staff(), report_id)
        if report.photo is None:
            raise NotFound("this report has no photo", key="no_photo")
        response = uploads.send(report.photo)
        response.headers["Cache-Control"] = "private, max-age=3600"
        return response
