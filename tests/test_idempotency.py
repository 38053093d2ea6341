"""A creating request sent again with its Idempotency-Key answers what the first one did."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import pytest

from backend import clock
from backend.db import database
from backend.models import IdempotentRequest, Report
from backend.purge import purge
from tests.factories import error_keys
from tests.races import at_once

REPORTS = "/api/v1/resident/reports"
COMMUNITY_A = "310104003001"


@pytest.fixture
def resident(client, places):
    return client.login("alice")


def _report(resident, key, text="楼道里堆满了杂物，存在消防隐患", **headers):
    body = {"community": COMMUNITY_A, "category": "safety", "text": text}
    return resident.post(REPORTS, json=body, headers={"Idempotency-Key": key, **headers})


def _reports() -> int:
    with database.connection_context():
        return Report.select().count()


def test_the_same_request_sent_again_gets_the_first_answer_and_makes_nothing_new(resident):
    first = _report(resident, "k-1")
    again = _report(resident, "k-1")
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert _reports() == 1
    assert _report(resident, "k-2", text="楼下的路灯坏了好几天").status_code == 201
    assert _reports() == 2


def test_the_same_key_with_another_request_is_refused_naming_the_header(resident):
    assert _report(resident, "k-1").status_code == 201
    other = _report(resident, "k-1", text="另一件事：楼下的路灯坏了好几天")
    assert other.status_code == 422
    assert other.get_json()["details"] == [
        {
            "location": "headers",
            "field": "Idempotency-Key",
            "key": "idempotency_key_reused",
            "message": "已用于另一个请求，请生成新的值",
        }
    ]
    assert _reports() == 1


def test_a_request_that_failed_leaves_its_key_free_to_run_again(resident, wechat_stub):
    wechat_stub.control("faults", {"busy": 1})  # WeChat's content check busy: a 503
    assert _report(resident, "k-1").status_code == 503
    assert _report(resident, "k-1").status_code == 201
    assert _reports() == 1


def test_a_key_is_the_callers_own(client, places, resident):
    assert _report(resident, "shared").status_code == 201
    bob = client.login("bob")
    body = {"community": places["community_b"].code, "category": "safety", "text": "楼道灯不亮了"}
    theirs = bob.post(REPORTS, json=body, headers={"Idempotency-Key": "shared"})
    assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs.headers
    assert _reports() == 2


@pytest.mark.parametrize("key", ["", "x" * 65, "空格 不行", "tab\there"])
def test_a_key_must_be_one_to_sixty_four_printable_characters(resident, key):
    refused = _report(resident, key)
    assert (
        refused.status_code == 422 and "Idempotency-Key" in refused.get_json()["errors"]["headers"]
    )
    assert _reports() == 0


def test_two_sends_of_one_key_at_once_make_one_record(app, resident):
    from tests.factories import ApiClient

    taps = [ApiClient(app, resident.token) for _ in range(2)]
    answers = at_once(*[partial(_report, tap, "k-race") for tap in taps])
    assert sorted(a.status_code for a in answers) in ([201, 201], [201, 409])
    for refused in (a for a in answers if a.status_code == 409):
        assert refused.get_json()["message"] == IN_HAND
        assert error_keys(refused) == ["request_in_hand"]
    assert _reports() == 1


def test_a_key_is_kept_a_day_then_let_go(app, client, resident):
    assert _report(resident, "k-1").status_code == 201
    assert _report(resident, "k-old", text="电梯里有异味，几天了").status_code == 201
    clock.travel(timedelta(hours=12))
    assert _report(client.login("alice"), "k-2", text="楼下的路灯坏了好几天").status_code == 201
    clock.travel(timedelta(hours=12, seconds=1))
    tomorrow = client.login("alice")
    assert _report(tomorrow, "k-1", text="一天后又来了：楼道又堆满杂物").status_code == 201
    with app.app_context(), database.connection_context():
        assert purge(clock.now()).idempotency_keys == 1  # k-old; k-1 is new, k-2 half a day
        assert {r.key for r in IdempotentRequest.select()} == {"k-1", "k-2"}


IN_HAND = "使用该 Idempotency-Key 的请求仍在处理中，请稍后再试"
ANSWER_LOST = (
    "使用该 Idempotency-Key 的请求已执行，但结果未能返回；请查看已生成的内容，不要重复提交"
)


def test_a_request_whose_answer_was_not_written_is_reported_in_hand(app, resident):
    """Killed between its commit and writing its answer: the request is done; a second
    send must not make it again."""
    from backend.idempotency import _digest
    from backend.models import User

    body = {
        "community": COMMUNITY_A,
        "category": "safety",
        "text": "楼道里堆满了杂物，存在消防隐患",
    }
    with app.test_request_context(REPORTS, method="POST", json=body):
        digest = _digest()
    with app.app_context(), database.connection_context():
        alice = User.get(User.openid == "oStub_alice")
        IdempotentRequest.create(user=alice, key="k-lost", request_sha256=digest)
    answer = _report(resident, "k-lost")
    assert (answer.status_code, answer.get_json()["message"]) == (409, IN_HAND)
    assert error_keys(answer) == ["request_in_hand"]
    clock.travel(timedelta(seconds=59))
    assert _report(resident, "k-lost").get_json()["message"] == IN_HAND
    # Longer than any request runs: the worker died after its commit, the answer is lost.
    clock.travel(timedelta(seconds=1))
    lost = _report(resident, "k-lost")
    assert lost.status_code == 409
    assert lost.get_json()["errors"] == {"headers": {"Idempotency-Key": ["answer_lost"]}}
    assert lost.get_json()["message"] == ANSWER_LOST
    assert lost.get_json()["details"][0]["message"] == ANSWER_LOST
    assert error_keys(lost) == ["answer_lost"]
    assert _reports() == 0


def test_one_callers_keys_and_answers_never_touch_anothers(client, places, resident):
    first = _report(resident, "k-1")
    bob = client.login("bob")
    body = {"community": places["community_b"].code, "category": "safety", "text": "楼道灯不亮了"}
    assert bob.post(REPORTS, json=body, headers={"Idempotency-Key": "k-b"}).status_code == 201
    assert _report(resident, "k-2", text="楼下的路灯坏了好几天").status_code == 201
    replay = _report(resident, "k-1")
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.get_json() == first.get_json()
