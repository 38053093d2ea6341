"""Shop ratings: only after a recent scan, once per 30 days, checked text, a true aggregate."""

from __future__ import annotations

import threading
from datetime import timedelta
from functools import partial

import pytest

from backend import clock
from backend.db import database
from backend.models import AuditEntry, Complaint, LifecycleEvent, Rating, Shop, User
from tests.factories import ApiClient, error_keys
from tests.races import at_once


@pytest.fixture
def shop(make):
    places = make.region_tree()
    shop = make.shop("owner", places["street_a"])
    shop.code = make.code_of(shop)
    return shop


def _scan(client, user, shop):
    resident = client.login(user)
    body = resident.get(f"/api/v1/scan/{shop.code}").get_json()
    return resident, body["rating_ticket"]


def _rate(resident, shop, ticket, stars, text=None):
    return resident.post(
        f"/api/v1/resident/shops/{shop.public_id}/ratings",
        json={"rating_ticket": ticket, "stars": stars, "text": text},
    )


def _shop(shop_id):
    with database.connection_context():
        return Shop.get_by_id(shop_id)


def test_rating_without_a_recent_scan_is_refused(client, shop):
    resident = client.login("alice")
    response = _rate(resident, shop, None, 5)
    assert response.status_code == 422
    assert "rating_ticket" in response.get_json()["errors"]["json"]
    _, ticket = _scan(client, "alice", shop)
    clock.travel(timedelta(hours=25))
    assert _rate(client.login("alice"), shop, ticket, 5).status_code == 422
    assert _shop(shop.id).rating_count == 0


def test_someone_elses_ticket_does_not_work(client, shop):
    _, ticket = _scan(client, "alice", shop)
    assert _rate(client.login("mallory"), shop, ticket, 1).status_code == 422


def test_rating_updates_the_aggregate_and_the_public_view(client, shop):
    resident, ticket = _scan(client, "alice", shop)
    response = _rate(resident, shop, ticket, 4, "面很好吃")
    assert response.status_code == 201 and response.get_json()["status"] == "visible"
    view = client.login("bob").get(f"/api/v1/scan/{shop.code}").get_json()
    assert view["shop"]["rating"] == {"count": 1, "mean": 4.0, "histogram": [0, 0, 0, 1, 0]}
    assert view["comments"][0]["text"] == "面很好吃"
    with database.connection_context():
        assert (
            LifecycleEvent.select()
            .where((LifecycleEvent.shop == shop.id) & (LifecycleEvent.type == "rating.posted"))
            .count()
            == 1
        )


def test_second_rating_within_30_days_edits_the_first(client, shop):
    resident, ticket = _scan(client, "alice", shop)
    assert _rate(resident, shop, ticket, 2).status_code == 201
    clock.travel(timedelta(days=10))
    resident, ticket = _scan(client, "alice", shop)
    edited = _rate(resident, shop, ticket, 5)
    assert edited.status_code == 200 and edited.get_json()["stars"] == 5
    with database.connection_context():
        assert Rating.select().where(Rating.shop == shop.id).count() == 1
    current = _shop(shop.id)
    assert (current.rating_count, current.rating_total, current.rating_histogram) == (
        1,
        5,
        "0,0,0,0,1",
    )
    clock.travel(timedelta(days=31))
    resident, ticket = _scan(client, "alice", shop)
    assert _rate(resident, shop, ticket, 3).status_code == 201  # a month on: a new one
    assert _shop(shop.id).rating_count == 2


def test_risky_text_is_refused_with_no_write(client, shop):
    resident, ticket = _scan(client, "alice", shop)
    with database.connection_context():
        seq = Shop.get_by_id(shop.id).lifecycle_seq
    response = _rate(resident, shop, ticket, 1, "这里可以赌博")
    assert response.status_code == 422 and "text" in response.get_json()["errors"]["json"]
    with database.connection_context():
        assert Rating.select().count() == 0
        assert Shop.get_by_id(shop.id).lifecycle_seq == seq


