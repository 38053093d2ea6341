"""Stand-ins for the scan that show how far the ratio can go, not what the app does.

Served as the scan target with `--app`, they keep the app's whole request path
(hooks, authentication, the rating ticket, the JSON response) and change only how the
public view is read, to tell how much of the scan's cost is the read and how much is
everything around it:

    python bench/scan.py --app 'ceilings:from_memory()'   # no database read at all
    python bench/scan.py --app 'ceilings:one_row()'        # one row, no aggregates

Neither answers correctly (every code gets the same shop, or a shop without its
licences' details, honours and comments); they are never the app.
"""

from __future__ import annotations

import peewee as pw

from backend import create_app
from backend.db import Prepared
from backend.ratings import ratings
from backend.shops import public_view as public


def from_memory():
    """The first public view read, served again for every code: what the app's request
    path costs when the read costs nothing."""
    app = create_app()
    read = public.body
    remembered = {}

    def body(raw_code, caller_id):
        if "view" not in remembered:
            view = read(raw_code, caller_id)
            if view is None:
                return None
            remembered["view"] = view
        view = remembered["view"]
        return {**view, "rating_ticket": ratings.issue_ticket(caller_id, view["shop"]["id"])}

    public.body = body
    return app


def one_row():
    """The same statement without the licence, honour and comment aggregates (one
    licence as a constant instead, which the bench's preflight asks for): the cheapest
    read that still joins the caller, the code, the shop and its regions."""
    app = create_app()
    licence = pw.SQL('\'[["food_business", "JY13101040012345", "", "2099-01-01", 0]]\'')
    card = public._public_card._build

    def without_aggregates(code, caller_id):
        query = card(code, caller_id)
        columns = [
            c
            for c in query._returning
            if getattr(c, "_alias", None) not in ("licences", "honours", "comments")
        ]
        return query.select(
            *columns,
            licence.alias("licences"),
            pw.SQL("'[]'").alias("honours"),
            pw.SQL("'[]'").alias("comments"),
        )

    public._public_card = Prepared(without_aggregates)
    return app
