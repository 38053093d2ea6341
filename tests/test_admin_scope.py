"""Every admin endpoint keeps a street's staff inside their street.

Street A's staff must not read, list, count, export or change anything of street B,
and what they get for B's records is exactly what they get for records that do not
exist. The table SCOPE_CHECKS holds one check per endpoint and method; a new admin
endpoint without an entry (or an entry in COVERED_ELSEWHERE) fails
test_every_admin_endpoint_has_a_scope_check.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta

import pytest
from PIL import Image

from backend import clock
from backend.db import database
from backend.models import (
    AuditEntry,
    CommunityMembership,
    Department,
    Inspection,
    InspectionConfirmation,
    InspectionCorrection,
    Licence,
    Rating,
    RectificationOrder,
    Shop,
    ShopCode,
    ShopRequest,
    StaffAccount,
    Upload,
)
from tests.conftest import repo_root

ADMIN = "/api/v1/admin"

# Endpoints whose scope tests live in their own files, by rule prefix.
COVERED_ELSEWHERE = {
    f"{ADMIN}/notices": "tests/test_community_isolation.py",
    f"{ADMIN}/polls": "tests/test_community_isolation.py",
    f"{ADMIN}/reports": "tests/test_community_isolation.py",
    f"{ADMIN}/events": "tests/test_bookings.py",
    f"{ADMIN}/forms": "tests/test_forms.py",
    f"{ADMIN}/outbox": "tests/test_outbox.py",
    f"{ADMIN}/work-orders": "tests/test_work_orders.py",
    f"{ADMIN}/routing-rules": "tests/test_work_orders.py",
    f"{ADMIN}/work-order-categories": "tests/test_work_orders.py",
    f"{ADMIN}/uploads": "tests/test_work_orders.py",
    f"{ADMIN}/policies": "tests/test_policies.py",
    f"{ADMIN}/policy-attachments": "tests/test_policies.py",
    f"{ADMIN}/policy-preview": "tests/test_policies.py",
    f"{ADMIN}/appeals": "tests/test_grade_contest.py",
    f"{ADMIN}/reratings": "tests/test_grade_contest.py",
    f"{ADMIN}/sampling-plans": "tests/test_sampling.py",
    f"{ADMIN}/sampling-tasks": "tests/test_sampling.py",
    f"{ADMIN}/me/conflicts": "tests/test_sampling.py",
    f"{ADMIN}/inspections-due": "tests/test_sampling.py",
}

MISSING_STREET = "310104999"
MISSING_COMMUNITY = "310104999001"
MISSING_ID = 999999
MISSING_PUBLIC_ID = "NoSuchRecord"


def checklist():
    return [{"code": f"FS0{n}", "ok": n != 3} for n in range(1, 9)]


class World:
    """Streets A and B, each with staff, a shop and every kind of record an admin touches."""

    def __init__(self, client, make):
        self.client, self.make = client, make
        places = make.region_tree()
        self.places = places
        street_a, street_b = places["street_a"], places["street_b"]
        self.district_admin = make.staff("district", "admin", places["district"], name="王建国")
        self.admin_a = make.staff("admin_a", "admin", street_a, name="陈立")
        self.inspector_a = make.staff("inspector_a", "inspector", street_a, name="李明")
        self.cadre_a = make.staff("cadre_a", "cadre", places["community_a"], name="周敏")
        self.admin_b = make.staff("admin_b", "admin", street_b, name="刘洋")
        self.inspector_b = make.staff("inspector_b", "inspector", street_b, name="孙伟")
        self.inspector_b2 = make.staff("inspector_b2", "inspector", street_b, name="赵强")
        self.cadre_b = make.staff("cadre_b", "cadre", places["community_b"], name="吴芳")

        self.shop_a = make.shop("owner_a", street_a, places["community_a"], name="甲记面馆")
        self.shop_b = make.shop("owner_b", street_b, places["community_b"], name="乙记小吃")
        self.pending_a = make.shop("owner_a2", street_a, approved=False, name="甲新开店")
        self.pending_b = make.shop("owner_b2", street_b, approved=False, name="乙新开店")
        with database.connection_context():
            self.request_a = ShopRequest.get(ShopRequest.shop == self.pending_a.id).id
            self.request_b = ShopRequest.get(ShopRequest.shop == self.pending_b.id).id
        renamed = self.login("owner_b").patch(
            f"/api/v1/merchant/shops/{self.shop_b.public_id}", json={"name": "乙记新名"}
        )
        assert renamed.status_code == 200, renamed.get_json()
        with database.connection_context():
            self.change_b = ShopRequest.get(
                (ShopRequest.shop == self.shop_b.id) & (ShopRequest.kind == "change")
            ).id
        self.licence_b = make.licence(self.shop_b, clock.today_local() + timedelta(days=400))
        self.code_a, self.code_b = make.code_of(self.shop_a), make.code_of(self.shop_b)

        self._inspect_b()
        self.department_a = (
            self.login("admin_a")
            .post(
                f"{ADMIN}/departments",
                json={
                    "name": "天平路市场所",
                    "kind": "market_supervision",
                    "region": street_a.code,
                },
            )
            .get_json()["id"]
        )
        self.department_b = (
            self.login("admin_b")
            .post(
                f"{ADMIN}/departments",
                json={
                    "name": "湖南路市场所",
                    "kind": "market_supervision",
                    "region": street_b.code,
                },
            )
            .get_json()["id"]
        )
        self.unbound_b = (
            self.login("admin_b")
            .post(
                f"{ADMIN}/staff",
                json={"name": "钱进", "role": "inspector", "region": street_b.code},
            )
            .get_json()["staff"]["id"]
        )

        self.community_code_a = (
            self.login("cadre_a")
            .post(f"{ADMIN}/communities/{places['community_a'].code}/code")
            .get_json()["code"]
        )
        self.community_code_b = (
            self.login("cadre_b")
            .post(f"{ADMIN}/communities/{places['community_b'].code}/code")
            .get_json()["code"]
        )
        self.membership_a = self._join("joiner_a", self.community_code_a)
        self.membership_b = self._join("joiner_b", self.community_code_b)
        member_b = self._join("member_b", self.community_code_b)
        assert (
            self.login("cadre_b")
            .post(f"{ADMIN}/memberships/{member_b}/approve", json={})
            .status_code
            == 200
        )

        self.rating_a = self._held_rating("rater_a", self.shop_a, self.code_a)
        self.rating_b = self._held_rating("rater_b", self.shop_b, self.code_b)
        self.complaint_a = self._complain("rater_a", self.shop_a)
        self.complaint_b = self._complain("rater_b", self.shop_b)

    def login(self, user):
        return self.client.login(user)

    def _inspect_b(self):
        inspector = self.login("inspector_b")
        view = inspector.get(f"/api/v1/scan/{self.code_b}").get_json()
        response = inspector.post(
            f"{ADMIN}/shops/{self.shop_b.public_id}/inspections",
            json={
                "scan_proof": view["regulatory"]["scan_proof"]["token"],
                "location": {"lat": 31.2001, "lng": 121.4402},
                "co_inspector": self.inspector_b2.id,
                "checklist": checklist(),
                "result": "rectify",
                "requirements": "安装纱窗",
                "rectify_by": (clock.today_local() + timedelta(days=7)).isoformat(),
            },
        )
        assert response.status_code == 201, response.get_json()
        recorded = response.get_json()
        self.inspection_b = recorded["id"]
        self.order_b = recorded["rectification"]["id"]
        answered = self.login("owner_b").post(
            f"/api/v1/merchant/shops/{self.shop_b.public_id}/rectifications/{self.order_b}"
            "/submissions",
            json={"text": "已安装纱窗"},
        )
        assert answered.status_code == 201, answered.get_json()

    def _join(self, user, community_code):
        joined = self.login(user).post(
            "/api/v1/resident/memberships", json={"code": community_code}
        )
        assert joined.status_code == 201, joined.get_json()
        return joined.get_json()["id"]

    def _held_rating(self, user, shop, code):
        resident = self.login(user)
        ticket = resident.get(f"/api/v1/scan/{code}").get_json()["rating_ticket"]
        # The stub holds text with an advertising word for review.
        rated = resident.post(
            f"/api/v1/resident/shops/{shop.public_id}/ratings",
            json={"rating_ticket": ticket, "stars": 2, "text": "广告太多了"},
        )
        assert rated.status_code == 201 and rated.get_json()["status"] == "held"
        return rated.get_json()["id"]

    def _complain(self, user, shop):
        resident = self.login(user)
        ticket = resident.ticket(self.make.code_of(shop))
        filed = resident.post(
            f"/api/v1/resident/shops/{shop.public_id}/complaints",
            json={"category": "food_safety", "text": "餐具不干净有污渍", "rating_ticket": ticket},
        )
        assert filed.status_code == 201, filed.get_json()
        return filed.get_json()["id"]

    def resident_code(self, user):
        return self.login(user).get("/api/v1/resident/code").get_json()["code"]


@pytest.fixture
def world(client, make):
    return World(client, make)


def without_request_id(response):
    body = dict(response.get_json())
    body.pop("request_id", None)
    return body


def refused_like_missing(out_of_scope, missing):
    """B's record answers exactly as a record that does not exist."""
    assert out_of_scope.status_code == 404, out_of_scope.get_data(as_text=True)
    assert missing.status_code == 404, missing.get_data(as_text=True)
    assert without_request_id(out_of_scope) == without_request_id(missing)


