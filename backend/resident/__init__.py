"""The resident area's API, under /api/v1/resident."""

from backend.api import Blueprint

blp = Blueprint("resident", __name__, url_prefix="/api/v1/resident", description="Resident")

# The route modules register their views on blp, so they are imported after it exists.
from backend.resident import community_routes, routes, signup_routes  # noqa: E402, F401
