"""/open311/v2/*.json: discovery, services, their definitions, requests (read by anyone,
posted with an api_key) and tokens. Errors are the standard's [{code, description}]."""

from __future__ import annotations

from flask import jsonify, request
from flask.views import MethodView
from werkzeug.exceptions import HTTPException

from backend import clientkeys, i18n
from backend.api import public
from backend.errors import DomainError
from backend.open311 import blp
from backend.open311 import schemas as s
from backend.ratelimit import per_address_open311, per_api_key
from backend.workorders import open311

ERRORS = {"schema": s.Open311Error(many=True)}


def _error(status: int, description: str):
    # The standard knows 400 for a bad request, not 422.
    status = 400 if status == 422 else status
    response = jsonify([{"code": status, "description": description}])
    response.status_code = status
    return response


@blp.errorhandler(DomainError)
def _domain(exc: DomainError):
    said = i18n.say(exc.msgid, exc.params) if exc.msgid else exc.message
    return _error(exc.status, said)


@blp.errorhandler(HTTPException)
def _http(exc: HTTPException):
    messages = (getattr(exc, "data", None) or {}).get("messages") or {}
    fields = [name for where in messages.values() for name in where]
    said = "、".join(fields) + " 不正确" if fields else (exc.description or exc.name)
    return _error(exc.code or 500, said)


@blp.route("/discovery.json")
@public
class Discovery(MethodView):
    @blp.response(200, s.Discovery)
    def get(self):
        """Where this GeoReport v2 endpoint is, and what it speaks"""
        return {
            "changeset": "2026-12-07T00:00:00Z",
            "contact": "徐汇区城市运行管理中心 12345",
            "key_service": "citycode open311-key（区城运中心发放）",
            "endpoints": [
                {
                    "specification": "http://wiki.open311.org/GeoReport_v2",
                    "url": request.url_root.rstrip("/") + blp.url_prefix,
                    "changeset": "2026-12-07T00:00:00Z",
                    "type": "production",
                    "formats": ["application/json"],
                }
            ],
        }


@blp.route("/services.json")
@public
class Services(MethodView):
    @blp.response(200, s.Service(many=True))
    def get(self):
        """The services: our work-order categories"""
        return open311.services()


@blp.route("/services/<string:service_code>.json")
@public
class ServiceDefinition(MethodView):
    @blp.response(200, s.ServiceDefinition)
    @blp.alt_response(404, **ERRORS)
    def get(self, service_code):
        """A service's attributes: the community a request is in"""
        return open311.definition(service_code)


@blp.route("/requests.json")
@public
class Requests(MethodView):
    decorators = [per_api_key, per_address_open311]

    @blp.arguments(s.RequestQuery, location="query")
    @blp.response(200, s.ServiceRequest(many=True))
    @blp.alt_response(400, **ERRORS)
    def get(self, args):
        """Service requests of the last 90 days (or the dates asked), at most 1000"""
        return open311.find(args)

    @blp.arguments(s.RequestIn, location="json_or_form")
    @blp.response(201, s.Posted(many=True))
    @blp.alt_response(400, **ERRORS)
    @blp.alt_response(403, **ERRORS)
    @blp.alt_response(429, **ERRORS)
    def post(self, body):
        """Post a service request: a work order, dispatched by the rules at once"""
        client = clientkeys.holder("open311", body.pop("api_key"))
        body["attribute"] = {"community": body.pop("community")}
        return [open311.posted(open311.submit(client, body))]


@blp.route("/requests/<string:number>.json")
@public
class RequestItem(MethodView):
    @blp.response(200, s.ServiceRequest(many=True))
    @blp.alt_response(404, **ERRORS)
    def get(self, number):
        """One service request"""
        return [open311.one(number)]


@blp.route("/tokens/<string:token>.json")
@public
class Token(MethodView):
    @blp.response(200, s.TokenAnswer(many=True))
    @blp.alt_response(404, **ERRORS)
    def get(self, token):
        """The service request a token stands for"""
        return [open311.token(token)]
