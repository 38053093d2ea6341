"""The public API, under /api/v1/public: what anyone may read without signing in."""

from backend.api import Blueprint

blp = Blueprint("public", __name__, url_prefix="/api/v1/public", description="Public")

# The route module registers its views on blp, so it is imported after it exists.
from backend.public import routes  # noqa: E402, F401
