"""A member of community A sees nothing of community B, and A's cadre cannot reach B's records."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from PIL import Image

from backend import clock
from backend.db import database
from backend.models import AuditEntry, Notice, Poll, PollVote, Report, User

MARK = "仅限复中"
BOB_NAME, BOB_PHONE = "鲍大勇", "13900001111"


def _shows_bob(text):
    """Bob's name, or his phone's last four digits standing alone (as a masked phone
    shows them), not the same digits inside a timestamp's microseconds."""
    return BOB_NAME in text or re.search(rf"(?<!\d){BOB_PHONE[-4:]}(?!\d)", text) is not None


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def community_b(client, places):
    """Community B's notice, poll (bob has voted) and report, all carrying MARK."""
    with database.connection_context():
        User.update(display_name=BOB_NAME, phone=BOB_PHONE).where(
            User.openid == "oStub_bob"
        ).execute()
    cadre_b, bob = client.login("cadre_b"), client.login("bob")
    b = places["community_b"]
    notice = cadre_b.post(
        "/api/v1/admin/notices",
        json={"region": b.code, "title": f"{MARK}通知", "body": f"{MARK}正文"},
    ).get_json()
    now = clock.now()
    poll = cadre_b.post(
        "/api/v1/admin/polls",
        json={
            "region": b.code,
            "title": f"{MARK}调查",
            "options": [f"{MARK}甲", f"{MARK}乙"],
            "opens_at": now.isoformat(),
            "closes_at": (now + timedelta(days=3)).isoformat(),
        },
    ).get_json()
    assert (
        bob.post(
            f"/api/v1/resident/polls/{poll['id']}/vote",
            json={"options": [poll["options"][0]["id"]]},
        ).status_code
        == 200
    )
    photo = bob.post(
        "/api/v1/resident/uploads",
        data={"file": (io.BytesIO(_png()), "b.png")},
        content_type="multipart/form-data",
    ).get_json()
    report = bob.post(
        "/api/v1/resident/reports",
        json={
            "community": b.code,
            "category": "noise",
            "text": f"{MARK}的楼上装修太吵",
            "photo": photo["id"],
        },
    ).get_json()
    assert all(item.get("id") for item in (notice, poll, photo, report))
    return {"notice": notice, "poll": poll, "report": report, "photo": photo}


def _resident_get_paths(client) -> list[str]:
    """Every JSON GET of the resident API that needs no path parameter."""
    spec = client.http.get("/api/openapi.json").get_json()
    paths = []
    for path, operations in spec["paths"].items():
        get = operations.get("get")
        if not path.startswith("/api/v1/resident/") or "{" in path or get is None:
            continue
        if "application/json" in get["responses"].get("200", {}).get("content", {}):
            paths.append(path)
    return paths


def test_member_of_a_sees_nothing_of_b_on_any_resident_endpoint(client, community_b):
    alice = client.login("alice")
    paths = _resident_get_paths(client)
    assert {
        "/api/v1/resident/notices",
        "/api/v1/resident/polls",
        "/api/v1/resident/reports",
        "/api/v1/resident/memberships",
    } <= set(paths)
    for path in paths:
        response = alice.get(path)
        text = response.get_data(as_text=True)
        leaked = [s for s in (MARK, BOB_PHONE, community_b["report"]["id"]) if s in text] + (
            ["Bob"] if _shows_bob(text) else []
        )
        assert not leaked, f"{path} shows {leaked}"


def test_member_of_a_cannot_open_or_vote_in_b(client, places, community_b):
    alice = client.login("alice")
    notice, poll, report = community_b["notice"], community_b["poll"], community_b["report"]
    for path in (
        f"/api/v1/resident/notices/{notice['id']}",
        f"/api/v1/resident/polls/{poll['id']}",
        f"/api/v1/resident/reports/{report['id']}",
    ):
        response = alice.get(path)
        assert response.status_code == 404, path
        assert MARK not in response.get_data(as_text=True)
    vote = alice.post(
        f"/api/v1/resident/polls/{poll['id']}/vote", json={"options": [poll["options"][1]["id"]]}
    )
    assert vote.status_code == 404 and MARK not in vote.get_data(as_text=True)
    attach = alice.post(
        "/api/v1/resident/reports",
        json={
            "community": places["community_a"].code,
            "category": "other",
            "text": "借用别人的照片试试",
            "photo": community_b["photo"]["id"],
        },
    )
    assert attach.status_code == 422
    with database.connection_context():
        assert PollVote.select().count() == 1
        assert Report.select().count() == 1


