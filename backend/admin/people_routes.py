"""/api/v1/admin: departments and staff, inside the admin's own subtree."""

from __future__ import annotations

from flask.views import MethodView

from backend.admin import blp, requires, schemas
from backend.api import QueryPage
from backend.auth import current_staff
from backend.people import staff


@blp.route("/departments")
class Departments(MethodView):
    @requires("admin")
    @blp.response(200, schemas.DepartmentOut(many=True))
    @blp.paginate(QueryPage)
    def get(self):
        """Departments whose jurisdiction lies in my scope"""
        return staff.departments(current_staff())

    @requires("admin")
    @blp.arguments(schemas.DepartmentIn)
    @blp.response(201, schemas.DepartmentOut)
    def post(self, body):
        """Create a department with a jurisdiction in my scope"""
        return staff.create_department(current_staff(), body["name"], body["kind"], body["region"])


@blp.route("/staff")
class Staff(MethodView):
    @requires("admin", "inspector")
    @blp.arguments(schemas.StaffFilter, location="query")
    @blp.response(200, schemas.StaffOut(many=True))
    @blp.paginate(QueryPage)
    def get(self, args):
        """Staff in my scope (names and phones masked); an inspector sees active inspectors only"""
        return staff.staff_list(current_staff(), args["role"], args["active"])

    @requires("admin")
    @blp.arguments(schemas.StaffIn)
    @blp.response(201, schemas.StaffCreated)
    def post(self, body):
        """Create a staff account in my scope; answers its one-time binding code"""
        member, code = staff.add_staff(current_staff(), body)
        return {"staff": member, "binding_code": code}


@blp.route("/staff/<int:staff_id>")
class StaffMember(MethodView):
    @requires("admin")
    @blp.response(200, schemas.StaffDetail)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, staff_id):
        """One staff member, unmasked (the read is audited)"""
        return staff.read_staff_unmasked(current_staff(), staff_id)


@blp.route("/staff/<int:staff_id>/binding-code")
class StaffBindingCode(MethodView):
    @requires("admin")
    @blp.response(201, schemas.StaffCreated)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    @blp.doc(**{"x-no-body": True})
    def post(self, staff_id):
        """A fresh one-time binding code for a staff member not yet bound"""
        member, code = staff.new_binding_code(current_staff(), staff_id)
        return {"staff": member, "binding_code": code}


@blp.route("/staff/<int:staff_id>/qualifications")
class StaffQualifications(MethodView):
    @requires("admin")
    @blp.arguments(schemas.QualificationsIn)
    @blp.response(200, schemas.StaffOut)
    @blp.alt_response(404, response="NOT_FOUND")
    def put(self, body, staff_id):
        """Set a staff member's qualification tags (食品, 特种设备, …), which a sampling plan's
        pool may require"""
        return staff.set_qualifications(current_staff(), staff_id, body["qualifications"])


@blp.route("/staff/<int:staff_id>/disable")
class StaffDisable(MethodView):
    @requires("admin")
    @blp.response(200, schemas.StaffOut)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    @blp.doc(**{"x-no-body": True})
    def post(self, staff_id):
        """Disable a staff account: its WeChat user loses the staff role at once"""
        return staff.disable_staff(current_staff(), staff_id)