def test_text_under_review_is_held_until_released(client, make, shop):
    resident, ticket = _scan(client, "alice", shop)
    held = _rate(resident, shop, ticket, 1, "请加微信看广告")
    assert held.get_json()["status"] == "held"
    view = client.login("bob").get(f"/api/v1/scan/{shop.code}").get_json()
    assert view["shop"]["rating"]["count"] == 0 and view["comments"] == []
    make.staff("cadre", "cadre", _street(shop))
    cadre = client.login("cadre")
    queue = cadre.get("/api/v1/admin/ratings").get_json()
    assert [r["id"] for r in queue] == [held.get_json()["id"]]
    assert cadre.post(f"/api/v1/admin/ratings/{queue[0]['id']}/release").status_code == 200
    assert _shop(shop.id).rating_count == 1


def _street(shop):
    with database.connection_context():
        return Shop.get_by_id(shop.id).street


def test_the_shopkeeper_replies_once(client, shop):
    resident, ticket = _scan(client, "alice", shop)
    rating_id = _rate(resident, shop, ticket, 3, "一般").get_json()["id"]
    owner = client.login("owner")
    url = f"/api/v1/merchant/shops/{shop.public_id}/ratings/{rating_id}/reply"
    assert owner.post(url, json={"text": "感谢反馈，我们会改进"}).status_code == 200
    assert owner.post(url, json={"text": "再说一次"}).status_code == 409
    view = client.login("bob").get(f"/api/v1/scan/{shop.code}").get_json()
    assert view["comments"][0]["reply"] == "感谢反馈，我们会改进"


def test_an_edited_rating_drops_the_old_reply_and_can_be_answered_again(client, shop):
    resident, ticket = _scan(client, "alice", shop)
    rating_id = _rate(resident, shop, ticket, 5, "面很好吃").get_json()["id"]
    owner = client.login("owner")
    url = f"/api/v1/merchant/shops/{shop.public_id}/ratings/{rating_id}/reply"
    assert owner.post(url, json={"text": "谢谢夸奖，欢迎再来"}).status_code == 200
    clock.travel(timedelta(days=3))
    resident, ticket = _scan(client, "alice", shop)
    assert _rate(resident, shop, ticket, 1, "吃完不舒服").get_json()["id"] == rating_id

    [comment] = client.login("bob").get(f"/api/v1/scan/{shop.code}").get_json()["comments"]
    assert (comment["stars"], comment["text"], comment["reply"]) == (1, "吃完不舒服", None)
    owner = client.login("owner")
    assert owner.post(url, json={"text": "很抱歉，请联系我们"}).status_code == 200
    [comment] = client.login("bob").get(f"/api/v1/scan/{shop.code}").get_json()["comments"]
    assert comment["reply"] == "很抱歉，请联系我们"


def test_a_blank_reply_is_refused_and_the_one_reply_stays_unused(client, shop):
    resident, ticket = _scan(client, "alice", shop)
    rating_id = _rate(resident, shop, ticket, 3, "一般").get_json()["id"]
    owner = client.login("owner")
    url = f"/api/v1/merchant/shops/{shop.public_id}/ratings/{rating_id}/reply"
    blank = owner.post(url, json={"text": "  \n "})
    assert blank.status_code == 422 and "text" in blank.get_json()["errors"]["json"]
    assert owner.post(url, json={"text": "感谢反馈"}).status_code == 200


def test_a_reply_wechat_would_hold_for_review_is_refused_with_no_write(client, shop):
    resident, ticket = _scan(client, "alice", shop)
    rating_id = _rate(resident, shop, ticket, 3, "一般").get_json()["id"]
    with database.connection_context():
        seq = Shop.get_by_id(shop.id).lifecycle_seq
    response = client.login("owner").post(
        f"/api/v1/merchant/shops/{shop.public_id}/ratings/{rating_id}/reply",
        json={"text": "请加微信看广告"},
    )
    assert response.status_code == 422 and "text" in response.get_json()["errors"]["json"]
    [comment] = client.login("bob").get(f"/api/v1/scan/{shop.code}").get_json()["comments"]
    assert comment["reply"] is None
    with database.connection_context():
        assert Shop.get_by_id(shop.id).lifecycle_seq == seq


