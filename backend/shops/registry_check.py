"""工商登记核验: a registration or claim checked against the business registry.

The credit code's check character is checked first, offline (creditcode). Then the
registry is asked, outside any transaction: a business it lists as 注销, 吊销 or 撤销
is refused (422 registry_deregistered), and a code it does not know too (422
registry_not_found: most often a typo). A name or address other than the registry's
lets the request through, flagged, the admin who decides it seeing both side by side.
A registry that cannot answer lets it through 未核验, and the engine asks again later.
Every answer is kept as a snapshot (source, time, hash) on the shop's record.
"""

from __future__ import annotations

import json
import re
import unicodedata

from flask import current_app

from backend import lifecycle
from backend.db import write_transaction
from backend.errors import Invalid
from backend.models import Shop, ShopRequest
from backend.registry import ENDED, Registration, RegistryNotFound, RegistryUnavailable

VERIFIED, MISMATCH, UNVERIFIED = "verified", "mismatch", "unverified"
# What a re-check found for a request that went through unverified.
ENDED_STATE, NOT_FOUND_STATE = "ended", "not_found"
STATE_LABELS = {
    VERIFIED: "已核验",
    MISMATCH: "与登记信息不一致",
    UNVERIFIED: "未核验",
    ENDED_STATE: "登记已注销、吊销或撤销",
    NOT_FOUND_STATE: "登记机关查无此代码",
}
# How a registered address starts that a shopkeeper leaves out.
CITY_PREFIX = re.compile(r"^(上海市)?(徐汇区)?")


def consult(credit_code: str) -> Registration | None:
    """The registry's answer for a code a shopkeeper gave; None when it cannot answer."""
    client = current_app.extensions["citycode.registry"]
    try:
        found = client.lookup(credit_code)
    except RegistryNotFound:
        raise Invalid.field(
            "credit_code",
            "the business registry has no business under this code; check it for a typo",
            key="registry_not_found",
        ) from None
    except RegistryUnavailable:
        return None
    if found.status in ENDED:
        raise Invalid.field(
            "credit_code",
            "the business registry lists this business as %(status)s",
            key="registry_deregistered",
            params={"status": found.status_label},
        )
    return found


def _plain(text: str) -> str:
    """Compared as people mean it: full-width and half-width alike, no spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def differences(found: Registration, name: str, address: str) -> list[str]:
    """Which of the shop's name and address are not what the registry holds. A registered
    address names its city and district, which a shopkeeper leaves out."""
    different = []
    if _plain(found.name) != _plain(name):
        different.append("name")
    registered = CITY_PREFIX.sub("", _plain(found.address))
    if CITY_PREFIX.sub("", _plain(address)) != registered:
        different.append("address")
    return different


def record(request: ShopRequest, shop: Shop, found: Registration | None, actor: str) -> None:
    """The request's verdict and, for an answer, its snapshot on the shop's record; in
    the caller's transaction."""
    if found is None:
        request.registry_state, request.registry = UNVERIFIED, None
        request.save()
        return
    different = differences(found, shop.name, shop.address)
    if found.status in ENDED:
        request.registry_state = ENDED_STATE
    else:
        request.registry_state = MISMATCH if different else VERIFIED
    request.registry = json.dumps(
        {
            "name": found.name,
            "address": found.address,
            "status": found.status,
            "entity_type": found.entity_type,
            "representative": found.representative_masked,
            "established": found.established.isoformat() if found.established else None,
            "differences": different,
            "checked_at": found.fetched_at.isoformat(),
        },
        ensure_ascii=False,
    )
    request.save()
    Shop.update(registry_status=found.status).where(Shop.id == shop.id).execute()
    lifecycle.append(
        shop, "registry.checked", actor, {**found.snapshot(), "differences": different}
    )


def recheck_unverified(limit: int = 100) -> int:
    """Ask the registry again about the requests still waiting 未核验; how many it answered.
    A code it now refuses is left for the admin, with the verdict to read."""
    waiting = list(
        ShopRequest.select(ShopRequest.id, Shop.credit_code)
        .join(Shop)
        .where((ShopRequest.status == "pending") & (ShopRequest.registry_state == UNVERIFIED))
        .where(ShopRequest.kind.in_(("register", "claim")))
        .order_by(ShopRequest.id)
        .limit(limit)
        .tuples()
    )
    client = current_app.extensions["citycode.registry"]
    answered = 0
    for request_id, credit_code in waiting:
        try:
            found = client.lookup(credit_code)
        except RegistryNotFound:
            found = None
        except RegistryUnavailable:
            break  # still down: the next run goes on from here
        with write_transaction():
            request = ShopRequest.get_by_id(request_id)
            shop = Shop.get_by_id(request.shop_id)
            if found is not None:
                record(request, shop, found, lifecycle.SYSTEM)
            else:
                request.registry_state = NOT_FOUND_STATE
                request.save()
        answered += 1
    return answered
