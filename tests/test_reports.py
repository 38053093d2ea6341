"""Reports (随手拍): members report problems with a checked text and their own photo; cadres
move them forward to a resolution the resident can read."""

from __future__ import annotations

import io

from PIL import Image

from backend.db import database
from backend.models import AuditEntry, OutboxMessage, Report, User
from tests.factories import ApiClient, error_keys
from tests.races import at_once


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(buffer, format="PNG")
    return buffer.getvalue()


def upload(resident, data: bytes | None = None, filename: str = "photo.png"):
    return resident.post(
        "/api/v1/resident/uploads",
        data={"file": (io.BytesIO(data if data is not None else png()), filename)},
        content_type="multipart/form-data",
    )


def report(resident, community, text="楼道里堆满了杂物，存在消防隐患", category="safety", **extra):
    return resident.post(
        "/api/v1/resident/reports",
        json={"community": community.code, "category": category, "text": text, **extra},
    )


def move(staff, report_id, status, reply=None):
    return staff.post(
        f"/api/v1/admin/reports/{report_id}/status", json={"status": status, "reply": reply}
    )


def test_report_with_photo_and_location_reaches_the_cadre_masked(client, make, places):
    with database.connection_context():
        User.update(display_name="王小明", phone="13812345678").where(
            User.openid == "oStub_alice"
        ).execute()
    alice = client.login("alice")
    photo = upload(alice)
    assert photo.status_code == 201
    created = report(
        alice,
        places["community_a"],
        photo=photo.get_json()["id"],
        location={"lat": 31.2001, "lng": 121.4402},
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["status"] == "received" and body["photo"] == photo.get_json()["id"]
    assert body["location"] == {"lat": 31.2001, "lng": 121.4402}

    queue = client.login("cadre_a").get("/api/v1/admin/reports?status=received")
    assert queue.status_code == 200
    [seen] = queue.get_json()
    assert seen["id"] == body["id"] and seen["text"] == body["text"]
    assert seen["reporter_name"] == "王**" and seen["reporter_phone"] == "138****5678"
    assert "13812345678" not in queue.get_data(as_text=True)
    image = client.login("cadre_a").get(f"/api/v1/admin/reports/{body['id']}/photo")
    assert image.status_code == 200 and image.data == png()


def test_cadre_moves_a_report_forward_and_the_resident_reads_the_reply(client, places):
    alice = client.login("alice")
    report_id = report(alice, places["community_a"]).get_json()["id"]
    cadre = client.login("cadre_a")
    assert move(cadre, report_id, "in_hand").get_json()["status"] == "in_hand"
    no_reply = move(cadre, report_id, "resolved")
    assert no_reply.status_code == 422 and "reply" in no_reply.get_json()["errors"]["json"]
    resolved = move(cadre, report_id, "resolved", "已联系物业清理，谢谢反馈")
    assert resolved.status_code == 200
    backwards = move(cadre, report_id, "in_hand")
    assert backwards.status_code == 409 and error_keys(backwards) == ["status_change_not_allowed"]
    assert "已解决" in backwards.get_json()["message"]
    mine = alice.get(f"/api/v1/resident/reports/{report_id}").get_json()
    assert mine["status"] == "resolved" and mine["reply"] == "已联系物业清理，谢谢反馈"
    assert [r["status"] for r in alice.get("/api/v1/resident/reports").get_json()] == ["resolved"]
    assert client.login("cadre_a").get("/api/v1/admin/reports?status=received").get_json() == []
    with database.connection_context():
        actions = [
            a.action
            for a in AuditEntry.select()
            .where(AuditEntry.target_id == report_id)
            .order_by(AuditEntry.id)
        ]
    assert actions == ["report.in_hand", "report.resolved"]


def test_the_reporter_hears_of_each_move_and_a_refusal_is_only_recorded(
    client, places, wechat_stub
):
    wechat_stub.control(
        "subscriptions",
        {"openid": "oStub_alice", "template_id": "tmpl_report_progress", "count": 1},
    )
    report_id = report(client.login("alice"), places["community_a"]).get_json()["id"]
    cadre = client.login("cadre_a")
    assert move(cadre, report_id, "in_hand").status_code == 200
    # Alice subscribed once: the second message is refused by WeChat (43101), and the
    # cadre's move still goes through.
    assert move(cadre, report_id, "resolved", "已联系物业清理").status_code == 200
    sent = wechat_stub.sent("subscribe/send")
    assert [(s["body"]["touser"], s["errcode"]) for s in sent] == [
        ("oStub_alice", 0),
        ("oStub_alice", 43101),
    ]
    assert sent[0]["body"]["data"]["phrase2"]["value"] == "处理中"
    with database.connection_context():
        notes = [
            (n.subject, n.status, n.errcode)
            for n in OutboxMessage.select()
            .where(OutboxMessage.user == User.get(User.openid == "oStub_alice"))
            .order_by(OutboxMessage.id)
        ]
    assert notes == [("report.in_hand", "sent", None), ("report.resolved", "refused", 43101)]


def test_a_report_may_be_resolved_straight_from_received_but_not_twice(client, places):
    report_id = report(client.login("alice"), places["community_a"]).get_json()["id"]
    cadre = client.login("cadre_a")
    assert move(cadre, report_id, "resolved", "已处理").status_code == 200
    assert move(cadre, report_id, "resolved", "再次处理").status_code == 409
    assert move(cadre, report_id, "received").status_code == 422


def test_risky_text_is_refused_and_nothing_is_kept(client, places):
    response = report(client.login("alice"), places["community_a"], text="楼下有人赌博，很吵")
    assert response.status_code == 422 and "text" in response.get_json()["errors"]["json"]
    with database.connection_context():
        assert Report.select().count() == 0


def test_text_under_review_is_kept_for_the_cadre_and_the_reporter(client, places):
    alice = client.login("alice")
    response = report(alice, places["community_a"], text="有人在小区里发广告让人加微信代购")
    assert response.status_code == 201
    [seen] = client.login("cadre_a").get("/api/v1/admin/reports").get_json()
    assert seen["id"] == response.get_json()["id"]
    assert client.login("bob").get("/api/v1/resident/reports").get_json() == []


def test_report_only_in_my_own_approved_community(client, places):
    alice = client.login("alice")
    response = report(alice, places["community_b"])
    assert response.status_code == 422 and "community" in response.get_json()["errors"]["json"]
    assert report(client.login("carol"), places["community_a"]).status_code == 422
    bad_category = report(alice, places["community_a"], category="ufo")
    assert bad_category.status_code == 422
    assert "category" in bad_category.get_json()["errors"]["json"]
    with database.connection_context():
        assert Report.select().count() == 0


def test_a_report_of_a_few_letters_between_spaces_is_refused(client, places):
    response = report(client.login("alice"), places["community_a"], text="   脏   ")
    assert response.status_code == 422 and "text" in response.get_json()["errors"]["json"]
    with database.connection_context():
        assert Report.select().count() == 0


def test_a_double_tap_on_send_files_one_report(app, client, places):
    alice = client.login("alice")
    answers = at_once(
        *[lambda: report(ApiClient(app, alice.token), places["community_a"]) for _ in range(2)]
    )
    assert sorted(r.status_code for r in answers) == [201, 409]
    [kept] = [r.get_json()["id"] for r in answers if r.status_code == 201]
    assert kept in [r.get_json()["message"] for r in answers if r.status_code == 409][0]
    assert [r["id"] for r in client.login("cadre_a").get("/api/v1/admin/reports").get_json()] == [
        kept
    ]
    again = report(alice, places["community_a"], text="楼道里堆满了杂物，又堆起来了")
    assert again.status_code == 201


def test_only_my_own_upload_may_be_attached(client, places):
    bobs_photo = upload(client.login("bob")).get_json()["id"]
    response = report(client.login("alice"), places["community_a"], photo=bobs_photo)
    assert response.status_code == 422 and "photo" in response.get_json()["errors"]["json"]
    assert (
        report(client.login("alice"), places["community_a"], photo="no-such-photo").status_code
        == 422
    )


def test_upload_checks_the_content_not_the_name(client, places):
    alice = client.login("alice")
    response = upload(alice, b"GIF89a not really", "photo.png")
    assert response.status_code == 422 and "file" in response.get_json()["errors"]["files"]
    assert upload(alice, b"", "empty.png").status_code == 422


def test_staff_filter_and_paginate_their_queue(client, make, places):
    make.member("anna", places["community_a"])
    alice, anna = client.login("alice"), client.login("anna")
    report(alice, places["community_a"], category="noise", text="晚上十点后广场舞音乐太响")
    report(anna, places["community_a"], category="parking", text="消防通道被私家车占用")
    report(anna, places["community_a"], category="environment", text="垃圾桶满了没人清运")
    street = client.login("street_admin")
    assert [
        r["category"] for r in street.get("/api/v1/admin/reports?category=noise").get_json()
    ] == ["noise"]
    page = street.get("/api/v1/admin/reports?page=1&page_size=2")
    assert len(page.get_json()) == 2 and '"total": 3' in page.headers["X-Pagination"]
    district = client.login("district_admin")
    assert (
        len(
            district.get(f"/api/v1/admin/reports?community={places['community_a'].code}").get_json()
        )
        == 3
    )
    assert (
        district.get(f"/api/v1/admin/reports?community={places['community_b'].code}").get_json()
        == []
    )
    assert client.login("inspector").get("/api/v1/admin/reports").status_code == 403
    assert [r["category"] for r in anna.get("/api/v1/resident/reports").get_json()] == [
        "environment",
        "parking",
    ]


def test_a_reports_text_reaches_the_cadre_with_personal_data_masked_unless_asked(client, places):
    alice = client.login("alice")
    text = "楼上住户 zhang.wei@example.cn 电话021-64381234 长期堵塞楼道"
    filed = report(alice, places["community_a"], text=text)
    assert filed.status_code == 201 and filed.get_json()["text"] == text
    cadre = client.login("cadre_a")
    masked = "楼上住户 z***@example.cn 电话021****1234 长期堵塞楼道"
    assert [r["text"] for r in cadre.get("/api/v1/admin/reports").get_json()] == [masked]
    report_id = filed.get_json()["id"]
    assert cadre.get(f"/api/v1/admin/reports/{report_id}").get_json()["text"] == masked
    assert cadre.get(f"/api/v1/admin/reports/{report_id}?unmasked=true").get_json()["text"] == text
    assert alice.get(f"/api/v1/resident/reports/{report_id}").get_json()["text"] == text
    with database.connection_context():
        reads = AuditEntry.select().where(AuditEntry.action == "read.unmasked")
        assert [(r.target_type, r.target_id) for r in reads] == [("report", report_id)]
