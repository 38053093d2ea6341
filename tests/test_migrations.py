"""The schema comes only from migrations/, and migrations/ matches the models."""

from __future__ import annotations

from backend.db import database
from backend.migrate import drift, pending, upgrade
from backend.models import ALL_MODELS


def test_migrated_database_has_no_drift_from_the_models(app):
    with database.connection_context():
        diff = drift(database.obj)
        assert not diff, f"models and migrations disagree: {diff}"
        assert pending(database.obj) == []


def test_nullability_matches_the_models(app):
    problems = []
    with database.connection_context():
        for model in ALL_MODELS:
            table = model._meta.table_name
            columns = {c.name: c for c in database.obj.get_columns(table)}
            for field in model._meta.sorted_fields:
                column = columns[field.column_name]
                if not field.primary_key and column.null != field.null:
                    problems.append(f"{table}.{field.column_name}: db null={column.null}")
    assert not problems, problems


def test_upgrade_command_on_an_empty_database(config, tmp_path):
    from backend import create_app

    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    app = create_app(config.replace(database_url=url))
    result = app.test_cli_runner().invoke(args=["upgrade"])
    assert result.exit_code == 0, result.output
    assert "applied: 0001_foundation" in result.output
    again = app.test_cli_runner().invoke(args=["upgrade"])
    assert "at head" in again.output


def test_the_outbox_takes_back_the_messages_the_old_daily_retry_would_have_sent(tmp_path):
    """0012: a message failed lately and still kept for the old retry (under 3 days old,
    under 5 tries) is pending again and due; an older one, or one tried 5 times, stays
    failed and loses its text."""
    from datetime import UTC, datetime, timedelta

    from backend.db import make_database
    from backend.migrate import runner

    db = make_database(f"sqlite:///{tmp_path / 'old.db'}")
    with db.connection_context():
        runner(db).up("0011_inspection_confirmation")
        now = datetime.now(UTC).replace(tzinfo=None)
        db.execute_sql(
            "INSERT INTO \"user\" (openid, created_at, updated_at) VALUES ('oOld', ?, ?)",
            (now, now),
        )
        user_id = db.execute_sql('SELECT id FROM "user"').fetchone()[0]
        rows = {
            "lately": ("failed", now - timedelta(days=1), 2),
            "long_ago": ("failed", now - timedelta(days=4), 2),
            "tried_out": ("failed", now - timedelta(days=1), 5),
            "sent": ("sent", now - timedelta(days=1), 1),
        }
        for subject, (status, created, attempts) in rows.items():
            db.execute_sql(
                "INSERT INTO notification (user_id, template, subject, status, created_at, "
                "data, page, attempts) VALUES (?, 't', ?, ?, ?, '{}', 'pages/x', ?)",
                (user_id, subject, status, created, attempts),
            )
        upgrade(db)
        after = {
            subject: (status, data is not None, due is not None)
            for subject, status, data, due in db.execute_sql(
                "SELECT subject, status, data, next_attempt_at FROM outbox"
            )
        }
    assert after == {
        "lately": ("pending", True, True),
        "long_ago": ("failed", False, False),
        "tried_out": ("failed", False, False),
        "sent": ("sent", True, False),
    }


def test_the_inspections_recorded_before_grades_are_scored_by_the_migration(client, make):
    """0020: an inspection recorded before scores existed is scored under version 1 from
    its stored answers, and its shop's grades follow; a shop never inspected awaits."""
    from datetime import timedelta

    from backend import clock
    from backend.migrate import runner
    from backend.models import Inspection, Shop

    places = make.region_tree()
    shop = make.shop("owner", places["street_a"])
    untouched = make.shop("owner2", places["street_a"], name="隔壁茶铺")
    make.licence(shop, clock.today_local() + timedelta(days=400))
    make.staff("inspector", "inspector", places["street_a"], name="李明")
    code = make.code_of(shop)
    for failed in (("FS06", "FS07"), ("FS03",)):
        inspector = client.login("inspector")
        proof = inspector.get(f"/api/v1/scan/{code}").get_json()["regulatory"]["scan_proof"]
        answers = [{"code": f"FS0{n}", "ok": f"FS0{n}" not in failed} for n in range(1, 9)]
        recorded = inspector.post(
            f"/api/v1/admin/shops/{shop.public_id}/inspections",
            json={
                "scan_proof": proof["token"],
                "location": {"lat": 31.2002, "lng": 121.4403},
                "checklist": answers,
                "result": "pass",
            },
        )
        assert recorded.status_code == 201, recorded.get_json()
        clock.travel(timedelta(days=10))
    with database.connection_context():
        runner(database.obj).down("0019_imported_feeds")
        runner(database.obj).up()
        scores = [
            (i.score, i.grade, i.rule_version)
            for i in Inspection.select().where(Inspection.shop == shop.id).order_by(Inspection.id)
        ]
        graded, awaiting = Shop.get_by_id(shop.id), Shop.get_by_id(untouched.id)
    assert scores == [(75, "B", 1), (90, "A", 1)]
    assert (graded.grade, graded.grade_score) == ("A", 90)
    assert (graded.annual_grade, graded.annual_score, graded.annual_inspections) == ("B", 83, 2)
    assert (awaiting.grade, awaiting.annual_inspections, awaiting.grade_history) == (None, 0, "[]")
