"""A shop's photos: what its people upload (licences, certificates, evidence) and what an
inspector takes at the storefront, kept with the shop's own so its people see it too."""

from __future__ import annotations

from backend import scope, uploads
from backend.db import write_transaction
from backend.errors import Invalid, NotFound
from backend.models import Shop, StaffAccount, Upload, User
from backend.shops.access import member_shop


def own_photo(shop: Shop, upload_id: str | None, field: str = "photo") -> Upload | None:
    """The shop's upload `upload_id` field in a request's `field` (None for none given)."""
    if not upload_id:
        return None
    photo = Upload.get_or_none((Upload.public_id == upload_id) & (Upload.shop == shop))
    if photo is None:
        raise Invalid.field(
            field,
            "%(upload)s is not an upload of this shop",
            key="not_shop_upload",
            params={"upload": upload_id},
        )
    return photo


def upload_photo(user: User, public_id: str, stream) -> Upload:
    with write_transaction():
        shop = member_shop(user, public_id)
        return uploads.store(shop, user, stream)


def member_upload(user: User, public_id: str, upload_id: str) -> Upload:
    return _upload_of(member_shop(user, public_id), upload_id)


def upload_evidence(staff: StaffAccount, shop_id: str, stream) -> Upload:
    """A photo the inspector takes at the shop, kept with the shop's own (its people see it)."""
    with write_transaction():
        shop = scope.shop(staff, shop_id)
        return uploads.store(shop, staff.user, stream)


def shop_upload(staff: StaffAccount, shop_id: str, upload_id: str) -> Upload:
    return _upload_of(scope.shop(staff, shop_id), upload_id)


def _upload_of(shop: Shop, upload_id: str) -> Upload:
    upload = Upload.get_or_none((Upload.public_id == upload_id) & (Upload.shop == shop))
    if upload is None:
        raise NotFound("upload not found", key="upload_not_found")
    return upload
