"""The merchant area's API, under /api/v1/merchant."""

import functools

from backend.api import Blueprint
from backend.auth import current_user
from backend.shops.access import member_shop

# A path under the blueprint that names one of the caller's shops.
SHOP = "/shops/<string:shop_id>"

blp = Blueprint("merchant", __name__, url_prefix="/api/v1/merchant", description="Merchant")


def member(view):
    """A view of one shop (`shop_id` in its path) answers only the shop's own people: anyone
    else gets 404 before the view's arguments are read, and learns nothing of their shape.
    Put it above the view's other decorators."""

    @functools.wraps(view)
    def checked(*args, **kwargs):
        member_shop(current_user(), kwargs["shop_id"])
        return view(*args, **kwargs)

    return checked


# The route modules register their views on blp, so they are imported after it exists.
from backend.merchant import code_routes, grade_routes, policy_routes, routes  # noqa: E402, F401
