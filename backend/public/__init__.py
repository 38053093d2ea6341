"""The public API, under /api/v1/public: what anyone may read without signing in."""

from flask import request

from backend.api import Blueprint

# Every read here counts against its address's budget (RATELIMIT_PUBLIC).
blp = Blueprint(
    "public", __name__, url_prefix="/api/v1/public", description="Public", reads_limited=True
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
from backend.public import routes, sampling_routes  # noqa: E402, F401
