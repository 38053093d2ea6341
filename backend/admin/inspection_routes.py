"""/api/v1/admin: recording inspections, confirming or rejecting those recorded away from the
shop, correcting them, and closing the rectification loop."""

from __future__ import annotations

from flask.views import MethodView

from backend import uploads
from backend.admin import blp, requires
from backend.admin import inspection_schemas as schemas
from backend.api import QueryPage
from backend.auth import current_staff
from backend.inspections import confirmation, corrections, recording, rectification
from backend.inspections.schemas import InspectionOut
from backend.schemas import PhotoUpload, UploadOut
from backend.shops import photos

INSPECTORS = ("inspector",)
REGULATORS = ("inspector", "admin")
ADMINS = ("admin",)


@blp.route("/shops/<string:shop_id>/inspections")
class ShopInspections(MethodView):
    @requires(*INSPECTORS)
    @blp.idempotent
    @blp.arguments(schemas.InspectionIn)
    @blp.response(201, schemas.RecordedInspection)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body, shop_id):
        """Record an inspection at the storefront (needs the scan proof from scanning its code)"""
        return recording.record(current_staff(), shop_id, body)

    @requires(*REGULATORS)
    @blp.response(200, InspectionOut(many=True))
    @blp.paginate(QueryPage)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, shop_id):
        """A shop's inspections, newest first"""
        return recording.shop_inspections(current_staff(), shop_id)


@blp.route("/inspections")
class Inspections(MethodView):
    @requires(*REGULATORS)
    @blp.arguments(schemas.InspectionFilter, location="query")
    @blp.response(200, InspectionOut(many=True))
    @blp.paginate(QueryPage)
    def get(self, args):
        """Inspections in my scope, newest first; confirmation=pending lists those to decide"""
        return confirmation.inspections_in_scope(current_staff(), args)


@blp.route("/inspections/<string:inspection_id>/confirm")
class ConfirmInspection(MethodView):
    @requires(*ADMINS)
    @blp.response(200, schemas.RecordedInspection)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    @blp.doc(**{"x-no-body": True})
    def post(self, inspection_id):
        """Confirm an inspection recorded away from the shop: it takes effect now"""
        return confirmation.confirm(current_staff(), inspection_id)


@blp.route("/inspections/<string:inspection_id>/reject")
class RejectInspection(MethodView):
    @requires(*ADMINS)
    @blp.arguments(schemas.RejectionReason)
    @blp.response(200, schemas.RecordedInspection)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body, inspection_id):
        """Reject an inspection recorded away from the shop: it stays on record, with no effect"""
        return confirmation.reject(current_staff(), inspection_id, body["reason"])


@blp.route("/inspections/<string:inspection_id>/corrections")
class Corrections(MethodView):
    @requires(*REGULATORS)
    @blp.arguments(schemas.CorrectionIn)
    @blp.response(201, schemas.CorrectionOut)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body, inspection_id):
        """Correct an inspection: a new lifecycle event that refers to it (the record stays)"""
        return corrections.correct(
            current_staff(),
            inspection_id,
            body["note"],
            body["corrected_result"],
            body["co_inspector"],
        )


@blp.route("/rectifications")
class Rectifications(MethodView):
    @requires(*REGULATORS)
    @blp.arguments(schemas.RectificationFilter, location="query")
    @blp.response(200, schemas.StaffRectificationOut(many=True))
    @blp.paginate(QueryPage)
    def get(self, args):
        """Rectification orders in my scope, by deadline"""
        return rectification.orders_in_scope(current_staff(), args)


@blp.route("/rectifications/<string:order_id>")
class RectificationItem(MethodView):
    @requires(*REGULATORS)
    @blp.response(200, schemas.StaffRectificationDetail)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, order_id):
        """An order with the shop's evidence (text, photos) and earlier decisions"""
        return rectification.order_detail(current_staff(), order_id)


@blp.route("/shops/<string:shop_id>/uploads")
class EvidenceUploads(MethodView):
    @requires(*INSPECTORS)
    @blp.arguments(PhotoUpload, location="files")
    @blp.response(201, UploadOut)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
    def post(self, files, shop_id):
        """Upload a photo taken at the shop (JPEG or PNG, at most 5 MB), for a finding"""
        return photos.upload_evidence(current_staff(), shop_id, files["file"].stream)


@blp.route("/shops/<string:shop_id>/uploads/<string:upload_id>")
class ShopPhoto(MethodView):
    @requires(*REGULATORS)
    @blp.binary("image/jpeg", "image/png", description="the photo")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, shop_id, upload_id):
        """A photo of a shop in my scope: its evidence, licences, or an inspector's"""
        upload = photos.shop_upload(current_staff(), shop_id, upload_id)
        response = uploads.send(upload)
        response.headers["Cache-Control"] = "private, max-age=3600"
        return response


@blp.route("/rectifications/<string:order_id>/verify")
class VerifyRectification(MethodView):
    @requires(*INSPECTORS)
    @blp.response(200, schemas.StaffRectificationOut)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    @blp.doc(**{"x-no-body": True})
    def post(self, order_id):
        """The evidence holds: close the order"""
        return rectification.verify_order(current_staff(), order_id)


@blp.route("/rectifications/<string:order_id>/reject")
class RejectRectification(MethodView):
    @requires(*INSPECTORS)
    @blp.arguments(schemas.RejectionReason)
    @blp.response(200, schemas.StaffRectificationOut)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body, order_id):
        """The evidence does not hold: the order stays open, with the reason"""
        return rectification.reject_order(current_staff(), order_id, body["reason"])
