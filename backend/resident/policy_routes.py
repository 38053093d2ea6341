"""/api/v1/resident/policies and /tags: the policies that reached me, and the tags I
declared so that those meant for me find me."""

from __future__ import annotations

from flask.views import MethodView

from backend.api import QueryPage
from backend.auth import current_user
from backend.policies import inbox, tags
from backend.policies.schemas import AnswerIn, DeliveryOut, TagIn, TagsOut
from backend.resident import blp


@blp.route("/policies")
class MyPolicies(MethodView):
    @blp.response(200, DeliveryOut(many=True))
    @blp.paginate(QueryPage)
    def get(self):
        """What reached me, unread first, each with why it matched"""
        return inbox.listed(current_user(), shops=False)


@blp.route("/policies/<int:delivery_id>")
class MyPolicy(MethodView):
    @blp.response(200, DeliveryOut)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, delivery_id):
        """Open one: it is marked read"""
        return inbox.opened(current_user(), delivery_id, shops=False)


@blp.route("/policies/<int:delivery_id>/answer")
class MyPolicyAnswer(MethodView):
    @blp.arguments(AnswerIn)
    @blp.response(200, DeliveryOut)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body, delivery_id):
        """已办理 (acted) or 与我无关 (not me, with a reason)"""
        return inbox.answer(current_user(), delivery_id, False, body)


@blp.route("/tags")
class MyTags(MethodView):
    @blp.response(200, TagsOut)
    def get(self):
        """The tags I may declare, the consent I give with one, and those I hold"""
        return tags.offered(current_user())

    @blp.arguments(TagIn)
    @blp.response(201, TagsOut)
    def post(self, body):
        """Declare a tag, consenting to the wording of consent_version"""
        return tags.declared(current_user(), body["tag"], body["consent_version"])


@blp.route("/tags/<string:tag>")
class MyTag(MethodView):
    @blp.response(204)
    @blp.alt_response(404, response="NOT_FOUND")
    def delete(self, tag):
        """Withdraw my consent: the tag stops matching at once"""
        tags.withdraw(current_user(), tag)
