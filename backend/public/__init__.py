"""The public API, under /api/v1/public: what anyone may read without signing in."""

from flask import request

from backend.api import Blueprint
from backend.ratelimit import OPEN_DATA, per_address_open_data

blp = Blueprint(OPEN_DATA, __name__, url_prefix="/api/v1/public", description="Public")
per_address_open_data(blp)
# Every read here counts against its address's budget (RATELIMIT_PUBLIC); each view says so.
over_budget = blp.alt_response(
    429, response="TOO_MANY_REQUESTS", description="over this address's budget of reads"
)
# What the public API says is the same for everyone and changes slowly: a cache or a
# browser may keep it a minute, and asks again with the ETag, for a 304 while unchanged.
MAX_AGE_SECONDS = 60


@blp.after_request
def _cacheable(response):
    if request.method == "GET" and response.status_code == 200 and not response.direct_passthrough:
        response.headers.setdefault("Cache-Control", f"public, max-age={MAX_AGE_SECONDS}")
        response.add_etag()
        response.make_conditional(request)
    return response


# The route module registers its views on blp, so it is imported after it exists.
from backend.public import routes  # noqa: E402, F401
