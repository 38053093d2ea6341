"""Finding shops by any part of their name or address, fast on both databases: each shop's
pairs of neighbouring characters are kept in an index (ShopGram), a search narrows to the
shops holding every pair of its words, then checks the words themselves. Chinese has no
spaces to split words at; two characters are the shortest names search for (面馆, 超市).
Kept in step wherever a name or address is written (registration, profile, change)."""

from __future__ import annotations

from itertools import pairwise

import peewee as pw

from backend.models import Shop, ShopGram


def grams(text: str) -> set[str]:
    """The neighbouring pairs of `text`, lower case, spaces left out."""
    letters = [c for c in text.lower() if not c.isspace()]
    return {a + b for a, b in pairwise(letters)}


def shop_grams(name: str, address: str) -> set[str]:
    return grams(name) | grams(address)


def refresh(shop: Shop) -> None:
    """The shop's pairs as its name and address are now, in the caller's transaction."""
    ShopGram.delete().where(ShopGram.shop == shop.id).execute()
    rows = [{"gram": g, "shop": shop.id} for g in sorted(shop_grams(shop.name, shop.address))]
    for batch in pw.chunked(rows, 500):
        ShopGram.insert_many(batch).execute()


def matching(words: str) -> pw.Expression:
    """Shops whose name or address holds `words` as typed (case aside)."""
    words = words.strip()
    needed = grams(words)
    typed = Shop.name.contains(words) | Shop.address.contains(words)
    if not needed:  # one character: every shop is read
        return typed
    holding = (
        ShopGram.select(ShopGram.shop)
        .where(ShopGram.gram.in_(sorted(needed)))
        .group_by(ShopGram.shop)
        .having(pw.fn.COUNT(ShopGram.gram) == len(needed))
    )
    return Shop.id.in_(holding) & typed
