"""Personal data stays masked for all but its owner; staff reads, denials and writes are audited.

The leak test seeds one shop with every kind of personal datum we hold, then reads
every view someone other than its owner can open and searches the raw response for
each raw value.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest

from backend import clock
from backend.db import database
from backend.models import AuditEntry, LifecycleEvent, Shop, User
from tests.factories import ApiClient

ADMIN = "/api/v1/admin"

OWNER_NAME, OWNER_PHONE = "王大富", "13911112222"
CLERK_NAME, CLERK_PHONE = "沈小青", "13155556666"
COOK_NAME, COOK_CERT = "欧阳娜娜", "HC3101042024A0123"
WAITER_NAME, WAITER_CERT = "司马光明", "HC3101042024B0456"
LICENCE_NUMBER = "JY31010400987654"
RATER_NAME, RATER_PHONE = "林小雨", "13722223333"
COMPLAINER_NAME, COMPLAINER_PHONE = "黄大伟", "13633334444"
JOINER_NAME, JOINER_PHONE = "许晴朗", "13511110000"
INSPECTOR_NAME, INSPECTOR_PHONE = "诸葛明亮", "13544445555"
CADRE_NAME, CADRE_PHONE = "上官婉儿", "13866667777"

PERSONAL = {
    "owner's name": OWNER_NAME,
    "owner's phone": OWNER_PHONE,
    "clerk's name": CLERK_NAME,
    "clerk's phone": CLERK_PHONE,
    "employee name": COOK_NAME,
    "employee's health certificate": COOK_CERT,
    "second employee name": WAITER_NAME,
    "second health certificate": WAITER_CERT,
    "rater's name": RATER_NAME,
    "rater's phone": RATER_PHONE,
    "complainant's name": COMPLAINER_NAME,
    "complainant's phone": COMPLAINER_PHONE,
    "applicant's name": JOINER_NAME,
    "applicant's phone": JOINER_PHONE,
    "inspector's name": INSPECTOR_NAME,
    "inspector's phone": INSPECTOR_PHONE,
    "cadre's name": CADRE_NAME,
    "cadre's phone": CADRE_PHONE,
}
# A licence number is the shop's, not a person's: regulators check it against the paper,
# passers-by see it partly hidden.
LICENCE = {"licence number": LICENCE_NUMBER}


def _person(make, user: str, name: str, phone: str) -> None:
    """Stub user `user` with a name and a bound phone."""
    with database.connection_context():
        User.update(display_name=name, phone=phone).where(User.id == make.user(user).id).execute()


@pytest.fixture
def seeded(client, make):
    """One shop carrying every kind of personal datum, and the people who can look at it."""
    places = make.region_tree()
    admin = make.staff("admin", "admin", places["street_a"], name="陈立", phone="13000000001")
    inspector = make.staff(
        "inspector", "inspector", places["street_a"], name=INSPECTOR_NAME, phone=INSPECTOR_PHONE
    )
    second = make.staff("inspector2", "inspector", places["street_a"], name="赵强国")
    cadre = make.staff("cadre", "cadre", places["community_a"], name=CADRE_NAME, phone=CADRE_PHONE)
    make.staff("inspector_b", "inspector", places["street_b"], name="孙伟华")
    make.staff("admin_b", "admin", places["street_b"], name="刘洋洋")
    shop = make.shop("owner", places["street_a"], places["community_a"], name="老王面馆")
    code = make.code_of(shop)
    make.licence(shop, clock.today_local() + timedelta(days=400), number=LICENCE_NUMBER)
    _person(make, "owner", OWNER_NAME, OWNER_PHONE)

    owner = client.login("owner")
    base = f"/api/v1/merchant/shops/{shop.public_id}"
    for name, cert in ((COOK_NAME, COOK_CERT), (WAITER_NAME, WAITER_CERT)):
        added = owner.post(
            f"{base}/employees",
            json={
                "name": name,
                "position": "厨师",
                "health_cert_number": cert,
                "health_cert_expires": (clock.today_local() + timedelta(days=200)).isoformat(),
            },
        )
        assert added.status_code == 201, added.get_json()
    invite = owner.post(f"{base}/invites").get_json()["code"]
    _person(make, "clerk", CLERK_NAME, CLERK_PHONE)
    assert (
        client.login("clerk")
        .post("/api/v1/merchant/invites/accept", json={"code": invite})
        .status_code
        == 200
    )

    _person(make, "rater", RATER_NAME, RATER_PHONE)
    rater = client.login("rater")
    ticket = rater.get(f"/api/v1/scan/{code}").get_json()["rating_ticket"]
    assert (
        rater.post(
            f"/api/v1/resident/shops/{shop.public_id}/ratings",
            json={"rating_ticket": ticket, "stars": 2, "text": "面有点咸"},
        ).status_code
        == 201
    )
    _person(make, "complainer", COMPLAINER_NAME, COMPLAINER_PHONE)
    complainer = client.login("complainer")
    ticket = complainer.get(f"/api/v1/scan/{code}").get_json()["rating_ticket"]
    assert (
        complainer.post(
            f"/api/v1/resident/shops/{shop.public_id}/ratings",
            json={"rating_ticket": ticket, "stars": 1, "text": "门口广告挡路"},
        ).get_json()["status"]
        == "held"
    )
    assert (
        complainer.post(
            f"/api/v1/resident/shops/{shop.public_id}/complaints",
            json={"category": "food_safety", "text": "吃完肚子疼，后厨不卫生"},
        ).status_code
        == 201
    )

    community_code = (
        client.login("cadre")
        .post(f"{ADMIN}/communities/{places['community_a'].code}/code")
        .get_json()["code"]
    )
    for user, name, phone in (
        ("joiner", JOINER_NAME, JOINER_PHONE),
        ("rater", RATER_NAME, RATER_PHONE),
    ):
        _person(make, user, name, phone)
        joined = client.login(user).post(
            "/api/v1/resident/memberships", json={"code": community_code}
        )
        assert joined.status_code == 201, joined.get_json()
    rater_membership = [
        m
        for m in client.login("cadre").get(f"{ADMIN}/memberships").get_json()
        if m["display_name"].startswith(RATER_NAME[0])
    ][0]
    client.login("cadre").post(f"{ADMIN}/memberships/{rater_membership['id']}/approve", json={})

    view = client.login("inspector").get(f"/api/v1/scan/{code}").get_json()
    recorded = client.login("inspector").post(
        f"{ADMIN}/shops/{shop.public_id}/inspections",
        json={
            "scan_proof": view["regulatory"]["scan_proof"]["token"],
            "location": {"lat": 31.2001, "lng": 121.4402},
            "co_inspector": second.id,
            "checklist": [{"code": f"FS0{n}", "ok": n != 3} for n in range(1, 9)],
            "findings": [{"code": "FS03", "severity": "major", "note": "防蝇设施缺失"}],
            "result": "rectify",
            "requirements": "安装纱窗",
            "rectify_by": (clock.today_local() + timedelta(days=7)).isoformat(),
        },
    )
    assert recorded.status_code == 201, recorded.get_json()
    return {
        "places": places,
        "shop": shop,
        "code": code,
        "admin": admin,
        "inspector": inspector,
        "cadre": cadre,
    }


def leaks(response, secrets: dict) -> list[str]:
    """Secrets in the body as sent, whether written plainly or as JSON \\u escapes."""
    text = response.get_data(as_text=True)
    forms = {label: (value, json.dumps(value)[1:-1]) for label, value in secrets.items()}
    return [label for label, written in forms.items() if any(f in text for f in written)]


def test_no_personal_data_in_any_view_but_its_owners(client, seeded):
    shop, code = seeded["shop"], seeded["code"]
    sid = shop.public_id
    stranger, inspector = client.login("stranger"), client.login("inspector")
    admin, cadre = client.login("admin"), client.login("cadre")
    public_views = {
        "scan JSON, another resident": stranger.get(f"/api/v1/scan/{code}"),
        "scan JSON, a rater": client.login("complainer").get(f"/api/v1/scan/{code}"),
        "scan JSON, an inspector outside the street": client.login("inspector_b").get(
            f"/api/v1/scan/{code}"
        ),
        "H5 page, no login": client.http.get(f"/s/{code}"),
        "H5 page, printed form": client.http.get(f"/S/{code.upper()}"),
        "H5 page, a resident": stranger.get(f"/s/{code}"),
    }
    regulator_views = {
        "regulatory view": inspector.get(f"/api/v1/scan/{code}"),
        "admin shop list": admin.get(f"{ADMIN}/shops"),
        "admin shop": admin.get(f"{ADMIN}/shops/{sid}"),
        "shop export": admin.get(f"{ADMIN}/shops/export.csv"),
        "shop lifecycle": inspector.get(f"{ADMIN}/shops/{sid}/lifecycle"),
        "shop inspections": inspector.get(f"{ADMIN}/shops/{sid}/inspections"),
        "rectifications": inspector.get(f"{ADMIN}/rectifications"),
        "staff list": admin.get(f"{ADMIN}/staff"),
        "audit log": admin.get(f"{ADMIN}/audit"),
        "dashboard": admin.get(f"{ADMIN}/stats"),
        "shop requests": admin.get(f"{ADMIN}/shop-requests?status=approved"),
        "complaints, inspector": inspector.get(f"{ADMIN}/complaints"),
    }
    community_views = {
        "pending memberships": cadre.get(f"{ADMIN}/memberships"),
        "approved memberships": cadre.get(f"{ADMIN}/memberships?status=approved"),
        "held ratings": cadre.get(f"{ADMIN}/ratings"),
        "visible ratings": cadre.get(f"{ADMIN}/ratings?status=visible"),
        "complaints, cadre": cadre.get(f"{ADMIN}/complaints"),
        "gate check": cadre.post(
            f"{ADMIN}/resident-codes/verify",
            json={"code": client.login("rater").get("/api/v1/resident/code").get_json()["code"]},
        ),
    }

    found = {}
    for views, secrets in (
        (public_views, PERSONAL | LICENCE),
        (regulator_views, PERSONAL),
        (community_views, PERSONAL | LICENCE),
    ):
        for label, response in views.items():
            assert response.status_code == 200, (label, response.get_data(as_text=True))
            leaked = leaks(response, secrets)
            if leaked:
                found[label] = leaked
    assert found == {}


def test_the_masked_forms_are_what_views_show(client, seeded):
    cadre = client.login("cadre")
    pending = cadre.get(f"{ADMIN}/memberships").get_json()
    assert [(m["display_name"], m["phone"]) for m in pending] == [("许**", "135****0000")]
    regulatory = (
        client.login("inspector").get(f"/api/v1/scan/{seeded['code']}").get_json()["regulatory"]
    )
    assert {(e["name"], e["health_cert_number"]) for e in regulatory["employees"]} == {
        ("欧***", "HC*************23"),
        ("司***", "HC*************56"),
    }
    assert regulatory["licences"][0]["number"] == LICENCE_NUMBER
    public = client.login("stranger").get(f"/api/v1/scan/{seeded['code']}").get_json()
    assert public["licences"][0]["number"] == "JY31********7654"
    assert [c["author"] for c in public["comments"]] == ["林**"]
    staff = {s["name"]: s["phone"] for s in client.login("admin").get(f"{ADMIN}/staff").get_json()}
    assert staff["诸***"] == "135****5555"


def test_the_owner_sees_their_shop_unmasked(client, seeded):
    view = client.login("owner").get(f"/api/v1/scan/{seeded['code']}").get_json()
    text = str(view["owner"])
    assert COOK_NAME in text and COOK_CERT in text and LICENCE_NUMBER in text


# -- the audit log ------------------------------------------------------------------------------
def audit(**where):
    with database.connection_context():
        query = AuditEntry.select().order_by(AuditEntry.id)
        for name, value in where.items():
            query = query.where(getattr(AuditEntry, name) == value)
        return list(query)


def test_an_inspector_outside_the_street_gets_the_public_view_on_record(client, seeded):
    outsider = client.login("inspector_b")
    view = outsider.get(f"/api/v1/scan/{seeded['code']}").get_json()
    assert view["view"] == "public" and view["regulatory"] is None
    assert "scan_proof" not in str(view)
    [denied] = audit(action="scope.denied")
    assert (denied.target_type, denied.target_id) == ("shop", seeded["shop"].public_id)
    assert denied.staff.user.openid == "oStub_inspector_b"
    # The denial is about street A's shop, so street A's admin reads it.
    entries = client.login("admin").get(f"{ADMIN}/audit?action=scope.denied").get_json()
    assert [e["target_id"] for e in entries] == [seeded["shop"].public_id]
    assert entries[0]["request_id"]
    assert client.login("admin_b").get(f"{ADMIN}/audit?action=scope.denied").get_json() == []


def test_reaching_for_another_streets_records_by_id_is_on_record(client, seeded):
    shop_id = seeded["shop"].public_id
    outsider = client.login("inspector_b")
    tried = [
        outsider.get(f"{ADMIN}/shops/{shop_id}"),
        outsider.get(f"{ADMIN}/shops/{shop_id}/lifecycle"),
        outsider.post(
            f"{ADMIN}/shops/{shop_id}/inspections",
            json={
                "scan_proof": "x",
                "location": {"lat": 31.2, "lng": 121.44},
                "checklist": [{"code": "FS01", "ok": True}],
                "result": "pass",
            },
        ),
    ]
    missing = outsider.get(f"{ADMIN}/shops/nosuchshop00")
    # The outsider learns nothing: the same 404 as for a shop that does not exist ...
    assert {r.status_code for r in tried} == {404} and missing.status_code == 404
    assert {r.get_json()["message"] for r in tried} == {missing.get_json()["message"]}
    # ... but each try is on record for street A's admins, the failed write included.
    denied = audit(action="scope.denied")
    assert [(d.target_type, d.target_id) for d in denied] == [("shop", shop_id)] * 3
    assert {d.staff.user.openid for d in denied} == {"oStub_inspector_b"}
    entries = client.login("admin").get(f"{ADMIN}/audit?action=scope.denied").get_json()
    assert len(entries) == 3


def test_a_regulatory_scan_is_on_record(client, seeded):
    before = len(audit(action="scan.regulatory"))
    client.login("inspector").get(f"/api/v1/scan/{seeded['code']}")
    after = audit(action="scan.regulatory")
    assert len(after) == before + 1 and after[-1].staff_id == seeded["inspector"].id


def test_unmasked_reads_are_on_record_and_masked_ones_are_not(client, seeded):
    admin = client.login("admin")
    admin.get(f"{ADMIN}/staff")
    admin.get(f"{ADMIN}/memberships")
    assert audit(action="read.unmasked") == []

    detail = admin.get(f"{ADMIN}/staff/{seeded['inspector'].id}").get_json()
    assert (detail["name"], detail["phone"]) == (INSPECTOR_NAME, INSPECTOR_PHONE)
    contacts = (
        client.login("inspector")
        .get(f"{ADMIN}/shops/{seeded['shop'].public_id}/contacts")
        .get_json()
    )
    assert {(c["display_name"], c["phone"]) for c in contacts} == {
        (OWNER_NAME, OWNER_PHONE),
        (CLERK_NAME, CLERK_PHONE),
    }
    reads = audit(action="read.unmasked")
    assert [(r.target_type, r.target_id, r.staff_id) for r in reads] == [
        ("staff", str(seeded["inspector"].id), seeded["admin"].id),
        ("shop", seeded["shop"].public_id, seeded["inspector"].id),
    ]


def test_a_gate_check_outside_the_community_is_on_record(client, make, seeded):
    other = make.staff("cadre_b", "cadre", seeded["places"]["community_b"], name="吴芳芳")
    code = client.login("rater").get("/api/v1/resident/code").get_json()["code"]
    verdict = (
        client.login("cadre_b")
        .post(f"{ADMIN}/resident-codes/verify", json={"code": code})
        .get_json()
    )
    assert verdict["valid"] is False and verdict["reason"] == "not_a_member"
    [denied] = audit(action="scope.denied")
    assert denied.staff_id == other.id and denied.target_type == "resident_code"


def test_staff_writes_are_on_record(client, seeded):
    admin, inspector = client.login("admin"), client.login("inspector")
    sid = seeded["shop"].public_id
    street = seeded["places"]["street_a"].code
    department = admin.post(
        f"{ADMIN}/departments",
        json={"name": "天平路市场所", "kind": "market_supervision", "region": street},
    ).get_json()
    member = admin.post(
        f"{ADMIN}/staff",
        json={
            "name": "钱多多",
            "role": "inspector",
            "region": street,
            "department": department["id"],
        },
    ).get_json()["staff"]
    admin.post(f"{ADMIN}/staff/{member['id']}/binding-code")
    admin.post(f"{ADMIN}/staff/{member['id']}/disable")
    licence = client.login("owner").get(f"/api/v1/merchant/shops/{sid}/licences").get_json()[0]
    inspector.post(f"{ADMIN}/shops/{sid}/licences/{licence['id']}/verify")
    inspection = inspector.get(f"{ADMIN}/shops/{sid}/inspections").get_json()[0]
    inspector.post(
        f"{ADMIN}/inspections/{inspection['id']}/corrections",
        json={"note": "补充说明", "corrected_result": None},
    )
    held = client.login("cadre").get(f"{ADMIN}/ratings").get_json()[0]
    client.login("cadre").post(f"{ADMIN}/ratings/{held['id']}/release")
    pending = client.login("cadre").get(f"{ADMIN}/memberships").get_json()[0]
    client.login("cadre").post(f"{ADMIN}/memberships/{pending['id']}/reject", json={})
    admin.post(f"{ADMIN}/shops/{sid}/status", json={"status": "suspended", "reason": "停业整顿"})

    actions = {(e.action, e.staff_id) for e in audit()}
    admin_id, inspector_id = seeded["admin"].id, seeded["inspector"].id
    cadre_id = seeded["cadre"].id
    assert {
        ("department.created", admin_id),
        ("staff.created", admin_id),
        ("staff.binding_code", admin_id),
        ("staff.disabled", admin_id),
        ("licence.verified", inspector_id),
        ("inspection.recorded", inspector_id),
        ("inspection.corrected", inspector_id),
        ("rating.released", cadre_id),
        ("membership.rejected", cadre_id),
        ("membership.approved", cadre_id),
        ("community_code.issued", cadre_id),
        ("shop.status_changed", admin_id),
    } <= actions


def test_a_refused_write_leaves_no_write_entry(client, seeded):
    admin = client.login("admin")
    sid = seeded["shop"].public_id
    before = [e.action for e in audit()]
    assert (
        admin.post(
            f"{ADMIN}/shops/{sid}/status", json={"status": "active", "reason": "无变化"}
        ).status_code
        == 422
    )
    assert (
        admin.post(
            f"{ADMIN}/staff",
            json={"name": "越权", "role": "admin", "region": seeded["places"]["district"].code},
        ).status_code
        == 422
    )
    assert (
        client.login("admin_b")
        .post(f"{ADMIN}/shops/{sid}/status", json={"status": "closed", "reason": "越权"})
        .status_code
        == 404
    )
    # Only the two reaches outside scope (the district above, street B's admin at A's
    # shop) are on record, as denials; no write entry at all.
    assert [e.action for e in audit()] == before + ["scope.denied", "scope.denied"]


def test_the_audit_log_is_read_within_scope(client, seeded):
    client.login("admin_b").post(
        f"{ADMIN}/departments",
        json={
            "name": "湖南路市场所",
            "kind": "market_supervision",
            "region": seeded["places"]["street_b"].code,
        },
    )
    street_a, street_b = (seeded["places"][s].path for s in ("street_a", "street_b"))
    mine = client.login("admin").get(f"{ADMIN}/audit").get_json()
    assert mine and all(e["region_path"].startswith(street_a) for e in mine)
    theirs = client.login("admin_b").get(f"{ADMIN}/audit").get_json()
    assert [e["action"] for e in theirs] == ["department.created"]
    assert theirs[0]["region_path"].startswith(street_b)
    filtered = client.login("admin").get(f"{ADMIN}/audit?target_type=department").get_json()
    assert filtered == []
    for role in ("inspector", "cadre"):
        assert client.login(role).get(f"{ADMIN}/audit").status_code == 403


def test_two_staff_releasing_one_rating_at_once_release_and_record_it_once(
    app, client, make, seeded
):
    for n in range(3):
        make.staff(f"moderator{n}", "cadre", seeded["places"]["community_a"], name=f"审核员{n}")
    moderators = [ApiClient(app, client.login(f"moderator{n}").token) for n in range(3)]
    moderators.append(ApiClient(app, client.login("admin").token))
    held = client.login("cadre").get(f"{ADMIN}/ratings").get_json()[0]["id"]
    statuses = []

    def release(moderator):
        statuses.append(moderator.post(f"{ADMIN}/ratings/{held}/release").status_code)

    threads = [threading.Thread(target=release, args=(m,)) for m in moderators]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 409, 409, 409]
    assert len(audit(action="rating.released")) == 1
    with database.connection_context():
        shop = Shop.get_by_id(seeded["shop"].id)
        released = LifecycleEvent.select().where(
            (LifecycleEvent.shop == shop.id) & (LifecycleEvent.type == "rating.released")
        )
        assert released.count() == 1
    # The visible 2★ plus the released 1★.
    assert (shop.rating_count, shop.rating_total) == (2, 3)


def test_a_one_character_name_is_hidden_whole(client, make, seeded):
    make.staff("solo", "inspector", seeded["places"]["street_a"], name="鹏", phone="13012340000")
    listed = client.login("admin").get(f"{ADMIN}/staff?role=inspector").get_json()
    solo = [s for s in listed if s["phone"] == "130****0000"]
    assert [s["name"] for s in solo] == ["*"]


@pytest.mark.parametrize("landline,shown", [("64381234", "64****34"), ("6438123", "64***23")])
def test_an_office_landline_is_masked_like_a_mobile(app, client, make, landline, shown):
    places = make.region_tree()
    make.staff("admin", "admin", places["street_a"], name="陈立", phone="13000000001")
    created = app.test_cli_runner().invoke(
        args=[
            "create-staff",
            "--name",
            "值班室",
            "--role",
            "cadre",
            "--region",
            places["community_a"].code,
            "--phone",
            landline,
        ]
    )
    assert created.exit_code == 0, created.output
    staff = {s["name"]: s["phone"] for s in client.login("admin").get(f"{ADMIN}/staff").get_json()}
    assert staff["值**"] == shown
    assert staff["陈*"] == "130****0001"