def ids(response, key="id"):
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item[key] for item in response.get_json()]


def fetch(model, **where):
    with database.connection_context():
        query = model.select()
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return query.get()


def count(model):
    with database.connection_context():
        return model.select().count()


def under_a(world, path):
    return path.startswith(world.places["street_a"].path)


# -- the checks, one per endpoint and method ---------------------------------------------------
def check_audit_list(w):
    a = w.login("admin_a").get(f"{ADMIN}/audit").get_json()
    everything = w.login("district").get(f"{ADMIN}/audit").get_json()
    assert any(not under_a(w, e["region_path"]) for e in everything)
    assert a and all(under_a(w, e["region_path"]) for e in a)
    assert w.login("admin_a").get(f"{ADMIN}/audit?action=inspection.recorded").get_json() == []


def check_community_code_get(w):
    cadre = w.login("cadre_a")
    assert cadre.get(f"{ADMIN}/communities/{w.places['community_a'].code}/code").status_code == 200
    refused_like_missing(
        cadre.get(f"{ADMIN}/communities/{w.places['community_b'].code}/code"),
        cadre.get(f"{ADMIN}/communities/{MISSING_COMMUNITY}/code"),
    )


def check_community_code_issue(w):
    admin = w.login("admin_a")
    refused_like_missing(
        admin.post(f"{ADMIN}/communities/{w.places['community_b'].code}/code"),
        admin.post(f"{ADMIN}/communities/{MISSING_COMMUNITY}/code"),
    )
    current = fetch(ShopCode, region=w.places["community_b"].id, revoked_at=None)
    assert current.code == w.community_code_b


