"""Policies that find the people they are for (政策找人): an audience declared as data,
previewed, pushed once to each shop owner or resident it matches, read with why it
matched them, answered, and followed by its publisher in a funnel."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

import pytest

from backend import clock, lifecycle
from backend.db import database
from backend.models import Employee, Honour, LifecycleEvent, OutboxMessage, Shop
from tests.factories import error_keys

TEMPLATE = "tmpl_policy_pushed"
CATERERS_WITH_FOOD_LICENCE = {
    "all": [
        {"field": "shop.category", "op": "in", "value": ["catering"]},
        {"field": "shop.licence", "op": "has", "value": "food_business"},
    ]
}


@pytest.fixture
def shops(make, places):
    """In street A: a licensed caterer (owner wang), an unlicensed caterer (owner li), a
    shop selling goods (owner zhao); in street B a licensed caterer (owner sun)."""
    made = {
        "licensed": make.shop("wang", places["street_a"], name="老王面馆"),
        "unlicensed": make.shop("li", places["street_a"], name="李记小吃"),
        "retail": make.shop("zhao", places["street_a"], name="赵家百货", category="general_retail"),
        "elsewhere": make.shop("sun", places["street_b"], name="孙记馄饨"),
    }
    make.licence(made["licensed"], clock.today_local() + timedelta(days=400))
    make.licence(made["elsewhere"], clock.today_local() + timedelta(days=400))
    make.licence(
        made["unlicensed"], clock.today_local() - timedelta(days=3), number="JY13101040099999"
    )  # expired: it holds no valid one
    return made


def _subscribe(wechat_stub, *users: str) -> None:
    openids = [f"oStub_{u}" for u in users]
    wechat_stub.control(
        "subscriptions/bulk", {"openids": openids, "template_id": TEMPLATE, "count": 5}
    )


def _policy(client, who: str, target: str = "shops", audience=None, **extra) -> dict:
    body = {
        "kind": "policy",
        "title": "小微餐饮企业经营补贴申领",
        "body": "符合条件的餐饮经营者可申领一次性补贴。",
        "target": target,
        "audience": audience if audience is not None else CATERERS_WITH_FOOD_LICENCE,
        "action": {
            "text": "12月31日前在线申领",
            "due": "2026-12-31",
            "link": "pages/subsidy/apply",
        },
        **extra,
    }
    answer = client.login(who).post("/api/v1/admin/policies", json=body)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def _publish(client, who: str, policy: dict) -> dict:
    answer = client.login(who).post(f"/api/v1/admin/policies/{policy['id']}/publish", json={})
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def _told(wechat_stub) -> list[str]:
    return sorted(
        m["body"]["touser"]
        for m in wechat_stub.sent("subscribe/send")
        if m["body"]["template_id"] == TEMPLATE
    )


def test_a_policy_reaches_exactly_the_shops_it_is_for_once_with_why(client, shops, wechat_stub):
    _subscribe(wechat_stub, "wang", "li", "zhao", "sun")
    policy = _policy(client, "street_admin")
    preview = client.login("street_admin").post(
        "/api/v1/admin/policy-preview",
        json={"target": "shops", "audience": CATERERS_WITH_FOOD_LICENCE},
    )
    assert preview.get_json()["total"] == 1
    assert preview.get_json()["by_street"] == [{"name": "天平路街道", "count": 1}]
    assert preview.get_json()["sample"][0]["name"] == "老***"  # masked

    _publish(client, "street_admin", policy)
    assert _told(wechat_stub) == ["oStub_wang"]
    [reached] = client.login("wang").get("/api/v1/merchant/policies").get_json()
    assert reached["why"] == "餐饮服务 · 天平路街道 · 持有有效食品经营许可证"
    assert (reached["shop"]["name"], reached["read_at"]) == ("老王面馆", None)
    assert reached["policy"]["action"]["link"] == "pages/subsidy/apply"
    assert client.login("li").get("/api/v1/merchant/policies").get_json() == []
    with database.connection_context():
        pushed = LifecycleEvent.select().where(LifecycleEvent.type == "policy.pushed")
        assert [e.shop_id for e in pushed] == [shops["licensed"].id]
        # On the shop's chain, its head moved on: the record still verifies.
        assert lifecycle.verify(Shop.get_by_id(shops["licensed"].id)).ok
        assert Shop.get_by_id(shops["licensed"].id).lifecycle_head == pushed[0].hash

    # Edited (the words) and published again: no one is told twice.
    admin = client.login("street_admin")
    edited = admin.patch(
        f"/api/v1/admin/policies/{policy['id']}", json={"body": "补贴标准见附件。"}
    )
    assert edited.status_code == 200, edited.get_json()
    assert _told(wechat_stub) == ["oStub_wang"]
    # A new version pushed again, on the publisher's word: told once more.
    again = admin.patch(
        f"/api/v1/admin/policies/{policy['id']}",
        json={"title": "小微餐饮企业经营补贴（第二批）", "material": True, "push_again": True},
    )
    assert again.get_json()["version"] == 2
    assert _told(wechat_stub) == ["oStub_wang", "oStub_wang"]


def test_opening_marks_read_and_the_funnel_counts_what_the_stub_saw(
    client, shops, make, wechat_stub
):
    second = make.shop("wang", shops["licensed"].street, name="王记饭庄")
    make.licence(second, clock.today_local() + timedelta(days=90), number="JY13101040055555")
    make.shop("qian", shops["licensed"].street, name="钱家菜馆")
    with database.connection_context():
        qian = Shop.get(Shop.name == "钱家菜馆")
    make.licence(qian, clock.today_local() + timedelta(days=90), number="JY13101040066666")
    _subscribe(wechat_stub, "wang")  # qian never allowed messages: WeChat refuses them
    policy = _publish(client, "street_admin", _policy(client, "street_admin"))
    assert _told(wechat_stub) == ["oStub_qian", "oStub_wang", "oStub_wang"]

    wang = client.login("wang")
    first, second_shop = wang.get("/api/v1/merchant/policies").get_json()
    opened = wang.get(f"/api/v1/merchant/policies/{first['id']}").get_json()
    assert opened["read_at"] is not None
    unread_first = wang.get("/api/v1/merchant/policies").get_json()
    assert [d["id"] for d in unread_first] == [second_shop["id"], first["id"]]
    acted = wang.post(
        f"/api/v1/merchant/policies/{first['id']}/answer",
        json={"answer": "acted", "note": "已提交"},
    )
    assert acted.get_json()["answer_label"] == "已办理"
    no_reason = wang.post(
        f"/api/v1/merchant/policies/{second_shop['id']}/answer", json={"answer": "not_me"}
    )
    assert no_reason.status_code == 422 and "reason_required" in error_keys(no_reason)
    wang.post(
        f"/api/v1/merchant/policies/{second_shop['id']}/answer",
        json={"answer": "not_me", "reason": "already_done"},
    )

    funnel = client.login("street_admin").get(f"/api/v1/admin/policies/{policy['id']}/funnel")
    total = funnel.get_json()["total"]
    assert (total["matched"], total["delivered"], total["refused"]) == (3, 2, 1)
    assert (total["read"], total["acted"], total["not_me"]) == (2, 1, 1)
    reasons = {r["reason"]: r["count"] for r in funnel.get_json()["not_me_reasons"]}
    assert reasons["already_done"] == 1
    assert funnel.get_json()["by_category"] == [{"name": "餐饮服务", **total}]
    csv = client.login("street_admin").get(f"/api/v1/admin/policies/{policy['id']}/funnel.csv")
    rows = csv.data.decode("utf-8-sig").splitlines()
    assert rows[0].startswith("分组,名称,匹配,已送达,已读,已办理,未订阅")
    assert rows[1].startswith("全部,,3,2,2,1,1")

    # Another owner cannot reach wang's deliveries by their ids.
    li = client.login("li")
    assert li.get(f"/api/v1/merchant/policies/{first['id']}").status_code == 404
    taken = li.post(f"/api/v1/merchant/policies/{first['id']}/answer", json={"answer": "acted"})
    assert taken.status_code == 404


def _matched(client, audience, target="shops", who="district_admin") -> int:
    answer = client.login(who).post(
        "/api/v1/admin/policy-preview", json={"target": target, "audience": audience}
    )
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["total"]


def test_every_operator_of_the_audience_selects_what_it_says(client, shops, make, places):
    with database.connection_context():
        Employee.create(
            shop=shops["retail"],
            name="赵一",
            health_cert_number="HC1",
            health_cert_expires=date(2030, 1, 1),
        )
        Employee.create(
            shop=shops["retail"],
            name="赵二",
            health_cert_number="HC2",
            health_cert_expires=date(2030, 1, 1),
        )
        Honour.create(
            shop=shops["elsewhere"], title="放心消费示范店", issuer="徐汇区市场监督管理局"
        )
        Shop.update(risk_grade="C", open_rectifications=1).where(
            Shop.id == shops["unlicensed"].id
        ).execute()
        Shop.update(status="suspended").where(Shop.id == shops["retail"].id).execute()
        Shop.update(created_at=clock.now() - timedelta(days=800)).where(
            Shop.id == shops["elsewhere"].id
        ).execute()
    catering = {"field": "shop.category", "op": "eq", "value": "catering"}
    a_year_ago = (clock.today_local() - timedelta(days=365)).isoformat()
    cases = [
        (catering, 3),
        ({"field": "shop.category", "op": "ne", "value": "catering"}, 1),
        ({"field": "shop.category", "op": "in", "value": ["catering", "general_retail"]}, 4),
        ({"field": "shop.category", "op": "not_in", "value": ["catering"]}, 1),
        ({"field": "shop.region", "op": "under", "value": places["street_b"].code}, 1),
        ({"field": "shop.status", "op": "eq", "value": "suspended"}, 1),
        ({"field": "shop.risk_grade", "op": "in", "value": ["C", "D"]}, 1),
        ({"field": "shop.licence", "op": "has", "value": "food_business"}, 2),
        ({"field": "shop.licence", "op": "lacks", "value": "food_business"}, 2),
        ({"field": "shop.opened", "op": "before", "value": a_year_ago}, 1),
        ({"field": "shop.opened", "op": "since", "value": a_year_ago}, 3),
        ({"field": "shop.open_rectifications", "op": "eq", "value": True}, 1),
        ({"field": "shop.staff_count", "op": "gte", "value": 2}, 1),
        ({"field": "shop.staff_count", "op": "lte", "value": 1}, 3),
        ({"field": "shop.staff_count", "op": "eq", "value": 0}, 3),
        ({"field": "shop.honours", "op": "gte", "value": 1}, 1),
        ({"all": []}, 4),
        (
            {
                "any": [
                    {"field": "shop.honours", "op": "gte", "value": 1},
                    {"field": "shop.risk_grade", "op": "eq", "value": "C"},
                ]
            },
            2,
        ),
        ({"not": catering}, 1),
        (
            {
                "all": [
                    catering,
                    {
                        "not": {
                            "field": "shop.region",
                            "op": "under",
                            "value": places["street_b"].code,
                        }
                    },
                ]
            },
            2,
        ),
    ]
    got = [(case, _matched(client, case)) for case, _ in cases]
    assert got == cases


def test_a_resident_is_found_only_by_a_tag_they_consented_to(client, places, wechat_stub):
    over_60 = {"field": "resident.tag", "op": "has", "value": "age_60_plus"}
    alice = client.login("alice")
    offered = alice.get("/api/v1/resident/tags").get_json()
    assert offered["held"] == [] and "撤回" in offered["consent_text"]
    stale = alice.post(
        "/api/v1/resident/tags", json={"tag": "age_60_plus", "consent_version": "2020-01"}
    )
    assert stale.status_code == 422 and "consent_outdated" in error_keys(stale)
    declared = alice.post(
        "/api/v1/resident/tags",
        json={"tag": "age_60_plus", "consent_version": offered["consent_version"]},
    )
    assert [t["label"] for t in declared.get_json()["held"]] == ["年满60周岁"]
    assert _matched(client, over_60, "residents") == 1
    assert (
        _matched(
            client,
            {"field": "resident.region", "op": "under", "value": places["community_b"].code},
            "residents",
        )
        == 1
    )

    assert alice.delete("/api/v1/resident/tags/age_60_plus").status_code == 204
    assert _matched(client, over_60, "residents") == 0
    # A shop's field is not about residents, and no tag can be asked of a shop.
    wrong = client.login("district_admin").post(
        "/api/v1/admin/policy-preview",
        json={
            "target": "residents",
            "audience": {"field": "shop.category", "op": "eq", "value": "catering"},
        },
    )
    assert wrong.status_code == 422 and "wrong_target" in error_keys(wrong)
    assert wrong.get_json()["details"][0]["message"].startswith("audience：")


def test_a_residents_policy_reaches_tag_holders_and_a_withdrawn_tag_stops_at_once(
    client, places, wechat_stub
):
    _subscribe(wechat_stub, "alice", "bob")
    alice, bob = client.login("alice"), client.login("bob")
    version = alice.get("/api/v1/resident/tags").get_json()["consent_version"]
    for resident in (alice, bob):
        resident.post(
            "/api/v1/resident/tags", json={"tag": "age_60_plus", "consent_version": version}
        )
    bob.delete("/api/v1/resident/tags/age_60_plus")
    policy = _policy(
        client,
        "district_admin",
        target="residents",
        audience={"field": "resident.tag", "op": "has", "value": "age_60_plus"},
        title="老年助餐服务",
        kind="notice",
    )
    _publish(client, "district_admin", policy)
    assert _told(wechat_stub) == ["oStub_alice"]
    [reached] = alice.get("/api/v1/resident/policies").get_json()
    assert reached["why"] == "年满60周岁 · 建业里居委会"
    assert reached["shop"] is None
    assert bob.get("/api/v1/resident/policies").get_json() == []
    # The preview of a residents' policy counts; it names no one.
    preview = client.login("district_admin").get(f"/api/v1/admin/policies/{policy['id']}")
    assert "alice" not in json.dumps(preview.get_json())


def test_an_admin_reaches_only_inside_their_region(client, shops):
    street = client.login("street_admin")
    district_wide = street.post(
        "/api/v1/admin/policy-preview",
        json={"region": "310104", "target": "shops", "audience": CATERERS_WITH_FOOD_LICENCE},
    )
    assert district_wide.status_code == 422 and "region_not_in_scope" in error_keys(district_wide)
    elsewhere = {"field": "shop.region", "op": "under", "value": "310104004"}
    outside = street.post(
        "/api/v1/admin/policy-preview", json={"target": "shops", "audience": elsewhere}
    )
    assert outside.status_code == 422 and "region_not_in_scope" in error_keys(outside)
    theirs = _policy(client, "district_admin")
    base = f"/api/v1/admin/policies/{theirs['id']}"
    tries = [
        street.get(base),
        street.patch(base, json={"title": "改个标题"}),
        street.post(f"{base}/publish", json={}),
        street.post(f"{base}/withdraw", json={"reason": "越权"}),
        street.get(f"{base}/funnel"),
        street.get(f"{base}/funnel.csv"),
    ]
    assert [t.status_code for t in tries] == [404] * 6
    assert {k for t in tries for k in error_keys(t)} == {"policy_not_found"}
    assert [
        p["id"] for p in client.login("district_admin").get("/api/v1/admin/policies").get_json()
    ] == [theirs["id"]]
    inspector = client.login("inspector").get("/api/v1/admin/policies")
    assert inspector.status_code == 403 and "not_a_publisher" in error_keys(inspector)


def test_a_bad_audience_is_refused_naming_where(client, shops):
    cases = [
        ({"field": "shop.category", "op": "gte", "value": "catering"}, "bad_operator"),
        ({"field": "shop.category", "op": "eq", "value": "casino"}, "bad_value"),
        ({"field": "shop.owner_phone", "op": "eq", "value": "1"}, "unknown_field_name"),
        ({"any": []}, "bad_audience"),
        ({"maybe": []}, "bad_audience"),
        ({"field": "shop.staff_count", "op": "gte", "value": "many"}, "bad_value"),
    ]
    admin = client.login("street_admin")
    for audience, key in cases:
        answer = admin.post(
            "/api/v1/admin/policy-preview", json={"target": "shops", "audience": audience}
        )
        assert answer.status_code == 422 and key in error_keys(answer), (
            audience,
            answer.get_json(),
        )
    more = [
        ({"field": ["shop.category"], "op": "eq", "value": "x"}, "bad_condition"),
        ({"field": "shop.opened", "op": "since", "value": "0001-01-01"}, "bad_value"),
        ({"all": [{"all": []}] * 40}, "too_many"),
    ]
    for audience, key in more:
        answer = admin.post(
            "/api/v1/admin/policy-preview", json={"target": "shops", "audience": audience}
        )
        assert answer.status_code == 422 and key in error_keys(answer), (
            audience,
            answer.get_json(),
        )
    deep = {"not": {"not": {"not": {"not": {"not": {"not": {"all": []}}}}}}}
    answer = admin.post("/api/v1/admin/policy-preview", json={"target": "shops", "audience": deep})
    assert "too_deep" in error_keys(answer)
    assert "audience" in answer.get_json()["details"][0]["message"]


def _pushed():
    return OutboxMessage.select().where(OutboxMessage.template == TEMPLATE)


def test_withdrawing_stops_what_is_not_sent_and_shows_withdrawn(client, shops, wechat_stub):
    _subscribe(wechat_stub, "wang")
    policy = _policy(client, "street_admin")
    admin, wang = client.login("street_admin"), client.login("wang")
    wechat_stub.control("faults", {"http_500": 20})  # WeChat down: the message waits
    assert admin.post(f"/api/v1/admin/policies/{policy['id']}/publish", json={}).status_code == 200
    with database.connection_context():
        assert [m.status for m in _pushed()] == ["pending"]
    withdrawn = admin.post(
        f"/api/v1/admin/policies/{policy['id']}/withdraw", json={"reason": "政策调整"}
    )
    assert withdrawn.get_json()["status_label"] == "已撤回"
    with database.connection_context():
        assert [m.status for m in _pushed()] == ["withdrawn"]
    [reached] = wang.get("/api/v1/merchant/policies").get_json()
    assert reached["policy"]["status_label"] == "已撤回"
    late = wang.post(f"/api/v1/merchant/policies/{reached['id']}/answer", json={"answer": "acted"})
    assert late.status_code == 409 and "policy_withdrawn" in error_keys(late)
    funnel = admin.get(f"/api/v1/admin/policies/{policy['id']}/funnel").get_json()
    assert (funnel["total"]["stopped"], funnel["total"]["delivered"]) == (1, 0)


def test_the_code_shows_its_owner_unread_policies_and_everyone_public_notices(
    client, shops, make, wechat_stub
):
    code = make.code_of(shops["licensed"])
    _publish(client, "street_admin", _policy(client, "street_admin"))
    notice = _policy(
        client,
        "district_admin",
        kind="law",
        title="上海市食品安全条例（2026修订）",
        public=True,
        audience={"field": "shop.category", "op": "in", "value": ["catering"]},
        links=[{"title": "全文", "url": "https://www.shanghai.gov.cn/food-safety"}],
    )
    _publish(client, "district_admin", notice)

    owner = client.login("wang").get(f"/api/v1/scan/{code}").get_json()
    assert [p["title"] for p in owner["owner"]["policies"]] == [
        "上海市食品安全条例（2026修订）",  # for caterers too: it reached the owner
        "小微餐饮企业经营补贴申领",
    ]
    public = client.login("alice").get(f"/api/v1/scan/{code}").get_json()
    assert public["view"] == "public"
    assert [(n["title"], n["issuer"], n["link"]) for n in public["notices"]] == [
        ("上海市食品安全条例（2026修订）", "徐汇区", "https://www.shanghai.gov.cn/food-safety")
    ]
    retail = client.login("alice").get(f"/api/v1/scan/{make.code_of(shops['retail'])}").get_json()
    assert retail["notices"] == []
    page = client.http.get(f"/s/{code}").data.decode()
    assert "上海市食品安全条例（2026修订）" in page and "法律法规 · 徐汇区" in page
    # A policy (not a law or notice) is never public.
    refused = client.login("district_admin").post(
        "/api/v1/admin/policies",
        json={
            "kind": "policy",
            "title": "补贴",
            "body": "正文内容",
            "target": "shops",
            "audience": {"all": []},
            "public": True,
        },
    )
    assert refused.status_code == 422 and "not_public_kind" in error_keys(refused)
    # A public one goes by category alone: anyone scanning any code in the reach reads it.
    narrowed = client.login("district_admin").post(
        "/api/v1/admin/policies",
        json={
            "kind": "notice",
            "title": "整改通知",
            "body": "正文内容",
            "target": "shops",
            "public": True,
            "audience": {"all": [{"field": "shop.risk_grade", "op": "eq", "value": "D"}]},
        },
    )
    assert narrowed.status_code == 422 and "public_by_category" in error_keys(narrowed)
    # A flag is true or false, not 1 or "yes".
    one = client.login("district_admin").post(
        "/api/v1/admin/policies",
        json={
            "kind": "law",
            "title": "条例",
            "body": "正文内容",
            "target": "shops",
            "audience": {"all": []},
            "public": 1,
        },
    )
    assert one.status_code == 422 and "not_a_boolean" in error_keys(one)


def test_a_scheduled_policy_goes_out_at_its_time_through_the_engine(
    app, client, shops, wechat_stub
):
    from backend import engine

    _subscribe(wechat_stub, "wang")
    later = (clock.now() + timedelta(hours=2)).isoformat()
    policy = _policy(client, "street_admin")
    admin = client.login("street_admin")
    scheduled = admin.post(
        f"/api/v1/admin/policies/{policy['id']}/publish", json={"publish_at": later}
    )
    assert scheduled.get_json()["status"] == "scheduled"
    engine.publish_policies.call_local()
    assert _told(wechat_stub) == []  # not yet
    clock.travel(timedelta(hours=2, minutes=1))
    engine.publish_policies.call_local()
    admin = client.login("street_admin")  # the first sign-in has expired by now
    assert admin.get(f"/api/v1/admin/policies/{policy['id']}").get_json()["status"] == "published"
    assert _told(wechat_stub) == ["oStub_wang"]
    engine.publish_policies.call_local()  # the minute after: nothing twice
    assert _told(wechat_stub) == ["oStub_wang"]


def test_a_departments_staff_publish_for_their_department_only(client, make, shops, places):
    from backend.models import Department

    with database.connection_context():
        market = Department.create(
            name="天平路市场监管所", kind="market_supervision", region=places["street_a"]
        )
        squad = Department.create(
            name="天平路城管中队", kind="urban_management", region=places["street_a"]
        )
    make.staff("officer", "inspector", places["street_a"], name="钱峰", department=market)
    make.staff("squad_lead", "cadre", places["street_a"], name="赵刚", department=squad)
    theirs = _policy(client, "officer", kind="notice", title="食品经营许可证换证提醒")
    assert theirs["issuer"] == "天平路市场监管所"
    assert (
        client.login("squad_lead").get(f"/api/v1/admin/policies/{theirs['id']}").status_code == 404
    )
    assert [
        p["id"] for p in client.login("street_admin").get("/api/v1/admin/policies").get_json()
    ] == [theirs["id"]]


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _attach(client, who: str, data: bytes = PDF):
    return client.login(who).post(
        "/api/v1/admin/policy-attachments",
        data={"file": (io.BytesIO(data), "细则.pdf")},
        content_type="multipart/form-data",
    )


def test_a_pdf_attached_is_read_by_anyone_once_the_policy_is_out(client, shops, wechat_stub):
    not_pdf = _attach(client, "street_admin", b"<html>not a pdf</html>")
    assert not_pdf.status_code == 422 and "not_pdf" in error_keys(not_pdf)
    cut_short = _attach(client, "street_admin", PDF[:-7])  # an upload broken off: no %%EOF
    assert cut_short.status_code == 422
    not_a_publisher = _attach(client, "inspector")
    assert not_a_publisher.status_code == 403 and "not_a_publisher" in error_keys(not_a_publisher)
    upload = _attach(client, "street_admin").get_json()["id"]
    someone_elses = _attach(client, "district_admin").get_json()["id"]
    refused = client.login("street_admin").post(
        "/api/v1/admin/policies",
        json={
            "kind": "notice",
            "title": "补贴细则",
            "body": "见附件",
            "target": "shops",
            "audience": {"all": []},
            "attachments": [{"id": someone_elses, "title": "细则"}],
        },
    )
    assert refused.status_code == 422 and "not_your_document" in error_keys(refused)
    policy = _policy(client, "street_admin", attachments=[{"id": upload, "title": "申领细则"}])
    [attached] = policy["attachments"]
    assert attached["title"] == "申领细则"
    assert client.http.get(attached["url"]).status_code == 404  # a draft's: not yet
    _publish(client, "street_admin", policy)
    served = client.http.get(attached["url"])
    assert (served.status_code, served.data, served.mimetype) == (200, PDF, "application/pdf")
    [reached] = client.login("wang").get("/api/v1/merchant/policies").get_json()
    assert reached["policy"]["attachments"][0]["url"] == attached["url"]


def test_why_a_not_reads_what_is_excluded_not_what_the_shop_is(client, shops, wechat_stub):
    _subscribe(wechat_stub, "zhao")
    not_caterers = {"not": {"field": "shop.category", "op": "eq", "value": "catering"}}
    _publish(client, "street_admin", _policy(client, "street_admin", audience=not_caterers))
    [reached] = client.login("zhao").get("/api/v1/merchant/policies").get_json()
    assert reached["why"] == "不属于（餐饮服务） · 天平路街道"


def test_a_departments_staff_in_a_street_do_not_reach_its_district_policies(
    client, make, shops, places
):
    from backend.models import Department

    with database.connection_context():
        district = Department.create(
            name="徐汇区市场监督管理局", kind="market_supervision", region=places["district"]
        )
    make.staff("district_officer", "inspector", places["district"], department=district)
    make.staff("street_officer", "inspector", places["street_a"], department=district)
    theirs = _policy(client, "district_officer", kind="notice", title="全区通知")
    street = client.login("street_officer")
    assert street.get(f"/api/v1/admin/policies/{theirs['id']}").status_code == 404
    assert street.post(f"/api/v1/admin/policies/{theirs['id']}/publish", json={}).status_code == 404