def test_a_district_notice_shows_no_one_from_b_to_a(client, places, community_b):
    now = clock.now()
    poll = (
        client.login("district_admin")
        .post(
            "/api/v1/admin/polls",
            json={
                "region": places["district"].code,
                "title": "全区调查",
                "options": ["好", "不好"],
                "opens_at": now.isoformat(),
                "closes_at": (now + timedelta(days=1)).isoformat(),
            },
        )
        .get_json()
    )
    client.login("bob").post(
        f"/api/v1/resident/polls/{poll['id']}/vote", json={"options": [poll["options"][0]["id"]]}
    )
    seen = client.login("alice").post(
        f"/api/v1/resident/polls/{poll['id']}/vote", json={"options": [poll["options"][1]["id"]]}
    )
    assert seen.get_json()["results"]["voters"] == 2
    text = seen.get_data(as_text=True)
    assert not _shows_bob(text)


def test_cadre_of_a_cannot_list_read_or_change_b(client, places, community_b):
    cadre = client.login("cadre_a")
    notice, poll, report = community_b["notice"], community_b["poll"], community_b["report"]
    b = places["community_b"].code
    for kind in ("notices", "polls", "reports"):
        assert cadre.get(f"/api/v1/admin/{kind}").get_json() == [], kind
        assert (
            cadre.get(
                f"/api/v1/admin/{kind}?{'community' if kind == 'reports' else 'region'}={b}"
            ).get_json()
            == []
        ), kind
    assert cadre.get("/api/v1/admin/reports?status=received&category=noise").get_json() == []
    denied = [
        cadre.get(f"/api/v1/admin/notices/{notice['id']}"),
        cadre.delete(f"/api/v1/admin/notices/{notice['id']}"),
        cadre.get(f"/api/v1/admin/polls/{poll['id']}"),
        cadre.delete(f"/api/v1/admin/polls/{poll['id']}"),
        cadre.get(f"/api/v1/admin/reports/{report['id']}"),
        cadre.get(f"/api/v1/admin/reports/{report['id']}/photo"),
        cadre.post(
            f"/api/v1/admin/reports/{report['id']}/status",
            json={"status": "resolved", "reply": "越权处理"},
        ),
    ]
    # Naming B in a body is bad input on the field, the same as naming no region at all.
    named_b = [
        cadre.post("/api/v1/admin/notices", json={"region": b, "title": "越权", "body": "x"}),
        cadre.post(
            "/api/v1/admin/polls",
            json={
                "region": b,
                "title": "越权",
                "options": ["a", "b"],
                "opens_at": clock.now().isoformat(),
                "closes_at": (clock.now() + timedelta(days=1)).isoformat(),
            },
        ),
    ]
    assert [r.status_code for r in named_b] == [422, 422]
    assert all("region" in r.get_json()["errors"]["json"] for r in named_b)
    assert [r.status_code for r in denied] == [404] * len(denied)
    for response in denied + named_b:
        text = response.get_data(as_text=True)
        assert MARK not in text and not re.search(r"复中|310104004", text)
    with database.connection_context():
        assert Notice.select().count() == 1 and Poll.select().count() == 1
        assert Report.get().status == "received" and Report.get().reply is None
        # On record where the records live, for community B's own admins to see.
        denials = {
            (a.target_type, a.target_id)
            for a in AuditEntry.select().where(
                (AuditEntry.action == "scope.denied")
                & (AuditEntry.region_path == places["community_b"].path)
            )
        }
    assert denials == {
        ("notice", notice["id"]),
        ("poll", poll["id"]),
        ("report", report["id"]),
        ("region", b),
    }
    assert (
        client.login("cadre_b")
        .get(f"/api/v1/admin/reports/{report['id']}")
        .get_json()["text"]
        .startswith(MARK)
    )