def test_aggregate_equals_a_recount_after_a_burst(app, client, shop):
    raters = []
    for n in range(12):
        resident, ticket = _scan(client, f"rater{n}", shop)
        raters.append((ApiClient(app, resident.token), ticket, n % 5 + 1))
    failures = []

    def rate(resident, ticket, stars):
        response = _rate(resident, shop, ticket, stars)
        if response.status_code != 201:
            failures.append(response.get_json())

    threads = [threading.Thread(target=rate, args=r) for r in raters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with database.connection_context():
        stars = [r.stars for r in Rating.select().where(Rating.shop == shop.id)]
        current = Shop.get_by_id(shop.id)
    assert current.rating_count == len(stars) == 12
    assert current.rating_total == sum(stars)
    assert current.rating_histogram == ",".join(str(stars.count(s)) for s in range(1, 6))


def test_ratings_are_rate_limited_per_user(client, shop):
    resident, ticket = _scan(client, "alice", shop)
    codes = [_rate(resident, shop, ticket, 4).status_code for _ in range(11)]
    assert codes[:10] == [201] + [200] * 9 and codes[10] == 429


def test_complaint_shows_in_the_regulatory_view_and_waits_to_count(client, make, shop):
    resident = client.login("alice")
    response = resident.post(
        f"/api/v1/resident/shops/{shop.public_id}/complaints",
        json={
            "category": "food_safety",
            "text": "吃完肚子疼，怀疑食材不新鲜",
            "rating_ticket": resident.ticket(shop.code),
        },
    )
    assert response.status_code == 201
    make.staff("inspector", "inspector", _street(shop))
    view = client.login("inspector").get(f"/api/v1/scan/{shop.code}").get_json()
    assert view["regulatory"]["complaints"][0]["category"] == "food_safety"
    # In the grade only once its regulator finds it substantiated (test_complaints_handled).
    assert not any("complaint" in r["reason"] for r in view["regulatory"]["risk"]["reasons"])


def _complaint_points(client, make, shop) -> int:
    if not hasattr(shop, "inspector"):
        shop.inspector = make.staff("inspector", "inspector", _street(shop))
    risk = (
        client.login("inspector").get(f"/api/v1/scan/{shop.code}").get_json()["regulatory"]["risk"]
    )
    return sum(r["points"] for r in risk["reasons"] if "complain" in r["reason"])


def test_a_blank_complaint_is_refused_and_does_not_count(client, make, shop):
    url = f"/api/v1/resident/shops/{shop.public_id}/complaints"
    alice = client.login("alice")
    ticket = alice.ticket(shop.code)
    for text in ("          ", "  差  ", "\x01\x02\x03\x04\x05"):
        complaint = {"category": "food_safety", "text": text, "rating_ticket": ticket}
        response = alice.post(url, json=complaint)
        assert response.status_code == 422, text
        assert "text" in response.get_json()["errors"]["json"]
    assert _complaint_points(client, make, shop) == 0
    kept = alice.post(
        url, json={"category": "food_safety", "text": "  吃完肚子疼了  ", "rating_ticket": ticket}
    )
    assert kept.status_code == 201 and kept.get_json()["text"] == "吃完肚子疼了"


def test_neighbours_complaining_at_the_same_moment_are_all_heard(app, client, make, shop):
    url = f"/api/v1/resident/shops/{shop.public_id}/complaints"
    residents = [ApiClient(app, client.login(f"neighbour{n}").token) for n in range(8)]
    complaints = [
        {
            "category": "service",
            "text": "后厨污水流到人行道上",
            "rating_ticket": r.ticket(shop.code),
        }
        for r in residents
    ]
    answers = [
        r.status_code
        for r in at_once(
            *[partial(r.post, url, json=c) for r, c in zip(residents, complaints, strict=True)]
        )
    ]
    assert answers == [201] * len(residents)
    with database.connection_context():
        assert Complaint.select().where(Complaint.shop == shop.id).count() == len(residents)


def test_a_double_tap_on_complain_files_one_complaint(app, client, shop):
    url = f"/api/v1/resident/shops/{shop.public_id}/complaints"
    alice = client.login("alice")
    ticket = alice.ticket(shop.code)
    answers = at_once(
        *[
            lambda: ApiClient(app, alice.token).post(
                url, json={"category": "price", "text": "标价和结账不一样", "rating_ticket": ticket}
            )
            for _ in range(2)
        ]
    )
    assert sorted(r.status_code for r in answers) == [201, 409]
    with database.connection_context():
        assert Complaint.select().where(Complaint.shop == shop.id).count() == 1
    other = alice.post(
        url, json={"category": "price", "text": "第二次去又多收了钱", "rating_ticket": ticket}
    )
    assert other.status_code == 201
    # The same words a month later are the same problem again, not a double tap.
    clock.travel(timedelta(days=30))
    later = client.login("alice")
    again = later.post(
        url,
        json={
            "category": "price",
            "text": "标价和结账不一样",
            "rating_ticket": later.ticket(shop.code),
        },
    )
    assert again.status_code == 201, again.get_json()


def test_a_shop_not_yet_open_cannot_be_complained_about(client, make):
    places = make.region_tree()
    pending = make.shop("newcomer", places["street_a"], name="待开业小店", approved=False)
    response = client.login("alice").post(
        f"/api/v1/resident/shops/{pending.public_id}/complaints",
        json={"category": "food_safety", "text": "还没开门就有异味"},
    )
    assert response.status_code == 404


def test_the_shop_cannot_tell_which_resident_rated_or_complained(client, make, shop):
    resident, ticket = _scan(client, "alice", shop)
    assert _rate(resident, shop, ticket, 1, "很差").status_code == 201
    assert (
        resident.post(
            f"/api/v1/resident/shops/{shop.public_id}/complaints",
            json={
                "category": "food_safety",
                "text": "吃完肚子疼，怀疑食材不新鲜",
                "rating_ticket": ticket,
            },
        ).status_code
        == 201
    )
    alice = make.user("alice")

    events = (
        client.login("owner").get(f"/api/v1/merchant/shops/{shop.public_id}/lifecycle").get_json()
    )

    by_type = {e["type"]: e for e in events}
    assert by_type["rating.posted"]["actor"] == by_type["complaint.filed"]["actor"] == "resident"
    assert f"user:{alice.id}" not in str(events)
    # Nor can the shop find the account by hashing each user id into an event: the
    # recorded event, which its hash covers, does not name it.
    with database.connection_context():
        recorded = {
            e.type: e.actor
            for e in LifecycleEvent.select().where(
                (LifecycleEvent.shop == shop.id)
                & LifecycleEvent.type.in_(["rating.posted", "complaint.filed"])
            )
        }
    assert recorded == {"rating.posted": "resident", "complaint.filed": "resident"}


def test_the_shops_own_people_cannot_rate_it(client, shop):
    code = (
        client.login("owner")
        .post(f"/api/v1/merchant/shops/{shop.public_id}/invites")
        .get_json()["code"]
    )
    assert (
        client.login("clerk")
        .post("/api/v1/merchant/invites/accept", json={"code": code})
        .status_code
        == 200
    )
    for person in ("owner", "clerk"):
        insider, ticket = _scan(client, person, shop)
        assert ticket is None
        assert _rate(insider, shop, ticket, 5, "好吃").status_code == 422
    assert _shop(shop.id).rating_count == 0


def test_a_closed_shop_offers_no_rating_ticket(client, make, shop):
    admin = client.login(f"approver_{_street(shop).code}")
    assert (
        admin.post(
            f"/api/v1/admin/shops/{shop.public_id}/status",
            json={"status": "closed", "reason": "停止经营"},
        ).status_code
        == 200
    )
    make.staff("inspector", "inspector", _street(shop))
    for person in ("alice", "inspector"):
        view = client.login(person).get(f"/api/v1/scan/{shop.code}").get_json()
        assert view["shop"]["status"] == "closed" and view["rating_ticket"] is None


def test_a_complaint_needs_a_recent_scan_or_a_verified_phone(client, make, shop):
    url = f"/api/v1/resident/shops/{shop.public_id}/complaints"
    complaint = {"category": "service", "text": "店门口垃圾很多"}
    stranger = client.login("stranger")
    refused = stranger.post(url, json=complaint)
    assert refused.status_code == 422
    assert "rating_ticket" in refused.get_json()["errors"]["json"]
    other_shop = make.shop("owner_b", _street(shop), name="隔壁小店")
    elsewhere = stranger.ticket(make.code_of(other_shop))
    assert stranger.post(url, json={**complaint, "rating_ticket": elsewhere}).status_code == 422
    with database.connection_context():
        assert Complaint.select().count() == 0
        User.update(phone="13912345678").where(User.openid == "oStub_stranger").execute()
    assert stranger.post(url, json=complaint).status_code == 201


def test_one_resident_complains_about_one_shop_three_times_a_day_at_most(client, shop):
    url = f"/api/v1/resident/shops/{shop.public_id}/complaints"
    alice = client.login("alice")
    ticket = alice.ticket(shop.code)
    texts = ("地面油腻容易滑倒", "洗手间没有纸", "菜单价格看不清", "排风扇声音很大")
    answers = [
        alice.post(url, json={"category": "service", "text": t, "rating_ticket": ticket})
        for t in texts
    ]
    assert [a.status_code for a in answers] == [201, 201, 201, 429]
    assert error_keys(answers[-1]) == ["complaint_limit"]
    assert "3" in answers[-1].get_json()["message"]
    bob = client.login("bob")
    assert (
        bob.post(
            url,
            json={"category": "service", "text": texts[3], "rating_ticket": bob.ticket(shop.code)},
        ).status_code
        == 201
    )
    clock.travel(timedelta(days=1))
    tomorrow = client.login("alice")
    again = {"category": "service", "text": texts[3], "rating_ticket": tomorrow.ticket(shop.code)}
    assert tomorrow.post(url, json=again).status_code == 201


# -- personal data typed into a rating or a complaint -----------------------------------------
def test_a_phone_number_in_a_rating_is_shown_masked_to_everyone_but_its_author(client, shop):
    resident, ticket = _scan(client, "alice", shop)
    assert _rate(resident, shop, ticket, 5, "好吃 13855556666 订位").status_code == 201

    scanned = client.login("bob").get(f"/api/v1/scan/{shop.code}").get_json()
    assert [c["text"] for c in scanned["comments"]] == ["好吃 138****6666 订位"]
    page = client.http.get(f"/s/{shop.code}").get_data(as_text=True)
    assert "138****6666" in page and "13855556666" not in page
    owner = client.login("owner")
    as_shop_reads_it = owner.get(f"/api/v1/merchant/shops/{shop.public_id}/ratings").get_json()
    assert [r["text"] for r in as_shop_reads_it] == ["好吃 138****6666 订位"]
    mine = resident.get("/api/v1/resident/ratings").get_json()
    assert [r["text"] for r in mine] == ["好吃 13855556666 订位"]


def test_staff_read_a_complaint_masked_unless_they_ask_and_the_asking_is_audited(
    client, make, shop
):
    alice = client.login("alice")
    text = "老板打我电话13855556666骂人，身份证310104199001011234被复印"
    filed = alice.post(
        f"/api/v1/resident/shops/{shop.public_id}/complaints",
        json={"category": "service", "text": text, "rating_ticket": alice.ticket(shop.code)},
    )
    assert filed.get_json()["text"] == text  # the author reads what they wrote
    make.staff("inspector", "inspector", _street(shop))
    inspector = client.login("inspector")
    masked = "老板打我电话138****6666骂人，身份证3101**********1234被复印"
    scanned = inspector.get(f"/api/v1/scan/{shop.code}").get_json()
    assert [c["text"] for c in scanned["regulatory"]["complaints"]] == [masked]
    assert [c["text"] for c in inspector.get("/api/v1/admin/complaints").get_json()] == [masked]
    with database.connection_context():
        assert AuditEntry.select().where(AuditEntry.action == "read.unmasked").count() == 0
    whole = inspector.get("/api/v1/admin/complaints?unmasked=true").get_json()
    assert [c["text"] for c in whole] == [text]
    with database.connection_context():
        (read,) = AuditEntry.select().where(AuditEntry.action == "read.unmasked")
    assert (read.target_type, read.staff.name) == ("complaints", "李明")
