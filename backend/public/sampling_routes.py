"""/api/v1/public/sampling-plans: every committed or drawn random-sampling plan of the
district, with what anyone needs to check its draw (一公开)."""

from __future__ import annotations

from flask.views import MethodView

from backend.api import QueryPage, public
from backend.public import blp
from backend.sampling import schemas as s
from backend.sampling import tasks


@blp.route("/sampling-plans")
@public
class PublicSamplingPlans(MethodView):
    @blp.response(200, s.PublicPlanSummary(many=True))
    @blp.paginate(QueryPage)
    def get(self):
        """The district's random-sampling plans, committed and drawn, newest first"""
        return tasks.published()


@blp.route("/sampling-plans/<string:plan_id>")
@public
class PublicSamplingPlan(MethodView):
    @blp.response(200, s.PublicPlan)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, plan_id):
        """A plan's commitment, public value, revealed salt, list hashes, drawn shops and results"""
        return tasks.public_plan(plan_id)
