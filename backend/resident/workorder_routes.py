"""/api/v1/resident: the work orders I raised, how each is going, and my rating of how
each ended."""

from __future__ import annotations

from flask.views import MethodView

from backend.api import QueryPage
from backend.auth import current_user
from backend.resident import blp
from backend.resident.schemas import ReopeningIn, SatisfactionIn
from backend.workorders import orders, transitions
from backend.workorders.schemas import MyOrderDetail, MyOrderOut


@blp.route("/work-orders")
class MyWorkOrders(MethodView):
    @blp.response(200, MyOrderOut(many=True))
    @blp.paginate(QueryPage)
    def get(self):
        """Orders I raised, newest first"""
        return orders.my_orders(current_user())


@blp.route("/work-orders/<string:number>")
class MyWorkOrder(MethodView):
    @blp.response(200, MyOrderDetail)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, number):
        """One of my orders, with its timeline in Chinese"""
        return orders.my_detail(current_user(), number)


@blp.route("/work-orders/<string:number>/rating")
class MyRating(MethodView):
    @blp.arguments(SatisfactionIn)
    @blp.response(200, MyOrderDetail)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body, number):
        """回访: how satisfied I am with how it was resolved; this closes the order"""
        user = current_user()
        transitions.rate(user, number, body["rating"], body["comment"])
        return orders.my_detail(user, number)


@blp.route("/work-orders/<string:number>/reopen")
class MyReopen(MethodView):
    @blp.arguments(ReopeningIn)
    @blp.response(200, MyOrderDetail)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body, number):
        """Unsatisfied, reopen it once, within 7 days of its closing"""
        user = current_user()
        transitions.reopen_mine(user, number, body["reason"])
        return orders.my_detail(user, number)
