"""The one scan entry: /api/v1/scan/{code} for the mini-program, /s/{code} for a browser."""

from backend.api import Blueprint

blp = Blueprint(
    "scan",
    __name__,
    url_prefix="",
    description="Scanning a printed code",
    template_folder="templates",
)

from backend.scan import routes  # noqa: E402,F401  (registers the views on blp)
