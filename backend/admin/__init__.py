"""The admin area's API, under /api/v1/admin."""

from backend.api import Blueprint

blp = Blueprint("admin", __name__, url_prefix="/api/v1/admin", description="Admin", staff_only=True)

# The route modules register their views on blp, so they are imported after it exists.
from backend.admin import (  # noqa: E402, F401
    community_routes,
    inspection_routes,
    oversight_routes,
    people_routes,
    resident_routes,
    routes,
    signup_routes,
)
