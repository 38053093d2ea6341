"""/api/v1/public: the shops as a map layer, and a published policy's attachments. What it
answers is the same for everyone: cacheable, with an ETag (backend/public/__init__.py)."""

from __future__ import annotations

from flask import current_app, send_file
from flask.views import MethodView

from backend.api import public
from backend.opendata import geojson
from backend.policies import publishing
from backend.public import blp
from backend.public import schemas as s
from backend.uploads import path_of


@blp.route("/policy-attachments/<string:upload_id>")
@public
class PolicyAttachment(MethodView):
    @blp.binary("application/pdf", description="the PDF")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, upload_id):
        """A published policy's attachment"""
        upload = publishing.attachment(upload_id)
        response = send_file(path_of(upload), mimetype=upload.content_type)
        response.headers["Content-Disposition"] = f'attachment; filename="{upload_id}.pdf"'
        response.headers["Cache-Control"] = "public, max-age=300"
        return response


@blp.route("/shops.geojson")
@public
class ShopLayer(MethodView):
    @blp.arguments(s.LayerQuery, location="query")
    @blp.response(200, s.ShopLayer, content_type="application/geo+json")
    def get(self, args):
        """The open shops in a box, as GeoJSON (WGS 84), for any map"""
        response = current_app.json.response(s.ShopLayer().dump(geojson.layer(args["bbox"])))
        response.mimetype = "application/geo+json"  # RFC 7946 §12
        return response