def check_community_code_png(w):
    cadre = w.login("cadre_a")
    refused_like_missing(
        cadre.get(f"{ADMIN}/communities/{w.places['community_b'].code}/code.png"),
        cadre.get(f"{ADMIN}/communities/{MISSING_COMMUNITY}/code.png"),
    )


def check_complaints(w):
    listed = ids(w.login("inspector_a").get(f"{ADMIN}/complaints"))
    assert listed == [w.complaint_a]
    assert w.complaint_b in ids(w.login("district").get(f"{ADMIN}/complaints"))


def check_departments_list(w):
    assert ids(w.login("admin_a").get(f"{ADMIN}/departments")) == [w.department_a]
    assert set(ids(w.login("district").get(f"{ADMIN}/departments"))) == {
        w.department_a,
        w.department_b,
    }


def check_departments_create(w):
    admin = w.login("admin_a")
    before = count(Department)
    for region in (
        w.places["street_b"].code,
        w.places["community_b"].code,
        w.places["district"].code,
    ):
        response = admin.post(
            f"{ADMIN}/departments",
            json={"name": "越权部门", "kind": "market_supervision", "region": region},
        )
        assert response.status_code == 422
        assert "region" in response.get_json()["errors"]["json"]
    assert count(Department) == before


def check_corrections(w):
    inspector = w.login("inspector_a")
    body = {"note": "结果有误，更正", "corrected_result": "pass"}
    refused_like_missing(
        inspector.post(f"{ADMIN}/inspections/{w.inspection_b}/corrections", json=body),
        inspector.post(f"{ADMIN}/inspections/{MISSING_PUBLIC_ID}/corrections", json=body),
    )
    assert count(InspectionCorrection) == 0
    assert fetch(Shop, id=w.shop_b.id).last_inspection_result == "rectify"


def check_inspections_list(w):
    admin = w.login("admin_a")
    for query in ("", "?confirmation=confirmed", f"?shop_id={w.shop_b.public_id}"):
        assert ids(admin.get(f"{ADMIN}/inspections{query}")) == []
    assert ids(w.login("district").get(f"{ADMIN}/inspections")) == [w.inspection_b]


