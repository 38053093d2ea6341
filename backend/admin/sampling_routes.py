"""/api/v1/admin: random-sampling plans (双随机) from draft to draw, the auditor's document,
inspectors' tasks and their declared conflicts (backend/sampling)."""

from __future__ import annotations

from flask.views import MethodView

from backend.admin import blp, requires
from backend.api import QueryPage
from backend.auth import current_staff
from backend.models.people import STAFF_ROLES
from backend.sampling import due, plans, tasks
from backend.sampling import schemas as s

PLANS = "/sampling-plans"


@blp.route(PLANS)
class SamplingPlans(MethodView):
    @requires(*plans.READERS)
    @blp.response(200, s.PlanOut(many=True))
    @blp.paginate(QueryPage)
    def get(self):
        """Sampling plans of my region, newest first"""
        return plans.in_scope(current_staff())

    @requires("admin")
    @blp.arguments(s.PlanIn)
    @blp.response(201, s.PlanOut)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, body):
        """A draft plan: items, target categories, ratios per risk grade, pool, team size, period"""
        return plans.create(current_staff(), body)


@blp.route(f"{PLANS}/<string:plan_id>")
class SamplingPlanItem(MethodView):
    @requires(*plans.READERS)
    @blp.response(200, s.PlanOut)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, plan_id):
        """One plan"""
        return plans.one(current_staff(), plan_id)


@blp.route(f"{PLANS}/<string:plan_id>/commit")
class SamplingPlanCommit(MethodView):
    @requires("admin")
    @blp.arguments(s.CommitIn)
    @blp.response(200, s.PlanOut)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body, plan_id):
        """Freeze the lists and publish the commitment, naming the future public value"""
        return plans.commit(current_staff(), plan_id, body["public_value_name"])


@blp.route(f"{PLANS}/<string:plan_id>/draw")
class SamplingPlanDraw(MethodView):
    @requires("admin")
    @blp.arguments(s.DrawIn)
    @blp.response(200, s.PlanOut)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body, plan_id):
        """Draw with the public value as announced: reveals the salt and makes the tasks"""
        return plans.draw_plan(current_staff(), plan_id, body["public_value"])


@blp.route(f"{PLANS}/<string:plan_id>/publish")
class SamplingPlanPublish(MethodView):
    @requires("admin")
    @blp.response(200, s.PlanProgress)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.doc(**{"x-no-body": True})
    def post(self, plan_id):
        """Publish the results done so far (一公开, due within 20 working days of each
        inspection); answers the plan's progress"""
        return plans.publish(current_staff(), plan_id)


@blp.route(f"{PLANS}/<string:plan_id>/document.json")
class SamplingPlanDocument(MethodView):
    @requires(*plans.READERS)
    @blp.response(200, s.PlanDocument)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, plan_id):
        """The plan's document for an auditor (the frozen lists, with the risk grades)"""
        return plans.document(plans.one(current_staff(), plan_id))


@blp.route(f"{PLANS}/<string:plan_id>/progress")
class SamplingPlanProgress(MethodView):
    @requires(*plans.READERS)
    @blp.response(200, s.PlanProgress)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, plan_id):
        """A drawn plan's tasks: drawn, done, overdue, and by street"""
        return tasks.progress(plans.one(current_staff(), plan_id))


@blp.route("/sampling-tasks/overdue")
class OverdueSamplingTasks(MethodView):
    @requires(*plans.READERS)
    @blp.response(200, s.TaskOut(many=True))
    @blp.paginate(QueryPage)
    def get(self):
        """Tasks of my region's plans past their deadline and not done, for supervision"""
        return tasks.overdue_in_scope(current_staff())


@blp.route("/sampling-tasks/unpublished")
class UnpublishedSamplingResults(MethodView):
    @requires(*plans.READERS)
    @blp.response(200, s.TaskOut(many=True))
    @blp.paginate(QueryPage)
    def get(self):
        """Results of my region's plans done and not yet published, the soonest due first
        (`published_late_on`: past the 20 working days)"""
        return tasks.unpublished_in_scope(current_staff())


@blp.route("/inspections-due")
class InspectionsDue(MethodView):
    @requires("admin", "inspector")
    @blp.arguments(s.DueFilter, location="query")
    @blp.response(200, s.DueShop(many=True))
    @blp.paginate(QueryPage)
    def get(self, args):
        """Shops due a routine inspection by their risk grade (A, B yearly; C twice; D three
        times a year), never inspected first"""
        return due.due(current_staff(), args["street"])


@blp.route("/sampling-tasks")
class SamplingTasks(MethodView):
    @requires(*STAFF_ROLES)
    @blp.response(200, s.TaskOut(many=True))
    @blp.paginate(QueryPage)
    def get(self):
        """My inspection tasks from drawn plans, open first, by deadline"""
        return tasks.mine(current_staff())


@blp.route("/me/conflicts")
class MyConflicts(MethodView):
    @requires("inspector", "admin")
    @blp.arguments(s.ConflictIn)
    @blp.response(201, s.ConflictOut)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body):
        """Declare a shop I must never be drawn for (回避)"""
        return tasks.declare_conflict(current_staff(), body["shop_id"], body["reason"])
