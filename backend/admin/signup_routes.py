"""/api/v1/admin: publishing booking events and registration forms, and collecting the answers."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView

from backend.admin import blp, requires
from backend.admin import signup_schemas as schemas
from backend.api import QueryPage
from backend.auth import current_staff
from backend.community import bookings, forms
from backend.community.schemas import EventSummary, FormSummary
from backend.schemas import UnmaskedQuery

COMMUNITY_STAFF = ("cadre", "admin")


@blp.route("/events")
class BookingEvents(MethodView):
    @requires(*COMMUNITY_STAFF)
    @blp.response(200, EventSummary(many=True))
    @blp.paginate(QueryPage)
    def get(self):
        """Booking events published in my scope, newest first"""
        return bookings.events_in_scope(current_staff())

    @requires(*COMMUNITY_STAFF)
    @blp.arguments(schemas.EventIn)
    @blp.response(201, schemas.StaffEventOut)
    @blp.alt_response(409, response="CONFLICT", description="the same event was just published")
    def post(self, body):
        """Publish a booking event with its time slots"""
        return bookings.create_event(current_staff(), body)


@blp.route("/events/<string:event_id>")
class BookingEventItem(MethodView):
    @requires(*COMMUNITY_STAFF)
    @blp.response(200, schemas.StaffEventOut)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, event_id):
        """An event with each slot's capacity and places booked"""
        return bookings.event_for_staff(current_staff(), event_id)


@blp.route("/events/<string:event_id>/bookings")
class BookingEventBookings(MethodView):
    @requires(*COMMUNITY_STAFF)
    @blp.response(200, schemas.StaffBookingOut(many=True))
    @blp.paginate(QueryPage)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, event_id):
        """Who booked which slot (names and phones masked)"""
        return bookings.bookings_of_event(current_staff(), event_id)


@blp.route("/forms")
class RegistrationForms(MethodView):
    @requires(*COMMUNITY_STAFF)
    @blp.response(200, FormSummary(many=True))
    @blp.paginate(QueryPage)
    def get(self):
        """Registration forms published in my scope or above it, newest first"""
        return forms.forms_in_scope(current_staff())

    @requires(*COMMUNITY_STAFF)
    @blp.arguments(schemas.FormIn)
    @blp.response(201, schemas.StaffFormOut)
    @blp.alt_response(409, response="CONFLICT", description="the same form was just published")
    def post(self, body):
        """Publish a registration form"""
        staff = current_staff()
        return forms.form_for_staff(staff, forms.create_form(staff, body).public_id)


@blp.route("/forms/<string:form_id>")
class RegistrationFormItem(MethodView):
    @requires(*COMMUNITY_STAFF)
    @blp.response(200, schemas.StaffFormOut)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, form_id):
        """A form, its fields and how many submissions my scope holds"""
        return forms.form_for_staff(current_staff(), form_id)


@blp.route("/forms/<string:form_id>/submissions")
class FormSubmissions(MethodView):
    @requires(*COMMUNITY_STAFF)
    @blp.arguments(UnmaskedQuery, location="query")
    @blp.response(200, schemas.SubmissionOut(many=True))
    @blp.paginate()
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args, form_id, pagination_parameters):
        """Submissions from my scope; personal answers masked unless unmasked=true (audited)"""
        rows, total = forms.submissions_page(
            current_staff(),
            form_id,
            args["unmasked"],
            pagination_parameters.page,
            pagination_parameters.page_size,
        )
        pagination_parameters.item_count = total
        return rows


@blp.route("/forms/<string:form_id>/submissions.csv")
class FormSubmissionsCsv(MethodView):
    @requires(*COMMUNITY_STAFF)
    @blp.arguments(UnmaskedQuery, location="query")
    @blp.doc(
        responses={
            "200": {
                "description": "UTF-8 with a BOM, one row per submission",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        }
    )
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args, form_id):
        """Export submissions from my scope as CSV (masked unless unmasked=true, audited)"""
        form, data = forms.export_csv(current_staff(), form_id, args["unmasked"])
        return Response(
            data,
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="form-{form.public_id}.csv"'},
        )