def _pending_b(w):
    """An inspection of B's shop recorded 2 km away, waiting for B's admin."""
    inspector = w.login("inspector_b")
    view = inspector.get(f"/api/v1/scan/{w.code_b}").get_json()
    response = inspector.post(
        f"{ADMIN}/shops/{w.shop_b.public_id}/inspections",
        json={
            "scan_proof": view["regulatory"]["scan_proof"]["token"],
            "location": {"lat": 31.2181, "lng": 121.4402},
            "checklist": checklist(),
            "result": "pass",
        },
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["confirmation"] == "pending"
    return response.get_json()["id"]


def _inspection_decision(w, action, body):
    pending = _pending_b(w)
    before = fetch(Shop, id=w.shop_b.id)
    admin = w.login("admin_a")
    refused_like_missing(
        admin.post(f"{ADMIN}/inspections/{pending}/{action}", **body),
        admin.post(f"{ADMIN}/inspections/{MISSING_PUBLIC_ID}/{action}", **body),
    )
    after = fetch(Shop, id=w.shop_b.id)
    assert (after.lifecycle_seq, after.last_inspection_result) == (
        before.lifecycle_seq,
        before.last_inspection_result,
    )
    held = InspectionConfirmation.select().join(Inspection).where(Inspection.public_id == pending)
    with database.connection_context():
        assert held.get().state == "pending"


def check_inspection_confirm(w):
    _inspection_decision(w, "confirm", {})


def check_inspection_reject(w):
    _inspection_decision(w, "reject", {"json": {"reason": "越权驳回"}})


def check_memberships_list(w):
    listed = ids(w.login("admin_a").get(f"{ADMIN}/memberships"))
    assert listed == [w.membership_a]
    for status in ("approved", "rejected", "left"):
        assert w.login("cadre_a").get(f"{ADMIN}/memberships?status={status}").get_json() == []


def _membership_decision(w, action):
    admin = w.login("admin_a")
    refused_like_missing(
        admin.post(f"{ADMIN}/memberships/{w.membership_b}/{action}", json={}),
        admin.post(f"{ADMIN}/memberships/{MISSING_ID}/{action}", json={}),
    )
    assert fetch(CommunityMembership, id=w.membership_b).status == "pending"


def check_membership_approve(w):
    _membership_decision(w, "approve")


def check_membership_reject(w):
    _membership_decision(w, "reject")


def check_ratings_list(w):
    assert ids(w.login("admin_a").get(f"{ADMIN}/ratings")) == [w.rating_a]
    assert w.rating_b not in ids(w.login("cadre_a").get(f"{ADMIN}/ratings?status=visible"))


def check_rating_release(w):
    admin = w.login("admin_a")
    refused_like_missing(
        admin.post(f"{ADMIN}/ratings/{w.rating_b}/release"),
        admin.post(f"{ADMIN}/ratings/{MISSING_PUBLIC_ID}/release"),
    )
    assert fetch(Rating, public_id=w.rating_b).status == "held"
    assert fetch(Shop, id=w.shop_b.id).rating_count == 0


def check_rectifications_list(w):
    inspector = w.login("inspector_a")
    assert inspector.get(f"{ADMIN}/rectifications").get_json() == []
    assert inspector.get(f"{ADMIN}/rectifications?shop_id={w.shop_b.public_id}").get_json() == []
    assert ids(w.login("inspector_b").get(f"{ADMIN}/rectifications")) == [w.order_b]


def _rectification_decision(w, action, body):
    inspector = w.login("inspector_a")
    refused_like_missing(
        inspector.post(f"{ADMIN}/rectifications/{w.order_b}/{action}", json=body),
        inspector.post(f"{ADMIN}/rectifications/{MISSING_PUBLIC_ID}/{action}", json=body),
    )
    assert fetch(RectificationOrder, public_id=w.order_b).status == "submitted"


def check_rectification_verify(w):
    _rectification_decision(w, "verify", None)


def check_rectification_reject(w):
    _rectification_decision(w, "reject", {"reason": "照片看不清"})


def check_rectification_detail(w):
    inspector = w.login("inspector_a")
    refused_like_missing(
        inspector.get(f"{ADMIN}/rectifications/{w.order_b}"),
        inspector.get(f"{ADMIN}/rectifications/{MISSING_PUBLIC_ID}"),
    )
    detail = w.login("inspector_b").get(f"{ADMIN}/rectifications/{w.order_b}").get_json()
    assert [a["text"] for a in detail["submissions"]] == ["已安装纱窗"]


def _photo_file():
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, format="PNG")
    return {"file": (io.BytesIO(buffer.getvalue()), "photo.png")}


def check_shop_upload_get(w):
    photo = w.login("owner_b").post(
        f"/api/v1/merchant/shops/{w.shop_b.public_id}/uploads",
        data=_photo_file(),
        content_type="multipart/form-data",
    )
    photo_id = photo.get_json()["id"]
    inspector = w.login("inspector_a")
    refused_like_missing(
        inspector.get(f"{ADMIN}/shops/{w.shop_b.public_id}/uploads/{photo_id}"),
        inspector.get(f"{ADMIN}/shops/{MISSING_PUBLIC_ID}/uploads/{photo_id}"),
    )
    # Nor through A's own shop.
    assert (
        inspector.get(f"{ADMIN}/shops/{w.shop_a.public_id}/uploads/{photo_id}").status_code == 404
    )
    assert (
        w.login("inspector_b")
        .get(f"{ADMIN}/shops/{w.shop_b.public_id}/uploads/{photo_id}")
        .status_code
        == 200
    )


def check_shop_upload_post(w):
    with database.connection_context():
        before = Upload.select().count()
    inspector = w.login("inspector_a")
    refused_like_missing(
        inspector.post(
            f"{ADMIN}/shops/{w.shop_b.public_id}/uploads",
            data=_photo_file(),
            content_type="multipart/form-data",
        ),
        inspector.post(
            f"{ADMIN}/shops/{MISSING_PUBLIC_ID}/uploads",
            data=_photo_file(),
            content_type="multipart/form-data",
        ),
    )
    with database.connection_context():
        assert Upload.select().count() == before


