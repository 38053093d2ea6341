"""The devices' API (cameras and other sensors), under /api/v1/events: each call carries
its device's key in X-Device-Key instead of a person's token."""

from backend.api import Blueprint

blp = Blueprint("devices", __name__, url_prefix="/api/v1", description="Devices")

# The route module registers its views on blp, so it is imported after it exists.
from backend.devices import routes  # noqa: E402, F401
