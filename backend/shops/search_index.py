"""Finding shops by any part of their name or address, fast on both databases: each shop's
pairs of neighbouring characters are kept in an index (ShopGram), a search narrows to the
shops holding the rarest pair of its words, then checks the words themselves. Chinese has no
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


# Postings of a pair counted before it is called common: enough to tell a pair of a few
# thousand shops from one of tens of thousands (a brand's from a trade's), few enough
# that counting them costs the same at any size.
COMMON_PAIR = 10_000


# Postings read at a time by first_holding: a word most of whose pair's shops hold it is
# found, and its thousand counted, in one batch.
BATCH = 1200


def _typed(words: str) -> pw.Expression:
    return Shop.name.contains(words) | Shop.address.contains(words)


def matching(words: str) -> pw.Expression:
    """Shops whose name or address holds `words` as typed (case aside), found through the
    postings of the rarest of its pairs: every other pair is implied by the words."""
    words = words.strip()
    needed = grams(words)
    if not needed:  # one character: every shop is read
        return _typed(words)
    holding = ShopGram.select(ShopGram.shop).where(ShopGram.gram == _rarest(needed))
    return Shop.id.in_(holding) & _typed(words)


def first_holding(
    words: str, shops: pw.ModelSelect, wanted: int, batch_size: int = BATCH
) -> list[int]:
    """The ids of the first `wanted` of `shops` (a query of Shop ids, filtered) whose name
    or address holds `words`, in the order they were registered. The rarest pair's
    postings are read a batch at a time in that order and each batch's shops checked, so
    a word a hundred thousand shops hold costs what one a thousand hold does; left to
    itself, the planner would sometimes read every shop to check the words first."""
    words = words.strip()
    needed = grams(words)
    if not needed:
        return [i for (i,) in shops.where(_typed(words)).order_by(Shop.id).limit(wanted).tuples()]
    rarest, found, after = _rarest(needed), [], 0
    while True:
        postings = (
            ShopGram.select(ShopGram.shop)
            .where((ShopGram.gram == rarest) & (ShopGram.shop > after))
            .order_by(ShopGram.shop)
            .limit(batch_size)
        )
        batch = [i for (i,) in postings.tuples()]
        if not batch:
            break
        # The ids as a list, not a subquery: the planner then looks each up by its key,
        # where it would sometimes read every shop to check the words first.
        checked = shops.where(Shop.id.in_(batch) & _typed(words)).order_by(Shop.id)
        found += [i for (i,) in checked.limit(wanted - len(found)).tuples()]
        if len(found) >= wanted:
            break
        after = batch[-1]
    return found


def _rarest(needed: set[str]) -> str:
    """The pair held by the fewest shops, counting each no further than COMMON_PAIR and
    stopping at the first that one batch of postings holds."""
    fewest, rarest = None, None
    for gram in sorted(needed):
        held = ShopGram.select(ShopGram.shop).where(ShopGram.gram == gram).limit(COMMON_PAIR)
        count = held.count()
        if fewest is None or count < fewest:
            fewest, rarest = count, gram
        if count < BATCH:
            break
    return rarest
