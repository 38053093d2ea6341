"""/api/v1/resident: notices, polls and reports (随手拍) of my communities, and report photos."""

from __future__ import annotations

from flask.views import MethodView

from backend.api import QueryPage
from backend.auth import current_user
from backend.community import notices, polls, reports
from backend.community.schemas import ReportOut
from backend.resident import blp
from backend.resident import community_schemas as schemas
from backend.schemas import PhotoUpload, UploadOut


@blp.route("/notices")
class Notices(MethodView):
    @blp.response(200, schemas.NoticeOut(many=True))
    @blp.paginate(QueryPage)
    def get(self):
        """Notices for my communities and the street and district above them, newest first"""
        return notices.notices_for(current_user())


@blp.route("/notices/<string:notice_id>")
class NoticeItem(MethodView):
    @blp.response(200, schemas.NoticeOut)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, notice_id):
        """Open a notice (marks it read)"""
        return notices.open_notice(current_user(), notice_id)


@blp.route("/polls")
class Polls(MethodView):
    @blp.response(200, schemas.ResidentPollSummary(many=True))
    @blp.paginate(QueryPage)
    def get(self):
        """Polls for my communities and the street and district above them, newest first"""
        return polls.polls_for(current_user())


@blp.route("/polls/<string:poll_id>")
class PollItem(MethodView):
    @blp.response(200, schemas.ResidentPollOut)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, poll_id):
        """A poll, my choices, and its results once I may see them"""
        return polls.for_resident(current_user(), poll_id)


@blp.route("/polls/<string:poll_id>/vote")
class PollVoting(MethodView):
    @blp.arguments(schemas.VoteIn)
    @blp.response(200, schemas.ResidentPollOut)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body, poll_id):
        """Vote while the poll is open; voting again replaces my previous choices"""
        return polls.vote(current_user(), poll_id, body["options"])


@blp.route("/reports")
class Reports(MethodView):
    @blp.idempotent
    @blp.arguments(schemas.ReportIn)
    @blp.response(201, ReportOut)
    @blp.asks_wechat
    @blp.alt_response(409, response="CONFLICT", description="the same report is still open")
    def post(self, body):
        """Report a problem in one of my communities (随手拍)"""
        return reports.file(current_user(), body)

    @blp.response(200, ReportOut(many=True))
    @blp.paginate(QueryPage)
    def get(self):
        """My reports, newest first, with their status and the reply"""
        return reports.my_reports(current_user())


@blp.route("/reports/<string:report_id>")
class ReportItem(MethodView):
    @blp.response(200, ReportOut)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, report_id):
        """One of my reports"""
        return reports.my_report(current_user(), report_id)


@blp.route("/uploads")
class ReportPhotoUploads(MethodView):
    @blp.arguments(PhotoUpload, location="files")
    @blp.response(201, UploadOut)
    @blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
    def post(self, files):
        """Upload a photo (JPEG or PNG, at most 5 MB) to attach to a report"""
        return reports.upload_photo(current_user(), files["file"].stream)
