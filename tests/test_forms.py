"""Registration forms: answers checked per field type, personal answers masked, exports audited,
and neither residents nor cadres reach another community's forms, events or answers."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from backend import clock
from backend.db import database
from backend.models import AuditEntry, FormSubmission
from tests.factories import ApiClient
from tests.races import at_once
from tests.test_bookings import publish, slot

FIELDS = [
    {"name": "name", "label": "姓名", "type": "text", "required": True, "personal": True},
    {"name": "phone", "label": "手机号", "type": "phone", "required": True},
    {"name": "people", "label": "同住人数", "type": "number", "required": True},
    {"name": "arrived", "label": "返沪日期", "type": "date"},
    {
        "name": "need",
        "label": "需要",
        "type": "choice",
        "choices": ["助餐", "配药", "无"],
        "required": True,
    },
    {"name": "note", "label": "备注", "type": "text"},
]

GOOD = {
    "name": "张小红",
    "phone": "13812345678",
    "people": 3,
    "arrived": "2024-05-01",
    "need": "助餐",
    "note": "住 3 号楼",
}


def define(client, staff: str, region, fields=FIELDS, **extra) -> dict:
    response = client.login(staff).post(
        "/api/v1/admin/forms",
        json={"region": region.code, "title": "居民信息登记", "fields": fields, **extra},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def submit(resident, form: dict, answers: dict):
    return resident.put(
        f"/api/v1/resident/forms/{form['id']}/submission", json={"answers": answers}
    )


def unmasked_reads() -> list[AuditEntry]:
    with database.connection_context():
        return list(AuditEntry.select().where(AuditEntry.action == "read.unmasked"))


def parse_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


@pytest.fixture
def form(client, places):
    return define(client, "cadre_a", places["community_a"])


def test_a_valid_submission_is_kept_and_a_second_replaces_it(client, form):
    alice = client.login("alice")
    first = submit(alice, form, GOOD)
    assert first.status_code == 200 and first.get_json()["answers"] == GOOD
    assert submit(alice, form, {**GOOD, "people": "4"}).status_code == 200
    mine = alice.get(f"/api/v1/resident/forms/{form['id']}/submission").get_json()
    assert mine["answers"]["people"] == 4 and mine["community"] == "建业里居委会"
    with database.connection_context():
        assert FormSubmission.select().count() == 1


@pytest.mark.parametrize(
    "field, value",
    [
        ("people", "three"),
        ("people", True),
        ("people", "NaN"),
        ("people", "1e20"),
        ("people", "310104199001011234"),
        ("people", -(2**53)),
        ("arrived", "2024-13-01"),
        ("arrived", "05/01/2024"),
        ("need", "旅游"),
        ("phone", "12812345678"),
        ("phone", "1381234567"),
        ("phone", "+8613812345678"),
        ("name", None),
        ("need", ""),
        ("note", "x" * 501),
        ("favourite", "蓝色"),
    ],
)
def test_each_field_type_is_checked_and_named(client, form, field, value):
    response = submit(client.login("alice"), form, {**GOOD, field: value})
    assert response.status_code == 422
    assert list(response.get_json()["errors"]["json"]["answers"]) == [field]
    assert field in response.get_json()["message"]
    with database.connection_context():
        assert FormSubmission.select().count() == 0


def test_a_missing_required_answer_is_named(client, form):
    answers = {k: v for k, v in GOOD.items() if k != "phone"}
    response = submit(client.login("alice"), form, answers)
    assert response.status_code == 422
    details = response.get_json()["details"]
    assert [(d["field"], d["key"]) for d in details] == [("answers.phone", "required")]


def test_optional_answers_may_be_left_out(client, form):
    answers = {k: v for k, v in GOOD.items() if k not in ("arrived", "note")}
    assert submit(client.login("alice"), form, answers).status_code == 200


def test_no_submissions_after_the_form_closes(client, places):
    closes = (clock.now() + timedelta(days=1)).isoformat()
    form = define(client, "cadre_a", places["community_a"], closes_at=closes)
    alice = client.login("alice")
    assert submit(alice, form, GOOD).status_code == 200
    clock.travel(timedelta(days=2))
    alice = client.login("alice")
    assert alice.get(f"/api/v1/resident/forms/{form['id']}").get_json()["open"] is False
    assert submit(alice, form, {**GOOD, "people": 5}).status_code == 409
    assert (
        alice.get(f"/api/v1/resident/forms/{form['id']}/submission").get_json()["answers"]["people"]
        == 3
    )


def test_defining_a_form_checks_its_fields(client, places):
    cadre = client.login("cadre_a")

    def attempt(fields):
        return cadre.post(
            "/api/v1/admin/forms",
            json={"region": places["community_a"].code, "title": "登记", "fields": fields},
        )

    assert attempt([{"name": "c", "label": "选项", "type": "choice"}]).status_code == 422
    assert attempt([{"name": "a", "label": "A", "type": "colour"}]).status_code == 422
    assert (
        attempt(
            [
                {"name": "a", "label": "A", "type": "text"},
                {"name": "a", "label": "B", "type": "text"},
            ]
        ).status_code
        == 422
    )
    created = attempt([{"name": "tel", "label": "电话", "type": "phone", "personal": False}])
    assert created.get_json()["fields"][0]["personal"] is True


def test_a_choice_typed_with_spaces_around_it_can_still_be_chosen(client, places):
    form = define(
        client,
        "cadre_a",
        places["community_a"],
        fields=[
            {
                "name": "need",
                "label": "需要",
                "type": "choice",
                "required": True,
                "choices": ["助餐 ", " 配药", "无"],
            }
        ],
    )
    assert form["fields"][0]["choices"] == ["助餐", "配药", "无"]
    answered = submit(client.login("alice"), form, {"need": "助餐"})
    assert answered.status_code == 200, answered.get_json()
    same = client.login("cadre_a").post(
        "/api/v1/admin/forms",
        json={
            "region": places["community_a"].code,
            "title": "登记",
            "fields": [{"name": "c", "label": "选项", "type": "choice", "choices": ["是", " 是 "]}],
        },
    )
    assert same.status_code == 422 and "fields" in same.get_json()["errors"]["json"]


def test_staff_read_submissions_masked_and_unmasked_reads_are_audited(client, form, make, places):
    make.member("carol", places["community_a"])
    submit(client.login("alice"), form, GOOD)
    submit(
        client.login("carol"),
        form,
        {**GOOD, "name": "欧阳娜娜", "phone": "13900001111", "arrived": "1990-07-15"},
    )
    cadre = client.login("cadre_a")
    masked = cadre.get(f"/api/v1/admin/forms/{form['id']}/submissions").get_json()
    assert [s["answers"]["name"] for s in masked] == ["张**", "欧***"]
    assert [s["answers"]["phone"] for s in masked] == ["138****5678", "139****1111"]
    assert masked[0]["answers"]["people"] == 3 and masked[0]["answers"]["need"] == "助餐"
    assert unmasked_reads() == []

    plain = cadre.get(f"/api/v1/admin/forms/{form['id']}/submissions?unmasked=true")
    assert [s["answers"]["phone"] for s in plain.get_json()] == ["13812345678", "13900001111"]
    reads = unmasked_reads()
    assert len(reads) == 1 and reads[0].target_id == form["id"]
    assert reads[0].staff.name == "周敏"

    paged = cadre.get(f"/api/v1/admin/forms/{form['id']}/submissions?page_size=1&page=2")
    assert len(paged.get_json()) == 1 and '"total": 2' in paged.headers["X-Pagination"]


def test_a_longer_personal_answer_is_mostly_hidden_from_staff(client, places):
    form = define(
        client,
        "cadre_a",
        places["community_a"],
        fields=[
            {"name": "address", "label": "住址", "type": "text", "personal": True},
            {"name": "name", "label": "姓名", "type": "text", "personal": True},
            {"name": "id_number", "label": "身份证号", "type": "text", "personal": True},
        ],
    )
    submit(
        client.login("alice"),
        form,
        {"address": "天平路88号302室", "name": "Zhang Wei", "id_number": "310104199001011234"},
    )
    [seen] = client.login("cadre_a").get(f"/api/v1/admin/forms/{form['id']}/submissions").get_json()
    assert seen["answers"] == {
        "address": "天平******2室",
        "name": "Zh*****ei",
        "id_number": "3101**********1234",
    }
    for value in seen["answers"].values():
        assert value.count("*") >= len(value) / 2, value


def test_a_personal_choice_does_not_show_through_its_length(client, make, places):
    form = define(
        client,
        "cadre_a",
        places["community_a"],
        fields=[
            {
                "name": "party",
                "label": "政治面貌",
                "type": "choice",
                "personal": True,
                "choices": ["群众", "中共党员"],
            },
            {"name": "income", "label": "月收入", "type": "number", "personal": True},
        ],
    )
    make.member("carol", places["community_a"])
    submit(client.login("alice"), form, {"party": "群众", "income": 800})
    submit(client.login("carol"), form, {"party": "中共党员", "income": 25000})
    masked = client.login("cadre_a").get(f"/api/v1/admin/forms/{form['id']}/submissions").get_json()
    assert masked[0]["answers"] == masked[1]["answers"]
    # Anywhere but the time, whose microseconds may hold an 800 of their own.
    shown = str([{k: v for k, v in m.items() if k != "submitted_at"} for m in masked])
    assert "群众" not in shown and "800" not in shown


def test_csv_export_is_masked_unless_asked_and_guards_formulas(client, form):
    submit(client.login("alice"), form, {**GOOD, "note": '=HYPERLINK("http://x")'})
    cadre = client.login("cadre_a")
    rows = parse_csv(cadre.get(f"/api/v1/admin/forms/{form['id']}/submissions.csv"))
    assert rows[0] == [
        "编号",
        "社区",
        "提交时间",
        "姓名",
        "手机号",
        "同住人数",
        "返沪日期",
        "需要",
        "备注",
    ]
    assert len(rows) == 2
    assert rows[1][1] == "建业里居委会"
    assert rows[1][3:] == [
        "张**",
        "138****5678",
        "3",
        "2024-05-01",
        "助餐",
        '\'=HYPERLINK("http://x")',
    ]
    assert unmasked_reads() == []

    rows = parse_csv(cadre.get(f"/api/v1/admin/forms/{form['id']}/submissions.csv?unmasked=1"))
    assert rows[1][3:5] == ["张小红", "13812345678"]
    reads = unmasked_reads()
    assert len(reads) == 1 and '"how":"export"' in reads[0].detail


def test_csv_export_is_described_in_the_api_spec(client):
    spec = client.http.get("/api/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/admin/forms/{form_id}/submissions.csv"]["get"]
    assert "text/csv" in operation["responses"]["200"]["content"]


def test_a_street_form_collects_from_each_community_into_its_cadres_scope(client, places):
    form = define(client, "street_admin", places["street_a"])
    assert submit(client.login("alice"), form, GOOD).status_code == 200
    assert (
        len(client.login("cadre_a").get(f"/api/v1/admin/forms/{form['id']}/submissions").get_json())
        == 1
    )
    assert (
        len(
            client.login("street_admin")
            .get(f"/api/v1/admin/forms/{form['id']}/submissions")
            .get_json()
        )
        == 1
    )
    assert (
        client.login("cadre_b").get(f"/api/v1/admin/forms/{form['id']}/submissions").status_code
        == 404
    )


def test_a_member_of_another_community_cannot_see_or_submit(client, places, form):
    bob = client.login("bob")
    assert form["id"] not in [f["id"] for f in bob.get("/api/v1/resident/forms").get_json()]
    assert bob.get(f"/api/v1/resident/forms/{form['id']}").status_code == 404
    assert submit(bob, form, GOOD).status_code == 404
    assert client.login("stranger").get(f"/api/v1/resident/forms/{form['id']}").status_code == 404

    event = publish(client, "cadre_a", places["community_a"], [slot(24, 5)])
    assert bob.get("/api/v1/resident/events").get_json() == []
    assert bob.get(f"/api/v1/resident/events/{event['id']}").status_code == 404
    response = bob.post(
        f"/api/v1/resident/events/{event['id']}/slots/{event['slots'][0]['id']}/bookings"
    )
    assert response.status_code == 404
    with database.connection_context():
        assert FormSubmission.select().count() == 0


def test_a_cadre_of_another_community_cannot_list_or_export(client, places, form):
    submit(client.login("alice"), form, GOOD)
    event = publish(client, "cadre_a", places["community_a"], [slot(24, 5)])
    other = client.login("cadre_b")
    assert other.get(f"/api/v1/admin/forms/{form['id']}").status_code == 404
    assert other.get(f"/api/v1/admin/forms/{form['id']}/submissions").status_code == 404
    assert (
        other.get(f"/api/v1/admin/forms/{form['id']}/submissions?unmasked=true").status_code == 404
    )
    assert other.get(f"/api/v1/admin/forms/{form['id']}/submissions.csv").status_code == 404
    assert other.get(f"/api/v1/admin/events/{event['id']}").status_code == 404
    assert other.get(f"/api/v1/admin/events/{event['id']}/bookings").status_code == 404
    assert other.get("/api/v1/admin/forms").get_json() == []
    assert other.get("/api/v1/admin/events").get_json() == []
    assert unmasked_reads() == []


def test_a_page_of_submissions_far_past_the_end_is_empty(client, form):
    assert submit(client.login("alice"), form, GOOD).status_code == 200
    response = client.login("cadre_a").get(
        f"/api/v1/admin/forms/{form['id']}/submissions?page=2000000000000000000"
    )
    assert response.status_code == 200 and response.get_json() == []


def test_a_double_tap_on_publish_makes_one_form(app, client, places):
    cadre = client.login("cadre_a")
    body = {"region": places["community_a"].code, "title": "居民信息登记", "fields": FIELDS}
    answers = at_once(
        *[lambda: ApiClient(app, cadre.token).post("/api/v1/admin/forms", json=body)] * 2
    )
    assert sorted(r.status_code for r in answers) == [201, 409]
    assert len(client.login("alice").get("/api/v1/resident/forms").get_json()) == 1
    corrected = cadre.post(
        "/api/v1/admin/forms",
        json={**body, "fields": FIELDS + [{"name": "floor", "label": "楼层", "type": "number"}]},
    )
    assert corrected.status_code == 201
