"""Two instances, as on two machines: each with its own instance folder, sharing only
PostgreSQL, Redis and object storage. Whatever one hands out, the other honours."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from backend.db import database
from backend.models import Booking, CommunityMembership, SealedKey
from tests.cluster.conftest import REDIS, REDIS_DB
from tests.objectstore import ACCESS
from tests.races import at_once
from tests.served import serve
from tests.test_bookings import slot
from tests.test_outbox import start_worker


@pytest.fixture
def pair(migrated, config, object_storage, wechat_stub_url, tmp_path, redis_proxy):
    redis_url = f"redis://{REDIS[0]}:{REDIS[1]}/{REDIS_DB}"
    shared = {
        "STORAGE_URL": object_storage,
        "RATELIMIT_STORAGE_URI": redis_url,
        "TASK_QUEUE_URL": redis_url,
        "TASK_QUEUE_NAME": config.task_queue_name,
        **ACCESS,
    }
    instances = [
        serve(config.database_url, tmp_path / name, wechat_stub_url, **shared)
        for name in ("first", "second")
    ]
    yield instances
    for instance in instances:
        instance.stop()


def _login(instance, user):
    tokens = instance.post("/api/v1/auth/login", json={"code": f"{user}.{time.monotonic_ns()}"})
    assert tokens.status_code == 200, tokens.text
    return {"Authorization": f"Bearer {tokens.json()['access_token']}"}


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), "green").save(buffer, format="PNG")
    return buffer.getvalue()


def test_what_one_instance_hands_out_the_other_honours(pair, make):
    first, second = pair
    places = make.region_tree()
    shop = make.shop("owner", places["street_a"])
    make.staff("cadre", "cadre", places["community_a"], name="周敏")
    alice = make.user("alice")
    with database.connection_context():
        CommunityMembership.create(
            user=alice,
            community=places["community_a"],
            region_path=places["community_a"].path,
            status="approved",
        )

    owner = _login(first, "owner")
    assert second.get("/api/v1/me", headers=owner).status_code == 200  # a token

    photo = first.post(
        f"/api/v1/merchant/shops/{shop.public_id}/uploads",
        files={"file": ("licence.png", _png(), "image/png")},
        headers=owner,
    )
    assert photo.status_code == 201, photo.text
    served = second.get(
        f"/api/v1/merchant/shops/{shop.public_id}/uploads/{photo.json()['id']}", headers=owner
    )
    assert served.status_code == 200 and served.headers["Content-Type"] == "image/png"

    resident = _login(first, "alice")
    ticket = first.get(f"/api/v1/scan/{make.code_of(shop)}", headers=resident).json()[
        "rating_ticket"
    ]
    rated = second.post(
        f"/api/v1/resident/shops/{shop.public_id}/ratings",
        json={"rating_ticket": ticket, "stars": 5},
        headers=resident,
    )
    assert rated.status_code == 201, rated.text  # a scan proof

    code = first.get("/api/v1/resident/code", headers=resident).json()["code"]
    checked = second.post(
        "/api/v1/admin/resident-codes/verify", json={"code": code}, headers=_login(second, "cadre")
    )
    assert checked.status_code == 200, checked.text  # a resident code


def test_a_key_rotated_on_one_instance_is_signed_with_by_the_other_within_a_minute(pair):
    first, second = pair
    before = {k["kid"] for k in second.get("/.well-known/jwks.json").json()["keys"]}
    # The command line, run on the first machine with its settings.
    command = subprocess.run(
        [str(Path(sys.executable).with_name("citycode")), "rotate-keys", "--purpose", "resident"],
        env=first.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert command.returncode == 0, command.stderr
    started = time.monotonic()
    while True:
        after = {k["kid"] for k in second.get("/.well-known/jwks.json").json()["keys"]}
        if after - before:
            break
        assert time.monotonic() - started < 60, "the second instance still has the old set"
        time.sleep(0.5)
    with database.connection_context():
        (new,) = SealedKey.select().where(
            (SealedKey.purpose == "resident") & SealedKey.retired_at.is_null()
        )
    assert after - before == {new.kid}


def test_a_booking_race_across_both_instances_overbooks_nothing(pair, make, places):
    first, second = pair
    community = places["community_a"]
    for n in range(40):
        make.member(f"racer{n}", community)
    event = first.post(
        "/api/v1/admin/events",
        json={
            "region": community.code,
            "title": "口罩领取",
            "description": "凭本人到居委会领取",
            "per_resident": 1,
            "slots": [slot(24, 10)],
        },
        headers=_login(first, "cadre_a"),
    ).json()
    url = f"/api/v1/resident/events/{event['id']}/slots/{event['slots'][0]['id']}/bookings"
    racers = [(pair[n % 2], _login(pair[n % 2], f"racer{n}")) for n in range(40)]
    answers = at_once(*[lambda i=i, h=h: i.post(url, headers=h) for i, h in racers])
    assert Counter(a.status_code for a in answers) == {201: 10, 409: 30}
    with database.connection_context():
        assert Booking.select().count() == 10


def test_a_message_written_through_one_instance_is_delivered_once(
    pair, config, places, wechat_stub, tmp_path
):
    first, second = pair
    wechat_stub.control(
        "subscriptions",
        {"openid": "oStub_alice", "template_id": "tmpl_report_progress", "count": 5},
    )
    report = first.post(
        "/api/v1/resident/reports",
        json={
            "community": places["community_a"].code,
            "category": "safety",
            "text": "楼道里堆满了杂物，存在消防隐患",
        },
        headers=_login(first, "alice"),
    ).json()
    moved = second.post(
        f"/api/v1/admin/reports/{report['id']}/status",
        json={"status": "in_hand"},
        headers=_login(second, "cadre_a"),
    )
    assert moved.status_code == 200, moved.text
    queue = f"redis://{REDIS[0]}:{REDIS[1]}/{REDIS_DB}"
    workers = [
        start_worker(config.replace(task_queue_url=queue), tmp_path / f"worker{n}.log")
        for n in range(2)
    ]
    try:
        started = time.monotonic()
        while not wechat_stub.sent("subscribe/send"):
            assert time.monotonic() - started < 30, "the message was not delivered"
            time.sleep(0.2)
        time.sleep(3)  # time enough for a second delivery, were there one
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
    (sent,) = wechat_stub.sent("subscribe/send")
    assert sent["body"]["touser"] == "oStub_alice"
