"""/api/v1/merchant: a shopkeeper's shops, their profile, licences, people, photos, orders,
record and ratings (the printed code: code_routes.py)."""

from __future__ import annotations

from flask.views import MethodView

from backend import uploads
from backend.api import QueryPage
from backend.auth import current_user
from backend.inspections import rectification
from backend.inspections.schemas import RectificationDetail, RectificationOut
from backend.merchant import SHOP, blp, member, schemas
from backend.ratings import complaints, ratings
from backend.ratings.schemas import ShopComplaintOut, ShopRatingOut
from backend.schemas import LifecycleEventOut, PhotoUpload, UploadOut
from backend.shops import (
    access,
    employees,
    honours,
    licences,
    members,
    photos,
    profile,
    record,
    requests,
)
from backend.shops.schemas import EmployeeOut, LicenceOut, ShopOut, ShopRequestOut


@blp.route("/shops")
class Shops(MethodView):
    @blp.response(200, schemas.MyShopOut(many=True))
    def get(self):
        """My shops, with my role in each"""
        return access.my_shops(current_user())

    @blp.idempotent
    @blp.arguments(schemas.ShopRegistration)
    @blp.response(201, ShopOut)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body):
        """Register a new shop; it stays pending until an admin of its street approves it"""
        return requests.register_shop(current_user(), body)


@blp.route("/claims")
class Claims(MethodView):
    @blp.response(200, ShopRequestOut(many=True))
    def get(self):
        """My registrations, claims and changes of name or address, and how they were decided"""
        return requests.my_requests(current_user())

    @blp.idempotent
    @blp.arguments(schemas.ClaimRequest)
    @blp.response(201, ShopRequestOut)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body):
        """Claim a shop already on record by its credit code (an admin approves)"""
        return requests.claim_shop(current_user(), body["credit_code"], body.get("shop_id"))


@blp.route(SHOP)
class ShopProfile(MethodView):
    @member
    @blp.response(200, schemas.OwnShopOut)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, shop_id):
        """One of my shops"""
        return access.member_shop(current_user(), shop_id)

    @member
    @blp.arguments(schemas.ProfileChange)
    @blp.response(200, schemas.OwnShopOut)
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def patch(self, body, shop_id):
        """Change the profile (owner or staff); every change is a lifecycle event.

        Once the shop is approved, a new name or address is asked of an admin of its
        street (owner only) and shows as `pending_change` until decided; asking again
        replaces what it names. Every other field changes at once.
        """
        return profile.update_profile(current_user(), shop_id, body)


@blp.route(f"{SHOP}/licences")
class Licences(MethodView):
    @member
    @blp.response(200, LicenceOut(many=True))
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, shop_id):
        """The shop's licences with their status today (valid, expiring, expired, not_yet_valid)"""
        return licences.licences(current_user(), shop_id)

    @member
    @blp.arguments(schemas.LicenceIn)
    @blp.response(201, LicenceOut)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body, shop_id):
        """Add a licence"""
        return licences.add_licence(current_user(), shop_id, body)


@blp.route(f"{SHOP}/licences/<string:licence_id>")
class LicenceItem(MethodView):
    @member
    @blp.response(204)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def delete(self, shop_id, licence_id):
        """Remove a licence (the removal stays in the lifecycle record)"""
        licences.remove_licence(current_user(), shop_id, licence_id)


@blp.route(f"{SHOP}/licences/<string:licence_id>/renewal")
class LicenceRenewal(MethodView):
    @member
    @blp.arguments(schemas.LicenceRenewal)
    @blp.response(200, LicenceOut)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body, shop_id, licence_id):
        """Renew a licence: a later valid_to, optionally a new number and photo"""
        return licences.renew_licence(current_user(), shop_id, licence_id, body)


@blp.route(f"{SHOP}/employees")
class Employees(MethodView):
    @member
    @blp.response(200, EmployeeOut(many=True))
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, shop_id):
        """Employees and their health certificates"""
        return employees.employees(current_user(), shop_id)

    @member
    @blp.arguments(schemas.EmployeeIn)
    @blp.response(201, EmployeeOut)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body, shop_id):
        """Add an employee with their health certificate"""
        return employees.add_employee(current_user(), shop_id, body)


@blp.route(f"{SHOP}/employees/<string:employee_id>")
class EmployeeItem(MethodView):
    @member
    @blp.arguments(schemas.EmployeeChange)
    @blp.response(200, EmployeeOut)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def patch(self, body, shop_id, employee_id):
        """Update an employee (e.g. a renewed health certificate)"""
        return employees.update_employee(current_user(), shop_id, employee_id, body)

    @member
    @blp.response(204)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def delete(self, shop_id, employee_id):
        """Remove an employee"""
        employees.remove_employee(current_user(), shop_id, employee_id)


@blp.route(f"{SHOP}/honours")
class Honours(MethodView):
    @member
    @blp.response(200, schemas.ShopHonourOut(many=True))
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, shop_id):
        """Honours and qualifications"""
        return honours.member_honours(current_user(), shop_id)

    @member
    @blp.arguments(schemas.HonourIn)
    @blp.response(201, schemas.ShopHonourOut)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body, shop_id):
        """Add an honour or qualification"""
        return honours.add_honour(current_user(), shop_id, body)


