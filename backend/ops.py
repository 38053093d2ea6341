"""Health, readiness and the public key set: what load balancers and gate scanners call."""

from __future__ import annotations

import marshmallow as ma
from flask import current_app, request
from flask.views import MethodView
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4 as TEXT_FORMAT

from backend import engine, metrics, monitoring, tokens
from backend.api import Blueprint, own_credentials, public
from backend.errors import Forbidden, UpstreamUnavailable
from backend.i18n import N_

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
        why = monitoring.unready()
        if why is not None:
            key, message = why
            raise UpstreamUnavailable(message, key=key)
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


@blp.route("/metrics")
@public
@own_credentials
class Metrics(MethodView):
    @blp.doc(
        security=[{"metricsToken": []}, {}],
        responses={
            "200": {
                "description": "Prometheus's text format",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            }
        },
    )
    @blp.alt_response(403, response="FORBIDDEN")
    def get(self):
        """Counts, latencies and the state of the work, for Prometheus; only to the
        networks in METRICS_ALLOW or with METRICS_TOKEN as the bearer token"""
        config = current_app.config["CITYCODE"]
        # The socket's peer: behind ProxyFix, remote_addr is what X-Forwarded-For claims.
        peer = request.environ.get("werkzeug.proxy_fix.orig", request.environ)["REMOTE_ADDR"]
        if not metrics.allowed(
            peer,
            request.headers.get("Authorization"),
            config.metrics_allow,
            config.metrics_token,
        ):
            raise Forbidden(N_("metrics are not served to this address"), key="metrics_forbidden")
        body = metrics.exposition(monitoring.StateOfWork())
        return body, 200, {"Content-Type": TEXT_FORMAT, "Cache-Control": "no-store"}
