"""/api/v1/resident: booking limited places and filling in registration forms."""

from __future__ import annotations

from flask.views import MethodView

from backend.api import QueryPage
from backend.auth import current_user
from backend.community import bookings, forms
from backend.community.schemas import EventSummary, FormOut, FormSummary
from backend.resident import blp
from backend.resident import signup_schemas as schemas


@blp.route("/events")
class BookingEvents(MethodView):
    @blp.response(200, EventSummary(many=True))
    @blp.paginate(QueryPage)
    def get(self):
        """Booking events of my communities and the street and district above them"""
        return bookings.visible_events(current_user())


@blp.route("/events/<string:event_id>")
class BookingEventItem(MethodView):
    @blp.response(200, schemas.EventOut)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, event_id):
        """An event with its slots and the places left in each"""
        return bookings.event_for_resident(current_user(), event_id)


@blp.route("/events/<string:event_id>/slots/<string:slot_id>/bookings")
class SlotBookings(MethodView):
    @blp.idempotent
    @blp.response(201, schemas.BookingOut)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    @blp.doc(**{"x-no-body": True})
    def post(self, event_id, slot_id):
        """Book a place in a slot (409 when it is full or I already hold my share)"""
        return bookings.book(current_user(), event_id, slot_id)


@blp.route("/bookings")
class MyBookings(MethodView):
    @blp.response(200, schemas.BookingOut(many=True))
    @blp.paginate(QueryPage)
    def get(self):
        """My bookings, latest slot first"""
        return bookings.my_bookings(current_user())


@blp.route("/bookings/<string:booking_id>")
class MyBooking(MethodView):
    @blp.response(204)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def delete(self, booking_id):
        """Cancel my booking before its slot starts; the place is freed"""
        bookings.cancel(current_user(), booking_id)


@blp.route("/forms")
class RegistrationForms(MethodView):
    @blp.response(200, FormSummary(many=True))
    @blp.paginate(QueryPage)
    def get(self):
        """Registration forms of my communities and the regions above them"""
        return forms.visible_forms(current_user())


@blp.route("/forms/<string:form_id>")
class RegistrationFormItem(MethodView):
    @blp.response(200, FormOut)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, form_id):
        """A form with its fields"""
        return forms.visible_form(current_user(), form_id)


@blp.route("/forms/<string:form_id>/submission")
class MyFormSubmission(MethodView):
    @blp.response(200, schemas.MySubmissionOut)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, form_id):
        """My answers to a form"""
        return forms.my_submission(current_user(), form_id)

    @blp.arguments(schemas.SubmissionIn)
    @blp.response(200, schemas.MySubmissionOut)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def put(self, body, form_id):
        """Submit my answers; submitting again replaces them (until the form closes)"""
        return forms.submit(current_user(), form_id, body["answers"])
