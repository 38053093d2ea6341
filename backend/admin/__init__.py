"""The admin area's API, under /api/v1/admin."""

import functools

from backend.api import Blueprint
from backend.auth import current_staff

blp = Blueprint("admin", __name__, url_prefix="/api/v1/admin", description="Admin", staff_only=True)


def requires(*roles: str):
    """The view needs an active staff account holding one of `roles`, checked before its
    arguments are read: a caller without the role gets 403 and learns nothing of the
    body's shape. Put it above the view's other decorators."""

    def decorator(view):
        @functools.wraps(view)
        def checked(*args, **kwargs):
            current_staff(*roles)
            return view(*args, **kwargs)

        return checked

    return decorator


# The route modules register their views on blp, so they are imported after it exists.
from backend.admin import (  # noqa: E402, F401
    community_routes,
    grade_routes,
    inspection_routes,
    oversight_routes,
    people_routes,
    policy_routes,
    resident_routes,
    routes,
    sampling_routes,
    signup_routes,
    workorder_routes,
)
