"""The schema comes only from migrations/, and migrations/ matches the models."""

from __future__ import annotations

from backend.db import database
from backend.migrate import drift, pending
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
