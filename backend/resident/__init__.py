"""The resident area's API, under /api/v1/resident."""
from backend.api import Blueprint

blp = Blueprint("resident", __name__, url_prefix="/api/v1/resident", description="Resident")

from backend.resident import (
    community_routes,  # noqa: E402,F401
    routes,  # noqa: E402,F401  (registers the views on blp)
    signup_routes,  # noqa: E402,F401
)
