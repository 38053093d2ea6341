"""Health, readiness and the public key set: what load balancers and gate scanners call."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from backend import engine, tokens
from backend.api import Blueprint, public
from backend.db import database
from backend.errors import UpstreamUnavailable

blp = Blueprint("ops", __name__, url_prefix="", description="Health and public keys")


class Health(ma.Schema):
    status = ma.fields.String(required=True, metadata={"example": "ok"})
    queue = ma.fields.String(
        metadata={"description": "the task queue: ok or unreachable", "example": "ok"}
    )


class Jwk(ma.Schema):
    kty = ma.fields.String()
    crv = ma.fields.String()
    x = ma.fields.String()
    y = ma.fields.String()
    kid = ma.fields.String()
    alg = ma.fields.String()
    use = ma.fields.String()


class Jwks(ma.Schema):
    keys = ma.fields.List(ma.fields.Nested(Jwk), required=True)


@blp.route("/healthz")
@public
class Liveness(MethodView):
    @blp.response(200, Health)
    def get(self):
        """The process is up"""
        return {"status": "ok"}


@blp.route("/readyz")
@public
class Readiness(MethodView):
    @blp.response(200, Health)
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def get(self):
        """The database answers and the keys are there: take traffic; and whether the queue does"""
        try:
            database.execute_sql("SELECT 1")
        except Exception as exc:
            raise UpstreamUnavailable("database unavailable", key="database_unavailable") from exc
        # Production is given its keys (`citycode rotate-keys`); until then it signs nothing.
        if not tokens.key_set().ready():
            raise UpstreamUnavailable(
                "no signing keys yet; run citycode rotate-keys", key="no_signing_keys"
            )
        # Requests do not need the queue (a message waits in the outbox for the worker's
        # pick-up), so an unreachable queue is reported, not a reason to take no traffic.
        return {"status": "ok", "queue": "ok" if engine.reachable() else "unreachable"}


@blp.route("/.well-known/jwks.json")
@public
class KeySetView(MethodView):
    @blp.response(200, Jwks)
    def get(self):
        """Public keys for verifying resident codes offline"""
        return tokens.key_set().jwks()
