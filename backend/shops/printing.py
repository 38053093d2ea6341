"""A shop's printed code: its people read and reissue it; an admin prints a street's."""

from __future__ import annotations

import io
import re
import zipfile

from flask import current_app

from backend import clock, codes, lifecycle, progress, scope, stickersheet
from backend.db import write_transaction
from backend.errors import Conflict, NotFound
from backend.models import Region, Shop, ShopCode, StaffAccount, User
from backend.shops.access import OWNER_ONLY, member_shop


def shop_code(user: User, public_id: str):
    shop = member_shop(user, public_id)
    code = codes.current_shop_code(shop)
    if code is None:
        raise Conflict("this shop gets its code when an admin approves it", key="shop_not_approved")
    return shop, code


def printed_url(code) -> str:
    return codes.printed_url(current_app.config["CITYCODE"].public_base_url, code.code)


def reissue_code(user: User, public_id: str):
    with write_transaction():
        shop = member_shop(user, public_id, OWNER_ONLY)
        if codes.current_shop_code(shop) is None:
            raise Conflict(
                "this shop gets its code when an admin approves it", key="shop_not_approved"
            )
        return codes.issue_shop_code(shop, lifecycle.actor_for_user(user), reissue=True)


# Characters a file name cannot carry on the systems a print shop uses (a "/" would make
# a folder inside the archive, a ":" or a backslash breaks on Windows).
UNSAFE_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def street_codes(staff: StaffAccount, street_code: str) -> tuple[Region, list[tuple[str, str]]]:
    """(url, shop name) of every active shop in a street within the caller's scope."""
    street = _street(street_code)
    # A street admin prints their street; a community admin the part of it they cover.
    if not (scope.covers(staff, street.path) or staff.region_path.startswith(street.path)):
        raise scope.not_found(
            staff, "street", street_code, Region.select(Region.path).where(Region.id == street.id)
        )
    return street, _active_codes(street, staff.region_path)


def street_codes_for_operator(street_code: str) -> tuple[Region, list[tuple[str, str]]]:
    """A whole street's, for `citycode print-codes`: who runs it runs the service."""
    street = _street(street_code)
    return street, _active_codes(street, street.path)


def _street(street_code: str) -> Region:
    street = Region.get_or_none((Region.code == street_code) & (Region.level == "street"))
    if street is None:
        raise NotFound("street not found", key="street_not_found")
    return street


def _active_codes(street: Region, within: str) -> list[tuple[str, str]]:
    base = current_app.config["CITYCODE"].public_base_url
    rows = (
        ShopCode.select(ShopCode.code, Shop.name)
        .join(Shop)
        .where(
            scope.under(Shop.region_path, street.path)
            & scope.under(Shop.region_path, within)
            & ShopCode.revoked_at.is_null()
            & (Shop.status == "active")
        )
        .order_by(Shop.name)
        .tuples()
    )
    return [(codes.printed_url(base, code), name) for code, name in rows]


def sticker_png(url: str, name: str, size: int = 600) -> bytes:
    """The shop's sticker, signed by the issuer this service prints for (STICKER_ISSUER)."""
    return codes.sticker_png(url, name, current_app.config["CITYCODE"].sticker_issuer, size)


def street_codes_pdf(
    street: Region, entries: list[tuple[str, str]], shown=progress.quietly
) -> bytes:
    """The print shop's A4 sheets: a cover naming the street and the run, then the stickers."""
    issuer = current_app.config["CITYCODE"].sticker_issuer
    return stickersheet.street_sheet(
        street.name, street.code, entries, issuer, printed_on=clock.today_local(), shown=shown
    )


def street_codes_zip(entries: list[tuple[str, str]], shown=progress.quietly) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for url, name in shown(entries, "stickers"):
            code = url.rsplit("/", 1)[-1]
            file_name = UNSAFE_IN_FILE_NAMES.sub("_", name).strip(" .") or "shop"
            archive.writestr(f"{code}-{file_name}.png", sticker_png(url, name))
    return buffer.getvalue()
