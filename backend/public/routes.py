"""/api/v1/public: a published policy's attachments."""

from __future__ import annotations

from flask import send_file
from flask.views import MethodView

from backend.api import public
from backend.policies import publishing
from backend.public import blp
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
