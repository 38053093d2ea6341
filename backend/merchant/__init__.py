"""The merchant area's API, under /api/v1/merchant."""

from backend.api import Blueprint

blp = Blueprint("merchant", __name__, url_prefix="/api/v1/merchant", description="Merchant")

from backend.merchant import routes  # noqa: E402,F401  (registers the views on blp)