@blp.route(f"{SHOP}/honours/<string:honour_id>")
class HonourItem(MethodView):
    @member
    @blp.response(204)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def delete(self, shop_id, honour_id):
        """Remove an honour"""
        honours.remove_honour(current_user(), shop_id, honour_id)


@blp.route(f"{SHOP}/members")
class Members(MethodView):
    @member
    @blp.response(200, schemas.MemberOut(many=True))
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, shop_id):
        """The shop's people (owner only)"""
        return members.members(current_user(), shop_id)


@blp.route(f"{SHOP}/members/<int:user_id>")
class MemberItem(MethodView):
    @member
    @blp.response(204)
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def delete(self, shop_id, user_id):
        """Remove a member of staff (owner only)"""
        members.remove_member(current_user(), shop_id, user_id)


@blp.route(f"{SHOP}/invites")
class Invites(MethodView):
    @member
    @blp.response(201, schemas.InviteOut)
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.doc(**{"x-no-body": True})
    @blp.alt_response(409, response="CONFLICT")
    def post(self, shop_id):
        """Invite a member of staff: a one-time code to hand over (owner only)"""
        code, invite = members.invite_staff(current_user(), shop_id)
        return {"code": code, "expires_at": invite.expires_at}


@blp.route("/invites/accept")
class InviteAcceptance(MethodView):
    @blp.arguments(schemas.InviteAccept)
    @blp.response(200, schemas.MyShopOut)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body):
        """Join a shop as staff with the code its owner gave you"""
        return members.accept_invite(current_user(), body["code"])


@blp.route(f"{SHOP}/uploads")
class Uploads(MethodView):
    @member
    @blp.arguments(PhotoUpload, location="files")
    @blp.response(201, UploadOut)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, files, shop_id):
        """Upload a photo (JPEG or PNG, at most 5 MB) for a licence, honour or answer"""
        return photos.upload_photo(current_user(), shop_id, files["file"].stream)


@blp.route(f"{SHOP}/uploads/<string:upload_id>")
class UploadItem(MethodView):
    @member
    @blp.binary("image/jpeg", "image/png", description="the photo")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, shop_id, upload_id):
        """A photo, for the shop's own people"""
        upload = photos.member_upload(current_user(), shop_id, upload_id)
        response = uploads.send(upload)
        response.headers["Cache-Control"] = "private, max-age=3600"
        return response


@blp.route(f"{SHOP}/rectifications")
class Rectifications(MethodView):
    @member
    @blp.arguments(schemas.OpenFilter, location="query")
    @blp.response(200, RectificationOut(many=True))
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args, shop_id):
        """Rectification orders for this shop, by deadline"""
        return rectification.rectifications(current_user(), shop_id, open_only=args["open"])


@blp.route(f"{SHOP}/rectifications/<string:order_id>")
class RectificationItem(MethodView):
    @member
    @blp.response(200, RectificationDetail)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, shop_id, order_id):
        """An order with the shop's answers and the inspector's decisions (and reasons)"""
        return rectification.rectification(current_user(), shop_id, order_id)


@blp.route(f"{SHOP}/rectifications/<string:order_id>/submissions")
class RectificationSubmissions(MethodView):
    @member
    @blp.arguments(schemas.RectificationAnswer)
    @blp.response(201, RectificationOut)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body, shop_id, order_id):
        """Answer an order with evidence (text and photos); an inspector then verifies it"""
        return rectification.submit_rectification(
            current_user(), shop_id, order_id, body["text"], body["photos"]
        )


@blp.route(f"{SHOP}/lifecycle")
class Lifecycle(MethodView):
    @member
    @blp.response(200, LifecycleEventOut(many=True))
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.paginate(QueryPage)
    def get(self, shop_id):
        """The shop's lifecycle record, newest first"""
        return record.member_events(current_user(), shop_id)


@blp.route(f"{SHOP}/ratings")
class ShopRatings(MethodView):
    @member
    @blp.response(200, ShopRatingOut(many=True))
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.paginate(QueryPage)
    def get(self, shop_id):
        """Residents' ratings of this shop, newest first"""
        return ratings.shop_ratings(current_user(), shop_id)


@blp.route(f"{SHOP}/ratings/<string:rating_id>/reply")
class RatingReply(MethodView):
    @member
    @blp.arguments(schemas.ReplyIn)
    @blp.response(200, ShopRatingOut)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body, shop_id, rating_id):
        """Reply to a rating, once"""
        return ratings.reply(current_user(), shop_id, rating_id, body["text"])


@blp.route(f"{SHOP}/complaints")
class ShopComplaints(MethodView):
    @member
    @blp.response(200, ShopComplaintOut(many=True))
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.paginate(QueryPage)
    def get(self, shop_id):
        """Complaints about this shop and how its regulator decided them (who complained
        is not said)"""
        return complaints.about_my_shop(current_user(), shop_id)


@blp.route(f"{SHOP}/complaints/<string:complaint_id>/answer")
class ComplaintAnswer(MethodView):
    @member
    @blp.arguments(schemas.ReplyIn)
    @blp.response(200, ShopComplaintOut)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.asks_wechat
    def post(self, body, shop_id, complaint_id):
        """Answer a complaint: its regulator reads the answer beside it"""
        return complaints.answer(current_user(), shop_id, complaint_id, body["text"])
