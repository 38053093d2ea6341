"""The resident area's API, under /api/v1/resident."""

from backend.api import Blueprint

blp = Blueprint("resident", __name__, url_prefix="/api/v1/resident", description="Resident")

# The route modules register their views on blp, so they are imported after it exists.
from backend.resident import (  # noqa: E402, F401
    community_routes,
    policy_routes,
    routes,
    signup_routes,
    workorder_routes,
)
