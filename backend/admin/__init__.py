"""The admin area's API, under /api/v1/admin."""
from backend.api import Blueprint

blp = Blueprint("admin", __name__, url_prefix="/api/v1/admin", description="Admin",
                staff_only=True)

from backend.admin import (  # noqa: E402,F401  (register the views on blp)
                community_routes,
                inspection_routes,
                oversight_routes,
                people_routes,
                resident_routes,
                routes,
                signup_routes,  # noqa: E402,F401
)