def check_resident_code_verify(w):
    verdict = w.login("cadre_a").post(
        f"{ADMIN}/resident-codes/verify", json={"code": w.resident_code("member_b")}
    )
    assert verdict.status_code == 200
    assert (verdict.get_json()["valid"], verdict.get_json()["reason"]) == (False, "not_a_member")
    assert not verdict.get_json().get("resident")
    with database.connection_context():
        assert (
            AuditEntry.select()
            .where((AuditEntry.action == "scope.denied") & (AuditEntry.staff == w.cadre_a.id))
            .count()
            == 1
        )
    accepted = w.login("cadre_b").post(
        f"{ADMIN}/resident-codes/verify", json={"code": w.resident_code("member_b")}
    )
    assert accepted.get_json()["valid"] is True


def check_shop_requests(w):
    admin = w.login("admin_a")
    assert ids(admin.get(f"{ADMIN}/shop-requests")) == [w.request_a]
    assert w.request_b not in ids(admin.get(f"{ADMIN}/shop-requests?status=approved"))
    assert sorted(ids(w.login("admin_b").get(f"{ADMIN}/shop-requests"))) == sorted(
        [w.request_b, w.change_b]
    )


def _shop_request_decision(w, action, body):
    admin = w.login("admin_a")
    refused_like_missing(
        admin.post(f"{ADMIN}/shop-requests/{w.request_b}/{action}", json=body),
        admin.post(f"{ADMIN}/shop-requests/{MISSING_ID}/{action}", json=body),
    )
    assert fetch(ShopRequest, id=w.request_b).status == "pending"
    assert fetch(Shop, id=w.pending_b.id).status == "pending"
    refused_like_missing(
        admin.post(f"{ADMIN}/shop-requests/{w.change_b}/{action}", json=body),
        admin.post(f"{ADMIN}/shop-requests/{MISSING_ID}/{action}", json=body),
    )
    assert fetch(ShopRequest, id=w.change_b).status == "pending"
    assert fetch(Shop, id=w.shop_b.id).name == "乙记小吃"


def check_shop_request_approve(w):
    _shop_request_decision(w, "approve", None)


def check_shop_request_reject(w):
    _shop_request_decision(w, "reject", {"note": "材料不全"})


def check_shops_list(w):
    admin = w.login("admin_a")
    assert set(ids(admin.get(f"{ADMIN}/shops"))) == {w.shop_a.public_id, w.pending_a.public_id}
    street_b = w.places["street_b"].code
    assert admin.get(f"{ADMIN}/shops?street={street_b}").get_json() == []
    assert admin.get(f"{ADMIN}/shops?q=乙记").get_json() == []
    assert admin.get(f"{ADMIN}/shops?risk_grade=C").get_json() == []
    assert w.shop_b.public_id in ids(w.login("district").get(f"{ADMIN}/shops?street={street_b}"))


def check_shops_export(w):
    def rows(response):
        assert response.status_code == 200
        return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))

    admin = w.login("admin_a")
    everything = admin.get(f"{ADMIN}/shops/export.csv")
    assert {row[0] for row in rows(everything)[1:]} == {w.shop_a.public_id, w.pending_a.public_id}
    assert "乙记" not in everything.get_data(as_text=True)
    assert len(rows(admin.get(f"{ADMIN}/shops/export.csv?street={w.places['street_b'].code}"))) == 1
    district = rows(w.login("district").get(f"{ADMIN}/shops/export.csv"))
    assert w.shop_b.public_id in {row[0] for row in district}


def _by_shop_id(w, method, suffix="", role="admin_a", **kwargs):
    staff = w.login(role)
    refused_like_missing(
        staff.open(method, f"{ADMIN}/shops/{w.shop_b.public_id}{suffix}", **kwargs),
        staff.open(method, f"{ADMIN}/shops/{MISSING_PUBLIC_ID}{suffix}", **kwargs),
    )


def check_shop_detail(w):
    _by_shop_id(w, "GET")
    _by_shop_id(w, "GET", role="cadre_a")


def check_shop_contacts(w):
    with database.connection_context():
        before = AuditEntry.select().where(AuditEntry.action == "read.unmasked").count()
    _by_shop_id(w, "GET", "/contacts", role="inspector_a")
    with database.connection_context():
        assert AuditEntry.select().where(AuditEntry.action == "read.unmasked").count() == before


def check_shop_inspections_list(w):
    _by_shop_id(w, "GET", "/inspections", role="inspector_a")


