"""Open311 GeoReport v2, under /open311/v2: our categories as services, work orders as
service requests, in the standard's field names and its error shape."""

from backend.api import Blueprint


class Open311Blueprint(Blueprint):
    # A request is posted form-encoded, as the standard says; JSON is taken too.
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        "json_or_form": "application/x-www-form-urlencoded",
    }

    @staticmethod
    def _prepare_auth_doc(doc, doc_info, **kwargs):
        # Every view is public, and its errors, a 429 included, are in the standard's
        # shape, documented on the view itself.
        if doc_info.get("public"):
            doc["security"] = []
        return doc


blp = Open311Blueprint(
    "open311", __name__, url_prefix="/open311/v2", description="Open311 GeoReport v2"
)

# The route module registers its views on blp, so it is imported after it exists.
from backend.open311 import routes  # noqa: E402, F401
