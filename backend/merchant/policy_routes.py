"""/api/v1/merchant/policies: the policies that reached me for my shops."""

from __future__ import annotations

from flask.views import MethodView

from backend.api import QueryPage
from backend.auth import current_user
from backend.merchant import blp
from backend.policies import inbox
from backend.policies.schemas import AnswerIn, DeliveryOut


@blp.route("/policies")
class MyShopsPolicies(MethodView):
    @blp.response(200, DeliveryOut(many=True))
    @blp.paginate(QueryPage)
    def get(self):
        """What reached me for my shops, unread first, each with why it matched"""
        return inbox.listed(current_user(), shops=True)


@blp.route("/policies/<int:delivery_id>")
class MyShopsPolicy(MethodView):
    @blp.response(200, DeliveryOut)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, delivery_id):
        """Open one: it is marked read"""
        return inbox.opened(current_user(), delivery_id, shops=True)


@blp.route("/policies/<int:delivery_id>/answer")
class MyShopsPolicyAnswer(MethodView):
    @blp.arguments(AnswerIn)
    @blp.response(200, DeliveryOut)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body, delivery_id):
        """已办理 (acted) or 与我无关 (not me, with a reason)"""
        return inbox.answer(current_user(), delivery_id, True, body)