def check_shop_inspections_record(w):
    # A's inspector holds a genuine proof (for A's shop); B's shop is still not theirs.
    proof = w.login("inspector_a").get(f"/api/v1/scan/{w.code_a}").get_json()
    body = {
        "scan_proof": proof["regulatory"]["scan_proof"]["token"],
        "location": {"lat": 31.2001, "lng": 121.4402},
        "checklist": checklist(),
        "result": "pass",
    }
    before = count(Inspection)
    _by_shop_id(w, "POST", "/inspections", role="inspector_a", json=body)
    assert count(Inspection) == before


def check_licence_verify(w):
    inspector = w.login("inspector_a")
    refused_like_missing(
        inspector.post(
            f"{ADMIN}/shops/{w.shop_b.public_id}/licences/{w.licence_b.public_id}/verify"
        ),
        inspector.post(
            f"{ADMIN}/shops/{MISSING_PUBLIC_ID}/licences/{w.licence_b.public_id}/verify"
        ),
    )
    assert fetch(Licence, id=w.licence_b.id).verified_at is None


def check_shop_lifecycle(w):
    _by_shop_id(w, "GET", "/lifecycle", role="inspector_a")


def check_shop_lifecycle_verify(w):
    _by_shop_id(w, "GET", "/lifecycle/verify")


def check_shop_status(w):
    before = fetch(Shop, id=w.shop_b.id)
    _by_shop_id(w, "POST", "/status", json={"status": "closed", "reason": "越权关闭"})
    after = fetch(Shop, id=w.shop_b.id)
    assert (after.status, after.lifecycle_seq) == (before.status, before.lifecycle_seq)


def check_shop_reply_hide(w):
    _by_shop_id(w, "POST", "/reply/hide", json={"reason": "defamatory", "note": "越权隐藏"})


def check_staff_list(w):
    listed = w.login("admin_a").get(f"{ADMIN}/staff").get_json()
    assert {s["id"] for s in listed} == {w.admin_a.id, w.inspector_a.id, w.cadre_a.id}
    everyone = ids(w.login("district").get(f"{ADMIN}/staff"))
    assert {w.district_admin.id, w.admin_b.id, w.inspector_b.id} <= set(everyone)


def check_staff_create(w):
    admin = w.login("admin_a")
    before = count(StaffAccount)
    for region in (
        w.places["district"].code,
        w.places["street_b"].code,
        w.places["community_b"].code,
    ):
        response = admin.post(
            f"{ADMIN}/staff", json={"name": "越权", "role": "admin", "region": region}
        )
        assert response.status_code == 422
        assert "region" in response.get_json()["errors"]["json"]
    response = admin.post(
        f"{ADMIN}/staff",
        json={
            "name": "越权",
            "role": "inspector",
            "region": w.places["street_a"].code,
            "department": w.department_b,
        },
    )
    assert response.status_code == 422
    assert "department" in response.get_json()["errors"]["json"]
    assert count(StaffAccount) == before


def check_staff_detail(w):
    admin = w.login("admin_a")
    for other in (w.inspector_b, w.admin_b, w.district_admin):
        refused_like_missing(
            admin.get(f"{ADMIN}/staff/{other.id}"), admin.get(f"{ADMIN}/staff/{MISSING_ID}")
        )


def check_staff_binding_code(w):
    admin = w.login("admin_a")
    refused_like_missing(
        admin.post(f"{ADMIN}/staff/{w.unbound_b}/binding-code"),
        admin.post(f"{ADMIN}/staff/{MISSING_ID}/binding-code"),
    )
    assert w.login("admin_b").post(f"{ADMIN}/staff/{w.unbound_b}/binding-code").status_code == 201


def check_staff_disable(w):
    admin = w.login("admin_a")
    for other in (w.inspector_b, w.district_admin):
        refused_like_missing(
            admin.post(f"{ADMIN}/staff/{other.id}/disable"),
            admin.post(f"{ADMIN}/staff/{MISSING_ID}/disable"),
        )
        assert fetch(StaffAccount, id=other.id).active is True


def check_staff_qualifications(w):
    admin = w.login("admin_a")
    tags = {"qualifications": ["食品"]}
    refused_like_missing(
        admin.put(f"{ADMIN}/staff/{w.inspector_b.id}/qualifications", json=tags),
        admin.put(f"{ADMIN}/staff/{MISSING_ID}/qualifications", json=tags),
    )
    assert fetch(StaffAccount, id=w.inspector_b.id).qualifications == "[]"
    mine = admin.put(f"{ADMIN}/staff/{w.inspector_a.id}/qualifications", json=tags)
    assert mine.status_code == 200 and mine.get_json()["qualifications"] == ["食品"]


