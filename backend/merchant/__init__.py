"""The merchant area's API, under /api/v1/merchant."""
from backend.api import Blueprint

blp = Blueprint("merchant", __name__, url_prefix="/api/v1/merchant", description="Merchant")
