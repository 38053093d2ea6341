"""/api/v1/events: what a device detected, or that it is cleared."""

from __future__ import annotations

from flask.views import MethodView

from backend import clientkeys
from backend.api import public
from backend.devices import blp
from backend.devices.schemas import DeviceEventIn, DeviceEventOut, DeviceKeyHeader
from backend.workorders import devices


@blp.route("/events")
@public
class Events(MethodView):
    @blp.arguments(DeviceKeyHeader, location="headers")
    @blp.arguments(DeviceEventIn)
    @blp.response(201, DeviceEventOut, description="recorded now")
    @blp.alt_response(200, schema=DeviceEventOut, description="recorded before: what it did then")
    @blp.alt_response(401, response="UNAUTHORIZED")
    def post(self, headers, body):
        """A device's event: a detection opens a dispatched work order, a "cleared" within
        30 m closes it"""
        event, recorded = devices.receive(clientkeys.holder("device", headers["key"]), body)
        return event, 201 if recorded else 200