def check_stats(w):
    a = w.login("admin_a").get(f"{ADMIN}/stats").get_json()
    assert a["shops"] == 2 and a["shops_by_status"] == {"active": 1, "pending": 1}
    assert (a["inspections_this_month"], a["rectifications_open"], a["licences_expired"]) == (
        0,
        0,
        0,
    )
    assert w.login("inspector_a").get(f"{ADMIN}/stats").get_json() == a
    everything = w.login("district").get(f"{ADMIN}/stats").get_json()
    assert everything["shops"] == 4
    assert (everything["inspections_this_month"], everything["rectifications_open"]) == (1, 1)


def check_street_codes(w):
    admin = w.login("admin_a")
    street_b = w.places["street_b"].code
    for query in ("", "?format=zip"):
        refused_like_missing(
            admin.get(f"{ADMIN}/streets/{street_b}/codes{query}"),
            admin.get(f"{ADMIN}/streets/{MISSING_STREET}/codes{query}"),
        )
    # A's own sheet holds A's one active shop and nothing of B.
    sheet = admin.get(f"{ADMIN}/streets/{w.places['street_a'].code}/codes?format=zip")
    assert sheet.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(sheet.get_data())).namelist()
    assert [n.split("-", 1)[0] for n in names] == [w.code_a]
    assert w.login("district").get(f"{ADMIN}/streets/{street_b}/codes").status_code == 200


SCOPE_CHECKS = {
    ("GET", f"{ADMIN}/audit"): check_audit_list,
    ("GET", f"{ADMIN}/communities/<string:community_code>/code"): check_community_code_get,
    ("POST", f"{ADMIN}/communities/<string:community_code>/code"): check_community_code_issue,
    ("GET", f"{ADMIN}/communities/<string:community_code>/code.png"): check_community_code_png,
    ("GET", f"{ADMIN}/complaints"): check_complaints,
    ("GET", f"{ADMIN}/departments"): check_departments_list,
    ("POST", f"{ADMIN}/departments"): check_departments_create,
    ("GET", f"{ADMIN}/inspections"): check_inspections_list,
    ("POST", f"{ADMIN}/inspections/<string:inspection_id>/confirm"): check_inspection_confirm,
    ("POST", f"{ADMIN}/inspections/<string:inspection_id>/corrections"): check_corrections,
    ("POST", f"{ADMIN}/inspections/<string:inspection_id>/reject"): check_inspection_reject,
    ("GET", f"{ADMIN}/memberships"): check_memberships_list,
    ("POST", f"{ADMIN}/memberships/<int:membership_id>/approve"): check_membership_approve,
    ("POST", f"{ADMIN}/memberships/<int:membership_id>/reject"): check_membership_reject,
    ("GET", f"{ADMIN}/ratings"): check_ratings_list,
    ("POST", f"{ADMIN}/ratings/<string:rating_id>/release"): check_rating_release,
    ("GET", f"{ADMIN}/rectifications"): check_rectifications_list,
    ("GET", f"{ADMIN}/rectifications/<string:order_id>"): check_rectification_detail,
    ("POST", f"{ADMIN}/rectifications/<string:order_id>/verify"): check_rectification_verify,
    ("POST", f"{ADMIN}/rectifications/<string:order_id>/reject"): check_rectification_reject,
    ("POST", f"{ADMIN}/resident-codes/verify"): check_resident_code_verify,
    ("GET", f"{ADMIN}/shop-requests"): check_shop_requests,
    ("POST", f"{ADMIN}/shop-requests/<int:request_id>/approve"): check_shop_request_approve,
    ("POST", f"{ADMIN}/shop-requests/<int:request_id>/reject"): check_shop_request_reject,
    ("GET", f"{ADMIN}/shops"): check_shops_list,
    ("GET", f"{ADMIN}/shops/export.csv"): check_shops_export,
    ("GET", f"{ADMIN}/shops/<string:shop_id>"): check_shop_detail,
    ("GET", f"{ADMIN}/shops/<string:shop_id>/contacts"): check_shop_contacts,
    ("GET", f"{ADMIN}/shops/<string:shop_id>/inspections"): check_shop_inspections_list,
    ("POST", f"{ADMIN}/shops/<string:shop_id>/inspections"): check_shop_inspections_record,
    (
        "POST",
        f"{ADMIN}/shops/<string:shop_id>/licences/<string:licence_id>/verify",
    ): check_licence_verify,
    ("GET", f"{ADMIN}/shops/<string:shop_id>/lifecycle"): check_shop_lifecycle,
    ("GET", f"{ADMIN}/shops/<string:shop_id>/lifecycle/verify"): check_shop_lifecycle_verify,
    ("POST", f"{ADMIN}/shops/<string:shop_id>/status"): check_shop_status,
    ("POST", f"{ADMIN}/shops/<string:shop_id>/reply/hide"): check_shop_reply_hide,
    ("GET", f"{ADMIN}/shops/<string:shop_id>/uploads/<string:upload_id>"): check_shop_upload_get,
    ("POST", f"{ADMIN}/shops/<string:shop_id>/uploads"): check_shop_upload_post,
    ("GET", f"{ADMIN}/staff"): check_staff_list,
    ("POST", f"{ADMIN}/staff"): check_staff_create,
    ("GET", f"{ADMIN}/staff/<int:staff_id>"): check_staff_detail,
    ("POST", f"{ADMIN}/staff/<int:staff_id>/binding-code"): check_staff_binding_code,
    ("POST", f"{ADMIN}/staff/<int:staff_id>/disable"): check_staff_disable,
    ("PUT", f"{ADMIN}/staff/<int:staff_id>/qualifications"): check_staff_qualifications,
    ("GET", f"{ADMIN}/stats"): check_stats,
    ("GET", f"{ADMIN}/streets/<string:street_code>/codes"): check_street_codes,
}


def covered_elsewhere(rule: str) -> str | None:
    for prefix, test_file in COVERED_ELSEWHERE.items():
        if rule == prefix or rule.startswith(prefix + "/") or rule.startswith(prefix + "."):
            return test_file
    return None


def admin_endpoints(app) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(ADMIN + "/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_admin_endpoint_has_a_scope_check(app):
    endpoints = admin_endpoints(app)
    unchecked = sorted(
        f"{method} {rule}"
        for method, rule in endpoints
        if (method, rule) not in SCOPE_CHECKS and not covered_elsewhere(rule)
    )
    assert not unchecked, (
        "admin endpoints without a scope check: add each to SCOPE_CHECKS in this file "
        "(or to COVERED_ELSEWHERE with the test file that proves its scope): "
        + ", ".join(unchecked)
    )
    stale = sorted(
        f"{method} {rule}" for method, rule in SCOPE_CHECKS if (method, rule) not in endpoints
    )
    assert not stale, "SCOPE_CHECKS names endpoints that no longer exist: " + ", ".join(stale)
    unproven = sorted(
        {
            f"{prefix} -> {test_file}"
            for prefix, test_file in COVERED_ELSEWHERE.items()
            if any(
                covered_elsewhere(rule) == test_file and rule.startswith(prefix)
                for _, rule in endpoints
            )
            and not _mentions(test_file, prefix)
        }
    )
    assert not unproven, (
        "COVERED_ELSEWHERE names test files that are missing or never call the endpoints: "
        + ", ".join(unproven)
    )


def _mentions(test_file: str, prefix: str) -> bool:
    path = repo_root() / test_file
    return path.exists() and prefix.removeprefix("/api/v1") in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("endpoint", sorted(SCOPE_CHECKS), ids=lambda e: f"{e[0]} {e[1]}")
def test_street_a_staff_cannot_reach_street_b(world, endpoint):
    SCOPE_CHECKS[endpoint](world)


def test_district_admin_sees_both_streets(world):
    district = world.login("district")
    shops = set(ids(district.get(f"{ADMIN}/shops?status=active")))
    assert shops == {world.shop_a.public_id, world.shop_b.public_id}
    for shop in (world.shop_a, world.shop_b):
        assert district.get(f"{ADMIN}/shops/{shop.public_id}").status_code == 200
    assert set(ids(district.get(f"{ADMIN}/complaints"))) == {world.complaint_a, world.complaint_b}
    assert set(ids(district.get(f"{ADMIN}/memberships"))) == {
        world.membership_a,
        world.membership_b,
    }
    paths = {e["region_path"] for e in district.get(f"{ADMIN}/audit").get_json()}
    assert any(p.startswith(world.places["street_a"].path) for p in paths)
    assert any(p.startswith(world.places["street_b"].path) for p in paths)
    created = district.post(
        f"{ADMIN}/staff",
        json={"name": "郑华", "role": "admin", "region": world.places["street_b"].code},
    )
    assert created.status_code == 201


def test_street_admin_cannot_see_or_make_staff_above_or_beside_them(world):
    admin = world.login("admin_a")
    visible = {s["region"] for s in admin.get(f"{ADMIN}/staff").get_json()}
    assert visible == {world.places["street_a"].code, world.places["community_a"].code}
    created = admin.post(
        f"{ADMIN}/staff",
        json={"name": "冯晓", "role": "cadre", "region": world.places["community_a"].code},
    )
    assert created.status_code == 201
    assert created.get_json()["staff"]["region"] == world.places["community_a"].code


def test_a_community_cadre_sees_only_their_community(world):
    cadre = world.login("cadre_a")
    assert ids(cadre.get(f"{ADMIN}/memberships")) == [world.membership_a]
    assert ids(cadre.get(f"{ADMIN}/complaints")) == [world.complaint_a]
    assert cadre.get(f"{ADMIN}/stats").get_json()["shops"] == 1
    assert cadre.get(f"{ADMIN}/shops/{world.pending_a.public_id}").status_code == 404
